"""What a running stage tells people and log systems, from the driver.

Text (default): a progress bar on stderr while the stage runs, only when stderr is a terminal (tqdm): files done of
total, records/s and ETA for the per-file stages; Spark tasks done of total for the others. Nothing otherwise, so
logs and pipes stay clean.

JSON (`--log-format json`, for cluster runs): stdout carries only JSON lines, one per event, and the human output
(funnel, notes) moves to stderr:
  {"event": "start", "stage", "files_total", "files_resumed"}      per-file stages, before the first task
  {"event": "file", "stage", "file", "records_in", "kept", "dropped_total", "failed_total", "wall_s", "cpu_s",
   "files_done", "files_total", "records_per_s", "eta_s"}          each input file as its task completes
  {"event": "tasks", "stage", "tasks_done", "tasks_total"}        other stages, at most every TASKS_EVERY_S
  {"event": "stage", "stage", <every field of stats/<stage>.json>, "exit_code"}   when the stage ends
Every line also has "ts" (UTC, ISO 8601) and "elapsed_s".

Cheap by construction: a file task adds its summary (a few numbers) to a Spark accumulator, which Spark sends
with the task's result anyway; one driver thread reads it twice a second. Spark's status tracker (a JVM call) is
asked only for stages without files, and only when someone is watching (a terminal or JSON).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import threading
import time

TASKS_EVERY_S = 10.0  # JSON "tasks" events: often enough to chart, rare enough for a log system
POLL_S = 0.5


class _ListParam:
    """Spark AccumulatorParam (duck-typed, so importing this module imports no pyspark): concatenates lists."""

    def zero(self, value):
        return []

    def addInPlace(self, a, b):
        a.extend(b)
        return a


def file_summary(path: str, stats) -> dict:
    return {"file": path, "records_in": stats.records_in, "kept": stats.kept, "dropped_total": stats.dropped_total,
            "failed_total": stats.failed_total, "wall_s": round(stats.wall_s, 3), "cpu_s": round(stats.cpu_s, 3)}


class StageProgress:
    """Context manager around one stage's run on the driver (see the module docstring)."""

    def __init__(self, sc, stage: str, log_format: str = "text", stream=None):
        self.sc, self.stage, self.json = sc, stage, log_format == "json"
        self.out = stream or sys.stdout  # JSON events: the real stdout, captured before human output is redirected
        self.watching = self.json or getattr(sys.stderr, "isatty", lambda: False)()
        self.start = time.monotonic()
        self.accumulator = None
        self.files_total = self.emitted = 0
        self.records = 0
        self._bar = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_tasks: tuple[int, int] | None = None
        self._last_tasks_at = 0.0

    # -- the stage's side --------------------------------------------------------------------------------------
    def files(self, total: int, resumed: int = 0):
        """A per-file stage is about to run `total` files: returns the accumulator its tasks add summaries to."""
        self.files_total = total
        self.accumulator = self.sc.accumulator([], _ListParam())
        self.event("start", files_total=total, files_resumed=resumed)
        if self._bar is not None:
            self._bar.unit = "file"
            self._bar.reset(total=total)
        return self.accumulator

    def done(self, stats_dict: dict, exit_code: int) -> None:
        self.event("stage", **stats_dict, exit_code=exit_code)

    def human_output(self):
        """Where print() goes while the stage runs: stderr in JSON mode (stdout is for the JSON lines)."""
        return contextlib.redirect_stdout(sys.stderr) if self.json else contextlib.nullcontext()

    # -- events --------------------------------------------------------------------------------------------------
    def event(self, name: str, **fields) -> None:
        if not self.json:
            return
        record = {"ts": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"), "event": name,
                  "stage": self.stage, "elapsed_s": round(time.monotonic() - self.start, 3), **fields}
        with self._lock:
            self.out.write(json.dumps(record, default=str) + "\n")
            self.out.flush()

    def _drain_files(self) -> None:
        """Report the file summaries that arrived since the last call."""
        if self.accumulator is None:
            return
        with self._lock:
            new = self.accumulator.value[self.emitted:]
            self.emitted += len(new)
            done = self.emitted
        elapsed = max(time.monotonic() - self.start, 1e-9)
        for i, summary in enumerate(new, start=done - len(new) + 1):
            self.records += summary["records_in"]
            rate = self.records / elapsed
            eta = elapsed / i * (self.files_total - i) if i else None
            self.event("file", **summary, files_done=i, files_total=self.files_total,
                       records_per_s=round(rate, 1), eta_s=None if eta is None else round(eta, 1))
        if new and self._bar is not None:
            self._bar.update(len(new))
            self._bar.set_postfix_str(f"{self.records / elapsed:,.0f} rec/s", refresh=True)

    def _poll_tasks(self) -> None:
        tracker = self.sc.statusTracker()
        done = total = 0
        for sid in tracker.getActiveStageIds():
            info = tracker.getStageInfo(sid)
            if info is not None:
                done, total = done + info.numCompletedTasks, total + info.numTasks
        if self._bar is not None and total:
            if self._bar.total != total:
                self._bar.reset(total=total)
            self._bar.n = done
            self._bar.refresh()
        now = time.monotonic()
        if total and (done, total) != self._last_tasks and now - self._last_tasks_at >= TASKS_EVERY_S:
            self._last_tasks, self._last_tasks_at = (done, total), now
            self.event("tasks", tasks_done=done, tasks_total=total)

    def _loop(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                if self.accumulator is not None:
                    self._drain_files()
                else:
                    self._poll_tasks()
            except Exception:  # progress must never break a run (e.g. the context stopping under us)
                pass

    def __enter__(self) -> "StageProgress":
        if self.watching:
            if not self.json:
                try:
                    from tqdm import tqdm

                    self._bar = tqdm(desc=self.stage, unit="task", file=sys.stderr, leave=False, dynamic_ncols=True)
                except ImportError:  # tqdm missing: a run without a bar, not a failed run
                    self._bar = None
            self._thread = threading.Thread(target=self._loop, name=f"weft-progress-{self.stage}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.watching:
            self._drain_files()  # the last files, so every file has its line
        if self._bar is not None:
            self._bar.close()
