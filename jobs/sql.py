"""`weft sql OUT_DIR [-c QUERY]`: DuckDB over every table of a run's output, as views.

    weft sql out -c "select general_metadata.language, count(*) from documents group by 1 order by 2 desc"
    weft sql out            # a shell: end statements with ';', `.tables` lists the views, `.quit` leaves

Views (those whose table exists; Hive partition columns such as crawl and lang included): see TABLES, plus
`stats` (one row per stage from OUT/stats/<stage>.json) and `reasons` (stage, kind, reason, n: every drop and
failure reason). Each view reads the files `list_parquet` lists (no hidden or temporary files of a killed task).
Local outputs are read by DuckDB's Parquet reader; s3:// ones through pyarrow.fs (DuckDB needs no httpfs
extension, so nothing is downloaded).
"""
from __future__ import annotations

import argparse
import sys

from engine.io.fs import join, list_parquet, resolve
from jobs.base import stage_stats

# view -> table directory under OUT (what the README's pipeline map writes)
TABLES = {
    "documents": "docs",               # the corpus: after images, one row per page
    "extracted": "extract",
    "kept": "filter/kept",
    "rejected": "filter/rejected",
    "deduped": "dedup/kept",
    "duplicates": "dedup/duplicates",  # id -> representative_id, reason, jaccard
    "images": "images/store",          # sha256 -> content, bytes, width, height, format, url
    "warc_images": "warc_images",
    "text": "views/text",
    "pairs": "views/pairs",
}


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect(out: str):
    """An in-memory DuckDB connection with a view per existing table; returns (connection, {view: files})."""
    import duckdb

    con = duckdb.connect()
    found = {}
    for view, rel in TABLES.items():
        files = list_parquet(join(out, rel))
        if not files:
            continue
        found[view] = files
        if out.startswith("s3://"):
            import pyarrow.dataset as ds

            fs, base = resolve(join(out, rel))
            dataset = ds.dataset([resolve(f)[1] for f in files], filesystem=fs, format="parquet",
                                 partitioning="hive", partition_base_dir=base)
            con.register(f"_{view}_arrow", dataset)
            con.execute(f"create view {view} as select * from _{view}_arrow")
        else:
            listed = ", ".join(sql_string(f) for f in files)
            con.execute(f"create view {view} as select * from read_parquet([{listed}], hive_partitioning = true, "
                        f"union_by_name = true)")
    _stats_tables(con, out)
    return con, found


def _stats_tables(con, out: str) -> None:
    import pyarrow as pa

    rows, reasons = [], []
    for stage, s in stage_stats(out).items():
        rows.append({k: s.get(k) for k in ("stage", "records_in", "kept", "dropped_total", "failed_total", "wall_s",
                                           "cpu_s", "cores", "docs_per_s_per_core")})
        reasons += [{"stage": stage, "kind": kind, "reason": r, "n": n}
                    for kind in ("dropped", "failed") for r, n in s.get(kind, {}).items()]
    schema = pa.schema([("stage", pa.string()), ("records_in", pa.int64()), ("kept", pa.int64()),
                        ("dropped_total", pa.int64()), ("failed_total", pa.int64()), ("wall_s", pa.float64()),
                        ("cpu_s", pa.float64()), ("cores", pa.int64()), ("docs_per_s_per_core", pa.float64())])
    reason_schema = pa.schema([("stage", pa.string()), ("kind", pa.string()), ("reason", pa.string()),
                               ("n", pa.int64())])
    for name, table in (("stats", pa.Table.from_pylist(rows, schema=schema)),
                        ("reasons", pa.Table.from_pylist(reasons, schema=reason_schema))):
        con.register(f"_{name}_arrow", table)
        con.execute(f"create table {name} as select * from _{name}_arrow")
        con.unregister(f"_{name}_arrow")


def run_query(con, query: str, fmt: str = "table", out=None) -> None:
    out = out or sys.stdout
    rel = con.sql(query)
    if rel is None:  # a statement without a result (create view, set, ...)
        return
    if fmt == "table":
        out.write(str(rel))  # DuckDB's box rendering: shows the head and tail of long results
        return
    table = rel.arrow()
    table = table.read_all() if hasattr(table, "read_all") else table
    if fmt == "csv":
        import io

        import pyarrow.csv as pacsv

        sink = io.BytesIO()
        pacsv.write_csv(table, sink)
        out.write(sink.getvalue().decode())
    else:
        import json

        for row in table.to_pylist():
            out.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")


def shell(con, found: dict) -> int:
    try:
        import readline  # noqa: F401 (line editing and history for input())
    except ImportError:
        pass
    print(f"weft sql: views {', '.join([*found, 'stats', 'reasons'])}; end statements with ';', .tables, .quit")
    buffer: list[str] = []
    while True:
        try:
            line = input("weft> " if not buffer else "  ..> ")
        except EOFError:
            print()
            return 0
        if not buffer and line.strip() in (".quit", ".exit"):
            return 0
        if not buffer and line.strip() == ".tables":
            line = "select table_name, table_type from information_schema.tables order by 1;"
        buffer.append(line)
        if line.rstrip().endswith(";"):
            query, buffer = "\n".join(buffer), []
            try:
                run_query(con, query)
            except Exception as e:  # a typo in a query: say so, keep the shell
                print(f"error: {e}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="weft sql", description=__doc__.split("\n\n")[0])
    p.add_argument("output", help="a run's output root (local dir or s3://...)")
    p.add_argument("-c", "--command", help="run this query and exit (default: an interactive shell)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output of -c")
    args = p.parse_args(argv)
    try:
        import duckdb  # noqa: F401
    except ImportError:
        print("weft sql: needs DuckDB: pip install 'weft[sql]' (or duckdb)", file=sys.stderr)
        return 2
    con, found = connect(args.output)
    if not found and not stage_stats(args.output):
        print(f"weft sql: no weft tables under {args.output}", file=sys.stderr)
        return 2
    if args.command is None:
        return shell(con, found)
    try:
        run_query(con, args.command, args.format)
    except Exception as e:
        print(f"weft sql: {e}", file=sys.stderr)
        return 1
    return 0
