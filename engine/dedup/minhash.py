"""MinHash signatures over word n-gram shingles, vectorised over a whole Arrow batch of texts.

No Spark here: `signatures(texts, params)` takes a pyarrow string array and returns numpy arrays, so the same
code runs in unit tests, in the benchmark and inside `mapInArrow`.

Pipeline for a batch (every step is one numpy/Arrow pass over the batch, never a Python loop per word):

1. words: Arrow splits on Unicode whitespace, then *dictionary-encodes* the words, so lower-casing,
   punctuation stripping and byte hashing run once per distinct word of the batch (tokenising and shingling
   dominate MinHash time; this makes them a small part of it). A token that is only punctuation disappears.
2. shingles: each run of `ngram` consecutive word hashes is combined into one 64-bit hash (documents shorter
   than `ngram` words get one shingle of all their words).
3. signature: one-permutation MinHash (OPH, Li, Owen & Zhang 2012) with optimal densification (Shrivastava
   2017). A shingle's 64-bit hash picks one of K bins (high bits) and competes for that bin's minimum (low 32
   bits), so a signature costs O(shingles) instead of O(shingles x K) for K independent permutations; empty bins
   (documents with few shingles) borrow the value of a non-empty bin chosen by a fixed pseudo-random probe
   sequence, which keeps Pr[sig_a[i] == sig_b[i]] = Jaccard(a, b) (the property LSH banding relies on).
4. bands: K = bands x rows values; each band's rows are hashed to one signed 64-bit bucket id.

Everything is seeded, so signatures are identical across runs, processes and partitionings.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.config import defaults_from

_U64 = np.uint64
_MASK32 = _U64(0xFFFFFFFF)
_EMPTY = np.uint32(0xFFFFFFFF)
# Byte classes for stripping ASCII punctuation inside words (UTF-8 multi-byte sequences are kept as is).
_WORD_BYTE = np.ones(256, dtype=bool)
for _c in b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~":
    _WORD_BYTE[_c] = False
_MAX_WORD = 256  # bytes of a word that enter its hash (longer tokens are URLs or garbage)
_POW = np.cumprod(np.concatenate([[1], np.full(_MAX_WORD - 1, 0x100000001B3)]).astype(np.uint64), dtype=np.uint64)


# Keys of config/dedup.yaml `near` that belong to the dedup job (LSH buckets, verification), not to the signature.
NEAR_SETTINGS = ("enabled", "threshold", "verify", "uncertain", "max_bucket_pairs_size", "max_iterations",
                 "checkpoint")


@dataclass(frozen=True, slots=True)
@defaults_from("dedup.near", skip=NEAR_SETTINGS)
class MinHashParams:
    """K = bands x rows signature values; LSH candidate probability for Jaccard J is 1 - (1 - J^rows)^bands.
    Defaults: config/dedup.yaml `near`."""

    ngram: int
    bands: int
    rows: int
    seed: int

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    def candidate_probability(self, jaccard: float) -> float:
        return 1.0 - (1.0 - jaccard**self.rows) ** self.bands


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (bijective avalanche on uint64), in place; returns x."""
    with np.errstate(over="ignore"):
        x ^= x >> _U64(30)
        x *= _U64(0xBF58476D1CE4E5B9)
        x ^= x >> _U64(27)
        x *= _U64(0x94D049BB133111EB)
        x ^= x >> _U64(31)
    return x


def _constants(seed: int, n: int, salt: int) -> np.ndarray:
    """n odd 64-bit multipliers derived from (seed, salt) only."""
    rng = np.random.Generator(np.random.PCG64([seed, salt]))
    return rng.integers(0, 2**63, size=n, dtype=np.uint64) * _U64(2) + _U64(1)


