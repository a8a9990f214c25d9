"""The image stage's mapInArrow functions (picklable; they run in the Spark tasks, Arrow in and Arrow out).

UrlKeys      url -> join key (engine.urlnorm + capture_key: page and WARC spellings meet) and host
FetchTask    one host-partitioned task: bounded fetch_all batches, each written atomically to OUT/images/fetched/
DecodeTask   one sha256-partitioned task: each distinct image decoded, validated, hashed and scored once; the
             valid ones written to OUT/images/store/part-NNNNN.parquet (row groups sized in bytes)
Rewrite      documents + their per-position decisions -> documents with per-image metadata filled, and
             clip_sim from the CLIP embeddings against each image's alt text and neighbouring paragraphs
"""
from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlsplit

import pyarrow as pa

from engine.io.fs import join
from engine.io.output import AtomicParquetWriter, ParquetOptions

log = logging.getLogger(__name__)

# Fetch reasons that are a decision about the image (a policy or an opt-out), not a failure to get it.
DROP_FETCH_REASONS = frozenset({"opted_out", "refused_address", "bad_url"})
# Decode reasons that are a failure of the file itself; every other decode reason is a validation drop.
FAILED_DECODE_REASONS = frozenset({"corrupt", "truncated"})
_LEVELLED = frozenset({"zstd", "gzip", "brotli"})  # pyarrow takes a compression level for these codecs only

FETCHED_SCHEMA = pa.schema([
    ("key", pa.string()), ("url", pa.string()), ("final_url", pa.string()), ("status", pa.int32()),
    ("reason", pa.string()), ("sha256", pa.string()), ("content", pa.binary()), ("fetched_at", pa.float64()),
])

# One row per distinct image URL key after decode (no bytes): what the documents' positions are joined with.
META_FIELDS = [
    ("key", pa.string()), ("source", pa.string()), ("outcome", pa.string()), ("reason", pa.string()),
    ("sha256", pa.string()), ("width", pa.int32()), ("height", pa.int32()), ("format", pa.string()),
    ("bytes", pa.int64()), ("p_hash", pa.string()), ("d_hash", pa.string()), ("unsafe_prob", pa.float32()),
    ("aesthetic_prob", pa.float32()), ("clip_embedding", pa.list_(pa.float32())),
]
META_SCHEMA = pa.schema(META_FIELDS)
META_DDL = ", ".join(f"{n} {t}" for n, t in (
    ("key", "string"), ("source", "string"), ("outcome", "string"), ("reason", "string"), ("sha256", "string"),
    ("width", "int"), ("height", "int"), ("format", "string"), ("bytes", "long"), ("p_hash", "string"),
    ("d_hash", "string"), ("unsafe_prob", "float"), ("aesthetic_prob", "float"), ("clip_embedding", "array<float>")))

# OUT/images/clip_sims: one row per kept image position that has a CLIP embedding, in OUT/docs coordinates.
# `text_positions` are the positions (in the document's aligned lists) of the paragraphs compared with the image
# (images.clip.neighbours each side, nearest first: before, then after), `text_sims` their cosines (aligned);
# `alt_sim` is null without alt text. clip_sim (in the document) = max(alt_sim, text_sims).
CLIP_SIMS_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("position", pa.int32()), ("sha256", pa.string()), ("clip_sim", pa.float32()),
    ("alt_sim", pa.float32()), ("text_positions", pa.list_(pa.int32())), ("text_sims", pa.list_(pa.float32())),
])
CLIP_SIMS_DDL = ("array<struct<position:int, sha256:string, clip_sim:float, alt_sim:float, "
                 "text_positions:array<int>, text_sims:array<float>>>")
EMBEDDINGS_SCHEMA = pa.schema([("sha256", pa.string()), ("clip_embedding", pa.list_(pa.float32()))])


def fetch_outcome(reason: str | None) -> tuple[str, str | None]:
    """(outcome, stats reason) of a URL that has no bytes."""
    reason = reason or "not_fetched"
    return ("dropped" if reason in DROP_FETCH_REASONS else "failed"), reason


def decode_outcome(reason: str | None) -> tuple[str, str | None]:
    if reason is None:
        return "ok", None
    if reason in FAILED_DECODE_REASONS:
        return "failed", reason
    return "dropped", f"validation:{reason}"


