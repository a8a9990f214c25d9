"""Gopher n-gram repetition: the compiled loop (filters/_native.c `ngram_chars`) against its numpy definition
(`gopher._ngram_chars_py`), byte for byte, and both against the plain sequential definitions."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from filters import gopher
from filters.text import TextStats
from tests.test_filters import _dup_ngram_reference, _top_ngram_reference

DATA = Path(__file__).resolve().parent / "data" / "text"
EMPTY = (np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))


def _compiled():
    try:
        from filters._native import ngram_chars
    except ImportError:
        if shutil.which("cc") or shutil.which("gcc"):
            pytest.fail("a C compiler is here but filters._native is not built: pip install -e . failed to build it")
        pytest.skip("no C compiler: the numpy form is the one in use")
    assert gopher._ngram_chars is ngram_chars
    return ngram_chars


def _encode(text: str) -> tuple[np.ndarray, np.ndarray]:
    ts = TextStats(text, "en")
    return ts.word_hashes, ts.word_lengths


def _random_docs(rng: np.random.Generator, n_docs: int, max_words: int, vocab: int) -> list:
    """Documents over a tiny vocabulary (many repeats, overlapping ones too) with lengths 0..3."""
    return [(rng.integers(0, vocab, size).astype(np.uint64) * np.uint64(0x9E3779B1),
             rng.integers(0, 4, size).astype(np.int64))
            for size in rng.integers(0, max_words, n_docs)]


def _colliding_pair() -> list:
    """Two documents whose 2-gram keys collide (a 64-bit coincidence, built on purpose): both forms must count
    the collision the same way, as one n-gram."""
    mul, doc_mul = int(gopher._HASH_MUL), int(gopher._DOC_MUL)
    mask = 2**64 - 1
    target = (5 * mul + 7) & mask  # the key of the 2-gram (5, 7) in document 0
    a = 11
    b = ((target ^ doc_mul) - a * mul) & mask  # (a, b) in document 1 has the same key
    first = np.array([5, 7, 5, 7, 9], dtype=np.uint64)
    second = np.array([a, b, 3, a, b], dtype=np.uint64)
    return [(first, np.ones(5, dtype=np.int64)), (second, np.full(5, 2, dtype=np.int64))]


def _batches() -> list[list]:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(DATA.rglob("*.txt"))]
    fixtures = [_encode(t) for t in texts]
    words = [f"w{i}" for i in range(12)]
    exact = [_encode(" ".join(words[:k])) for k in range(1, 12)]  # exactly n words, for every n
    exact += [_encode(" ".join(["a", "b"] * k)) for k in range(1, 12)] + [_encode("a " * k) for k in range(1, 12)]
    one_word = _encode("word " * 20_000)
    rng = np.random.default_rng(7)
    batches = [[], [EMPTY], [EMPTY, EMPTY], fixtures, exact, [one_word], [exact[0]] * 50, [fixtures[0]] * 20,
               [EMPTY, one_word, EMPTY, *exact, EMPTY], _colliding_pair()]
    batches += [[f] for f in fixtures] + [_random_docs(rng, int(rng.integers(1, 12)), 60, 4) for _ in range(400)]
    batches.append(_random_docs(rng, 256, 700, 30))
    return batches


def test_compiled_ngram_chars_equals_the_numpy_form():
    ngram_chars = _compiled()
    batches = _batches()
    for batch in batches:
        assert ngram_chars(batch) == gopher._ngram_chars_py(batch)
    counted = [np.frombuffer(gopher._ngram_chars_py(b), dtype=np.int64) for b in batches]
    assert sum(int(np.count_nonzero(c)) for c in counted) > 1000  # the cases repeat n-grams at every n
    for column in range(len(gopher.NGRAMS)):
        assert any(c.reshape(-1, len(gopher.NGRAMS))[:, column].any() for c in counted if len(c))
    # the colliding 2-grams count as one in both forms: document 0's top 2-gram is "5 7" four times
    assert np.frombuffer(ngram_chars(_colliding_pair()), dtype=np.int64)[0] == 3 * 4


def test_compiled_ngram_chars_keeps_no_state_between_batches():
    # scratch memory is reused between calls (and freed after one that needs over 48 MB): sizes up and down
    ngram_chars = _compiled()
    rng = np.random.default_rng(3)
    big = rng.integers(0, 2**64, 1_200_000, dtype=np.uint64)
    big[500_000:500_050] = big[100:150]  # one repeated passage in a page of distinct words
    huge = [(big, rng.integers(1, 9, len(big)).astype(np.int64))]
    small = _random_docs(rng, 5, 40, 3)
    for batch in (small, huge, small, _random_docs(rng, 300, 200, 5), small):
        assert ngram_chars(batch) == gopher._ngram_chars_py(batch)
    assert np.frombuffer(ngram_chars(huge), dtype=np.int64)[3] > 0  # the passage's 5-grams repeat


@pytest.mark.parametrize("use_compiled", [True, False])
def test_ngram_repetition_many_follows_the_sequential_definitions(use_compiled, monkeypatch):
    if use_compiled:
        _compiled()
    else:
        monkeypatch.setattr(gopher, "_ngram_chars", gopher._ngram_chars_py)
    rng = np.random.default_rng(11)
    vocab = ["a", "bb", "ccc", "dddd", "a", "bb"]
    texts = [" ".join(rng.choice(vocab[: int(rng.integers(1, 7))], int(rng.integers(0, 80)))) for _ in range(120)]
    texts += ["", "one", "x " * 300, "a b c d e f g h i j", "p q r s t u v w " * 3 + "p q"]
    stats = [TextStats(t, "en") for t in texts]
    together = gopher.ngram_repetition_many([(ts.word_hashes, ts.word_lengths) for ts in stats])
    for ts, chars in zip(stats, together):
        assert chars == {**{n: _top_ngram_reference(ts.words, n) for n in gopher.TOP_NGRAMS},
                         **{n: _dup_ngram_reference(ts.words, n) for n in gopher.DUP_NGRAMS}}


def test_other_array_types_take_the_numpy_form():
    ngram_chars = _compiled()
    hashes, lengths = _encode((DATA / "cs336" / "low_quality_cc.txt").read_text(encoding="utf-8"))
    expected = gopher.ngram_repetition_many([(hashes, lengths)])
    others = [[(hashes.astype(np.int64), lengths)], [(hashes, lengths.astype(np.int32))], [[hashes, lengths]]]
    for other in others:
        assert gopher.ngram_repetition_many(other) == expected
    strided = [(hashes[::2], lengths[::2])]  # not contiguous
    assert gopher.ngram_repetition_many(strided) == gopher.ngram_repetition_many([(hashes[::2].copy(),
                                                                                   lengths[::2].copy())])
    for bad in [*others, strided]:
        with pytest.raises(TypeError):
            ngram_chars(bad)
    with pytest.raises(ValueError):
        ngram_chars([(hashes, lengths[:-1])])
    assert gopher.ngram_repetition_many([]) == []
