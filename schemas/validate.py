"""Validator for the document table: schema plus the alignment invariants, vectorised with pyarrow.

Invariants (OmniCorpus / OBELICS convention):
* texts, images and metadata have the same length in every row;
* at every position exactly one of texts[i] / images[i] is non-null;
* metadata[i] is non-null exactly where images[i] is non-null;
* general_metadata.id is present and unique within the file; schema_version is ours.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.omnicorpus import SCHEMA_VERSION, arrow_schema


class SchemaError(ValueError):
    """A table or file violates the document schema; the message lists every violation found."""


def _loose(t: pa.DataType) -> pa.DataType:
    """The type with every nested field nullable and without field metadata. Writers differ in the nullability
    they declare (Spark marks computed struct fields NOT NULL); readers do not care, so neither do we."""
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _loose(f.type)) for f in t])
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(_loose(t.value_type))
    return t


def _same_types(actual: pa.Schema, expected: pa.Schema) -> list[str]:
    errors = []
    for field in expected:
        idx = actual.get_field_index(field.name)
        if idx < 0:
            errors.append(f"missing column {field.name}")
        elif not _loose(actual.field(idx).type).equals(_loose(field.type)):
            errors.append(f"column {field.name}: type {actual.field(idx).type} != {field.type}")
    extra = set(actual.names) - set(expected.names)
    if extra:
        errors.append(f"unexpected columns {sorted(extra)}")
    return errors


def table_errors(table: pa.Table) -> list[str]:
    """Every violation in `table` (empty list when valid)."""
    errors = _same_types(table.schema, arrow_schema())
    if errors or table.num_rows == 0:
        return errors
    texts, images, meta = table["texts"], table["images"], table["metadata"]
    for name, col in (("texts", texts), ("images", images), ("metadata", meta)):
        if col.null_count:
            errors.append(f"{name}: {col.null_count} null lists")
    if errors:
        return errors
    n_t, n_i, n_m = (pc.list_value_length(c) for c in (texts, images, meta))
    bad = pc.sum(pc.or_(pc.not_equal(n_t, n_i), pc.not_equal(n_t, n_m))).as_py() or 0
    if bad:
        return [f"{bad} rows where texts/images/metadata lengths differ"]
    t_ok = pc.is_valid(pc.list_flatten(texts))
    i_ok = pc.is_valid(pc.list_flatten(images))
    m_ok = pc.is_valid(pc.list_flatten(meta))
    both_or_neither = pc.sum(pc.equal(t_ok, i_ok)).as_py() or 0
    if both_or_neither:
        errors.append(f"{both_or_neither} positions hold both or neither of text and image")
    meta_mismatch = pc.sum(pc.not_equal(m_ok, i_ok)).as_py() or 0
    if meta_mismatch:
        errors.append(f"{meta_mismatch} positions where metadata presence != image presence")
    gm = table["general_metadata"]
    ids = pc.struct_field(gm, "id")
    if ids.null_count:
        errors.append(f"{ids.null_count} rows without general_metadata.id")
    if pc.count_distinct(ids).as_py() != table.num_rows - ids.null_count:
        errors.append("duplicate general_metadata.id within the table")
    versions = pc.unique(pc.struct_field(gm, "schema_version")).to_pylist()
    if versions != [SCHEMA_VERSION]:
        errors.append(f"schema_version {versions} != [{SCHEMA_VERSION!r}]")
    return errors


def validate_table(table: pa.Table) -> pa.Table:
    errors = table_errors(table)
    if errors:
        raise SchemaError("; ".join(errors))
    return table


def validate_file(path: str, filesystem=None) -> int:
    """Validate a written Parquet file; returns its row count, raises SchemaError."""
    table = pq.read_table(path, filesystem=filesystem)
    # Hive partition columns (crawl=, lang=) are not part of the file itself.
    try:
        validate_table(table)
    except SchemaError as e:
        raise SchemaError(f"{path}: {e}") from None
    return table.num_rows
