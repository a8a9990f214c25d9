"""Pairs view rows, WebDataset samples (pairs and interleaved) and MMC4 records, built from documents.

Documents arrive as rows of the documents table (dicts: general_metadata, texts, images, metadata), image rows
from the store (`engine.views.store`). Only images present in the store are paired or exported; every image
position is accounted: written, or dropped as `not_in_store` (no sha256, or a sha256 the store lacks) or
`no_caption`.

WebDataset keys (`sample_key`) come from the document id, not from a counter, so they are the same on every run
and unique across input files and shards (a counter per input file restarted at 000000000 in every file's series,
and two shards of one export then held the same keys): the id itself when it is a safe key (letters, digits, `_`,
`-`: weft's ids are sha1 hex), else "h" + sha1 of the id; a pair's key is "<document key>_<position>".
WebDataset layout (the img2dataset layout for pairs):
    pairs:        <key>.<ext> (the stored bytes; jpg/png/webp/gif from the store's format), <key>.txt (caption),
                  <key>.json ({key, sha256, url, caption, caption_source, similarity, doc_id, position, width,
                  height, format, unsafe_prob, aesthetic_prob})
    interleaved:  one sample per document: <key>.json ({id, url, language, crawl_id, title, texts, images,
                  image_members, metadata}: the aligned lists of the documents table) and, for each image
                  position i whose bytes are in the store, the member <key>.<i>.<ext>; image_members[i] names it
                  ("<i>.<ext>", the sample dict key under webdataset) and is null at text positions and for
                  images not in the store. A reader rebuilds the sequence as
                  [texts[i] if texts[i] is not None else sample[image_members[i]] for i in ...].
                  webdataset 1.x and Megatron-Energon (CrudeWebdataset, which splits member names at the first
                  dot like webdataset) both yield {"json": ..., "<i>.<ext>": ...} per document.
MMC4 JSONL (one line per document with text; Zhu et al. 2023's fields): url, text_list (the paragraphs),
    image_info [{image_name ("<sha256>.<ext>", the store key), raw_url, matched_text_index (into text_list),
    matched_sim, matched_sim_source, match_source, sha256, position (in the documents table's aligned lists),
    width, height}], plus doc id, language and crawl_id.
    matched_sim is the cosine of the image with its matched paragraph where OUT/images/clip_sims gave the
    matching a real image x paragraph matrix (matched_sim_source "clip_sims"), else the image's clip_sim
    ("clip_sim": the proxy matching, or a fallback caption).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections import Counter

import pyarrow as pa

from engine.views.captions import caption_document
from engine.views.similarity import DocSims
from engine.views.similarity import matrix as similarity_matrix
from engine.views.settings import PairsConfig
from engine.views.store import extension

PAIRS_SCHEMA = pa.schema(
    [
        pa.field("sha256", pa.string()),
        pa.field("url", pa.string()),
        pa.field("caption", pa.string()),
        pa.field("caption_source", pa.string()),
        pa.field("similarity", pa.float32()),
        pa.field("doc_id", pa.string()),
        pa.field("position", pa.int32()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
        pa.field("format", pa.string()),
        pa.field("bytes", pa.int64()),
        pa.field("unsafe_prob", pa.float32()),
        pa.field("aesthetic_prob", pa.float32()),
        pa.field("language", pa.string()),
    ],
    metadata={"weft.table": "pairs_view"},
)

STORE_META_COLUMNS = ["sha256", "bytes", "width", "height", "format", "url"]
# no dot (webdataset and Energon split member names at the first one), no slash, bounded length
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,200}")


def sample_key(doc_id: str, position: int | None = None) -> str:
    """The WebDataset key of a document's interleaved sample, or of its pair at image `position`."""
    if _SAFE_KEY.fullmatch(doc_id):
        base = doc_id
    else:
        base = "h" + hashlib.sha1(doc_id.encode("utf-8", "surrogatepass")).hexdigest()
    return base if position is None else f"{base}_{position}"


def _num(v):
    return None if v is None or v != v else v  # NaN -> null


def image_positions(doc: dict) -> list[int]:
    return [i for i, u in enumerate(doc["images"]) if u is not None]


def stored_positions(doc: dict, present) -> list[int]:
    """Image positions whose sha256 is in the store (`present`: a set or dict of hashes)."""
    return [i for i in image_positions(doc) if ((doc["metadata"][i] or {}).get("sha256")) in present]


def document_pairs(doc: dict, store_rows: dict[str, dict], config: PairsConfig, counts: Counter,
                   sims: DocSims | None = None) -> list[dict]:
    """Pairs view rows of one document. counts: images_in, written, dropped:<reason>, caption:<source>, mmc4_*.
    `sims`: the document's rows of OUT/images/clip_sims (engine.views.similarity), for the mmc4 strategy."""
    gm = doc["general_metadata"]
    n_images = len(image_positions(doc))
    counts["images_in"] += n_images
    rows = []
    for p, cap, m, s in _captioned(doc, store_rows, config, counts, n_images, "dropped", "no_caption", sims):
        rows.append({
            "sha256": m["sha256"], "url": doc["images"][p], "caption": cap.text, "caption_source": cap.source,
            "similarity": _num(m.get("clip_sim")), "doc_id": gm["id"], "position": p, **_size(s, m),
            "format": s.get("format"), "bytes": s.get("bytes") or m.get("bytes"),
            "unsafe_prob": _num(m.get("unsafe_prob")), "aesthetic_prob": _num(m.get("aesthetic_prob")),
            "language": gm.get("language"),
        })
    counts["written"] += len(rows)
    return rows


