"""`Document`: one web page as an interleaved sequence of text paragraphs and images.

Plain Python, no Spark. Stages work on lists of Documents; `to_batch` / `from_batch` convert to and from the
Arrow layout defined in schemas/omnicorpus.py (aligned texts/images/metadata lists).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlsplit

import pyarrow as pa

from schemas.omnicorpus import (
    GENERAL_METADATA_NAMES,
    IMAGE_METADATA_NAMES,
    SCHEMA_VERSION,
    SCORE_NAMES,
    arrow_schema,
)


def stable_id(url: str, fetch_date: Any, digest: str | None) -> str:
    """Deterministic document id: the same record gives the same id on every run and partitioning."""
    key = f"{url}\x00{fetch_date.isoformat() if hasattr(fetch_date, 'isoformat') else fetch_date}\x00{digest or ''}"
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def img_url_sha(url: str) -> str:
    """OmniCorpus's `img_url_sha`: sha256 of the image URL's UTF-8 bytes, hex (the URL as written, no
    normalisation; surrogatepass so a URL with a lone surrogate from a broken page still gets a key)."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def domain_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


@dataclass(slots=True)
class Document:
    """An interleaved document.

    `texts`, `images` and `image_meta` are position-aligned: position i is a paragraph (texts[i] set) or an
    image (images[i] = absolute URL, image_meta[i] = dict of per-image fields such as alt, width, sha256).
    `meta` holds general_metadata fields (see schemas.omnicorpus.GENERAL_METADATA); `scores` the filter
    scores by name.
    """

    id: str
    url: str | None = None
    texts: list[str | None] = field(default_factory=list)
    images: list[str | None] = field(default_factory=list)
    image_meta: list[dict | None] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, float | None] = field(default_factory=dict)

    # -- building -----------------------------------------------------------------------------------
    def add_text(self, text: str) -> None:
        self.texts.append(text)
        self.images.append(None)
        self.image_meta.append(None)

    def add_image(self, url: str, **image_fields: Any) -> None:
        self.texts.append(None)
        self.images.append(url)
        self.image_meta.append(dict(image_fields))

    # -- reading ------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.texts)

    @property
    def paragraphs(self) -> list[str]:
        return [t for t in self.texts if t is not None]

    @property
    def image_urls(self) -> list[str]:
        return [u for u in self.images if u is not None]

    @property
    def text(self) -> str:
        """Main text, paragraphs separated by blank lines (what text filters and dedup see)."""
        return "\n\n".join(self.paragraphs)

    def keep_positions(self, keep: Iterable[bool]) -> None:
        """Drop positions (paragraphs or images) where `keep` is False, keeping the lists aligned."""
        keep = list(keep)
        if len(keep) != len(self.texts):
            raise ValueError("keep mask length differs from document length")
        self.texts = [t for t, k in zip(self.texts, keep) if k]
        self.images = [t for t, k in zip(self.images, keep) if k]
        self.image_meta = [t for t, k in zip(self.image_meta, keep) if k]

    def interleaved(self, width: int = 100) -> str:
        """Human-readable rendering for demos and `--explain`."""
        out = []
        for t, u, m in zip(self.texts, self.images, self.image_meta):
            if u is not None:
                alt = (m or {}).get("alt")
                out.append(f"[IMAGE {u}" + (f" alt={alt!r}" if alt else "") + "]")
            else:
                out.append(t if len(t) <= width else t[: width - 3] + "...")
        return "\n".join(out)


# -- Arrow conversion ---------------------------------------------------------------------------------
def to_batch(docs: list[Document], schema: pa.Schema | None = None) -> pa.RecordBatch:
    """Documents -> one RecordBatch in the document schema (general_metadata filled from meta/scores)."""
    schema = schema or arrow_schema()
    gms = []
    for d in docs:
        gm = {name: d.meta.get(name) for name in GENERAL_METADATA_NAMES}
        gm["id"] = d.id
        gm["url"] = d.url
        gm["domain"] = gm["domain"] or domain_of(d.url)
        gm["schema_version"] = SCHEMA_VERSION
        gm["num_texts"] = sum(t is not None for t in d.texts)
        gm["num_images"] = sum(u is not None for u in d.images)
        gm["scores"] = {n: d.scores.get(n) for n in SCORE_NAMES} if d.scores else None
        gms.append(gm)
    metas = [
        [None if m is None else {n: m.get(n) for n in IMAGE_METADATA_NAMES} for m in d.image_meta] for d in docs
    ]
    arrays = [
        pa.array(gms, type=schema.field("general_metadata").type),
        pa.array([d.texts for d in docs], type=schema.field("texts").type),
        pa.array([d.images for d in docs], type=schema.field("images").type),
        pa.array(metas, type=schema.field("metadata").type),
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def from_batch(batch: pa.RecordBatch | pa.Table) -> list[Document]:
    """RecordBatch (document schema) -> Documents. Unknown general_metadata fields are kept in meta."""
    cols = batch.to_pydict()
    docs = []
    for gm, texts, images, metas in zip(cols["general_metadata"], cols["texts"], cols["images"], cols["metadata"]):
        gm = dict(gm)
        scores = gm.pop("scores", None) or {}
        docs.append(
            Document(
                id=gm.pop("id"),
                url=gm.pop("url"),
                texts=list(texts),
                images=list(images),
                image_meta=[None if m is None else {k: v for k, v in m.items() if v is not None} for m in metas],
                meta=gm,
                scores={k: v for k, v in scores.items() if v is not None},
            )
        )
    return docs
