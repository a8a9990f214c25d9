"""The `weft` command. Each subcommand lives in its own module with a `main(argv)`; this file only routes,
so `weft --help` stays fast (no Spark or model import until a subcommand runs)."""
from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "run": ("jobs.run", "run the whole pipeline (extract -> filter -> dedup -> images -> degrade) on Spark"),
    "extract": ("jobs.extract", "WARCs -> interleaved documents (Parquet), one task per WARC"),
    "filter": ("jobs.filter", "language / quality / safety filters -> kept + rejected Parquet"),
    "dedup": ("jobs.dedup", "URL, exact, MinHash near-duplicate, paragraph and image-URL dedup"),
    "images": ("jobs.images", "fetch, validate, hash and store images; write the corpus to OUT/docs"),
    "extract-html": ("jobs.extract_html", "HTML files -> JSON lines of interleaved texts/images"),
    "score": ("jobs.score", "JSON lines of text -> every filter score and the keep/drop decision"),
    "train-quality": ("jobs.train_quality", "labelled JSON lines -> a fastText quality model (score quality_prob)"),
    "validate": ("jobs.validate", "check Parquet files against the document schema"),
    "check": ("jobs.check", "data-quality checks of an output: schema, funnel, rows, empty tables, drop rates"),
    "show": ("jobs.show", "print documents from Parquet output in interleaved form"),
    "degrade": ("jobs.degrade", "documents -> text view, image-text pairs, WebDataset and MMC4 exports"),
    "report": ("jobs.report", "OUT/report.html: funnel, throughput, languages, scores, images, duplicates, samples"),
    "sql": ("jobs.sql", "DuckDB over every table of an output (views documents, rejected, ...): query or shell"),
    "config": ("jobs.config", "`config show`: the effective configuration and where each value came from"),
}


def usage() -> str:
    lines = ["usage: weft COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<14}{doc}" for name, (_, doc) in COMMANDS.items()]
    lines += ["", "weft COMMAND --help for the options of one command"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"weft: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
