"""A mergeable "seen twice" Bloom filter: finds keys that occur at most once without shuffling them.

OmniCorpus used a Bloom filter to avoid requesting repeated image URLs. We use the same structure as a pre-pass
for counting image URLs: each Spark partition fills two bit arrays, `once` (key seen) and `twice` (key seen
again), the driver merges them, and only rows whose key may be repeated go through the exact count shuffle.
No false negatives: a key that occurs twice anywhere always tests positive, so the exact counts are unchanged;
a false positive only costs shuffle volume.
"""
from __future__ import annotations

import math

import numpy as np
import xxhash

from engine.dedup.minhash import mix64


class RepeatBloom:
    def __init__(self, num_bits: int, num_hashes: int):
        self.num_bits = max(64, int(num_bits))
        self.num_hashes = max(1, int(num_hashes))
        self.once = np.zeros(self.num_bits, dtype=bool)
        self.twice = np.zeros(self.num_bits, dtype=bool)

    @classmethod
    def for_items(cls, expected_items: int, bits_per_item: float = 10.0) -> "RepeatBloom":
        bits = math.ceil(max(1, expected_items) * bits_per_item)
        return cls(bits, round(bits_per_item * math.log(2)))

    # -- hashing ----------------------------------------------------------------------------------------
    @staticmethod
    def key_hashes(keys: list[str | None]) -> np.ndarray:
        return np.array([xxhash.xxh3_64_intdigest(k.encode("utf-8", "surrogatepass")) for k in keys if k is not None], dtype=np.uint64)

    def _positions(self, hashes: np.ndarray) -> np.ndarray:
        """Kirsch-Mitzenmacher double hashing: [n, num_hashes] bit positions."""
        h1 = hashes
        h2 = mix64(hashes ^ np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)
        steps = np.arange(self.num_hashes, dtype=np.uint64)
        with np.errstate(over="ignore"):
            return ((h1[:, None] + steps[None, :] * h2[:, None]) % np.uint64(self.num_bits)).astype(np.int64)

    # -- filling and testing ----------------------------------------------------------------------------
    def add(self, hashes: np.ndarray) -> None:
        unique, counts = np.unique(hashes, return_counts=True)
        if unique.size == 0:
            return
        pos = self._positions(unique)
        repeated = (counts > 1) | self.once[pos].all(axis=1)
        self.twice[pos[repeated].ravel()] = True
        self.once[pos.ravel()] = True

    def maybe_repeated(self, hashes: np.ndarray) -> np.ndarray:
        if hashes.size == 0:
            return np.zeros(0, dtype=bool)
        return self.twice[self._positions(hashes)].all(axis=1)

    def merge(self, other: "RepeatBloom") -> "RepeatBloom":
        if (other.num_bits, other.num_hashes) != (self.num_bits, self.num_hashes):
            raise ValueError("cannot merge Bloom filters of different shapes")
        self.twice |= other.twice | (self.once & other.once)
        self.once |= other.once
        return self

    # -- shipping between Spark tasks and the driver ----------------------------------------------------
    def to_bytes(self) -> tuple[bytes, bytes]:
        return np.packbits(self.once).tobytes(), np.packbits(self.twice).tobytes()

    @classmethod
    def from_bytes(cls, num_bits: int, num_hashes: int, once: bytes, twice: bytes) -> "RepeatBloom":
        bloom = cls(num_bits, num_hashes)
        bloom.once = np.unpackbits(np.frombuffer(once, dtype=np.uint8))[: bloom.num_bits].astype(bool)
        bloom.twice = np.unpackbits(np.frombuffer(twice, dtype=np.uint8))[: bloom.num_bits].astype(bool)
        return bloom
