"""MinHash signatures: tokenising, shingling, OPH estimator quality and determinism (no Spark)."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from engine.dedup import minhash
from engine.dedup.minhash import MinHashParams

DATA = Path(__file__).resolve().parent / "data" / "dedup"
PARAMS = MinHashParams()


def _text(name: str) -> str:
    return (DATA / name).read_text()


def test_tokenize_normalises_case_and_punctuation_and_keeps_document_boundaries():
    words, offsets = minhash.tokenize(pa.array(["Hello, World!", None, "hello world", "--- ...", "über Über"]))
    assert offsets.tolist() == [0, 2, 2, 4, 4, 6]  # null and punctuation-only documents have no words
    assert words[0:2].tolist() == words[2:4].tolist()
    assert words[4] == words[5]  # Unicode lower-casing


def test_shingles_do_not_cross_documents_and_short_documents_get_one():
    words, offsets = minhash.tokenize(pa.array(["a b c d e f", "x y", "a b c d e"]))
    shingles, s_off = minhash.shingle(words, offsets, 5, seed=1)
    assert np.diff(s_off).tolist() == [2, 1, 1]
    assert shingles[0] == shingles[3]  # "a b c d e" in doc 0 and doc 2


def test_identical_texts_have_identical_signatures_and_hashes():
    text = _text("rails_mit_license.txt")
    sig, n, th = minhash.fingerprints(pa.array([text, text.upper().replace(",", " ,"), "other words here"]), PARAMS)
    assert (sig[0] == sig[1]).all() and (th[0] == th[1]).all()
    assert not (th[0] == th[2]).all() and n[0] > 100


def test_signature_estimate_tracks_exact_jaccard():
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(5000)]
    base = [rng.choice(vocab) for _ in range(1500)]
    texts = [" ".join(base)]
    for p in (0.02, 0.05, 0.1, 0.2, 0.4):
        texts.append(" ".join(rng.choice(vocab) if rng.random() < p else w for w in base))
    sets = minhash.shingle_sets(pa.array(texts), PARAMS)
    sig, _ = minhash.signatures(pa.array(texts), PARAMS)
    for i in range(1, len(texts)):
        j = minhash.exact_jaccard(sets[0], sets[i])
        est = minhash.estimate_jaccard(sig[0], sig[i])
        sd = (j * (1 - j) / PARAMS.num_perm) ** 0.5
        assert abs(est - j) <= 4 * sd + 0.01, (j, est)


def test_densification_short_documents_keep_estimates_unbiased():
    rng = random.Random(5)
    errors = []
    for _ in range(200):  # ~30 shingles, 160 bins: most bins are filled by densification
        words = [f"t{rng.randrange(10**6)}" for _ in range(34)]
        other = list(words)
        for k in rng.sample(range(34), 3):
            other[k] = f"t{rng.randrange(10**6)}"
        sets = minhash.shingle_sets(pa.array([" ".join(words), " ".join(other)]), PARAMS)
        sig, _ = minhash.signatures(pa.array([" ".join(words), " ".join(other)]), PARAMS)
        errors.append(minhash.estimate_jaccard(sig[0], sig[1]) - minhash.exact_jaccard(sets[0], sets[1]))
    assert abs(np.mean(errors)) < 0.03
    assert (sig != 0xFFFFFFFF).all()


def test_mit_licences_are_candidates_and_pytorch_is_not():
    texts = pa.array([_text(n) for n in ("rails_mit_license.txt", "react_mit_license.txt", "pytorch_license.txt")])
    sets = minhash.shingle_sets(texts, PARAMS)
    assert minhash.exact_jaccard(sets[0], sets[1]) >= 0.8 > minhash.exact_jaccard(sets[0], sets[2])
    sig, _ = minhash.signatures(texts, PARAMS)
    bands = minhash.band_hashes(sig, PARAMS)
    assert (bands[0] == bands[1]).any()
    assert not (bands[0] == bands[2]).any()


def test_signatures_do_not_depend_on_batch_composition():
    texts = [_text(n) for n in ("rails_mit_license.txt", "pytorch_license.txt", "react_mit_license.txt")]
    together, _ = minhash.signatures(pa.array(texts), PARAMS)
    alone = np.vstack([minhash.signatures(pa.array([t]), PARAMS)[0] for t in texts])
    assert (together == alone).all()
    other_seed, _ = minhash.signatures(pa.array(texts), MinHashParams(seed=7))
    assert not (other_seed == together).all()


@pytest.mark.parametrize("j,expected", [(0.8, 0.97), (0.5, 0.08)])
def test_default_banding_s_curve(j, expected):
    assert PARAMS.candidate_probability(j) == pytest.approx(expected, abs=0.01)
