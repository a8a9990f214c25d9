"""`make bench-extract`: main-body extraction quality and speed, weft vs trafilatura, same run, same input.

    python -m benchmarks.extract [--repeats 3] [--out out/bench/extract.json]

Datasets (read from ../shared/data/extraction; the bench skips cleanly when absent):
- scrapinghub-aeb: 181 article pages + human-verified article bodies. Text is scored with the benchmark's own
  definition (its evaluate.py): tokens are `\\w+` runs, compared as multisets of 4-token shingles; per page
  tp/fp/fn are normalised to sum 1; precision and recall are means over pages (precision over pages with a
  prediction, recall over pages with a truth), F1 is the harmonic mean of those two means.
- mozilla-readability: 130 pages; expected.html is Readability.js's output. Text F1 uses the same shingle metric
  on its text. Images: every <img> of expected.html is one expected image, identified by every URL it carries
  (src, srcset candidates, data-* URL attributes: Readability keeps the source's attributes, so the picture we
  choose from a srcset or lazy attribute is still recognised). Readability's test harness loads every page as
  http://fakehost/test/page.html and rewrites relative URLs against it (after <base href>), so we extract with
  that same page URL: both sides then resolve relative links identically. URLs are compared after
  normalise() (scheme/host case, default port, fragment). Matching is one-to-one in reading order.
  recall = matched / expected images; precision = matched / predicted images on pages that have expected
  images; "images on pages with none" = predicted images on pages whose expected.html has no image;
  order = fraction of matched-image pairs (within a page, over all pages) that keep Readability's order.
- Per script (printed after the main table; weft and trafilatura side by side, text F1 only): the readability
  pages split into Latin-script and Chinese/Japanese ones (scored per character: those scripts put no spaces
  between words, so `\\w+` would make each clause one token); the Latin pages again, turned word for word into
  real Arabic words with Arabic commas and question marks (Arabizer: same layout, same reference, another
  script); and Readability's four RTL layouts with lorem ipsum and with real Arabic, Persian, Urdu and Hebrew
  sentences (tests/data/extraction/rtl, see its SOURCE.txt). weft runs here through `extract()` directly.
- extract_dev (tests/data/extract_dev, benchmarks/extract_dev.py): hand-labelled forum threads, Q&A, CJK
  articles, docs, listings, product and profile pages; F1 per page kind, weft and trafilatura side by side, for
  the dev part (and with --held the held-back part). Then the per-document confidence: Spearman correlation of
  weft's extraction_agreement with its F1 on every set, and the union fallback's effect and share of pages.
- Speed: docs per CPU-second of this process (time.process_time, so other load on the machine does not count),
  over both sets with the HTML already in memory, median of --repeats runs, interleaved between extractors.
weft runs through `jobs.extract_html` (the `weft extract-html` code path); trafilatura 2.3 runs with its
defaults (text) and with include_images (XML output, <graphic> in place).
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import tempfile
import time
from html import escape as html_escape, unescape as html_unescape
from pathlib import Path
from typing import Callable

from benchmarks import extract_dev
from benchmarks.metrics import CJK_RANGES as _CJK, CJK_TOKEN, WORD_TOKEN as _TOKEN, prf, shingle_tp_fp_fn  # noqa: F401 (tests import them here)
from engine.html.urls import normalise, page_base, parse_srcset, resolve

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "extraction"
FAKEHOST = "http://fakehost/test/page.html"  # Readability.js test harness page URL
UNION_PROBE = 0.3  # confidence below which the confidence table tries the union fallbacks (~5-30% of pages)

# --------------------------------------------------------------------------------------------- datasets
def load_scrapinghub() -> list[dict]:
    root = DATA / "scrapinghub-aeb"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    return [{"id": f"{k}.html.gz", "path": root / "html" / f"{k}.html.gz", "url": v.get("url"),
             "truth": v.get("articleBody", "")} for k, v in sorted(truth.items())]


_BLOCK_END = re.compile(r"</(?:p|div|li|h[1-6]|td|th|tr|pre|blockquote|figcaption|dd|dt)>|<br\s*/?>", re.I)


def html_text(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser
    node = LexborHTMLParser(_BLOCK_END.sub(lambda m: m.group(0) + "\n", html)).body
    return node.text(separator="") if node else ""


def expected_images(html: str) -> list[set[str]]:
    """Each <img> of Readability's output -> the set of normalised absolute URLs it carries."""
    from selectolax.lexbor import LexborHTMLParser
    out = []
    for img in LexborHTMLParser(html).css("img"):
        keys = set()
        for name, value in img.attributes.items():
            if not value:
                continue
            if name == "src" or (name.startswith("data-") and "srcset" not in name and not value.startswith("{")):
                urls = [value] if name == "src" or "/" in value else []
            elif "srcset" in name:
                urls = [u for u, _ in parse_srcset(value)]
            else:
                continue
            keys.update(normalise(a) for a in (resolve(u, FAKEHOST) for u in urls) if a)
        out.append(keys)
    return out


