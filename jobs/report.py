"""`weft report OUT_DIR`: one self-contained OUT_DIR/report.html describing a run.

Sections: the funnel of every stage with its drop and failure reasons, throughput, languages, filter score
histograms with the thresholds of the run's recorded config (OUT/_config/filter.yaml) marked, images (formats,
sizes, bytes, unsafe_prob, hash dup counts), duplicate cluster sizes, and a few documents in interleaved order with
thumbnails. Counts come from OUT/stats/*.json (exact); distributions from at most --max-rows rows of each table,
read evenly from every file (a crawl-sized run stays a quick, bounded read). A stage that did not run is reported
as such. Charts are hand-written SVG and thumbnails data: URIs; a Content-Security-Policy allows nothing else, so
the page never touches the network and page text (hostile HTML) is escaped and inert.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import math
import sys
from collections import Counter

import yaml

from engine.io.fs import join, list_parquet, resolve
from engine.io.output import write_bytes_atomic
from jobs.base import STAGES, stage_stats

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
COLORS = {"kept": "#2f7d32", "dropped": "#e0a526", "failed": "#c62828", "bar": "#3f6fb5", "line": "#c62828"}


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def fmt(n) -> str:
    if n is None:
        return "–"
    if isinstance(n, float) and not n.is_integer():
        return f"{n:,.3g}" if abs(n) < 1000 else f"{n:,.0f}"
    return f"{int(n):,}"


# ---- charts (plain SVG) ---------------------------------------------------------------------------------------
def hbar(rows: list[tuple[str, dict[str, float]]], keys=("bar",), width=640, label_w=220) -> str:
    """Horizontal bars, one per row; each row's values for `keys` are stacked (colours from COLORS)."""
    if not rows:
        return '<p class="empty">nothing to show</p>'
    top = max(sum(v.get(k, 0) for k in keys) for _, v in rows) or 1
    bar_h, gap = 16, 6
    height = len(rows) * (bar_h + gap) + gap
    scale = (width - label_w - 70) / top
    parts = []
    for i, (label, values) in enumerate(rows):
        y, x = gap + i * (bar_h + gap), label_w
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{esc(label)}</text>')
        for k in keys:
            w = values.get(k, 0) * scale
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h}" '
                             f'fill="{COLORS.get(k, COLORS["bar"])}"><title>{esc(k)}: {fmt(values.get(k))}</title>'
                             f'</rect>')
                x += w
        total = sum(values.get(k, 0) for k in keys)
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 12}">{fmt(total)}</text>')
    return (f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img">{"".join(parts)}</svg>')


def histogram(series: dict[str, list[float]], title: str, lines=(), bins=24, width=300, height=150,
              log_x=False) -> str:
    """Stacked histogram of one or more series (e.g. kept / rejected), with vertical lines at (value, label)."""
    values = [v for vs in series.values() for v in vs if v is not None and math.isfinite(v)]
    marks = [(x, label) for x, label in lines if x is not None and math.isfinite(x)]
    if not values:
        return (f'<figure class="hist"><figcaption>{esc(title)}</figcaption>'
                f'<p class="empty">no values</p></figure>')
    f = (lambda v: math.log10(1 + max(v, 0))) if log_x else (lambda v: v)  # log of 1 + counts: zeros stay
    lo, hi = min(f(v) for v in values + [x for x, _ in marks]), max(f(v) for v in values + [x for x, _ in marks])
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    step = (hi - lo) / bins
    counts = {name: [0] * bins for name in series}
    for name, vs in series.items():
        for v in vs:
            if v is not None and math.isfinite(v):
                counts[name][min(int((f(v) - lo) / step), bins - 1)] += 1
    top = max(sum(c[b] for c in counts.values()) for b in range(bins)) or 1
    pad_l, plot_w, plot_h = 34, width - 44, height - 40  # 28 px below the plot for the axis labels
    sx = plot_w / bins
    parts = [f'<line x1="{pad_l}" y1="{10 + plot_h}" x2="{pad_l + plot_w}" y2="{10 + plot_h}" stroke="#888"/>',
             f'<text x="{pad_l - 4}" y="18" text-anchor="end">{top}</text>',
             f'<text x="{pad_l - 4}" y="{10 + plot_h}" text-anchor="end">0</text>']
    for b in range(bins):
        y = 10 + plot_h
        for name in series:
            n = counts[name][b]
            if n:
                h = n / top * plot_h
                y -= h
                parts.append(f'<rect x="{pad_l + b * sx + 0.5:.1f}" y="{y:.1f}" width="{max(sx - 1, 1):.1f}" '
                             f'height="{h:.1f}" fill="{COLORS.get(name, COLORS["bar"])}"><title>{esc(name)}: {n}'
                             f'</title></rect>')
    shown = (lambda v: f"{10 ** v - 1:.3g}") if log_x else (lambda v: f"{v:.3g}")
    parts.append(f'<text x="{pad_l}" y="{height - 10}">{shown(lo)}</text>')
    parts.append(f'<text x="{pad_l + plot_w}" y="{height - 10}" text-anchor="end">{shown(hi)}</text>')
    for x, label in marks:
        px = pad_l + (f(x) - lo) / (hi - lo) * plot_w
        parts.append(f'<line class="threshold" x1="{px:.1f}" y1="6" x2="{px:.1f}" y2="{10 + plot_h}" '
                     f'stroke="{COLORS["line"]}" stroke-dasharray="4 2"><title>{esc(label)}</title></line>')
        anchor, dx = ("end", -3) if px > pad_l + plot_w / 2 else ("start", 3)
        parts.append(f'<text x="{px + dx:.1f}" y="16" text-anchor="{anchor}" fill="{COLORS["line"]}">'
                     f'{esc(label.rsplit(" ", 1)[-1])} {x:g}<title>{esc(label)}</title></text>')
    legend = " ".join(f'<span style="color:{COLORS.get(n, COLORS["bar"])}">■ {esc(n)} '
                      f'{sum(counts[n])}</span>' for n in series) if len(series) > 1 else f"{len(values)} values"
    return (f'<figure class="hist"><figcaption>{esc(title)}<br><small>{legend}</small></figcaption>'
            f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
            f'{"".join(parts)}</svg></figure>')


# ---- reading the run --------------------------------------------------------------------------------------------
def sample(uri: str, columns: list[str], max_rows: int):
    """Up to max_rows rows of `columns` (dotted paths select struct children), spread evenly over every file of a
    table, and the table's total row count (from the footers). (None, 0) when the table does not exist."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = list_parquet(uri)
    if not files:
        return None, 0
    per_file, batches, total = max(1, math.ceil(max_rows / len(files))), [], 0
    for f in files:
        fs, path = resolve(f)
        with fs.open_input_file(path) as handle:
            pf = pq.ParquetFile(handle)
            total += pf.metadata.num_rows
            if sum(b.num_rows for b in batches) < max_rows:
                batch = next(pf.iter_batches(batch_size=per_file, columns=columns), None)
                if batch is not None:
                    batches.append(batch)
    if not batches:
        return None, total
    return pa.Table.from_batches(batches).combine_chunks(), total


def recorded_config(out: str, stage: str) -> dict | None:
    fs, path = resolve(join(out, "_config", f"{stage}.yaml"))
    try:
        with fs.open_input_stream(path) as f:
            return yaml.safe_load(f.read())
    except FileNotFoundError:
        return None


def thresholds(filter_config: dict | None) -> dict[str, list[tuple[float, str]]]:
    """score name -> [(value, 'rule min|max')] from the filter section's rules (per-language overrides noted)."""
    out: dict[str, list[tuple[float, str]]] = {}
    section = (filter_config or {}).get("filter") or {}
    preset = (section.get("presets") or {}).get(section.get("preset")) or {}  # rules of the preset that decided
    for rule, spec in (preset.get("rules") or section.get("rules") or {}).items():
        for bound in ("min", "max"):
            if spec.get(bound) is not None:
                out.setdefault(spec["score"], []).append((float(spec[bound]), f"{rule} {bound}"))
    return out


# ---- sections ---------------------------------------------------------------------------------------------------
def section(title: str, body: str, sid: str) -> str:
    return f'<section id="{sid}"><h2>{esc(title)}</h2>{body}</section>'


def funnel_section(stats: dict[str, dict]) -> str:
    head = "<tr><th>stage</th><th>in</th><th>kept</th><th>dropped</th><th>failed</th><th>files</th></tr>"
    rows, bars, reasons = [], [], []
    for stage, s in stats.items():
        files = s.get("files", {})
        cells = "".join(f'<td class="num" data-stage="{stage}" data-field="{k}">{fmt(s.get(k))}</td>'
                        for k in ("records_in", "kept", "dropped_total", "failed_total"))
        file_txt = (f"{files.get('inputs', 0)} inputs, {files.get('skipped_done', 0)} resumed, "
                    f"{sum(s.get('files_failed', {}).values())} failed") if "inputs" in files else ""
        rows.append(f"<tr><td>{stage}</td>{cells}<td>{esc(file_txt)}</td></tr>")
        total = s["records_in"] or 1  # bars are shares of each stage's input: stages count different units
        bars.append((stage, {"kept": s["kept"] / total * 100, "dropped": s["dropped_total"] / total * 100,
                             "failed": s["failed_total"] / total * 100}))
        why = [(f"dropped {r}", {"dropped": n}) for r, n in Counter(s.get("dropped", {})).most_common(15)]
        why += [(f"failed {r}", {"failed": n}) for r, n in Counter(s.get("failed", {})).most_common(15)]
        if why:
            reasons.append(f'<h3>{esc(stage)}: drop and failure reasons</h3>{hbar(why, ("dropped", "failed"))}')
    legend = "".join(f'<span style="color:{COLORS[k]}">■ {k}</span> ' for k in ("kept", "dropped", "failed"))
    return (f'<table class="funnel">{head}{"".join(rows)}</table><p>{legend} (share of each stage\'s input, %; '
            f'the images stage counts image positions)</p>{hbar(bars, ("kept", "dropped", "failed"))}'
            f'{"".join(reasons)}')


def throughput_section(stats: dict[str, dict]) -> str:
    head = ("<tr><th>stage</th><th>records in</th><th>wall s</th><th>CPU s (Python)</th><th>cores</th>"
            "<th>records / wall s</th><th>records / CPU s</th></tr>")
    rows, bars = [], []
    for stage, s in stats.items():
        rate = s["records_in"] / s["wall_s"] if s.get("wall_s") else None
        rows.append(f"<tr><td>{stage}</td><td class=num>{fmt(s['records_in'])}</td><td class=num>{fmt(s['wall_s'])}"
                    f"</td><td class=num>{fmt(s['cpu_s'])}</td><td class=num>{fmt(s.get('cores'))}</td>"
                    f"<td class=num>{fmt(rate)}</td><td class=num>{fmt(s.get('docs_per_s_per_core'))}</td></tr>")
        bars.append((f"{stage} (records / wall s)", {"bar": rate or 0}))
    return f'<table>{head}{"".join(rows)}</table>{hbar(bars)}'


def languages_section(stats: dict[str, dict]) -> str:
    by = stats.get("filter", {}).get("by", {})
    kept, dropped = Counter(by.get("kept_by_language", {})), Counter(by.get("dropped_by_language", {}))
    if not kept and not dropped:
        return '<p class="empty">no filter stage in this run: languages are detected there</p>'
    langs = sorted(set(kept) | set(dropped), key=lambda k: -(kept[k] + dropped[k]))[:30]
    return ("<p>documents per detected language at the filter stage (kept and dropped)</p>"
            + hbar([(lang, {"kept": kept[lang], "dropped": dropped[lang]}) for lang in langs], ("kept", "dropped")))


def scores_section(out: str, max_rows: int) -> str:
    marks = thresholds(recorded_config(out, "filter"))
    series = {}
    for side, name in (("kept", "kept"), ("rejected", "dropped")):
        table, _ = sample(join(out, "filter", side), ["general_metadata.scores"], max_rows)
        if table is not None:
            series[name] = table.column("general_metadata").combine_chunks().field("scores")
    if not series:
        return '<p class="empty">no filter output (OUT/filter) in this run</p>'
    figures = []
    present = {f.name for scores in series.values() for f in scores.type}  # an older run may lack newer scores
    for score in sorted(present, key=lambda s: (s not in marks, s)):
        data = {name: scores.field(score).to_pylist() if scores.type.get_field_index(score) >= 0 else []
                for name, scores in series.items()}
        figures.append(histogram(data, score, marks.get(score, ()),
                                 log_x=score in ("gopher_words", "c4_sentences", "gopher_stop_words")))
    return (f"<p>every score of a sample of the filter stage's kept and rejected documents; red dashed lines: the "
            f"rule thresholds this run used (OUT/_config/filter.yaml)</p><div class=grid>{''.join(figures)}</div>")


def images_section(out: str, stats: dict[str, dict], max_rows: int) -> str:
    table, docs = sample(join(out, "docs"), ["metadata"], max_rows)
    store, stored = sample(join(out, "images", "store"), ["format", "bytes"], max_rows)
    if table is None and store is None:
        return '<p class="empty">no image stage output (OUT/docs, OUT/images/store) in this run</p>'
    parts = []
    side = stats.get("images", {}).get("side_outputs", {})
    if side:
        parts.append("<p>" + ", ".join(f"{esc(k)}: {fmt(v)}" for k, v in side.items()) + "</p>")
    if store is not None:
        formats = Counter(store.column("format").to_pylist())
        parts.append(f"<h3>formats in the image store ({fmt(stored)} distinct images)</h3>"
                     + hbar([(k or "unknown", {"bar": n}) for k, n in formats.most_common()]))
    figures = []
    if table is not None:
        meta = [m for ms in table.column("metadata").to_pylist() for m in ms if m is not None]
        got = lambda k: [m[k] for m in meta if m.get(k) is not None]  # noqa: E731
        figures += [histogram({"bar": got("width")}, "width (px)"), histogram({"bar": got("height")}, "height (px)"),
                    histogram({"bar": got("bytes")}, "bytes (log scale)", log_x=True)]
        nsfw = (recorded_config(out, "images") or {}).get("images", {}).get("nsfw", {})
        figures.append(histogram({"bar": got("unsafe_prob")}, "unsafe_prob (null when no scorer ran)",
                                 [(nsfw.get("threshold"), "nsfw threshold")]))
        figures.append(histogram({"bar": got("p_hash_dup_count")}, "p_hash_dup_count (documents per pHash)"))
        figures.append(histogram({"bar": got("d_hash_dup_count")}, "d_hash_dup_count (documents per dHash)"))
        parts.insert(0, f"<p>{fmt(len(meta))} image positions in {fmt(table.num_rows)} sampled documents "
                        f"(of {fmt(docs)} in OUT/docs)</p>")
    return "".join(parts) + f"<div class=grid>{''.join(figures)}</div>"


def duplicates_section(out: str, stats: dict[str, dict], max_rows: int) -> str:
    table, total = sample(join(out, "dedup", "duplicates"), ["representative_id", "reason"], max_rows)
    dropped = stats.get("dedup", {}).get("dropped", {})
    if table is None and "dedup" not in stats:
        return '<p class="empty">no dedup stage in this run</p>'
    parts = [hbar([(r, {"dropped": n}) for r, n in Counter(dropped).most_common()], ("dropped",))]
    if table is None or not table.num_rows:
        return parts[0] + "<p>no duplicates found</p>"
    sizes = Counter(Counter(table.column("representative_id").to_pylist()).values())
    rows = [(f"{size + 1} documents", {"bar": n}) for size, n in sorted(sizes.items())[:40]]
    return (f"<p>{fmt(total)} duplicates; clusters (representative + its duplicates) by size, from "
            f"{fmt(table.num_rows)} rows</p>" + hbar(rows) + "<h3>removed by reason</h3>" + parts[0])


def thumbnails(out: str, docs: list[dict]) -> dict[str, str]:
    """sha256 or URL -> data: URI of a JPEG thumbnail, from the image store (by sha256) or OUT/warc_images (by URL)."""
    from engine.images.decode import decode
    from engine.views.store import ImageStore

    wanted = [m for d in docs for m in d["metadata"] if m]
    found: dict[str, bytes] = {}
    shas = {m["sha256"] for m in wanted if m.get("sha256")}
    store_files = list_parquet(join(out, "images", "store"))
    if shas and store_files:
        store = ImageStore(store_files)
        store.index(shas)
        found.update({s: row["content"] for s, row in store.fetch(shas, ["content"]).items()})
        store.close()
    urls = {u for d in docs for u in d["images"] if u} - set(found)
    if urls:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        for f in list_parquet(join(out, "warc_images")):  # runs without an image stage: no store yet
            if urls <= set(found):
                break
            fs, path = resolve(f)
            t = pq.read_table(path, filesystem=fs, columns=["url", "content"],
                              filters=pc.field("url").isin(sorted(urls)))
            found.update(zip(t.column("url").to_pylist(), t.column("content").to_pylist()))
    uris = {}
    for key, content in found.items():
        thumb = decode(content).thumbnail  # validated, bounded decode; None for anything it refuses
        if thumb is not None:
            buf = io.BytesIO()
            thumb.save(buf, "JPEG", quality=70)
            uris[key] = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
    return uris


def documents_section(out: str, n: int) -> str:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    source = next((t for t in ("docs", "dedup/kept", "filter/kept", "extract") if list_parquet(join(out, t))), None)
    if source is None:
        return '<p class="empty">no documents in this run</p>'
    docs: list[dict] = []
    for with_images in (True, False):  # documents with images first, then any
        for f in list_parquet(join(out, source)):
            fs, path = resolve(f)
            with fs.open_input_file(path) as handle:
                for batch in pq.ParquetFile(handle).iter_batches(batch_size=256):
                    has = pc.greater(pc.struct_field(batch.column("general_metadata"), "num_images"), 0)
                    picked = batch.filter(has if with_images else pc.invert(has))
                    docs += picked.slice(0, n - len(docs)).to_pylist()
                    if len(docs) >= n:
                        break
            if len(docs) >= n:
                break
        if len(docs) >= n:
            break
    thumbs = thumbnails(out, docs)
    cards = []
    for d in docs:
        gm = d["general_metadata"]
        items = []
        for text, url, meta in zip(d["texts"], d["images"], d["metadata"]):
            if text is not None:
                items.append(f"<p>{esc(text)}</p>")
            else:
                src = thumbs.get((meta or {}).get("sha256")) or thumbs.get(url)
                img = f'<img class="thumb" alt="{esc((meta or {}).get("alt") or "")}" src="{src}">' if src else \
                    '<span class="noimg">[image not in the store]</span>'
                items.append(f'<figure class="docimg">{img}<figcaption>{esc(url)}</figcaption></figure>')
        cards.append(f'<article class="doc"><h3>{esc(gm.get("title") or "(no title)")}</h3>'
                     f'<p class="meta">{esc(gm["url"])} · {esc(gm.get("language"))} · {esc(gm["id"])}</p>'
                     f'{"".join(items)}</article>')
    return f"<p>{len(docs)} documents from OUT/{source}, in interleaved order</p>{''.join(cards)}"


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222}
h2{border-bottom:2px solid #3f6fb5;padding-bottom:4px;margin-top:36px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px}td.num{text-align:right}
.chart text{font:11px system-ui,sans-serif}.grid{display:flex;flex-wrap:wrap;gap:8px}
figure.hist{margin:0;border:1px solid #eee;padding:4px}figcaption{font-size:12px;font-weight:600}
.empty{color:#888;font-style:italic}article.doc{border:1px solid #ccc;padding:8px 14px;margin:12px 0;
max-height:700px;overflow:auto}.meta{color:#666;font-size:12px;word-break:break-all}
figure.docimg{margin:6px 0}figure.docimg figcaption{font-weight:400;color:#666;word-break:break-all}
img.thumb{max-width:256px;max-height:256px;border:1px solid #ddd}
"""


def build(out: str, max_rows: int = 200_000, n_docs: int = 3) -> str:
    stats = stage_stats(out)
    config = next((c for s in reversed(STAGES) if (c := recorded_config(out, s))), {}) or {}
    version = config.get("code_version") or config.get("weft_version") or "unknown"
    missing = [s for s in STAGES if s not in stats]
    body = [
        section("Funnel", funnel_section(stats) if stats else '<p class="empty">no stats/*.json</p>', "funnel"),
        section("Throughput", throughput_section(stats), "throughput"),
        section("Languages", languages_section(stats), "languages"),
        section("Filter scores", scores_section(out, max_rows), "scores"),
        section("Images", images_section(out, stats, max_rows), "images"),
        section("Duplicates", duplicates_section(out, stats, max_rows), "duplicates"),
        section("Documents", documents_section(out, n_docs), "documents"),
    ]
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = (f"<p>output <code>{esc(out)}</code> · code {esc(version)} · written {now} · stages run: "
            f"{esc(', '.join(stats) or 'none')}" + (f" · not run: {esc(', '.join(missing))}" if missing else "")
            + "</p>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}"><title>weft run report</title>'
            f'<style>{STYLE}</style></head><body><h1>weft run report</h1>{head}{"".join(body)}</body></html>')


def write_report(out: str, max_rows: int = 200_000, n_docs: int = 3) -> str:
    uri = join(out, "report.html")
    write_bytes_atomic(uri, build(out, max_rows, n_docs).encode())
    return uri


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="weft report", description=__doc__.split("\n\n")[0])
    p.add_argument("output", help="the run's output root (local dir or s3://...)")
    p.add_argument("--max-rows", type=int, default=200_000, help="rows read per table for the distributions")
    p.add_argument("--documents", type=int, default=3, help="documents rendered in interleaved form")
    args = p.parse_args(argv)
    if not stage_stats(args.output):
        print(f"weft report: {args.output} holds no weft run (no stats/<stage>.json)", file=sys.stderr)
        return 2
    print(f"report: {write_report(args.output, args.max_rows, args.documents)}")
    return 0
