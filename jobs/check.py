"""`weft check OUT`: data-quality checks of a pipeline output; exit 1 naming every failed check.

    weft check OUT [--until STAGE] [--max-drop-rate [STAGE=]RATE ...] [--max-fail-rate [STAGE=]RATE ...] [--json]

The Airflow DAG's last task runs this same command, so a scheduler and a person get the same verdict. Checks,
each failure named `check: where: detail`:
  stats      every stage up to --until (default: the last stage with stats) wrote OUT/stats/<stage>.json, with
             no gap before it
  funnel     in = kept + dropped + failed in every stage's stats
  handoff    each stage received what the previous one kept (filter.in = extract.kept, dedup.in = filter.kept,
             images documents in = dedup.kept, degrade.in = images documents kept)
  rows       each output table holds as many rows as its stage says it wrote (Parquet footers or JSONL lines)
  empty      no stage's document table (extract, filter/kept, dedup/kept, docs, views/text) is empty while the
             stage received documents
  schema     document tables pass schemas.validate (types and alignment); every other Parquet table has one
             schema across its files and every footer reads
  drop_rate  dropped / in <= --max-drop-rate (off unless given; RATE alone applies to every stage)
  fail_rate  failed / in <= --max-fail-rate (likewise)
Inputs listed in stats/failed_inputs.json are reported as warnings (the stages already count them).
Reads local or s3:// outputs through engine.io.fs; opens only Parquet footers, except the document tables'
validation, which reads them.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from dataclasses import dataclass, field

from engine.io.fs import join, list_parquet, resolve
from jobs.base import FAILED_INPUTS, STAGES, read_json

# stage -> (table, what its rows must equal, is a document table); `kept`/`dropped` are the stage's stats,
# a dotted name a counter below `by` or `side_outputs`
TABLES = {
    "extract": [("extract", "kept", True), ("warc_images", "side_outputs.warc_images", False)],
    "filter": [("filter/kept", "kept", True), ("filter/rejected", "dropped", True)],
    "dedup": [("dedup/kept", "kept", True), ("dedup/duplicates", None, False)],
    "images": [("docs", "by.documents.kept", True), ("images/store", None, False)],
    "degrade": [("views/text", "by.text.written", False), ("views/pairs", "by.pairs.written", False)],
}
# what each stage received, in the previous stage's stats (images counts image positions; its documents are `by`)
HANDOFF = {"filter": ("in", "extract", "kept"), "dedup": ("in", "filter", "kept"),
           "images": ("by.documents.in", "dedup", "kept"), "degrade": ("in", "images", "by.documents.kept")}


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    funnel: dict[str, dict] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def fail(self, check: str, where: str, detail: str) -> None:
        self.failures.append(f"{check}: {where}: {detail}")

    def to_dict(self) -> dict:
        return {"ok": not self.failures, "failures": self.failures, "warnings": self.warnings,
                "funnel": self.funnel, "rows": self.rows}


def rates(specs: list[str] | None, flag: str) -> dict[str, float]:
    """['0.9', 'filter=0.95'] -> {'*': 0.9, 'filter': 0.95}; a bad spec raises ValueError naming it."""
    out = {}
    for spec in specs or []:
        stage, _, value = spec.rpartition("=")
        if stage and stage not in STAGES:
            raise ValueError(f"{flag} {spec}: unknown stage {stage!r} (one of {', '.join(STAGES)})")
        rate = float(value)
        if not 0 <= rate <= 1:
            raise ValueError(f"{flag} {spec}: a rate is between 0 and 1")
        out[stage or "*"] = rate
    return out


def counter(stats: dict, name: str) -> int | None:
    """'kept', 'dropped' (total) or a dotted path into the stats ('by.documents.kept'); None when absent."""
    if name in ("in", "kept", "dropped", "failed"):
        key = {"in": "records_in", "dropped": "dropped_total", "failed": "failed_total"}.get(name, name)
        return stats.get(key)
    value = stats
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, int) else None


def table_rows(uri: str) -> tuple[int, list[str], list[str]]:
    """(rows, readable files, unreadable files with why) of a Parquet or JSONL(.gz) table, from the Parquet
    footers or the JSONL lines; (0, [], []) when the table has no files."""
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    files = list_parquet(uri)
    if files:
        rows, readable, unreadable = 0, [], []
        for f in files:
            fs, path = resolve(f)
            try:
                rows += pq.ParquetFile(fs.open_input_file(path)).metadata.num_rows
                readable.append(f)
            except Exception as e:  # a torn or foreign file: name it and go on counting the others
                unreadable.append(f"{f}: unreadable Parquet ({type(e).__name__}: {e})")
        return rows, readable, unreadable
    fs, path = resolve(uri)
    if fs.get_file_info(path).type != pafs.FileType.Directory:
        return 0, [], []
    found = [i.path for i in fs.get_file_info(pafs.FileSelector(path, recursive=True))
             if i.type == pafs.FileType.File and i.base_name.endswith((".jsonl", ".jsonl.gz"))
             and not any(p.startswith((".", "_")) for p in i.path[len(path):].split("/") if p)]
    rows, unreadable = 0, []
    for p in sorted(found):
        with fs.open_input_stream(p) as raw:
            data = raw.read()
        try:
            rows += (gzip.decompress(data) if p.endswith(".gz") else data).count(b"\n")
        except (OSError, EOFError) as e:
            unreadable.append(f"{p}: unreadable gzip ({e})")
    return rows, sorted(found), unreadable


def check_schema(report: Report, table: str, files: list[str], document: bool) -> None:
    import pyarrow.parquet as pq

    if document:
        from schemas.validate import SchemaError, validate_file

        for f in files:
            fs, path = resolve(f)
            try:
                validate_file(path, filesystem=fs)
            except SchemaError as e:
                report.fail("schema", table, str(e))
        return
    first = None
    for f in files:
        fs, path = resolve(f)
        schema = pq.ParquetFile(fs.open_input_file(path)).schema_arrow.remove_metadata()
        if first is None:
            first = (f, schema)
        elif not schema.equals(first[1]):
            report.fail("schema", table, f"{f} has another schema than {first[0]}")


def check_output(output: str, until: str | None = None, max_drop: dict | None = None,
                 max_fail: dict | None = None) -> Report:
    report = Report()
    stats = {s: read_stats(report, output, s) for s in STAGES}
    present = [s for s in STAGES if stats[s] is not None]
    if until is None:
        if not present:
            report.fail("stats", output, "no stats/<stage>.json at all: not a weft output, or nothing ran")
            return report
        until = present[-1]
    wanted = STAGES[: STAGES.index(until) + 1]
    for stage in wanted:
        if stats[stage] is None and not any(f.startswith(f"stats: {stage}:") for f in report.failures):
            report.fail("stats", stage, f"no stats/{stage}.json (stage missing)")
    for stage in (s for s in wanted if stats[s] is not None):
        check_stage(report, output, stage, stats, max_drop or {}, max_fail or {})
    inputs = read_json(join(output, "stats", FAILED_INPUTS)) or {}
    for stage, section in inputs.items():
        for item in section.get("failed", []):
            report.warnings.append(f"failed_input: {stage}: {item.get('input')} ({item.get('reason')})")
    return report


def read_stats(report: Report, output: str, stage: str) -> dict | None:
    try:
        return read_json(join(output, "stats", f"{stage}.json"))
    except ValueError as e:  # torn or hand-edited JSON: a named failure, not a crash
        report.fail("stats", stage, f"stats/{stage}.json is not JSON ({e})")
        return None


def check_stage(report: Report, output: str, stage: str, stats: dict, max_drop: dict, max_fail: dict) -> None:
    """funnel, handoff, alarms, rows, empty and schema of one stage whose stats exist."""
    s = stats[stage]
    row = {k: counter(s, k) for k in ("in", "kept", "dropped", "failed")}
    row["dropped"] = sum(s.get("dropped", {}).values())  # from the reasons, not the stored total
    row["failed"] = sum(s.get("failed", {}).values())
    report.funnel[stage] = row
    if None in row.values():
        report.fail("funnel", stage, f"stats without records_in/kept: {row}")
        return
    if row["in"] != row["kept"] + row["dropped"] + row["failed"]:
        report.fail("funnel", stage, f"in={row['in']} != kept+dropped+failed="
                                     f"{row['kept']}+{row['dropped']}+{row['failed']}")
    if stage in HANDOFF and stats[HANDOFF[stage][1]] is not None:
        mine, previous, theirs = HANDOFF[stage]
        got, sent = counter(s, mine), counter(stats[previous], theirs)
        if got != sent:
            report.fail("handoff", stage, f"{mine}={got} but {previous} {theirs}={sent}")
    for check, limits, n in (("drop_rate", max_drop, row["dropped"]), ("fail_rate", max_fail, row["failed"])):
        limit = limits.get(stage, limits.get("*"))
        if limit is not None and row["in"] and n / row["in"] > limit:
            report.fail(check, stage, f"{n}/{row['in']} = {n / row['in']:.3f} > {limit}")
    for i, (table, expected_from, document) in enumerate(TABLES[stage]):
        rows, files, unreadable = table_rows(join(output, table))
        report.rows[table] = rows
        for problem in unreadable:
            report.fail("schema", table, problem)
        expected = counter(s, expected_from) if expected_from else None
        if expected is not None and rows != expected:
            report.fail("rows", table, f"{rows} rows but {stage} stats say {expected_from}={expected}")
        # the stage's main table (its documents) is empty although documents came in
        if i == 0 and rows == 0 and expected is not None and counter(s, HANDOFF.get(stage, ("in",))[0]):
            report.fail("empty", table, f"no rows, though {stage} received documents")
        parquet = [f for f in files if f.endswith(".parquet")]
        if parquet:
            check_schema(report, table, parquet, document)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="weft check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("output", help="a pipeline output root (local or s3://)")
    p.add_argument("--until", choices=STAGES, help="the last stage that must have run (default: the last found)")
    p.add_argument("--max-drop-rate", action="append", metavar="[STAGE=]RATE", help="alarm above this drop rate")
    p.add_argument("--max-fail-rate", action="append", metavar="[STAGE=]RATE", help="alarm above this fail rate")
    p.add_argument("--json", action="store_true", help="print the report as one JSON line")
    args = p.parse_args(argv)
    try:
        max_drop, max_fail = rates(args.max_drop_rate, "--max-drop-rate"), rates(args.max_fail_rate, "--max-fail-rate")
    except ValueError as e:
        p.error(str(e))
    if "://" not in args.output:
        import os

        args.output = os.path.abspath(args.output)
    report = check_output(args.output, args.until, max_drop, max_fail)
    if args.json:
        print(json.dumps(report.to_dict()))  # stages in pipeline order
    else:
        for stage, row in report.funnel.items():
            print(f"{stage:>8}: in {row['in']}  kept {row['kept']}  dropped {row['dropped']}  failed {row['failed']}")
        for line in report.warnings:
            print(f"WARNING {line}")
        for line in report.failures:
            print(f"FAIL {line}")
        print(f"weft check: {len(report.failures)} failed check(s)" if report.failures else "weft check: ok")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