def load_readability() -> list[dict]:
    pages = []
    for d in sorted((DATA / "mozilla-readability" / "pages").iterdir()):
        if not (d / "source.html.gz").exists():
            continue
        expected = (d / "expected.html").read_text(encoding="utf-8")
        pages.append({"id": f"{d.name}/source.html.gz", "path": d / "source.html.gz", "url": FAKEHOST,
                      "truth": html_text(expected), "images": expected_images(expected)})
    return pages


# ---------------------------------------------------------------------------------------- per-script sets
RTL = ROOT / "tests" / "data" / "extraction" / "rtl"  # derived RTL pages + Arabic vocabulary (see SOURCE.txt)
RTL_LANGS = ("lorem", "ar", "fa", "ur", "he")
_MARKUP = re.compile(r"""(?is)<(script|style)\b.*?</\1\s*>|<!--.*?-->|<(?:=\s*"[^"]*"|=\s*'[^']*'|[^>"']|["'])*>""")
_WORD_OR_MARK = re.compile(r"\w+|[,;?]")
_TEXT_ATTRIBUTE = re.compile(r"""(?i)\b(alt|title|content)\s*=\s*("[^"]*"|'[^']*')""")
_META_TITLE = re.compile(r"""(?i)\b(?:name|property)\s*=\s*["'][^"']*title""")
_ARABIC_MARKS = {",": "\u060c", ";": "\u061b", "?": "\u061f"}


class Arabizer:
    """Word-for-word Arabic version of a Latin-script page: every distinct word of its text (case-folded) becomes
    one distinct real Arabic word of about the same length, and , ; ? become the Arabic marks. Markup, scripts
    and numbers stay; text is entity-decoded first (the reference spells "&eacute;" as "é"). One instance per
    page, applied to the page and to its reference alike, keeps the reference exact: 4-token shingles map one
    to one while the vocabulary lasts (it is reused after that, on the few pages with more distinct words)."""

    def __init__(self, vocabulary: list[str]):
        self.vocabulary = vocabulary
        self.pools: dict[int, list[str]] = {}
        self.mapping: dict[str, str] = {}
        self._refill()

    def _refill(self) -> None:
        self.pools = {}
        for w in reversed(self.vocabulary):
            self.pools.setdefault(len(w), []).append(w)

    def word(self, w: str) -> str:
        key = w.lower()
        if key not in self.mapping:
            if not any(self.pools.values()):
                self._refill()
            n = len(w)
            length = min((k for k, pool in self.pools.items() if pool), key=lambda k: (abs(k - n), k))
            self.mapping[key] = self.pools[length].pop()
        return self.mapping[key]

    def _token(self, m: re.Match) -> str:
        t = m.group(0)
        if t in _ARABIC_MARKS:
            return _ARABIC_MARKS[t]
        if not any(c.isalpha() for c in t):
            return t
        return self.word(t)

    def text(self, text: str) -> str:
        return html_escape(_WORD_OR_MARK.sub(self._token, html_unescape(text)))

    def _attribute(self, m: re.Match) -> str:
        quote = m.group(2)[0]
        return f"{m.group(1)}={quote}{self.text(m.group(2)[1:-1])}{quote}"

    def tag(self, tag: str) -> str:
        """Words in alt/title attributes and in <meta> titles (the extractor compares headings with the page
        title) are text too."""
        if tag.startswith(("<script", "<style", "<!--")) or (
                tag[:5].lower() == "<meta" and not _META_TITLE.search(tag)):
            return tag
        return _TEXT_ATTRIBUTE.sub(self._attribute, tag)

    def html(self, html: str) -> str:
        out, pos = [], 0
        for m in _MARKUP.finditer(html):
            out.append(self.text(html[pos:m.start()]))
            out.append(self.tag(m.group(0)))
            pos = m.end()
        out.append(self.text(html[pos:]))
        return "".join(out)