def _captioned(doc: dict, store_rows: dict[str, dict], config: PairsConfig, counts: Counter, n_images: int,
               dropped: str, uncaptioned: str, sims: DocSims | None = None) -> list[tuple]:
    """(position, caption, image metadata, store row) of each image of `doc` that is in the store and gets a
    caption; the other `n_images` are counted `<dropped>:not_in_store` or `<dropped>:<uncaptioned>`."""
    metas = doc["metadata"]
    positions = stored_positions(doc, store_rows)
    counts[f"{dropped}:not_in_store"] += n_images - len(positions)
    real = similarity_matrix(doc, positions, sims, config, counts) if "mmc4" in config.order else None
    captions = caption_document(doc["texts"], doc["images"], metas, positions, config, counts,
                                *(real or (None, None)))
    out = []
    for p in positions:
        cap = captions.get(p)
        if cap is None:
            counts[f"{dropped}:{uncaptioned}"] += 1
        else:
            out.append((p, cap, metas[p], store_rows[metas[p]["sha256"]]))
    return out


def _size(store_row: dict, meta: dict) -> dict:
    """width and height: the store's, else the document's."""
    return {k: store_row.get(k) or meta.get(k) for k in ("width", "height")}


def pair_sample(key: str, row: dict, content: bytes) -> list[tuple[str, bytes]]:
    """img2dataset-style members of one pair."""
    meta = {"key": key, **row}
    return [(extension(row["format"]), content), ("txt", row["caption"].encode()),
            ("json", json.dumps(meta, ensure_ascii=False).encode())]


def _jsonable_meta(m: dict | None) -> dict | None:
    if m is None:
        return None
    return {k: _num(v) for k, v in m.items() if _num(v) is not None}


def interleaved_sample(doc: dict, store_rows: dict[str, dict], counts: Counter) -> tuple[dict, list[tuple[str, bytes]]]:
    """(json record, image members) of one document; store_rows must hold `content` and `format`."""
    gm = doc["general_metadata"]
    members, names = [], []
    for i, (u, m) in enumerate(zip(doc["images"], doc["metadata"])):
        if u is None:
            names.append(None)
            continue
        counts["images_in"] += 1
        row = store_rows.get((m or {}).get("sha256"))
        if row is None or row.get("content") is None:
            counts["images_dropped:not_in_store"] += 1
            names.append(None)
            continue
        name = f"{i}.{extension(row['format'])}"
        names.append(name)
        members.append((name, row["content"]))
        counts["images_written"] += 1
    record = {
        "id": gm["id"], "url": gm["url"], "language": gm.get("language"), "crawl_id": gm.get("crawl_id"),
        "title": gm.get("title"), "texts": doc["texts"], "images": doc["images"], "image_members": names,
        "metadata": [_jsonable_meta(m) for m in doc["metadata"]],
    }
    return record, members


def mmc4_record(doc: dict, store_rows: dict[str, dict], config: PairsConfig, counts: Counter,
                sims: DocSims | None = None) -> dict | None:
    """MMC4-style record of one document, or None when it has no text (`dropped:no_text`). Images are matched
    to paragraphs with the mmc4 strategy (fallback: nearest) whatever degrade.pairs.strategy says, because
    matched_text_index must name a paragraph."""
    gm = doc["general_metadata"]
    counts["docs_in"] += 1
    n_images = len(image_positions(doc))
    counts["images_in"] += n_images
    ordinal, text_list = {}, []
    for i, t in enumerate(doc["texts"]):
        if t is not None:
            ordinal[i] = len(text_list)
            text_list.append(t)
    if not text_list:
        counts["dropped:no_text"] += 1
        counts["images_dropped:doc_no_text"] += n_images
        return None
    cfg = dataclasses.replace(config, strategy="mmc4", fallback=["nearest"])
    info = [{"image_name": f"{m['sha256']}.{extension(s.get('format'))}", "raw_url": doc["images"][p],
             "matched_text_index": ordinal[cap.text_position],
             "matched_sim": _num(m.get("clip_sim")) if cap.similarity is None else cap.similarity,
             "matched_sim_source": "clip_sim" if cap.similarity is None else "clip_sims",
             "match_source": cap.source, "sha256": m["sha256"], "position": p, **_size(s, m)}
            for p, cap, m, s in _captioned(doc, store_rows, cfg, counts, n_images, "images_dropped", "unmatched",
                                           sims)]
    counts["images_written"] += len(info)
    counts["written"] += 1
    return {"url": gm["url"], "doc_id": gm["id"], "language": gm.get("language"), "crawl_id": gm.get("crawl_id"),
            "text_list": text_list, "image_info": info}
