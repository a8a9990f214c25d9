"""`weft score`: every filter score and the keep/drop decision for JSON lines of text (no Spark).

    weft score --input sample.jsonl --output scored.jsonl [--config my.yaml] [--set filter.preset=fineweb]
        [--set filter.presets.weft.rules.min_words.min=30]
    weft score --input sample.jsonl --explain DOC_ID    # every score and rule for one document
    weft score --input sample.jsonl --explain           # one line per document: the failing rule, value vs bounds

Input: one JSON object per line with `text` (string; paragraphs separated by blank lines) or `texts`/`images`
(weft's interleaved lists), and optional `url` and `id` (default: the line number).
Output, one line per input line, in order (this interface is stable):
    {"id", "url", "language", "language_score", "keep", "reason", "failed", "scores": {name: value or null}}
`failed` is null for a kept document, else the first failing rule: {"rule", "score", "value", "min", "max"}
(`reason` names it too; a URL or language drop has no rule: {"rule": reason} only).
A line that cannot be scored (bad JSON, no text) gives {"id", "line", "error"} instead; the run still ends 0
and prints the count of such lines, so a sample with a few broken lines can still be tuned on.
"""
from __future__ import annotations

import argparse
import json
import sys

from engine.document import Document


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
        "failed": failed_rule(step, outcome),
        "scores": dict(d.scores),  # every family's scores, in the families' order
    }


def failed_rule(step, outcome) -> dict | None:
    """The rule that dropped the document, with the document's value and the rule's bounds."""
    if outcome.kept:
        return None
    rule = step.failed_rule(outcome)
    if rule is None:
        return {"rule": outcome.reason}
    return {"rule": rule.name, "score": rule.score, "value": outcome.doc.scores.get(rule.score),
            "min": rule.min, "max": rule.max}


def explain_line(row: dict) -> str:
    """`id  KEEP` or `id  DROP rule: score=value (bounds)`, for --explain without a document id."""
    if "error" in row:
        return f"{row.get('id') or 'line ' + str(row['line'])}  ERROR {row['error']}"
    if row["keep"]:
        return f"{row['id']}  KEEP"
    f = row["failed"]
    if "score" not in f:
        return f"{row['id']}  DROP {f['rule']}"
    bounds = " and ".join(x for x in (f"min {f['min']:g}" if f["min"] is not None else "",
                                      f"max {f['max']:g}" if f["max"] is not None else "") if x)
    return f"{row['id']}  DROP {f['rule']}: {f['score']}={f['value']:.4g} ({bounds})"


def main(argv: list[str] | None = None) -> int:
    from engine.config import load_config
    from filters.pipeline import FilterStep
    from filters.rules import FilterConfig

    p = argparse.ArgumentParser(prog="weft score", description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="JSON lines with text (and optional url, id); - for stdin")
    p.add_argument("--output", help="JSON lines out (default stdout)")
    p.add_argument("--explain", metavar="DOC_ID", nargs="?", const="",
                   help="with an id: every score and rule for that document; alone: one line per document "
                        "naming its failing rule, value vs bounds")
    p.add_argument("--config", help="YAML merged over the defaults (its `filter` section)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)

    step = FilterStep(FilterConfig.from_dict(load_config(args.config, args.set).get("filter", {})))
    step.setup()
    src = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8", errors="replace")
    with src:
        if args.explain is not None and not args.explain:
            for n, raw in enumerate(src, 1):
                if raw.strip():
                    print(explain_line(score_line(step, raw, n)))
            return 0
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