def is_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) >= 0.8 * len(letters)


def is_cjk(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and len(re.findall(f"[{_CJK}]", text)) >= 0.5 * len(letters)


def arabize_page(source: str, expected: str, vocabulary: list[str]) -> tuple[str, str]:
    """(source, expected) word for word in Arabic, the source marked dir=rtl lang=ar like a real Arabic page."""
    ar = Arabizer(vocabulary)
    source = re.sub(r"<html\b", '<html dir="rtl" lang="ar"', ar.html(source), count=1, flags=re.I)
    return source, ar.html(expected)


def arabic_vocabulary() -> list[str]:
    return (RTL / "arabic-words.txt").read_text(encoding="utf-8").split()


def load_arabized(pages: list[dict]) -> list[dict]:
    vocabulary = arabic_vocabulary()
    out = []
    for p in pages:
        source, expected = arabize_page(gzip.decompress(p["path"].read_bytes()).decode("utf-8", "replace"),
                                        (p["path"].parent / "expected.html").read_text(encoding="utf-8"),
                                        vocabulary)
        out.append({"id": "ar/" + p["id"], "html": source.encode("utf-8"), "url": p["url"],
                    "truth": html_text(expected)})
    return out


def load_rtl(lang: str) -> list[dict]:
    return [{"id": f"rtl/{lang}/{d.name}", "html": (d / "source.html").read_bytes(), "url": FAKEHOST,
             "truth": html_text((d / "expected.html").read_text(encoding="utf-8"))}
            for d in sorted((RTL / lang).iterdir()) if d.is_dir()]


def per_script(rd: list[dict], outputs: dict[str, dict], fns: dict[str, Callable]) -> list[dict]:
    """F1 by script, weft beside each peer: the readability pages split into Latin and Chinese/Japanese (scored
    per character), the Latin ones again word for word in Arabic, and the derived RTL pages per language."""
    latin = [p for p in rd if is_latin(p["truth"])]
    cjk = [p for p in rd if is_cjk(p["truth"])]
    sets = [("readability Latin-script pages", latin, _TOKEN),
            ("  same pages, words -> Arabic", load_arabized(latin), _TOKEN),
            ("readability zh/ja pages (per char)", cjk, CJK_TOKEN)]
    sets += [(f"rtl-1..4 layouts, {lang}", load_rtl(lang), _TOKEN) for lang in RTL_LANGS]
    rows = []
    for label, pages, token in sets:
        row = {"set": label, "pages": len(pages)}
        for name, fn in fns.items():
            counts = []
            for p in pages:
                if "html" in p:
                    text = fn(p["html"], p["url"])[0]
                else:
                    text = outputs[name][p["id"]][0]
                counts.append(shingle_tp_fp_fn(p["truth"], text, token))
            row[name] = prf(counts)["f1"]
        rows.append(row)
    return rows


def print_per_script(rows: list[dict], names: list[str]) -> None:
    head = ("per-script set (token F1)", "pages", *names)
    table = [head] + [(r["set"], str(r["pages"]), *(f"{r[n]:.3f}" for n in names)) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    print()
    for k, row in enumerate(table):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
        if k == 0:
            print("-+-".join("-" * w for w in widths))


# ------------------------------------------------------------------------------------------- extractors
def run_weft(pages: list[dict]) -> dict[str, tuple[str, list[str]]]:
    """Through `weft extract-html` itself: a temporary folder of links + url map -> JSON lines."""
    from jobs import extract_html
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        for p in pages:
            link = src / p["id"]
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(p["path"].resolve())
        (Path(tmp) / "urls.json").write_text(json.dumps({p["id"]: p["url"] for p in pages}))
        out = Path(tmp) / "out.jsonl"
        rc = extract_html.main(["--input", str(src), "--url-map", str(Path(tmp) / "urls.json"),
                                "--output", str(out)])
        if rc != 0:
            raise SystemExit(f"weft extract-html failed with {rc}")
        results = {}
        for line in out.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            results[r["id"]] = ("\n".join(t for t in r["texts"] if t), [i for i in r["images"] if i])
        return results


def weft_one(html: bytes, url: str | None) -> tuple[str, list[str]]:
    from engine.html import ExtractionRejected, extract
    try:
        r = extract(html, url)
    except ExtractionRejected:
        return "", []
    return "\n".join(t for t in r.texts if t), [i for i in r.images if i]


def trafilatura_text(html: bytes, url: str | None) -> tuple[str, list[str]]:
    import trafilatura
    return trafilatura.extract(html, url=url) or "", []


def trafilatura_images(html: bytes, url: str | None) -> tuple[str, list[str]]:
    """trafilatura with include_images; <graphic src> resolved against the page's base like ours."""
    import trafilatura
    from lxml import etree
    xml = trafilatura.extract(html, url=url, include_images=True, output_format="xml")
    if not xml:
        return "", []
    root = etree.fromstring(xml.encode("utf-8"))
    m = re.search(rb"<base\s[^>]*href\s*=\s*[\"']?([^\"' >]+)", html[:200_000], re.I)
    base = page_base(url, m.group(1).decode("utf-8", "replace") if m else None)
    images = [u for u in (resolve(g.get("src"), base) for g in root.iter("graphic")) if u]
    main = root.find("main")
    text = "\n".join(t.strip() for t in (main if main is not None else root).itertext() if t.strip())
    return text, images


PEERS: dict[str, Callable[[bytes, str | None], tuple[str, list[str]]]] = {
    "trafilatura": trafilatura_text,
    "trafilatura+images": trafilatura_images,
}


# ------------------------------------------------------------------------------------------------ scoring
def image_scores(pages: list[dict], results: dict[str, tuple[str, list[str]]]) -> dict[str, float]:
    expected_n = predicted_n = matched_n = on_empty = 0
    concordant = pairs = 0
    for p in pages:
        predicted = [normalise(u) for u in results[p["id"]][1]]
        if not p["images"]:
            on_empty += len(predicted)
            continue
        expected_n += len(p["images"])
        predicted_n += len(predicted)
        free = list(range(len(p["images"])))
        positions = []  # expected index of each matched prediction, in prediction order
        for url in predicted:
            hit = next((j for j in free if url in p["images"][j]), None)
            if hit is not None:
                free.remove(hit)
                positions.append(hit)
        matched_n += len(positions)
        for a in range(len(positions)):
            for b in range(a + 1, len(positions)):
                pairs += 1
                concordant += positions[a] < positions[b]
    return {"recall": matched_n / expected_n if expected_n else 0.0,
            "precision": matched_n / predicted_n if predicted_n else 0.0,
            "order": concordant / pairs if pairs else 1.0,
            "on_pages_without": on_empty, "expected": expected_n, "predicted": predicted_n,
            "matched": matched_n}


def speed(fn, docs: list[tuple[bytes, str | None]]) -> float:
    start = time.process_time()
    for html, url in docs:
        fn(html, url)
    return len(docs) / max(time.process_time() - start, 1e-9)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.extract", description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="speed repeats (0: quality only)")
    ap.add_argument("--only", nargs="*", help="run only these extractors (names as in the table)")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "bench" / "extract.json")
    ap.add_argument("--held", action="store_true",
                    help="also score the held-back part of tests/data/extract_dev (measured only at the end)")
    args = ap.parse_args(argv)
    if not (DATA / "scrapinghub-aeb").is_dir() or not (DATA / "mozilla-readability").is_dir():
        print(f"bench-extract: skipped, {DATA} not found")
        return 0
    sh, rd = load_scrapinghub(), load_readability()
    dev = extract_dev.load_dev(("dev", "held") if args.held else ("dev",))
    extractors = {k: v for k, v in {"weft": None, **PEERS}.items() if not args.only or k in args.only}
    results: dict[str, dict] = {}
    outputs: dict[str, dict] = {}
    for name, fn in extractors.items():
        res = outputs[name] = {}
        for pages in (sh, rd, dev):
            if fn is None:
                res.update(run_weft(pages))
            else:
                res.update({p["id"]: fn(gzip.decompress(p["path"].read_bytes()), p["url"]) for p in pages})
        results[name] = {
            "scrapinghub": prf([shingle_tp_fp_fn(p["truth"], res[p["id"]][0]) for p in sh]),
            "readability_text": prf([shingle_tp_fp_fn(p["truth"], res[p["id"]][0]) for p in rd]),
            "images": image_scores(rd, res),
        }
    docs = [(gzip.decompress(p["path"].read_bytes()), p["url"]) for p in sh + rd]
    timing_fns = {k: v for k, v in {"weft": weft_one, **PEERS}.items() if k in extractors}
    rates: dict[str, list[float]] = {name: [] for name in timing_fns}
    for _ in range(args.repeats):  # interleaved so slow phases of a shared machine hit every extractor
        for name, fn in timing_fns.items():
            rates[name].append(speed(fn, docs))
    for name in results:
        results[name]["docs_per_cpu_s"] = statistics.median(rates[name]) if rates[name] else 0.0
        results[name]["docs_per_cpu_s_runs"] = rates[name]
    print_table(results, len(docs))
    script_fns = {k: v for k, v in {"weft": weft_one, "trafilatura": trafilatura_text}.items() if k in extractors}
    scripts = per_script(rd, outputs, script_fns) if script_fns else []
    if scripts:
        print_per_script(scripts, list(script_fns))
    kind_names = [n for n in ("weft", "trafilatura") if n in outputs]
    kinds = extract_dev.per_kind(dev, {n: outputs[n] for n in kind_names},
                                 lambda truth, text: shingle_tp_fp_fn(truth, text, CJK_TOKEN))
    extract_dev.print_per_kind(kinds, kind_names)
    confidence = []
    if "weft" in extractors:
        confidence = extract_dev.confidence({"scrapinghub-aeb": (sh, _TOKEN), "mozilla-readability": (rd, _TOKEN),
                                             "extract_dev": (dev, CJK_TOKEN)}, UNION_PROBE,
                                            outputs.get("trafilatura"))
        extract_dev.print_confidence(confidence, UNION_PROBE)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"docs_timed": len(docs), "repeats": args.repeats, "results": results,
                                    "per_script": scripts, "extract_dev": kinds, "confidence": confidence},
                                   indent=2))
    print(f"\nwritten {args.out}")
    return 0


def print_table(results: dict[str, dict], n_docs: int) -> None:
    head = ("extractor", "scrapinghub F1 (P/R)", "readability text F1", "img recall", "img precision",
            "img order", "imgs on pages w/o", "docs/s/core")
    rows = [head]
    base = results.get("trafilatura", {}).get("docs_per_cpu_s")
    for name, r in results.items():
        s, im = r["scrapinghub"], r["images"]
        ratio = f" ({r['docs_per_cpu_s'] / base:.2f}x)" if base else ""
        rows.append((name, f"{s['f1']:.3f} ({s['precision']:.3f}/{s['recall']:.3f})",
                     f"{r['readability_text']['f1']:.3f}", f"{im['recall']:.3f}", f"{im['precision']:.3f}",
                     f"{im['order']:.3f}", str(im["on_pages_without"]), f"{r['docs_per_cpu_s']:.1f}{ratio}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for k, row in enumerate(rows):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
        if k == 0:
            print("-+-".join("-" * w for w in widths))
    print(f"(speed: {n_docs} pages, CPU time of this process, median of repeats; ratio vs trafilatura)")


if __name__ == "__main__":
    sys.exit(main())