# --------------------------------------------------------------------------------------------------- keys
_PATH_DELIMS = frozenset("!$&'()*+,;=:@")  # RFC 3986 pchar sub-delims, ':' and '@': literal in a path either way
_ESCAPE = re.compile(r"%([0-9A-F]{2})")


def capture_key(key: str | None) -> str | None:
    """The join key of an image URL: its engine.urlnorm key with the path in the form crawlers record.

    engine.urlnorm decodes only unreserved escapes (RFC 3986 6.2.2, right for URL dedup), but a page's
    `<img src>` and the crawler's WARC-Target-URI spell one path differently: Wikipedia writes
    `Mona_Lisa%2C_by_...jpg` and Heritrix recorded `Mona_Lisa,_by_...jpg`; browsers send raw non-ASCII as UTF-8
    escapes. So escapes of path sub-delims, ':' and '@' are decoded and raw non-ASCII, spaces and controls are
    escaped (what CDX/SURT canonicalisation does for WARC lookups). The query is left to urlnorm (it already
    decodes and re-encodes it one way)."""
    if not key:
        return key
    start = key.find("/", 2)  # keys are //host/path?query (scheme ignored) or scheme://host/path?query
    if key.startswith(("http://", "https://", "ftp://")):
        start = key.find("/", key.index("://") + 3)
    if start < 0:
        return key
    end = key.find("?", start)
    end = len(key) if end < 0 else end
    path = key[start:end]
    if not path.isascii() or any(c <= " " or c == "\x7f" for c in path):
        path = quote(path, safe="/%" + "".join(_PATH_DELIMS))
    path = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if chr(int(m.group(1), 16)) in _PATH_DELIMS
                       else m.group(0), path)
    return key[:start] + path + key[end:]


@dataclass
class UrlKeys:
    """Adds `key` (capture_key of the engine.urlnorm key; null for a URL that is no absolute http(s) URL) and
    `host` to batches that have a `url` column; `keep` names the input columns passed through."""

    keep: tuple[str, ...] = ("url",)

    def __call__(self, batches):
        from engine.urlnorm import normalize_urls

        for batch in batches:
            urls = batch.column("url").to_pylist()
            keys = [capture_key(k) for k in normalize_urls(urls)]
            hosts = []
            for u in urls:
                try:
                    hosts.append((urlsplit(u).hostname or "").lower() if u else "")
                except ValueError:
                    hosts.append("")
            cols = {name: batch.column(name) for name in self.keep}
            cols["key"] = pa.array(keys, pa.string())
            cols["host"] = pa.array(hosts, pa.string())
            yield pa.RecordBatch.from_pydict(cols)


# --------------------------------------------------------------------------------------------------- fetch
@dataclass
class FetchTask:
    """Rows (key, url, host), partitioned by host and sorted: fetch_all per `batch` URLs; each batch's results are
    written as one atomic Parquet file named by the hash of its keys, so a killed task loses at most the batch in
    flight and a rerun fetches only the keys that have no record. Yields (fetched, ok, attempts) per batch."""

    fetched_dir: str
    images_section: dict
    batch: int
    parquet: ParquetOptions  # the `output` section's codec and level (jobs.base.parquet_options)

    def __call__(self, batches):
        from engine.images.fetch import FetchConfig, fetch_all

        config = FetchConfig.from_section(self.images_section)
        options = replace(self.parquet, row_group_rows=1 << 30)  # one row group per batch file
        pending: list[tuple[str, str]] = []

        def flush():
            if not pending:
                return None
            cpu0 = time.process_time()
            keys = [k for k, _ in pending]
            urls = [u for _, u in pending]
            results = fetch_all(urls, config)
            now = time.time()
            contents = [r.content for r in results]
            table = pa.table({
                "key": keys, "url": urls, "final_url": [r.final_url for r in results],
                "status": pa.array([r.status for r in results], pa.int32()),
                "reason": [None if r.ok else (r.reason or "error") for r in results],
                "sha256": [hashlib.sha256(c).hexdigest() if c is not None else None for c in contents],
                "content": pa.array(contents, pa.binary()), "fetched_at": [now] * len(keys),
            }, schema=FETCHED_SCHEMA)
            name = hashlib.sha1("\n".join(keys).encode()).hexdigest()[:20]
            writer = AtomicParquetWriter(join(self.fetched_dir, f"part-{name}.parquet"), FETCHED_SCHEMA, options,
                                         validate=False)
            try:
                writer.write(table)
                writer.close()
            except BaseException:
                writer.abort()
                raise
            pending.clear()
            ok = sum(c is not None for c in contents)
            return pa.RecordBatch.from_pydict({"fetched": [len(keys)], "ok": [ok],
                                               "attempts": [sum(r.attempts for r in results)],
                                               "cpu_ms": [int((time.process_time() - cpu0) * 1000)]})

        for batch in batches:
            for key, url in zip(batch.column("key").to_pylist(), batch.column("url").to_pylist()):
                pending.append((key, url))
                if len(pending) >= self.batch:
                    yield flush()
        out = flush()
        if out is not None:
            yield out


