"""Kill and rerun (issue 11): SIGKILL the driver, or one executor's Python worker, in the middle of each stage,
run the same command again, and the output must equal an uninterrupted run's: every table compared by a content
hash of its sorted rows, stats compared on every count (timings and resume counters aside), and
in = kept + dropped + failed in every run. Two runs of one command on one output: the second stops (exit 75).

'Middle' is observed, never guessed by sleeping: a progress record written while a worker still holds an input
file open (extract, filter), Spark's dedup/kept/_temporary appearing (dedup), a worker of the stage in the
middle of a task (it holds the stage's input open, or is running on a CPU) for the worker kills, and a
"Lost task" warning in Spark's log proving the kill hit a task.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from tests.conftest import DATA, ROOT

pytestmark = [pytest.mark.spark, pytest.mark.slow]

WARC_DIR = DATA / "warc"
WARCS = [str(WARC_DIR / p) for p in (
    "resiliparse/warcfile.warc.gz", "ukwa/flashfrozen-jwat-recompressed.warc.gz", "node-warc/books.toscrape.warc",
    "resiliparse/clueweb-quirk.warc.gz", "cc-whirlwind/whirlwind.warc.gz", "pywb/dupes.warc.gz")]
TABLES = {"extract": ["extract", "warc_images"], "filter": ["filter/kept", "filter/rejected"],
          "dedup": ["dedup/kept", "dedup/duplicates"]}
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "WEFT_SHUFFLE_PARTITIONS": "2"}
TIMEOUT = 400  # per command, on a loaded 2-core machine


def weft(stage: str, out: Path, master: str = "local[2]") -> list[str]:
    # the image stage reads the WARCs' own images only: tests send no packet beyond 127.0.0.1
    source = {"run": ["--input", *WARCS, "--set", "images.job.download=false"], "extract": ["--input", *WARCS],
              "filter": ["--input", str(out / "extract")], "dedup": ["--input", str(out / "filter" / "kept")]}
    return [sys.executable, "-m", "jobs.cli", stage, "--master", master, *source[stage], "--output", str(out)]


# ---------------------------------------------------------------------------------------------------------------
# processes, from /proc (only our own: other Spark jobs may run on this machine)
def _stat(pid: int) -> tuple[str, int] | None:
    """(state, ppid) of a process, None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] != "Z"


def descendants(root: int) -> list[int]:
    parent = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (st := _stat(int(name))) is not None:
            parent[int(name)] = st[1]
    found, frontier = [], {root}
    while frontier:
        frontier = {pid for pid, ppid in parent.items() if ppid in frontier}
        found += frontier
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def python_workers(root: int) -> list[int]:
    """PySpark workers under `root`: the processes the pyspark daemon forks, one per running task."""
    daemons = {p for p in descendants(root) if "pyspark.daemon" in _cmdline(p)}
    return [p for p in daemons if (st := _stat(p)) and st[1] in daemons]


def holds_open(pid: int, under: str) -> bool:
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(under):
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False


