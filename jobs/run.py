"""`weft run --input WARCS... --output OUT`: the whole pipeline in one Spark application.

extract (OUT/extract) -> filter (OUT/filter/{kept,rejected}) -> dedup (OUT/dedup/{kept,duplicates}).
Each stage is also a job of its own (`weft extract|filter|dedup`), reads the previous stage's Parquet and is
resumable, so a failed run is continued by running the same command again.
"""
from __future__ import annotations

import argparse
import json
import os

from engine.output import join, resolve
from engine.stats import StageStats

STAGES = ("extract", "filter", "dedup")


def stage_argv(stage: str, args, passthrough: list[str]) -> list[str]:
    common = ["--output", args.output, *passthrough]
    if stage == "extract":
        extra = ["--limit", str(args.limit)] if args.limit is not None else []
        return ["--input", *args.input, *extra, *common]
    source = {"filter": "extract", "dedup": "filter/kept"}[stage]
    return ["--input", join(args.output, source), *common]


def read_stats(output: str, stage: str) -> StageStats | None:
    fs, path = resolve(join(output, "stats", f"{stage}.json"))
    try:
        with fs.open_input_stream(path) as f:
            return StageStats.from_dict(json.loads(f.read()))
    except FileNotFoundError:
        return None


def funnel(output: str) -> str:
    lines = ["funnel:"]
    for stage in STAGES:
        stats = read_stats(output, stage)
        if stats is not None:
            lines.append(stats.funnel())
    return "\n".join(lines)


def main(argv=None) -> int:
    import importlib

    p = argparse.ArgumentParser(prog="weft run", description=__doc__)
    p.add_argument("--input", nargs="+", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--limit", type=int)
    p.add_argument("--until", choices=STAGES, default=STAGES[-1], help="last stage to run")
    args, passthrough = p.parse_known_args(argv)
    if "://" not in args.output:
        args.output = os.path.abspath(args.output)
    for stage in STAGES[: STAGES.index(args.until) + 1]:
        print(f"== {stage}")
        code = importlib.import_module(f"jobs.{stage}").main(stage_argv(stage, args, passthrough))
        if code:
            return code
    print(funnel(args.output))
    return 0
