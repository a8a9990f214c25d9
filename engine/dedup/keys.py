"""Per-batch dedup computations (plain pyarrow/numpy; the Spark job runs them inside mapInArrow).

* `key_batch`: documents -> URL key, exact-text hash, shingle count and MinHash signature.
* `band_batch`: signatures -> (band, bucket, node) rows for LSH.
* `signature_jaccard_batch` / `exact_jaccard_batch`: candidate pairs -> Jaccard, for verification.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from engine.dedup import minhash
from engine.urlnorm import UrlNormConfig, normalize_urls

KEY_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("url_key", pa.string()),
        ("text_hash", pa.string()),
        ("n_shingles", pa.int64()),
        ("sig", pa.binary()),
    ]
)
BAND_SCHEMA = pa.schema([("band", pa.int32()), ("bucket", pa.int64()), ("node", pa.int64())])
PAIR_SCHEMA = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("jaccard", pa.float64())])


@dataclass(frozen=True)
class KeyConfig:
    params: minhash.MinHashParams
    url: UrlNormConfig | None  # None: URL dedup disabled


def _sig_to_binary(sig: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Fixed-width binary column (k little-endian uint32 per row), null where `valid` is False."""
    n, k = sig.shape
    width = k * 4
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    validity = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    return pa.BinaryArray.from_buffers(
        pa.binary(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(sig).tobytes())],
        null_count=int(n - valid.sum()),
    )


def binary_to_sig(arr: pa.Array, num_perm: int) -> np.ndarray:
    """Inverse of the signature column encoding (fixed-width little-endian uint32 values)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_binary())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.view(np.uint32).reshape(len(arr), num_perm)


def key_batch(batch: pa.RecordBatch, config: KeyConfig) -> pa.RecordBatch:
    """Columns in: id, url (may be all null), text. Documents without words get null text_hash and sig."""
    sig, n_shingles, text_hash = minhash.fingerprints(batch.column("text"), config.params)
    has_text = n_shingles > 0
    hashes = [f"{a:016x}{b:016x}" if ok else None for (a, b), ok in zip(text_hash.tolist(), has_text.tolist())]
    urls = normalize_urls(batch.column("url").to_pylist(), config.url) if config.url else [None] * len(hashes)
    sig_col = _sig_to_binary(sig, has_text)
    return pa.RecordBatch.from_arrays(
        [batch.column("id"), pa.array(urls, pa.string()), pa.array(hashes, pa.string()),
         pa.array(n_shingles, pa.int64()), sig_col],
        schema=KEY_SCHEMA,
    )


def band_batch(batch: pa.RecordBatch, params: minhash.MinHashParams) -> pa.RecordBatch:
    """Columns in: node (long), sig. One output row per (document, band)."""
    sig = binary_to_sig(batch.column("sig"), params.num_perm)
    buckets = minhash.band_hashes(sig, params)
    nodes = batch.column("node").to_numpy(zero_copy_only=False)
    return pa.RecordBatch.from_arrays(
        [
            pa.array(np.tile(np.arange(params.bands, dtype=np.int32), len(nodes))),
            pa.array(buckets.ravel()),
            pa.array(np.repeat(nodes, params.bands)),
        ],
        schema=BAND_SCHEMA,
    )


def signature_jaccard_batch(batch: pa.RecordBatch, num_perm: int) -> pa.RecordBatch:
    """Columns in: a, b, sig_a, sig_b."""
    est = minhash.estimate_jaccard(
        binary_to_sig(batch.column("sig_a"), num_perm), binary_to_sig(batch.column("sig_b"), num_perm)
    )
    return pa.RecordBatch.from_arrays([batch.column("a"), batch.column("b"), pa.array(est)], schema=PAIR_SCHEMA)


def exact_jaccard_batch(batch: pa.RecordBatch, params: minhash.MinHashParams) -> pa.RecordBatch:
    """Columns in: a, b, text_a, text_b. Jaccard of the shingle sets (the same shingles the signatures use)."""
    sets_a = minhash.shingle_sets(batch.column("text_a"), params)
    sets_b = minhash.shingle_sets(batch.column("text_b"), params)
    exact = [minhash.exact_jaccard(x, y) for x, y in zip(sets_a, sets_b)]
    return pa.RecordBatch.from_arrays([batch.column("a"), batch.column("b"), pa.array(exact, pa.float64())],
                                      schema=PAIR_SCHEMA)