# --------------------------------------------------------------------------------------------------- decode
@dataclass
class DecodeTask:
    """Rows (key, url, sha256, content, source), partitioned by sha256 and sorted by (sha256, key): every distinct
    image is decoded, hashed and scored once, written once to this task's store file, and every key holding it
    gets one META row. Store row groups are cut at `row_group_bytes` of content."""

    store_dir: str
    images_section: dict
    batch: int
    row_group_bytes: int
    content_compression: str
    score: str  # auto | true | false
    parquet: ParquetOptions  # the `output` section's codec and level, for every column but `content`

    def _scorers(self):
        if self.score in (False, "false", "off", None):
            return None, "off"
        from engine.images.scorers import ScorerUnavailable, build_scorers

        try:
            return build_scorers(self.images_section), "on"
        except (ScorerUnavailable, ImportError) as exc:
            if self.score in (True, "true", "on"):
                raise
            log.warning("image scorers unavailable, unsafe_prob stays null: %s", exc)
            return None, "unavailable"

    def __call__(self, batches):
        from pyspark import TaskContext

        from engine.images.decode import ValidateConfig, decode_many
        from engine.images.hashing import hashes_hex
        from engine.config import typed
        from schemas.omnicorpus import image_store_schema

        validate = typed(ValidateConfig, self.images_section.get("validate") or {}, "images.validate")
        scorers, scorer_state = self._scorers()
        schema = image_store_schema()
        codec = {c: self.parquet.compression for c in schema.names}
        codec["content"] = self.content_compression
        levels = {c: self.parquet.compression_level for c, v in codec.items() if v in _LEVELLED}
        # row groups are cut by bytes in flush_store, not by rows
        options = ParquetOptions(compression=codec, compression_level=levels, row_group_rows=1 << 30)
        name = f"part-{TaskContext.get().partitionId():05d}.parquet"
        writer = AtomicParquetWriter(join(self.store_dir, name), schema, options, validate=False)
        store_rows: list[dict] = []
        store_bytes = 0
        groups: list[tuple[str, bytes, list[tuple[str, str]]]] = []  # (sha256, content, [(key, url, source)])
        stats = {"store_rows": 0, "store_bytes": 0, "decoded": 0, "scored": 0}
        cpu0 = time.process_time()

        def flush_store(force=False):
            nonlocal store_bytes
            if store_rows and (force or store_bytes >= self.row_group_bytes):
                writer.write(pa.Table.from_pylist(store_rows, schema=schema))
                store_rows.clear()
                store_bytes = 0

        def process(groups):
            nonlocal store_bytes
            decoded = decode_many([g[1] for g in groups], validate)
            stats["decoded"] += len(decoded)
            ok = [i for i, d in enumerate(decoded) if d.ok and d.thumbnail is not None]
            p_hash, d_hash = hashes_hex([decoded[i].thumbnail for i in ok]) if ok else ([], [])
            hashes = {i: (p, d) for i, p, d in zip(ok, p_hash, d_hash)}
            scores: dict[str, list] = {}
            if scorers is not None and ok:
                # Per image, without texts: unsafe_prob, aesthetic_prob and the CLIP embedding. clip_sim depends
                # on the position (alt, neighbouring paragraphs): Rewrite computes it from the embedding.
                got = scorers.score([decoded[i] for i in ok], None)
                stats["scored"] += len(ok)
                for col in ("unsafe_prob", "aesthetic_prob", "clip_embedding"):
                    if col in got:
                        scores[col] = {i: got[col][j] for j, i in enumerate(ok)}
            rows = []
            for i, ((sha, content, users), d) in enumerate(zip(groups, decoded)):
                outcome, reason = decode_outcome(d.reason)
                if i in hashes and outcome == "ok":
                    store_rows.append({"sha256": d.sha256, "content": content, "bytes": len(content),
                                       "width": d.width, "height": d.height, "format": d.format,
                                       "url": min(u[1] for u in users)})
                    store_bytes += len(content)
                    stats["store_rows"] += 1
                    stats["store_bytes"] += len(content)
                elif outcome == "ok":  # valid but no thumbnail: cannot happen with decode(); be safe
                    outcome, reason = "failed", "corrupt"
                p, dh = hashes.get(i, (None, None))
                for key, _url, source in users:
                    rows.append({"key": key, "source": source, "outcome": outcome, "reason": reason,
                                 "sha256": d.sha256 or sha, "width": d.width or None, "height": d.height or None,
                                 "format": d.format, "bytes": len(content), "p_hash": p, "d_hash": dh,
                                 "unsafe_prob": _f(scores.get("unsafe_prob", {}).get(i)),
                                 "aesthetic_prob": _f(scores.get("aesthetic_prob", {}).get(i)),
                                 "clip_embedding": _vector(scores.get("clip_embedding", {}).get(i))})
                flush_store()
            for d in decoded:
                d.thumbnail = None
            return pa.RecordBatch.from_pylist(rows, schema=META_SCHEMA)

        try:
            current: tuple | None = None
            for batch in batches:
                cols = [batch.column(c).to_pylist() for c in ("key", "url", "sha256", "content", "source")]
                for key, url, sha, content, source in zip(*cols):
                    if current is not None and current[0] == sha:
                        current[2].append((key, url, source))
                        continue
                    if current is not None:
                        groups.append(current)
                        if len(groups) >= self.batch:
                            yield process(groups)
                            groups = []
                    current = (sha, content, [(key, url, source)])
            if current is not None:
                groups.append(current)
            if groups:
                yield process(groups)
            flush_store(force=True)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        stats["cpu_ms_decode"] = int((time.process_time() - cpu0) * 1000)
        # one summary row per task, told apart from META rows by outcome = _task
        summary = {f[0]: None for f in META_FIELDS}
        summary.update(outcome="_task", source=scorer_state,
                       reason=",".join(f"{k}={v}" for k, v in stats.items()), bytes=stats["store_bytes"])
        yield pa.RecordBatch.from_pylist([summary], schema=META_SCHEMA)


