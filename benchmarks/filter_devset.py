"""A labelled development set for the filter rules, built from the data in ../shared (nothing downloaded).

    python -m benchmarks.filter_devset [--output .bench/filter_devset.jsonl]

good = human-selected main text of real pages: the scrapinghub AEB `articleBody` golds, Readability's
`expected.html`, OmniCorpus's own extraction of its demo page, the cs336 high-quality page and the 20 CCNet
"head" documents of ../shared/data/text/cc-dolma.
bad  = the boilerplate of the same pages: all of the page's text (split per block element, one paragraph each,
as extraction emits it) minus the lines found in the main text; and the cs336 low-quality page.

Each row: {"id", "source", "domain", "split", "label", "text", "url"}; paragraphs are separated by "\n".
Readability's suite also holds synthetic test pages (lorem ipsum, a few words to test one parser feature): a good
text with "lorem ipsum" or under MIN_GOOD_WORDS whitespace words is not an article and is left out (counted).
`split` is "tune" or "holdout" by a hash of the domain, so the pages of one site are never on both sides: tune
thresholds on one half, report both. The set is derived deterministically (no randomness), so reruns are equal.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
DEFAULT_OUTPUT = ROOT / ".bench" / "filter_devset.jsonl"
_BLOCK = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table", "br",
          "section", "article", "header", "footer", "nav", "aside", "blockquote", "pre", "figcaption", "figure",
          "dd", "dt", "dl", "form", "button", "option", "select", "label", "main", "hr", "address", "caption",
          "summary", "details", "fieldset", "legend", "body", "span_block"}
_DROP = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
MIN_GOOD_WORDS = 30  # fewer words is a parser test fixture, not an article
MIN_BAD_CHARS = 40  # a page with less boilerplate than this gives no bad row (nothing to judge)


def html_lines(html: bytes | str) -> list[str]:
    """The page's visible text, one line per block element, whitespace collapsed (as an extractor splits it)."""
    import lxml.html

    if isinstance(html, bytes):
        from engine.html.decode import decode_html

        html = decode_html(html, None)[0]
    try:
        tree = lxml.html.fromstring(html)
    except Exception:  # an empty or broken page: no text
        return []
    for bad in tree.xpath("|".join(f"//{t}" for t in _DROP)):
        bad.drop_tree()
    for el in tree.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK:
            el.text = "\n" + (el.text or "")
            el.tail = "\n" + (el.tail or "")
    lines = (_SPACE.sub(" ", line).strip() for line in tree.text_content().split("\n"))
    return [line for line in lines if line]


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def boilerplate(page_lines: list[str], main_text: str) -> list[str]:
    """The page's lines that are not part of the main text (a line counts as main when its words appear, in
    order, in the main text's words)."""
    main = " " + _norm(main_text) + " "
    out = []
    for line in page_lines:
        n = _norm(line)
        if n and f" {n} " not in main:
            out.append(line)
    return out


def _split(domain: str) -> str:
    return "tune" if hashlib.sha1(domain.encode()).digest()[0] % 2 == 0 else "holdout"


def _domain(url: str | None, fallback: str) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.") or fallback


def _pair(rows: list, source: str, key: str, url: str | None, domain: str, main: str, page: bytes | str):
    main_lines = [_SPACE.sub(" ", x).strip() for x in main.split("\n")]
    main_text = "\n".join(x for x in main_lines if x)
    split = _split(domain)
    if len(main_text.split()) < MIN_GOOD_WORDS or "lorem ipsum" in main_text.lower():
        return  # a synthetic test page: neither its main text nor its rest says anything about real pages
    if main_text:
        rows.append({"id": f"{source}/{key}/good", "source": source, "domain": domain, "split": split,
                     "label": "good", "text": main_text, "url": url})
    bad = boilerplate(html_lines(page), main_text)
    if sum(map(len, bad)) >= MIN_BAD_CHARS:
        rows.append({"id": f"{source}/{key}/bad", "source": f"{source}-boilerplate", "domain": domain,
                     "split": split, "label": "bad", "text": "\n".join(bad), "url": url})


def build() -> list[dict]:
    rows: list[dict] = []
    aeb = SHARED / "extraction" / "scrapinghub-aeb"
    truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth):
        page = aeb / "html" / f"{key}.html.gz"
        if page.exists():
            item = truth[key]
            _pair(rows, "aeb", key[:12], item.get("url"), _domain(item.get("url"), key), item["articleBody"],
                  gzip.decompress(page.read_bytes()))
    readability = SHARED / "extraction" / "mozilla-readability" / "pages"
    for page_dir in sorted(readability.iterdir()):
        expected, source = page_dir / "expected.html", page_dir / "source.html.gz"
        if expected.exists() and source.exists():
            main = "\n".join(html_lines(expected.read_text(encoding="utf-8")))
            # Readability's test pages carry no URL: each directory is one site
            _pair(rows, "readability", page_dir.name, None, f"readability/{page_dir.name}", main,
                  gzip.decompress(source.read_bytes()))
    omni = SHARED / "extraction" / "omnicorpus-demo"
    if (omni / "demo_magic-html_extraction.html").exists():
        url = (omni / "demo_url.txt").read_text().strip() if (omni / "demo_url.txt").exists() else None
        main = "\n".join(html_lines((omni / "demo_magic-html_extraction.html").read_text(encoding="utf-8")))
        _pair(rows, "omnicorpus", "demo", url, _domain(url, "omnicorpus-demo"), main,
              (omni / "demo_origin_page.html").read_bytes())
    cs336 = SHARED / "text" / "cs336-fixtures"
    for name, label in (("high_quality_wiki_reference.txt", "good"), ("low_quality_cc.txt", "bad")):
        if (cs336 / name).exists():
            text = "\n".join(x.strip() for x in (cs336 / name).read_text(encoding="utf-8").split("\n") if x.strip())
            rows.append({"id": f"cs336/{name}", "source": f"cs336-{label}", "domain": f"cs336/{name}",
                         "split": _split(f"cs336/{name}"), "label": label, "text": text, "url": None})
    for path in sorted((SHARED / "text" / "cc-dolma" / "multiple_files").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for i, line in enumerate(f):
                obj = json.loads(line)
                url = (obj.get("metadata") or {}).get("url") or obj.get("id")
                domain = _domain(url if isinstance(url, str) and "://" in url else None, f"{path.name}#{i}")
                rows.append({"id": f"ccnet/{path.name}#{i}", "source": "ccnet-head", "domain": domain,
                             "split": _split(domain), "label": "good", "text": obj["text"].strip(), "url": None})
    return rows


def load(path: Path | str = DEFAULT_OUTPUT) -> list[dict]:
    """The development set, built (and cached at `path`) when missing."""
    path = Path(path)
    if not path.exists():
        rows = build()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.filter_devset", description=__doc__.split("\n\n")[0])
    p.add_argument("--output", default=str(DEFAULT_OUTPUT))
    args = p.parse_args(argv)
    if not SHARED.exists():
        print(f"skip: {SHARED} not found")
        return 0
    Path(args.output).unlink(missing_ok=True)
    rows = load(args.output)
    counts: dict[tuple[str, str, str], int] = {}
    for r in rows:
        k = (r["source"], r["label"], r["split"])
        counts[k] = counts.get(k, 0) + 1
    for k in sorted(counts):
        print(f"  {k[0]:<24} {k[1]:<5} {k[2]:<8} {counts[k]}")
    print(f"{len(rows)} rows -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