class Run:
    """A weft command in its own process group, stdout/stderr to files that the test can watch while it runs."""

    def __init__(self, cmd: list[str], log: Path, env: dict | None = None):
        self.log = log
        self.out_path, self.err_path = log.with_suffix(".out"), log.with_suffix(".err")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env or ENV, stdout=out, stderr=err,
                                         start_new_session=True)
        self.pid, self.started = self.proc.pid, time.monotonic()

    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def wait_for(self, what: str, predicate, timeout: float = TIMEOUT, poll: float = 0.005):
        """Poll until predicate() is truthy (returns it); fail if the command ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := predicate():
                return value
            if self.proc.poll() is not None:
                pytest.fail(f"command ended (rc {self.proc.returncode}) before {what}:\n{self.stderr()[-3000:]}")
            time.sleep(poll)
        pytest.fail(f"timed out waiting for {what}")

    def kill(self) -> None:
        """SIGKILL the driver's process group, then whatever it started elsewhere (pyspark's daemon makes its own
        group), and wait until all of it is gone: nothing of the killed run may write after this."""
        family = descendants(self.pid)
        os.killpg(self.pid, signal.SIGKILL)
        self.proc.wait()
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while any(alive(p) for p in family) and time.monotonic() < deadline:
            time.sleep(0.05)

    def finish(self, timeout: float = TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"{self.log.name} did not finish in {timeout} s")


def run_ok(cmd: list[str], log: Path, env: dict | None = None) -> Run:
    run = Run(cmd, log, env)
    assert run.finish() == 0, run.stderr()[-3000:]
    return run


# ---------------------------------------------------------------------------------------------------------------
# what "the same output" means
def _canon(value):
    if isinstance(value, bytes):
        return "b:" + hashlib.sha1(value).hexdigest()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def table_digest(path: Path) -> tuple[int, str]:
    """(rows, sha256 of the sorted canonical JSON rows), partition columns included. pyarrow's dataset skips
    names starting with '.' or '_' (temporaries, Spark's _temporary and _SUCCESS), as every reader here does."""
    rows = ds.dataset(str(path), format="parquet", partitioning="hive").to_table().to_pylist()
    lines = sorted(json.dumps(r, sort_keys=True, default=_canon) for r in rows)
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def stats_of(out: Path, stage: str) -> dict:
    """A stage's stats without timings and resume counters; checks the accounting identity on the way."""
    s = json.loads((out / "stats" / f"{stage}.json").read_text())
    assert s["records_in"] == s["kept"] + sum(s["dropped"].values()) + sum(s["failed"].values()), s
    by = {k: v for k, v in s["by"].items() if k != "cpu_s"}
    return {k: s[k] for k in ("records_in", "kept", "dropped", "failed", "bytes_in", "bytes_out", "files_failed",
                              "side_outputs")} | {"by": by}


def glob_rows(path: Path) -> int:
    """Rows a plain glob reader sees: DuckDB does not skip hidden files or _temporary, so any leftover of a
    killed task (a partial .tmp-*.parquet, Spark's uncommitted part files) shows up here as an error or extra rows."""
    import duckdb

    return duckdb.sql(f"select count(*) from read_parquet('{path}/**/*.parquet')").fetchall()[0][0]


def assert_same_output(out: Path, base: Path, stages) -> None:
    for stage in stages:
        assert stats_of(out, stage) == stats_of(base, stage), stage
        for table in TABLES[stage]:
            digest = table_digest(out / table)
            assert digest == table_digest(base / table), table
            assert glob_rows(out / table) == digest[0], table
    assert not list(out.rglob(".tmp-*")) and not list(out.rglob("_temporary")), "leftovers of the killed run"
    assert not (out / "_lock").exists(), "the lock is released when the run ends"


def progress(out: Path, stage: str) -> int:
    d = out / "_progress" / stage
    return len([p for p in d.iterdir() if p.suffix == ".json" and not p.name.startswith(".")]) if d.is_dir() else 0


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """One uninterrupted `weft run`, the reference for every test here."""
    out = tmp_path_factory.mktemp("kill") / "base"
    run_ok(weft("run", out), out.with_suffix(".log"))
    for stage in TABLES:
        assert table_digest(out / TABLES[stage][0])[0] > 0, f"{stage} wrote nothing: a vacuous comparison"
    return out


def seeded(tmp_path: Path, base: Path, name: str, *tables: str) -> Path:
    """A fresh output root holding the baseline's input tables of a stage (the earlier stages' output)."""
    out = tmp_path / name
    for table in tables:
        shutil.copytree(base / table, out / table)
    return out


# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["extract", "filter"])
def test_driver_killed_mid_file_stage_then_rerun_is_identical(stage, base, tmp_path):
    out = seeded(tmp_path, base, stage, *([] if stage == "extract" else ["extract"]))
    cmd = weft(stage, out)
    reading = str(WARC_DIR) if stage == "extract" else str(out / "extract")
    killed = Run(cmd, tmp_path / "killed.log")
    # Middle: some inputs are done (progress records) while a worker is still reading another one.
    killed.wait_for("a progress record with a task in flight", lambda: progress(out, stage) and any(
        holds_open(w, reading) for w in python_workers(killed.pid)))
    killed.kill()
    inputs = len(WARCS) if stage == "extract" else len(list((out / "extract").rglob("*.parquet")))
    done = progress(out, stage)
    assert 0 < done < inputs, f"the kill should land half way ({done} of {inputs} done)"
    assert not (out / "stats" / f"{stage}.json").exists()

    run_ok(cmd, tmp_path / "rerun.log")
    files = json.loads((out / "stats" / f"{stage}.json").read_text())["files"]
    assert files["skipped_done"] == done, files  # the rerun did only the rest
    assert_same_output(out, base, [stage])


def test_driver_killed_while_dedup_writes_then_rerun_is_identical(base, tmp_path):
    out = seeded(tmp_path, base, "dedup", "filter/kept")
    cmd = weft("dedup", out)
    killed = Run(cmd, tmp_path / "killed.log")
    killed.wait_for("Spark writing dedup/kept", lambda: (out / "dedup" / "kept" / "_temporary").exists())
    killed.kill()
    assert not (out / "stats" / "dedup.json").exists()
    leftovers = sorted(str(p.relative_to(out)) for p in out.rglob("_temporary"))
    assert leftovers, "the kill landed before Spark's write, not during it"

    run_ok(cmd, tmp_path / "rerun.log")
    assert_same_output(out, base, ["dedup"])
    # The overwrite replaced the killed run's directory: a plain glob (DuckDB, which does not skip _temporary)
    # sees exactly the rows that the stats count (assert_same_output compared the tables themselves).
    assert glob_rows(out / "dedup" / "kept") == stats_of(out, "dedup")["kept"], leftovers


def test_python_worker_killed_in_each_stage_job_retries_and_matches(base, tmp_path):
    """One `weft run` on local[2,4] (Spark retries a failed task up to 4 times); in each stage one Python worker
    is SIGKILLed while it runs a task. The run must finish with the baseline's output."""
    out = tmp_path / "run"
    # extract.batch_rows=1: a task writes its Parquet from the first document on, so the kill lands mid-write
    # and leaves a partial .tmp-* file behind (row groups differ from the baseline's; rows may not).
    cmd = weft("run", out, "local[2,4]") + ["--set", "extract.batch_rows=1"]
    run = Run(cmd, tmp_path / "run.log", {**ENV, "WEFT_SPARK_LOG_LEVEL": "WARN"})
    busy = {
        "extract": lambda w: holds_open(w, str(out / "extract" / "crawl=")) and holds_open(w, str(WARC_DIR)),
        "filter": lambda w: holds_open(w, str(out / "extract")),
        "dedup": lambda w: _stat(w) is not None and _stat(w)[0] == "R",  # computing keys/bands/pairs
    }
    killed = {}
    for stage in TABLES:
        run.wait_for(f"== {stage}", lambda: f"== {stage}" in run.stdout(), poll=0.05)
        for attempt in range(20):  # a worker can finish its task between our look and our kill: then try again
            lost = run.stderr().count("Lost task")
            pid = run.wait_for(f"a busy {stage} worker",
                               lambda: next((w for w in python_workers(run.pid) if busy[stage](w)), None))
            os.kill(pid, signal.SIGKILL)
            try:
                run.wait_for("Spark to notice", lambda: run.stderr().count("Lost task") > lost, timeout=5)
            except pytest.fail.Exception:
                continue
            killed[stage] = attempt + 1
            break
        assert stage in killed, f"no {stage} task was hit by 20 worker kills"
    assert run.finish() == 0, run.stderr()[-3000:]
    assert "Python worker exited unexpectedly" in run.stderr()
    assert_same_output(out, base, TABLES)


def test_second_run_on_same_output_fails_fast_and_output_stays_identical(base, tmp_path):
    out = seeded(tmp_path, base, "filter", "extract")
    cmd = weft("filter", out)
    first = Run(cmd, tmp_path / "first.log")
    lock = out / "_lock"
    first.wait_for("the first run to hold the lock",
                   lambda: lock.exists() and f'"pid": {first.pid}' in lock.read_text(), poll=0.05)
    second = Run(cmd, tmp_path / "second.log")
    assert second.finish(timeout=60) == 75
    assert time.monotonic() - second.started < 30, "the second run must stop before starting Spark"
    assert "locked by another weft run" in second.stderr() and f"pid={first.pid}" in second.stderr()
    assert first.finish() == 0, first.stderr()[-3000:]
    assert_same_output(out, base, ["filter"])