def _vector(value):
    if value is None:
        return None
    value = [float(v) for v in value]
    return None if any(math.isnan(v) for v in value) else value


def _f(value):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


# --------------------------------------------------------------------------------------------------- rewrite
@dataclass
class Rewrite:
    """Documents (the document schema + crawl, lang) with `_decisions` (list of per-position structs) and
    `_doc_drop` -> the rewritten documents plus `_status` (kept | a drop reason), `_clip` (CLIP_SIMS_DDL: the
    per-candidate similarities of the kept images, in the rewritten positions) and `_below_min_sim` (images
    removed by images.clip.min_sim). Positions without a decision (no image there) are left as they are.

    clip_sim is computed here, where the final document is at hand: with `clip_section` (the `images` config
    section; set when the decisions carry CLIP embeddings), each kept image is compared with its alt text and
    its neighbouring paragraphs (engine.images.scorers.neighbour_candidates); the images of an Arrow batch go
    256 at a time, each distinct text among them encoded once."""

    schema_names: tuple[str, ...]
    remove_failed: bool
    part_cols: tuple[str, ...] = field(default_factory=lambda: ("crawl", "lang"))
    clip_section: dict | None = None

    def __call__(self, batches):
        from engine.document import from_batch, to_batch
        from engine.document import img_url_sha
        from schemas.omnicorpus import IMAGE_METADATA_NAMES, arrow_schema

        schema = arrow_schema()
        clip = None
        if self.clip_section is not None:
            from engine.images.scorers import clip_scorer

            clip = clip_scorer(self.clip_section)
        clip_type = pa.list_(pa.struct([f for f in CLIP_SIMS_SCHEMA if f.name != "doc_id"]))
        for batch in batches:
            table = pa.Table.from_batches([batch])
            docs = from_batch(table.select(list(self.schema_names)))
            decisions = table.column("_decisions").to_pylist()
            doc_drop = table.column("_doc_drop").to_pylist()
            parts = {c: table.column(c).to_pylist() for c in self.part_cols}
            embedded: list[tuple[int, int, list]] = []  # (document, position after removal, embedding)
            for n, (doc, dec) in enumerate(zip(docs, decisions)):
                by_pos = {d["pos"]: d for d in dec or ()}
                keep = []
                for i, url in enumerate(doc.images):
                    if url is None:
                        keep.append(True)
                        continue
                    d = by_pos.get(i)
                    meta = dict(doc.image_meta[i] or {})
                    meta.setdefault("img_url_sha", None)
                    if not meta.get("img_url_sha"):
                        meta["img_url_sha"] = img_url_sha(url)
                    if d is not None and d["keep"]:
                        for name in ("width", "height", "bytes", "sha256", "p_hash", "d_hash", "p_hash_dup_count",
                                     "d_hash_dup_count", "unsafe_prob", "aesthetic_prob"):
                            meta[name] = d[name]
                        if clip is not None and d.get("clip_embedding") is not None:
                            embedded.append((n, sum(keep), d["clip_embedding"]))
                        keep.append(True)
                    else:
                        keep.append(not self.remove_failed)
                    doc.image_meta[i] = {k: meta.get(k) for k in IMAGE_METADATA_NAMES}
                doc.keep_positions(keep)
            clips: list[list[dict]] = [[] for _ in docs]
            below = [0] * len(docs)
            if embedded:
                self._clip_sims(clip, docs, embedded, clips, below)
            status = []
            for doc, drop in zip(docs, doc_drop):
                n_texts = sum(t is not None for t in doc.texts)
                n_images = sum(u is not None for u in doc.images)
                doc.meta["num_texts"], doc.meta["num_images"] = n_texts, n_images
                if drop:
                    status.append(drop)
                elif n_texts == 0 and n_images == 0:
                    status.append("empty")
                else:
                    status.append("kept")
            out = pa.Table.from_batches([to_batch(docs, schema)])
            for c in self.part_cols:
                out = out.append_column(c, pa.array(parts[c], pa.string()))
            out = out.append_column("_status", pa.array(status, pa.string()))
            out = out.append_column("_clip", pa.array([c or None for c in clips], clip_type))
            out = out.append_column("_below_min_sim", pa.array(below, pa.int32()))
            yield from out.to_batches()

    def _clip_sims(self, clip, docs, embedded, clips, below, chunk: int = 256):
        """clip_sim (and the per-candidate record) of every embedded image; images under min_sim removed."""
        import numpy as np

        from engine.images.scorers import below_min_sim, max_sim, neighbour_candidates

        cfg = clip.config
        sims, cands = [], []
        for n, pos, _ in embedded:
            doc = docs[n]
            cands.append(neighbour_candidates(doc.texts, pos, (doc.image_meta[pos] or {}).get("alt"),
                                              cfg.neighbours, cfg.max_text_chars))
        for a in range(0, len(embedded), chunk):
            emb = np.asarray([e for _, _, e in embedded[a:a + chunk]], dtype=np.float32)
            sims.extend(clip.candidate_sims(emb, [c[0] for c in cands[a:a + chunk]]))
        best = np.asarray([max_sim(s) for s in sims], dtype=np.float32)
        drop = below_min_sim(best, cfg)
        removed: dict[int, set[int]] = {}
        for (n, pos, _), (_, where), s, b, d in zip(embedded, cands, sims, best, drop):
            meta = docs[n].image_meta[pos]
            meta["clip_sim"] = _f(b)
            if d:
                removed.setdefault(n, set()).add(pos)
                continue
            clips[n].append({"position": pos, "sha256": meta.get("sha256"), "clip_sim": _f(b),
                             "alt_sim": _f(s[0]), "text_positions": where[1:],
                             "text_sims": [_f(v) for v in s[1:]]})
        for n, gone in removed.items():  # MMC4's filter: the image leaves its document; later positions shift
            doc = docs[n]
            doc.keep_positions([i not in gone for i in range(len(doc.images))])
            below[n] = len(gone)
            shift = sorted(gone)
            for rec in clips[n]:
                rec["position"] -= sum(g < rec["position"] for g in shift)
                rec["text_positions"] = [t - sum(g < t for g in shift) for t in rec["text_positions"]]
