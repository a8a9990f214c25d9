"""The job base every stage extends (cc-pyspark's idea, with resume, atomic outputs and accounting).

`Job` owns what every stage shares: arguments, config, the SparkSession, writing stats/<stage>.json, printing
the funnel. `FileJob` adds the per-file model used by extract and filter: one Spark task per input file (the unit
of retry and of resume). A task writes its outputs atomically, then a progress record
(`<output>/_progress/<stage>/<key>.json`) holding its StageStats; a rerun skips every input that has one and
merges the recorded stats, so killing a job and running the same command again yields the same rows and stats.

Spark sees Arrow only: the list of inputs becomes a DataFrame with one row per partition and the task runs inside
`mapInArrow`, returning one summary row per file.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from typing import Callable, Iterator

import pyarrow as pa

from engine.config import ConfigError, load_config, provenance, typed
from engine.io.fs import join, resolve
from engine.io.output import AtomicParquetWriter, ParquetOptions, write_bytes_atomic, write_effective_config
from engine.stats import StageStats
from jobs.progress import StageProgress, file_summary

# Exit codes of every stage (and of `weft run`), for schedulers: 0 done (failed inputs, if any, are listed in
# stats/failed_inputs.json and retried by the next run), 1 an error stopped the job, 2 bad arguments,
# 3 every input of the stage failed (nothing to pass on), 4 some inputs failed and --fail-on-input-errors was set.
EXIT_ALL_INPUTS_FAILED = 3
EXIT_INPUT_ERRORS = 4
# The stages `weft run` chains, in order (each is jobs/<stage>.py and writes OUT/stats/<stage>.json).
STAGES = ("extract", "filter", "dedup", "images", "degrade")

class Job:
    name = "job"
    description = ""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Stage-specific arguments."""

    def run(self, spark, args, config: dict) -> StageStats:
        raise NotImplementedError

    # ------------------------------------------------------------------------------------------------------
    def parser(self) -> argparse.ArgumentParser:
        p = argparse.ArgumentParser(prog=f"weft {self.name}", description=self.description)
        p.add_argument("--output", required=True, help="output root (local dir or s3://bucket/prefix)")
        p.add_argument("--config", help="YAML file merged over config/defaults.yaml")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override one config value, e.g. --set extract.parser=warcio")
        p.add_argument("--master", help="Spark master (default local[*], or what spark-submit set)")
        p.add_argument("--wait-lock", type=float, default=0, metavar="SECONDS",
                       help="if another run holds this output's lock, wait up to SECONDS (default: fail, exit 75)")
        p.add_argument("--log-format", choices=("text", "json"), default="text",
                       help="text: a progress bar when stderr is a terminal; json: JSON lines on stdout (stage, "
                            "file, counts, timings) for log systems, human output on stderr")
        p.add_argument("--fail-on-input-errors", action="store_true",
                       help=f"exit {EXIT_INPUT_ERRORS} when any input failed (default: finish, list them in "
                            f"stats/failed_inputs.json, exit 0; exit {EXIT_ALL_INPUTS_FAILED} only when all failed)")
        self.add_arguments(p)
        return p

    def main(self, argv: list[str] | None = None) -> int:
        args = self.parser().parse_args(argv)
        try:
            config = load_config(args.config, args.set)
        except ConfigError as e:  # a typo in a key: say which, before any work (argparse's exit code for usage)
            print(f"weft {self.name}: {e}", file=sys.stderr)
            return 2
        from engine.lock import EX_TEMPFAIL, LockHeld, OutputLock
        from jobs.spark import get_spark

        try:  # before Spark starts, so a second run on this output fails in a second (re-entrant for weft run)
            lock = OutputLock(args.output, wait_s=args.wait_lock).acquire()
        except LockHeld as e:
            print(f"weft {self.name}: {e}", file=sys.stderr)
            return EX_TEMPFAIL
        with lock:
            spark = get_spark(f"weft-{self.name}", args.master, config["spark"]["conf"])
            wall = time.perf_counter()
            self.progress = StageProgress(spark.sparkContext, self.name, args.log_format)
            with self.progress.human_output():
                with self.progress:
                    stats = self.run(spark, args, config)
                # A task attempt killed mid-write (its retry succeeded) leaves a partial hidden .tmp-*.parquet that
                # glob readers such as DuckDB do not skip; every attempt of this run has ended by now.
                sweep_temporaries(args.output)
                stats.wall_s = time.perf_counter() - wall
                stats.cores = spark.sparkContext.defaultParallelism
                write_stats(args.output, stats)
                write_effective_config(args.output, self.name, recorded(config, args))
                print(stats.funnel())
                stats.check()
                code = self.exit_code(args)
            self.progress.done(stats.to_dict(), code)
            return code

    def exit_code(self, args) -> int:
        """0, or why a scheduler should stop here (see EXIT_*)."""
        return 0


