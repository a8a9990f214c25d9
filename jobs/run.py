"""`weft run --input WARCS... --output OUT`: the whole pipeline in one Spark application.

extract (OUT/extract) -> filter (OUT/filter/{kept,rejected}) -> dedup (OUT/dedup/{kept,duplicates}) -> images
(OUT/images/store, OUT/docs) -> degrade (OUT/views/{text,pairs}, OUT/exports/{webdataset,mmc4}), then the run
report OUT/report.html (jobs/report.py; also for a run stopped early with --until).
Each stage is also a job of its own (`weft extract|filter|dedup|images|degrade`), reads the previous stage's Parquet
and is resumable, so a failed run is continued by running the same command again.
"""
from __future__ import annotations

import argparse
import functools
import os
import sys

from engine.io.fs import join
from engine.stats import StageStats
from jobs.base import (EXIT_ALL_INPUTS_FAILED, EXIT_INPUT_ERRORS, FAILED_INPUTS, STAGES, describe_failed_inputs,
                       read_json)


def stage_argv(stage: str, args, passthrough: list[str]) -> list[str]:
    common = ["--output", args.output, *passthrough]
    if stage == "extract":
        extra = ["--limit", str(args.limit)] if args.limit is not None else []
        return ["--input", *args.input, *extra, *common]
    source = {"filter": "extract", "dedup": "filter/kept", "images": "dedup/kept", "degrade": "docs"}[stage]
    return ["--input", join(args.output, source), *common]


def read_stats(output: str, stage: str) -> StageStats | None:
    data = read_json(join(output, "stats", f"{stage}.json"))
    return None if data is None else StageStats.from_dict(data)


def funnel(output: str) -> str:
    lines = ["funnel:"]
    inputs = read_json(join(output, "stats", FAILED_INPUTS)) or {}
    for stage in STAGES:
        stats = read_stats(output, stage)
        if stats is not None:
            lines.append(stats.funnel())
            section = inputs.get(stage, {})
            repeated = [(r["input"], r["same_as"]) for r in section.get("repeated", [])]
            lines.append(describe_failed_inputs(stage, section.get("failed", []), repeated, False).rstrip("\n"))
    return "\n".join(line for line in lines if line)


def main(argv=None) -> int:
    import importlib

    p = argparse.ArgumentParser(prog="weft run", description=__doc__)
    p.add_argument("--input", nargs="+", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--limit", type=int)
    p.add_argument("--until", choices=STAGES, default=STAGES[-1], help="last stage to run")
    p.add_argument("--wait-lock", type=float, default=0, metavar="SECONDS",
                   help="if another run holds this output's lock, wait up to SECONDS (default: fail, exit 75)")
    p.add_argument("--log-format", choices=("text", "json"), default="text",
                   help="json: every stage writes JSON lines to stdout (jobs/progress.py), the rest goes to stderr")
    p.add_argument("--no-report", action="store_true", help="skip OUT/report.html after the last stage")
    args, passthrough = p.parse_known_args(argv)
    passthrough += ["--log-format", args.log_format]
    # stdout is the stages' JSON lines in json mode: the run's own words go to stderr then
    say = functools.partial(print, file=sys.stderr if args.log_format == "json" else sys.stdout)
    if "://" not in args.output:
        args.output = os.path.abspath(args.output)
    from engine.lock import EX_TEMPFAIL, LockHeld, OutputLock

    try:  # held for the whole chain, so no other run slips in between stages; each stage's main re-enters it
        lock = OutputLock(args.output, wait_s=args.wait_lock).acquire()
    except LockHeld as e:
        print(f"weft run: {e}", file=sys.stderr)
        return EX_TEMPFAIL
    with lock:
        for stage in STAGES[: STAGES.index(args.until) + 1]:
            say(f"== {stage}")
            code = importlib.import_module(f"jobs.{stage}").main(stage_argv(stage, args, passthrough))
            if code:
                why = {EXIT_ALL_INPUTS_FAILED: "every input failed",
                       EXIT_INPUT_ERRORS: "inputs failed"}.get(code, "error")
                say(f"weft run: stopped after {stage} ({why}, exit {code})")
                return code
        say(funnel(args.output))
        if not args.no_report:
            from jobs.report import write_report

            say(f"report: {write_report(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
