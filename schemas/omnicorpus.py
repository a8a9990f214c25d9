"""The one definition of weft's document table (OmniCorpus-CC layout).

Every other representation is generated from the field lists below:
``arrow_schema()`` for pyarrow writers/readers, ``spark_schema()`` for Spark (built lazily so that
importing this module never imports pyspark), and the column documentation in the README.

Layout (one row per web page):

* ``general_metadata``: struct of page-level fields (provenance, language, filter scores).
* ``texts``:  list<string>, ``images``: list<string>, ``metadata``: list<struct>; the three lists are
  position-aligned. Position i is either a text paragraph (``texts[i]`` set, ``images[i]`` null,
  ``metadata[i]`` null) or an image (``images[i]`` = absolute URL, ``texts[i]`` null, ``metadata[i]``
  = per-image struct). This is exactly the OBELICS / OmniCorpus ``texts``/``images`` convention, so
  their loaders read our columns unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: pa.DataType
    doc: str


def _struct(fields: tuple[Field, ...]) -> pa.StructType:
    return pa.struct([pa.field(f.name, f.type, nullable=True, metadata={"doc": f.doc}) for f in fields])


# Filter scores (all float64, null when the rule does not apply to the document's language).
# The filter modules in filters/ must emit exactly these names; tests/test_schema.py checks it.
SCORE_FIELDS: tuple[Field, ...] = (
    Field("lang_score", pa.float64(), "fastText probability of the detected language"),
)

SCORES_TYPE = _struct(SCORE_FIELDS)

# Page-level fields. Provenance first, then language, then the score columns the filter stage fills
# (null until that stage ran). Scores stay in kept *and* rejected output so thresholds can be retuned
# with a query instead of a recompute.
GENERAL_METADATA: tuple[Field, ...] = (
    Field("id", pa.string(), "stable document id: sha1(url | fetch_date | payload digest), hex"),
    Field("url", pa.string(), "page URL (WARC-Target-URI)"),
    Field("domain", pa.string(), "host of url, lower-case, without leading 'www.'"),
    Field("schema_version", pa.string(), "version of this schema the row was written with"),
    Field("crawl_id", pa.string(), "crawl name, e.g. CC-MAIN-2020-34 (from warcinfo or the path)"),
    Field("warc_filename", pa.string(), "name of the source WARC/ARC file"),
    Field("warc_record_offset", pa.int64(), "byte offset of the response record in the WARC"),
    Field("warc_record_length", pa.int64(), "byte length of the (compressed) response record"),
    Field("warc_record_id", pa.string(), "WARC-Record-ID of the response record"),
    Field("fetch_date", pa.timestamp("us", tz="UTC"), "WARC-Date of the response record"),
    Field("content_digest", pa.string(), "WARC-Payload-Digest (e.g. sha1:BASE32)"),
    Field("http_status", pa.int32(), "HTTP status code of the response"),
    Field("charset", pa.string(), "character set the HTML was decoded with"),
    Field("title", pa.string(), "page title"),
    Field("date", pa.string(), "publication date found in the page, ISO 8601, if any"),
    Field("html_lang", pa.string(), "<html lang> attribute, if any"),
    Field("cc_language", pa.string(), "Common Crawl's language label from its metadata record (CLD2)"),
    Field("cc_language_score", pa.float32(), "Common Crawl's score/coverage for cc_language"),
    Field("language", pa.string(), "language detected by weft (fastText lid.176), ISO 639-1/3"),
    Field("language_score", pa.float32(), "probability of `language`"),
    Field("num_texts", pa.int32(), "text positions in the document"),
    Field("num_images", pa.int32(), "image positions in the document"),
    Field("num_words", pa.int32(), "words in the main text (language-aware tokenisation)"),
    # --- score columns written by the filter stage (see filters/ and config/filters.yaml) ---
    Field("scores", SCORES_TYPE, "struct of every filter score by name, see SCORE_FIELDS (null before filtering)"),
    Field("filter_reason", pa.string(), "first failing rule (rejected set) or null (kept)"),
    # --- written by the dedup stage ---
    Field("minhash_cluster", pa.string(), "id of the near-duplicate cluster representative"),
    Field("dup_count", pa.int32(), "documents in this document's near-duplicate cluster"),
)

# Per-image fields, OmniCorpus's names first, then ours.
IMAGE_METADATA: tuple[Field, ...] = (
    Field("width", pa.int32(), "pixels"),
    Field("height", pa.int32(), "pixels"),
    Field("bytes", pa.int64(), "size of the encoded image in bytes"),
    Field("img_url_sha", pa.string(), "sha256 of the image URL, hex"),
    Field("p_hash", pa.string(), "64-bit perceptual hash, hex"),
    Field("d_hash", pa.string(), "64-bit difference hash, hex"),
    Field("p_hash_dup_count", pa.int32(), "documents sharing this p_hash"),
    Field("d_hash_dup_count", pa.int32(), "documents sharing this d_hash"),
    Field("unsafe_prob", pa.float32(), "NSFW probability"),
    Field("aesthetic_prob", pa.float32(), "aesthetic score"),
    Field("alt", pa.string(), "alt text of the <img>"),
    Field("clip_sim", pa.float32(), "CLIP similarity between the image and its nearby text"),
    Field("sha256", pa.string(), "sha256 of the image bytes, hex (key into the image store)"),
)


GENERAL_METADATA_TYPE = _struct(GENERAL_METADATA)
IMAGE_METADATA_TYPE = _struct(IMAGE_METADATA)


def arrow_schema() -> pa.Schema:
    """The document table as written to Parquet."""
    return pa.schema(
        [
            pa.field("general_metadata", GENERAL_METADATA_TYPE, nullable=False),
            pa.field("texts", pa.list_(pa.string()), nullable=False),
            pa.field("images", pa.list_(pa.string()), nullable=False),
            pa.field("metadata", pa.list_(IMAGE_METADATA_TYPE), nullable=False),
        ],
        metadata={"weft.schema_version": SCHEMA_VERSION, "weft.table": "documents"},
    )


def spark_schema():
    """The same table as a Spark StructType (imports pyspark only when called)."""
    from schemas.spark import to_spark_type

    return to_spark_type(arrow_schema())


GENERAL_METADATA_NAMES = tuple(f.name for f in GENERAL_METADATA)
IMAGE_METADATA_NAMES = tuple(f.name for f in IMAGE_METADATA)
SCORE_NAMES = tuple(f.name for f in SCORE_FIELDS)


# Image responses found inside the WARCs, kept for the image stage (url -> bytes).
WARC_IMAGE_FIELDS: tuple[Field, ...] = (
    Field("url", pa.string(), "image URL (WARC-Target-URI)"),
    Field("crawl_id", pa.string(), "crawl name"),
    Field("warc_filename", pa.string(), "source WARC file"),
    Field("warc_record_offset", pa.int64(), "byte offset of the record"),
    Field("fetch_date", pa.timestamp("us", tz="UTC"), "WARC-Date"),
    Field("content_type", pa.string(), "HTTP Content-Type (mime only)"),
    Field("sha256", pa.string(), "sha256 of the bytes, hex"),
    Field("bytes", pa.int64(), "length of content"),
    Field("content", pa.binary(), "the image bytes, HTTP content-encoding removed"),
)


def warc_images_schema() -> pa.Schema:
    return pa.schema(
        [pa.field(f.name, f.type, metadata={"doc": f.doc}) for f in WARC_IMAGE_FIELDS],
        metadata={"weft.schema_version": SCHEMA_VERSION, "weft.table": "warc_images"},
    )
