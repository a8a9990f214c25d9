"""The text-only view: one row per document, the columns datatrove and FineWeb users expect.

    text      paragraphs joined by `paragraph_separator` (a blank line); each image dropped, or replaced by
              `image_placeholder` (e.g. "<image>") as a paragraph of its own
    id, url, language, language_score
    metadata  struct: crawl (`dump` in FineWeb), fetch date, domain, title, counts, and every filter score

datatrove's ParquetReader / JsonlReader read it with their defaults (text_key="text", id_key="id"; the other
columns become the document's metadata); `datasets.load_dataset("parquet" | "json", ...)` reads it as is.
"""
from __future__ import annotations

import pyarrow as pa

from engine.views.settings import TextConfig
from schemas.omnicorpus import SCORES_TYPE

TEXT_METADATA = pa.struct([
    pa.field("dump", pa.string()),
    pa.field("fetch_date", pa.timestamp("us", tz="UTC")),
    pa.field("domain", pa.string()),
    pa.field("title", pa.string()),
    pa.field("date", pa.string()),
    pa.field("warc_filename", pa.string()),
    pa.field("warc_record_offset", pa.int64()),
    pa.field("num_paragraphs", pa.int32()),
    pa.field("num_images", pa.int32()),
    pa.field("num_words", pa.int32()),
    pa.field("minhash_cluster", pa.string()),
    pa.field("dup_count", pa.int32()),
    pa.field("scores", SCORES_TYPE),
])

TEXT_SCHEMA = pa.schema(
    [
        pa.field("text", pa.string()),
        pa.field("id", pa.string()),
        pa.field("url", pa.string()),
        pa.field("language", pa.string()),
        pa.field("language_score", pa.float32()),
        pa.field("metadata", TEXT_METADATA),
    ],
    metadata={"weft.table": "text_view"},
)


def document_text(texts: list, images: list, config: TextConfig) -> tuple[str, int]:
    """(text, characters of paragraphs) of one document's aligned lists."""
    parts, chars = [], 0
    placeholder = config.image_placeholder
    for t, u in zip(texts, images):
        if t is not None:
            parts.append(t)
            chars += len(t)
        elif u is not None and placeholder is not None:
            parts.append(placeholder)
    return config.paragraph_separator.join(parts), chars


def text_row(doc: dict, config: TextConfig) -> dict | None:
    """One row of the view for a document (a row of the documents table as a dict), or None: too little text."""
    gm = doc["general_metadata"]
    text, chars = document_text(doc["texts"], doc["images"], config)
    if chars < config.min_chars:
        return None
    return {
        "text": text,
        "id": gm["id"],
        "url": gm["url"],
        "language": gm.get("language"),
        "language_score": gm.get("language_score"),
        "metadata": {
            "dump": gm.get("crawl_id"),
            "fetch_date": gm.get("fetch_date"),
            "domain": gm.get("domain"),
            "title": gm.get("title"),
            "date": gm.get("date"),
            "warc_filename": gm.get("warc_filename"),
            "warc_record_offset": gm.get("warc_record_offset"),
            "num_paragraphs": sum(t is not None for t in doc["texts"]),
            "num_images": sum(u is not None for u in doc["images"]),
            "num_words": gm.get("num_words"),
            "minhash_cluster": gm.get("minhash_cluster"),
            "dup_count": gm.get("dup_count"),
            "scores": gm.get("scores"),
        },
    }


def jsonable(row: dict) -> dict:
    """A view row for JSON lines: timestamps as ISO 8601 strings, null scores left out."""
    out = {}
    for k, v in row.items():
        if isinstance(v, dict):
            v = {kk: vv for kk, vv in jsonable(v).items() if not (kk == "scores" and vv is None)}
            if "scores" in v and isinstance(v["scores"], dict):
                v["scores"] = {kk: vv for kk, vv in v["scores"].items() if vv is not None}
        elif hasattr(v, "isoformat"):
            v = v.isoformat()
        out[k] = v
    return out