def recorded(config: dict, args) -> dict:
    """The effective config as OUT/_config/<stage>.yaml records it: provenance first, then every section."""
    return {**provenance(args.config, args.set), **config}


class FileJob(Job):
    """One task per input file, resumable. An input whose task failed gets no progress record, so running the
    same command again retries exactly the failed inputs; they are listed in OUT/stats/failed_inputs.json."""

    failed_inputs: list[dict]
    repeated_inputs: list[tuple[str, str]] = []  # (as listed, the input it repeats): processed once

    def inputs(self, args, config: dict) -> list[str]:
        raise NotImplementedError

    def task(self, args, config: dict) -> Callable[[str], StageStats]:
        """A picklable function run on a worker for one input path. It writes its outputs atomically and returns
        its stats; it must not raise for bad input (count it instead)."""
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("--redo", action="store_true", help="ignore progress records and process every input")

    def run(self, spark, args, config) -> StageStats:
        inputs = self.inputs(args, config)
        progress_dir = join(args.output, "_progress", self.name)
        done = {} if getattr(args, "redo", False) else read_progress(progress_dir)
        todo = [p for p in inputs if progress_key(p) not in done]
        sweep_temporaries(args.output)
        total = StageStats(self.name)
        for path in inputs:
            if progress_key(path) in done:
                total += done[progress_key(path)]
                total.files["skipped_done"] += 1
        self.failed_inputs = []
        if todo:
            fn = self.task(args, config)
            rdd = spark.sparkContext.parallelize(list(enumerate(todo)), numSlices=len(todo))
            df = spark.createDataFrame(rdd, "idx long, path string")
            progress = getattr(self, "progress", None)  # None when run() is called without main()
            events = progress.files(len(todo), len(inputs) - len(todo)) if progress else None
            runner = _TaskRunner(fn, progress_dir, events)
            for row in df.mapInArrow(runner, "path string, stats string").collect():
                stats = StageStats.from_dict(json.loads(row["stats"]))
                total += stats
                if stats.files_failed:
                    self.failed_inputs.append({"input": row["path"], "reasons": dict(stats.files_failed),
                                               "records_failed": stats.failed_total})
        self.failed_inputs.sort(key=lambda f: f["input"])
        total.files["inputs"] = len(inputs)
        if self.repeated_inputs:
            total.files["repeated_inputs"] = len(self.repeated_inputs)
        write_failed_inputs(args.output, self.name, self.failed_inputs, self.repeated_inputs)
        self.all_failed = bool(inputs) and len(self.failed_inputs) == len(inputs)
        print(describe_failed_inputs(self.name, self.failed_inputs, self.repeated_inputs, self.all_failed), end="")
        return total

    def exit_code(self, args) -> int:
        if self.all_failed:
            return EXIT_ALL_INPUTS_FAILED
        if self.failed_inputs and args.fail_on_input_errors:
            return EXIT_INPUT_ERRORS
        return 0


class _TaskRunner:
    """Executed inside mapInArrow: run the task per input path, then commit its progress record."""

    def __init__(self, fn: Callable[[str], StageStats], progress_dir: str, events=None):
        self.fn, self.progress_dir, self.events = fn, progress_dir, events  # events: jobs.progress accumulator

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            paths, out = batch.column("path").to_pylist(), []
            for path in paths:
                stats = self.fn(path)
                stats.files["processed"] += 1
                record = stats.to_dict()
                if not stats.files_failed:  # a failed input stays to do: the next run retries it
                    write_bytes_atomic(join(self.progress_dir, progress_key(path) + ".json"),
                                       json.dumps({"input": path, "stats": record}).encode())
                out.append(json.dumps(record))
                if self.events is not None:
                    self.events.add([file_summary(path, stats)])
            yield pa.RecordBatch.from_pydict({"path": paths, "stats": out})


