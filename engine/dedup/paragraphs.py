"""Paragraph keys for in-domain boilerplate removal (jobs/dedup/positions.py), per Arrow batch.

A paragraph's key is the 64-bit xxh3 hash (hex) of its normalised text: lower case, runs of whitespace (Python's
definition: Unicode spaces such as NBSP included) collapsed to one space, trimmed. Blank paragraphs give no key:
they are layout (the empty lines of generic text), never boilerplate.

This runs in Python rather than as Spark expressions: the JVM's regexp_replace + lower + xxhash64 over every
line cost ~14 executor CPU-s per 20k documents of ~6 KB, this ~2.5 CPU-s (BENCHMARKS.md, dedup).
"""
from __future__ import annotations

import pyarrow as pa
import xxhash

PARAGRAPH_SCHEMA = pa.schema([("_id", pa.string()), ("domain", pa.string()), ("pos", pa.int32()),
                              ("key", pa.string())])


def normalize(paragraph: str) -> str:
    """Lower case, whitespace runs as one space, trimmed."""
    text = paragraph.lower()
    # Most paragraphs are normal already (no tab, NBSP or other non-printable, no double or outer space): the
    # split and join would return them unchanged, and skipping them halves the cost of the pass.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def paragraph_batch(batch: pa.RecordBatch, sep: str | None) -> pa.RecordBatch:
    """Columns in: _id, domain and either `text` (one string per document, split at `sep` as Spark's split does
    for a literal separator) or `texts` (sep None: the document schema's list, null at image positions).
    One row out per non-blank paragraph of a document with a domain: (_id, domain, pos, key); pos indexes the
    split text or the list."""
    ids, domains = batch.column("_id").to_pylist(), batch.column("domain").to_pylist()
    values = batch.column("text" if sep is not None else "texts").to_pylist()
    out_id, out_domain, out_pos, out_key = [], [], [], []
    digest = xxhash.xxh3_64_hexdigest
    for doc_id, domain, value in zip(ids, domains, values):
        if domain is None or value is None:
            continue
        for pos, paragraph in enumerate(value.split(sep) if sep is not None else value):
            if paragraph is None:
                continue
            norm = normalize(paragraph)
            if norm:
                out_id.append(doc_id)
                out_domain.append(domain)
                out_pos.append(pos)
                out_key.append(digest(norm.encode("utf-8", "surrogatepass")))
    return pa.RecordBatch.from_arrays([pa.array(out_id, pa.string()), pa.array(out_domain, pa.string()),
                                       pa.array(out_pos, pa.int32()), pa.array(out_key, pa.string())],
                                      schema=PARAGRAPH_SCHEMA)
