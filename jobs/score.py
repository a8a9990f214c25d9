"""`weft score`: every filter score and the keep/drop decision for JSON lines of text (no Spark).

    weft score --input sample.jsonl --output scored.jsonl [--config my.yaml] [--set filter.rules.x.max=0.2]
    weft score --input sample.jsonl --explain DOC_ID

Input: one JSON object per line with `text` (string; paragraphs separated by blank lines) or `texts`/`images`
(weft's interleaved lists), and optional `url` and `id` (default: the line number).
Output, one line per input line, in order (this interface is stable):
    {"id", "url", "language", "language_score", "keep", "reason", "scores": {name: value or null}}
A line that cannot be scored (bad JSON, no text) gives {"id", "line", "error"} instead; the run still ends 0
and prints the count of such lines, so a sample with a few broken lines can still be tuned on.
"""
from __future__ import annotations

import argparse
import json
import sys

from engine.document import Document
from schemas.omnicorpus import SCORE_NAMES


def to_document(obj: dict, line_no: int) -> Document:
    doc_id = str(obj.get("id", line_no))
    doc = Document(id=doc_id, url=obj.get("url"))
    if isinstance(obj.get("texts"), list):
        images = obj.get("images") or [None] * len(obj["texts"])
        if len(images) != len(obj["texts"]):
            raise ValueError("texts and images have different lengths")
        for t, u in zip(obj["texts"], images):
            doc.add_image(u) if u is not None else doc.add_text(str(t or ""))
        return doc
    text = obj.get("text")
    if not isinstance(text, str):
        raise ValueError("no 'text' string")
    for paragraph in text.split("\n\n"):  # "\n\n".join(...) gives the same text back
        doc.add_text(paragraph)
    return doc


def score_line(step, raw: str, line_no: int) -> dict:
    try:
        obj = json.loads(raw)
        if not isinstance(obj, dict):
            raise ValueError("line is not a JSON object")
        doc = to_document(obj, line_no)
    except (ValueError, TypeError) as e:
        return {"id": None, "line": line_no, "error": str(e)}
    outcome = step.process(doc)
    d = outcome.doc
    return {
        "id": d.id,
        "url": d.url,
        "language": d.meta.get("language"),
        "language_score": d.meta.get("language_score"),
        "keep": outcome.kept,
        "reason": outcome.reason,
        "scores": {name: d.scores.get(name) for name in SCORE_NAMES},
    }


def main(argv: list[str] | None = None) -> int:
    from engine.config import load_config
    from filters.pipeline import FilterStep
    from filters.rules import FilterConfig

    p = argparse.ArgumentParser(prog="weft score", description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="JSON lines with text (and optional url, id); - for stdin")
    p.add_argument("--output", help="JSON lines out (default stdout)")
    p.add_argument("--explain", metavar="DOC_ID", help="print every score and rule for one document instead")
    p.add_argument("--config", help="YAML merged over the defaults (its `filter` section)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)

    step = FilterStep(FilterConfig.from_dict(load_config(args.config, args.set).get("filter", {})))
    step.setup()
    src = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8", errors="replace")
    with src:
        if args.explain:
            for n, raw in enumerate(src, 1):
                try:
                    obj = json.loads(raw)
                    if isinstance(obj, dict) and str(obj.get("id", n)) == args.explain:
                        print(step.explain(to_document(obj, n)))
                        return 0
                except ValueError:
                    continue
            print(f"weft score: document {args.explain} not found in {args.input}", file=sys.stderr)
            return 1
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
        counts = {"lines": 0, "kept": 0, "dropped": 0, "errors": 0}
        try:
            for n, raw in enumerate(src, 1):
                if not raw.strip():
                    continue
                row = score_line(step, raw, n)
                counts["lines"] += 1
                counts["errors" if "error" in row else ("kept" if row["keep"] else "dropped")] += 1
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        finally:
            if out is not sys.stdout:
                out.close()
    print(f"weft score: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