class FileOutputs:
    """The Parquet files one task writes for one input file: one per (table, partition), opened lazily and
    committed together, so a failed input leaves nothing behind and its progress record is never written."""

    def __init__(self, output: str, stem: str, options: ParquetOptions):
        self.output, self.stem, self.options = output, stem, options
        self.writers: dict[tuple, AtomicParquetWriter] = {}

    def write(self, table: str, partitions: tuple[tuple[str, str], ...], data, schema, validate: bool = True):
        key = (table, partitions)
        if key not in self.writers:
            parts = [f"{k}={v or 'unknown'}" for k, v in partitions]
            uri = join(self.output, table, *parts, f"{self.stem}.parquet")
            self.writers[key] = AtomicParquetWriter(uri, schema, self.options, validate=validate)
        self.writers[key].write(data)

    def commit(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def abort(self) -> None:
        for writer in self.writers.values():
            writer.abort()


def fail_file(stats: StageStats, exc: BaseException) -> None:
    """A task could not finish its input file. Nothing of it was committed, so every record read from it is
    accounted as failed (with the error's type), and the file itself is counted in files_failed."""
    reason = type(exc).__name__
    stats.files_failed[f"error:{reason}"] += 1
    unwritten = stats.records_in - stats.failed_total
    stats.kept = 0
    stats.dropped.clear()
    stats.by.clear()
    if unwritten:
        stats.fail(f"file_error:{reason}", unwritten)


def parquet_options(config: dict) -> ParquetOptions:
    return typed(ParquetOptions, config["output"], "output")


def progress_key(path: str) -> str:
    """File name of an input's progress record: readable basename plus a hash of the full path."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    return f"{base}.{hashlib.sha1(path.encode()).hexdigest()[:10]}"


def read_progress(progress_dir: str) -> dict[str, StageStats]:
    import pyarrow.fs as pafs

    fs, path = resolve(progress_dir)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return {}
    done = {}
    for info in fs.get_file_info(pafs.FileSelector(path)):
        if info.base_name.endswith(".json") and not info.base_name.startswith("."):
            with fs.open_input_stream(info.path) as f:
                record = json.loads(f.read())
            done[info.base_name[: -len(".json")]] = StageStats.from_dict(record["stats"])
    return done


def sweep_temporaries(output: str) -> int:
    """Remove what killed runs left behind: hidden .tmp-* files locally, incomplete (invisible, billed) multipart
    uploads on S3. The job holds the output's lock (engine/lock.py), so nothing else can be writing them."""
    if output.startswith("s3://"):
        from engine.io.s3 import abort_stale_uploads

        return abort_stale_uploads(output)
    if "://" in output or not os.path.isdir(output):
        return 0
    removed = 0
    for dirpath, _, filenames in os.walk(output):
        for name in filenames:
            if name.startswith(".tmp-"):
                os.remove(os.path.join(dirpath, name))
                removed += 1
    return removed


def write_stats(output: str, stats: StageStats) -> None:
    write_bytes_atomic(join(output, "stats", f"{stats.stage}.json"), json.dumps(stats.to_dict(), indent=2).encode())


def output_name(path: str) -> str:
    """WARC/Parquet path -> output file stem (CC names are unique; the hash guards against equal basenames)."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    for ext in (".warc.gz", ".arc.gz", ".warc.lz4", ".warc", ".arc", ".parquet", ".gz"):
        if base.endswith(ext):
            base = base[: -len(ext)]
            break
    return f"{base}-{hashlib.sha1(path.encode()).hexdigest()[:8]}"


FAILED_INPUTS = "failed_inputs.json"


def write_failed_inputs(output: str, stage: str, failed: list[dict], repeated: list[tuple[str, str]]) -> None:
    """OUT/stats/failed_inputs.json: per stage, the inputs that failed (with reasons) and those listed twice.
    Each stage rewrites its own section, so the file always describes the latest run of every stage."""
    uri = join(output, "stats", FAILED_INPUTS)
    report = read_json(uri) or {}
    report[stage] = {"failed": failed, "repeated": [{"input": a, "same_as": b} for a, b in repeated],
                     "retry": "run the same command again: only inputs without a progress record are processed"}
    write_bytes_atomic(uri, json.dumps(report, indent=2).encode())


def describe_failed_inputs(stage: str, failed: list[dict], repeated: list[tuple[str, str]], all_failed: bool,
                           most: int = 20) -> str:
    lines = []
    if repeated:
        lines.append(f"{stage}: {len(repeated)} input(s) listed more than once, processed once")
        lines += [f"  {a} (same as {b})" for a, b in repeated[:most]]
    if failed:
        head = "every input failed" if all_failed else f"{len(failed)} input(s) failed"
        lines.append(f"{stage}: {head} (stats/{FAILED_INPUTS}; rerun the same command to retry them):")
        lines += [f"  {f['input']}: {', '.join(f'{r} x{n}' if n > 1 else r for r, n in f['reasons'].items())}"
                  for f in failed[:most]]
        if len(failed) > most:
            lines.append(f"  ... and {len(failed) - most} more")
    return "".join(line + "\n" for line in lines)


def read_json(uri: str):
    """A small JSON file from local or S3 output, or None when it does not exist."""
    fs, path = resolve(uri)
    try:
        with fs.open_input_stream(path) as f:
            return json.loads(f.read())
    except FileNotFoundError:
        return None


def stage_stats(output: str) -> dict[str, dict]:
    """OUT/stats/<stage>.json of every stage that ran, in pipeline order (raw dicts; StageStats.from_dict reads one)."""
    return {s: d for s in STAGES if (d := read_json(join(output, "stats", f"{s}.json"))) is not None}


def run_job(job: Job) -> None:
    """Entry point for `spark-submit jobs/<stage>.py ...`."""
    sys.exit(job.main(sys.argv[1:]))
