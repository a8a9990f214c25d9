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
    Field("lang_main_share", pa.float64(), "share of the judged paragraph characters in the document's language (null: fewer than two paragraphs or check off)"),
    Field("flagged_words_ratio", pa.float64(), "flagged-word tokens / tokens (per-language list in filters/data/flagged; null: no list)"),
    Field("flagged_words_density", pa.float64(), "flagged_words_ratio x min(1, distinct flagged terms / filter.safety distinct_full): a topic word repeated counts less"),
    Field("alpha_words_ratio", pa.float64(), "weft: share of words (tokens not only punctuation) that contain a letter"),
    Field("sentences", pa.float64(), "weft: sentence terminals of any script (. ! ? … 。 । ؟ ...), numbers and abbreviations excluded"),
    Field("lines_removed_frac", pa.float64(), "share of characters the preset's line removal took (null: no line removal)"),
    Field("quality_prob", pa.float64(), "quality model's probability of the good label (null: no model configured)"),
    Field("extraction_agreement", pa.float64(), "confidence 0..1: share of weft's lines with a sentence mark x share of resiliparse's main-text tokens weft holds (null: not computed)"),
    Field("gopher_words", pa.float64(), "Gopher: words that are not only punctuation"),
    Field("gopher_mean_word_length", pa.float64(), "Gopher: mean characters per word (null for Chinese/Japanese)"),
    Field("gopher_hash_ratio", pa.float64(), "Gopher: '#' characters per token"),
    Field("gopher_ellipsis_ratio", pa.float64(), "Gopher: '...' and '…' per token"),
    Field("gopher_bullet_lines_ratio", pa.float64(), "Gopher: share of lines starting with a bullet (• or -)"),
    Field("gopher_ellipsis_lines_ratio", pa.float64(), "Gopher: share of lines ending with an ellipsis"),
    Field("gopher_alpha_words_ratio", pa.float64(), "Gopher: share of tokens containing a letter"),
    Field("gopher_stop_words", pa.float64(), "Gopher: distinct stop words of the language present (null: no list)"),
    Field("gopher_dup_para_frac", pa.float64(), "Gopher repetition: share of paragraphs that repeat an earlier one"),
    Field("gopher_dup_para_char_frac", pa.float64(), "Gopher repetition: characters in repeated paragraphs / characters"),
    Field("gopher_dup_line_frac", pa.float64(), "Gopher repetition: share of lines that repeat an earlier one"),
    Field("gopher_dup_line_char_frac", pa.float64(), "Gopher repetition: characters in repeated lines / characters"),
    Field("gopher_top_2gram_frac", pa.float64(), "Gopher repetition: characters of the most frequent word 2-gram x its count / characters"),
    Field("gopher_top_3gram_frac", pa.float64(), "Gopher repetition: characters of the most frequent word 3-gram x its count / characters"),
    Field("gopher_top_4gram_frac", pa.float64(), "Gopher repetition: characters of the most frequent word 4-gram x its count / characters"),
    Field("gopher_dup_5gram_frac", pa.float64(), "Gopher repetition: characters in repeated word 5-grams / characters"),
    Field("gopher_dup_6gram_frac", pa.float64(), "Gopher repetition: characters in repeated word 6-grams / characters"),
    Field("gopher_dup_7gram_frac", pa.float64(), "Gopher repetition: characters in repeated word 7-grams / characters"),
    Field("gopher_dup_8gram_frac", pa.float64(), "Gopher repetition: characters in repeated word 8-grams / characters"),
    Field("gopher_dup_9gram_frac", pa.float64(), "Gopher repetition: characters in repeated word 9-grams / characters"),
    Field("gopher_dup_10gram_frac", pa.float64(), "Gopher repetition: characters in repeated word 10-grams / characters"),
    Field("c4_sentences", pa.float64(), "C4: sentences in the lines C4 keeps"),
    Field("c4_lorem_ipsum", pa.float64(), "C4: 1 if a kept line contains 'lorem ipsum'"),
    Field("c4_curly_bracket", pa.float64(), "C4: 1 if a kept line contains '{'"),
    Field("c4_javascript_lines", pa.float64(), "C4: lines C4 removes for mentioning javascript"),
    Field("c4_policy_lines", pa.float64(), "C4: lines C4 removes for cookie / terms / privacy-policy phrases"),
    Field("c4_kept_lines_frac", pa.float64(), "C4: share of non-empty lines C4 keeps"),
    Field("fineweb_line_punct_ratio", pa.float64(), "FineWeb: share of lines ending in terminal punctuation"),
    Field("fineweb_short_line_ratio", pa.float64(), "FineWeb: share of lines of at most 30 characters"),
    Field("fineweb_char_dup_ratio", pa.float64(), "FineWeb: characters in duplicated lines / non-newline characters"),
    Field("fineweb_newline_ratio", pa.float64(), "FineWeb: newlines per token"),
    Field("omni_paragraphs_removed_frac", pa.float64(), "OmniCorpus: share of paragraphs removed by the paragraph rules"),
    Field("omni_words_per_image", pa.float64(), "OmniCorpus: words per image (null without images)"),
    Field("omni_mean_paragraph_words", pa.float64(), "OmniCorpus: mean words per kept paragraph"),
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
EXTRACTION_SCORES = ("extraction_agreement",)  # written by the extract stage; the rest by the filter stage
FILTER_SCORE_NAMES = tuple(n for n in SCORE_NAMES if n not in EXTRACTION_SCORES)


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


def _flat_schema(fields: tuple[Field, ...], table: str) -> pa.Schema:
    """A flat side table (no document lists): its fields with their docs, and the version and table name."""
    return pa.schema([pa.field(f.name, f.type, metadata={"doc": f.doc}) for f in fields],
                     metadata={"weft.schema_version": SCHEMA_VERSION, "weft.table": table})


def warc_images_schema() -> pa.Schema:
    return _flat_schema(WARC_IMAGE_FIELDS, "warc_images")


# The content-addressed image store (written by the image stage, read by views, exports and the loader): one row
# per distinct image, however many documents use it; documents point at it with metadata[i].sha256.
IMAGE_STORE_FIELDS: tuple[Field, ...] = (
    Field("sha256", pa.string(), "sha256 of the bytes, hex (the key)"),
    Field("content", pa.binary(), "the encoded image bytes as fetched"),
    Field("bytes", pa.int64(), "length of content"),
    Field("width", pa.int32(), "pixels, as displayed (EXIF orientation applied)"),
    Field("height", pa.int32(), "pixels, as displayed"),
    Field("format", pa.string(), "jpeg, png, webp or gif"),
    Field("url", pa.string(), "the first URL it was found at"),
)


def image_store_schema() -> pa.Schema:
    return _flat_schema(IMAGE_STORE_FIELDS, "image_store")