def _string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(int64 offsets starting at 0, uint8 data) of a (large_)string array, zero copy where possible."""
    arr = arr.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data_buf = arr.buffers()[2]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return offsets - offsets[0], data[offsets[0] : offsets[-1]]


def hash_words(words: pa.Array, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Hash each string after lower-casing and removing ASCII punctuation: (uint64 hashes, non-empty mask)."""
    offsets, data = _string_buffers(pc.utf8_lower(words))
    keep = _WORD_BYTE[data]
    kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    offsets = kept_before[offsets]
    data = data[keep]
    lengths = np.diff(offsets)
    nonempty = lengths > 0
    hashes = np.zeros(len(lengths), dtype=np.uint64)
    if data.size:
        starts = offsets[:-1]
        pos = np.arange(data.size, dtype=np.int64) - np.repeat(starts, lengths)
        np.minimum(pos, _MAX_WORD - 1, out=pos)
        with np.errstate(over="ignore"):
            terms = data.astype(np.uint64) * _POW[pos]
        hashes[nonempty] = np.add.reduceat(terms, starts[nonempty])
        hashes ^= lengths.astype(np.uint64) * _U64(seed * 2 + 1)
        mix64(hashes)
    return hashes, nonempty


def tokenize(texts: pa.Array, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Word hashes of every document: (uint64 hashes of all words, int64 offsets of shape [n_docs + 1]).

    Nulls are empty documents. Words are Unicode-whitespace separated, lower-cased, ASCII punctuation removed.
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    lists = pc.utf8_split_whitespace(texts)
    counts = pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    encoded = pc.dictionary_encode(lists.flatten())
    word_hash, nonempty = hash_words(encoded.dictionary, seed)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    keep = nonempty[indices]
    doc_of_word = np.repeat(np.arange(len(counts)), counts)
    kept_counts = np.bincount(doc_of_word[keep], minlength=len(counts))
    offsets = np.concatenate([[0], np.cumsum(kept_counts)]).astype(np.int64)
    return word_hash[indices[keep]], offsets


def shingle(word_hashes: np.ndarray, offsets: np.ndarray, ngram: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of word n-grams per document: (hashes, offsets [n_docs + 1])."""
    n_words = word_hashes.size
    counts = np.diff(offsets)
    doc = np.repeat(np.arange(counts.size), counts)
    end = offsets[1:][doc]
    j = np.arange(n_words, dtype=np.int64)
    valid = (j + ngram <= end) | ((j == offsets[:-1][doc]) & (counts[doc] < ngram))
    padded = np.concatenate([word_hashes, np.zeros(ngram - 1, dtype=np.uint64)])
    mult = _constants(seed, ngram, salt=1)
    acc = np.zeros(n_words, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(ngram):
            term = padded[k : k + n_words] * mult[k]
            if k:
                term[j + k >= end] = 0  # short documents: words of the next document must not leak in
            acc += term
    shingles = mix64(acc[valid])
    shingle_counts = np.bincount(doc[valid], minlength=counts.size)
    return shingles, np.concatenate([[0], np.cumsum(shingle_counts)]).astype(np.int64)


def _probe_table(seed: int, num_perm: int, tries: int) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64([seed, 2]))
    return rng.integers(0, num_perm, size=(tries, num_perm), dtype=np.int64)


_PROBE_TRIES = 4096


def oph_signatures(shingles: np.ndarray, offsets: np.ndarray, params: MinHashParams) -> np.ndarray:
    """One-permutation MinHash with optimal densification: uint32 array [n_docs, num_perm].

    Documents without shingles get a row of 0xFFFFFFFF (callers skip them via `offsets`)."""
    k = params.num_perm
    n_docs = offsets.size - 1
    counts = np.diff(offsets)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), counts)
    bins = ((shingles >> _U64(32)) * _U64(k)) >> _U64(32)
    keys = doc * k + bins.astype(np.int64)
    sig = np.full(n_docs * k, _EMPTY, dtype=np.uint32)
    np.minimum.at(sig, keys, (shingles & _MASK32).astype(np.uint32))
    filled = np.zeros(n_docs * k, dtype=bool)
    filled[keys] = True
    sig = sig.reshape(n_docs, k)
    filled = filled.reshape(n_docs, k)
    _densify(sig, filled, counts > 0, params)
    return sig


def _densify(sig: np.ndarray, filled: np.ndarray, has_shingles: np.ndarray, params: MinHashParams) -> None:
    """Fill empty bins in place: bin i takes the value of the first originally non-empty bin in its probe sequence.

    The sequence depends on (seed, i, attempt) only, never on the document, so two documents whose bin i is
    empty probe the same bins and agree exactly when their donor bins agree (Shrivastava 2017)."""
    rows, cols = np.nonzero(~filled & has_shingles[:, None])
    if rows.size == 0:
        return
    probes = _probe_table(params.seed, params.num_perm, _PROBE_TRIES)
    for attempt in range(_PROBE_TRIES):
        donor = probes[attempt, cols]
        hit = filled[rows, donor]
        sig[rows[hit], cols[hit]] = sig[rows[hit], donor[hit]]
        rows, cols = rows[~hit], cols[~hit]
        if rows.size == 0:
            return
    # Only reachable for documents with one or two non-empty bins: fall back to the first non-empty bin.
    first = np.argmax(filled[rows], axis=1)
    sig[rows, cols] = sig[rows, first]


def signatures(texts: pa.Array, params: MinHashParams) -> tuple[np.ndarray, np.ndarray]:
    """(uint32 signatures [n_docs, num_perm], int64 shingle counts [n_docs]) of a string array."""
    words, word_offsets = tokenize(texts, params.seed)
    shingles, offsets = shingle(words, word_offsets, params.ngram, params.seed)
    return oph_signatures(shingles, offsets, params), np.diff(offsets)


def band_hashes(sig: np.ndarray, params: MinHashParams) -> np.ndarray:
    """int64 bucket id per (document, band): shape [n_docs, bands]."""
    n_docs = sig.shape[0]
    mult = _constants(params.seed, params.rows, salt=3)
    grouped = sig.reshape(n_docs, params.bands, params.rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        acc = (grouped * mult).sum(axis=2, dtype=np.uint64)
    return mix64(acc).view(np.int64)


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Fraction of equal signature values per row (unbiased Jaccard estimate)."""
    return np.mean(sig_a == sig_b, axis=-1)


def shingle_sets(texts: pa.Array, params: MinHashParams) -> list[np.ndarray]:
    """Sorted unique shingle hashes per document (exact Jaccard verification and brute-force ground truth)."""
    words, word_offsets = tokenize(texts, params.seed)
    shingles, offsets = shingle(words, word_offsets, params.ngram, params.seed)
    return [np.unique(shingles[offsets[i] : offsets[i + 1]]) for i in range(offsets.size - 1)]


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard of two sorted unique hash arrays."""
    if a.size == 0 and b.size == 0:
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


def text_hashes(word_hashes: np.ndarray, offsets: np.ndarray, seed: int) -> np.ndarray:
    """128-bit order-sensitive hash of each document's normalised word sequence: uint64 array [n_docs, 2].

    Two documents get the same value when their lower-cased, punctuation-free word sequences are equal
    (exact dedup); whitespace and ASCII punctuation differences are ignored on purpose."""
    counts = np.diff(offsets)
    n_docs = counts.size
    position = (np.arange(word_hashes.size, dtype=np.int64) - np.repeat(offsets[:-1], counts)).astype(np.uint64)
    out = np.zeros((n_docs, 2), dtype=np.uint64)
    nonempty = counts > 0
    for col, salt in enumerate((5, 6)):
        c = _constants(seed, 2, salt)
        with np.errstate(over="ignore"):
            terms = mix64(word_hashes ^ (position * c[0] + c[1]))
        if word_hashes.size:
            out[nonempty, col] = np.add.reduceat(terms, offsets[:-1][nonempty])
    out[:, 0] ^= counts.astype(np.uint64)
    return out


def fingerprints(texts: pa.Array, params: MinHashParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One tokenisation for both dedup keys: (signatures [n, K] uint32, shingle counts [n], text hashes [n, 2])."""
    words, word_offsets = tokenize(texts, params.seed)
    shingles, offsets = shingle(words, word_offsets, params.ngram, params.seed)
    return oph_signatures(shingles, offsets, params), np.diff(offsets), text_hashes(words, word_offsets, params.seed)
