"""`weft train-quality`: a fastText quality classifier from labelled JSON lines (no Spark).

    weft train-quality --input labelled.jsonl --output quality.bin [--holdout 0.2]
        [--set filter.quality_model.train.epoch=10]
    weft filter ... --set filter.quality_model.path=quality.bin --set filter.presets.weft.rules.quality_model.min=0.5

Input: one JSON object per line with `text` and `label` (any names; the config's `quality_model.label`, `good` by
default, is the label whose probability becomes the score `quality_prob`). The model reads what the filter
stage gives it (filters.quality_model.model_text). Hyperparameters: `filter.quality_model.train` in
config/filters.yaml. With --holdout, that share of the lines (every k-th line, so reruns agree) is left out
of training and the model's accuracy on it is printed; a line without a text or a label is counted and skipped.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile


def read_labelled(path: str) -> tuple[list[tuple[str, str]], int]:
    """(label, text) pairs and the count of lines that have neither a text nor a label (skipped)."""
    pairs, skipped = [], 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except ValueError:
                skipped += 1
                continue
            text, label = (obj.get("text"), obj.get("label")) if isinstance(obj, dict) else (None, None)
            if not isinstance(text, str) or not text.strip() or not isinstance(label, str) or not label.strip():
                skipped += 1
                continue
            pairs.append((label.strip().replace(" ", "_"), text))
    return pairs, skipped


def train(pairs: list[tuple[str, str]], output: str, max_chars: int, params: dict) -> None:
    """Train on (label, text) pairs and save the model to `output`."""
    import fasttext

    from filters.quality_model import model_text

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for label, text in pairs:
            f.write(f"__label__{label} {model_text(text, max_chars)}\n")
        path = f.name
    try:
        # one thread and a fixed seed: the same model on every run
        model = fasttext.train_supervised(input=path, verbose=0, thread=1, seed=0, **params)
    finally:
        os.unlink(path)
    model.save_model(output)


def main(argv: list[str] | None = None) -> int:
    from engine.config import load_config
    from filters.quality_model import QualityModel
    from filters.rules import FilterConfig

    p = argparse.ArgumentParser(prog="weft train-quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="JSON lines with text and label")
    p.add_argument("--output", required=True, help="model file to write (fastText .bin)")
    p.add_argument("--holdout", type=float, help="share of lines left out to measure accuracy (e.g. 0.2)")
    p.add_argument("--config", help="YAML merged over the defaults (its `filter.quality_model` section)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)
    cfg = FilterConfig.from_dict(load_config(args.config, args.set).get("filter", {})).quality_model
    pairs, skipped = read_labelled(args.input)
    labels = sorted({label for label, _ in pairs})
    if len(labels) < 2 or cfg["label"] not in labels:
        print(f"weft train-quality: need lines of at least two labels including {cfg['label']!r}; "
              f"found {labels or 'none'} ({skipped} lines skipped)", file=sys.stderr)
        return 2
    step = round(1 / args.holdout) if args.holdout else 0
    held = [x for i, x in enumerate(pairs) if step and i % step == step - 1]
    fit = [x for i, x in enumerate(pairs) if not (step and i % step == step - 1)]
    train(fit, args.output, int(cfg["max_chars"]), dict(cfg["train"]))
    counts = {label: sum(1 for x, _ in fit if x == label) for label in labels}
    print(f"weft train-quality: {len(fit)} lines {counts}, {skipped} skipped -> {args.output}", file=sys.stderr)
    if held:
        model = QualityModel(args.output, str(cfg["label"]), int(cfg["max_chars"]))
        probs = model.predict_many([t for _, t in held])
        right = sum((prob >= 0.5) == (label == cfg["label"]) for (label, _), prob in zip(held, probs))
        print(f"weft train-quality: held-out accuracy {right / len(held):.3f} on {len(held)} lines "
              f"(threshold 0.5 on P({cfg['label']}))", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
