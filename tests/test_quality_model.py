"""`weft train-quality` and the score quality_prob: a model trained on one half of the development set
(benchmarks/filter_devset.py, split by domain) must separate the other half better than chance, and the
filter stage must write its probability and let a rule threshold it."""
from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED

pytestmark = pytest.mark.skipif(not (SHARED / "extraction").exists(), reason="../shared/data not present")


@pytest.fixture(scope="module")
def devset():
    from benchmarks.filter_devset import build

    return build()


def _auc(pos: list[float], neg: list[float]) -> float:
    """Probability that a random good text scores above a random bad one (ties count half)."""
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def test_trained_model_separates_held_out_domains(devset, tmp_path):
    from filters.quality_model import QualityModel
    from jobs.train_quality import main

    src = tmp_path / "train.jsonl"
    with src.open("w", encoding="utf-8") as f:
        for r in devset:
            if r["split"] == "tune":
                f.write(json.dumps({"text": r["text"], "label": r["label"]}) + "\n")
        f.write("not json\n" + json.dumps({"text": "no label"}) + "\n")  # counted and skipped, not fatal
    model_path = tmp_path / "q.bin"
    small = ["--set", "filter.quality_model.train.bucket=20000", "--set", "filter.quality_model.train.dim=16"]
    assert main(["--input", str(src), "--output", str(model_path), *small]) == 0
    model = QualityModel(str(model_path), "good", 2000)
    held = [r for r in devset if r["split"] == "holdout"]
    probs = model.predict_many([r["text"] for r in held])
    assert all(0.0 <= p <= 1.0 for p in probs)
    good = [p for p, r in zip(probs, held) if r["label"] == "good"]
    bad = [p for p, r in zip(probs, held) if r["label"] == "bad"]
    assert len(good) > 20 and len(bad) > 20
    assert _auc(good, bad) > 0.75  # chance is 0.5; sites never seen in training


def test_filter_stage_writes_quality_prob_and_a_rule_uses_it(devset, tmp_path, capsys):
    from jobs.score import main as score
    from jobs.train_quality import main as train

    src = tmp_path / "train.jsonl"
    src.write_text("".join(json.dumps({"text": r["text"], "label": r["label"]}) + "\n" for r in devset),
                   encoding="utf-8")
    model_path = tmp_path / "q.bin"
    small = ["--set", "filter.quality_model.train.bucket=20000", "--set", "filter.quality_model.train.dim=16"]
    assert train(["--input", str(src), "--output", str(model_path), *small]) == 0
    good = next(r for r in devset if r["label"] == "good" and r["source"] == "aeb")
    sample = tmp_path / "in.jsonl"
    sample.write_text(json.dumps({"id": "g", "text": good["text"].replace("\n", "\n\n")}) + "\n")
    out = tmp_path / "out.jsonl"
    with_model = ["--set", f"filter.quality_model.path={model_path}"]
    assert score(["--input", str(sample), "--output", str(out), *with_model]) == 0
    row = json.loads(out.read_text())
    prob = row["scores"]["quality_prob"]
    assert prob is not None and 0.0 <= prob <= 1.0
    # a rule above the document's probability drops it, by that rule's name
    strict = [*with_model, "--set", f"filter.presets.weft.rules.quality_model.min={min(1.0, prob + 0.01)}"]
    assert score(["--input", str(sample), "--output", str(out), *strict]) == 0
    row = json.loads(out.read_text())
    assert not row["keep"] and row["reason"] == "quality_model"
    # without a model the score is null and the rule never fails
    assert score(["--input", str(sample), "--output", str(out)]) == 0
    assert json.loads(out.read_text())["scores"]["quality_prob"] is None


def test_train_quality_needs_two_labels(tmp_path):
    from jobs.train_quality import main

    src = tmp_path / "one.jsonl"
    src.write_text(json.dumps({"text": "only good text here", "label": "good"}) + "\n")
    assert main(["--input", str(src), "--output", str(tmp_path / "q.bin")]) == 2
    assert not (tmp_path / "q.bin").exists()
