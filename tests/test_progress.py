"""Progress and JSON logs (jobs/progress.py).

- The JSON lines every stage of the pipeline run of tests/test_report.py wrote: each line parses, each stage's
  `stage` event equals its stats/<stage>.json, the per-file events of the per-file stages add up to the stage's
  counts with files_done counting 1..n.
- `weft run --log-format json` (stopped after extract): stdout is JSON lines only, its own words and the funnel go
  to stderr, and no progress bar is drawn when stderr is not a terminal; the run still writes its report.
- On a real terminal (a pty as stderr) the bar shows files done of total and records/s.
"""
from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import sys
import termios
import threading

import pytest

from tests.conftest import DATA
from tests.test_report import STAGES, pipeline_output

TWO_WARCS = [str(DATA / "warc/resiliparse/warcfile.warc.gz"), str(DATA / "warc/node-warc/books.toscrape.warc")]
COUNTS = ("records_in", "kept", "dropped_total", "failed_total")


def events(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.slow
def test_json_lines_equal_the_stats(spark, tmp_path_factory):
    out = pipeline_output(tmp_path_factory)
    log = events((out.parent / "log.jsonl").read_text())
    assert {e["event"] for e in log} <= {"start", "file", "tasks", "stage"}
    assert all(e["ts"] and e["elapsed_s"] >= 0 for e in log)
    for stage in STAGES:
        stats = json.loads((out / "stats" / f"{stage}.json").read_text())
        [done] = [e for e in log if e["event"] == "stage" and e["stage"] == stage]
        assert {k: done[k] for k in stats} == stats and done["exit_code"] == 0
        files = [e for e in log if e["event"] == "file" and e["stage"] == stage]
        if stage in ("extract", "filter", "degrade"):  # the per-file stages
            [start] = [e for e in log if e["event"] == "start" and e["stage"] == stage]
            assert start["files_total"] == len(files) == stats["files"]["inputs"] > 0
            assert [e["files_done"] for e in files] == list(range(1, len(files) + 1))
            for key in COUNTS:
                assert sum(e[key] for e in files) == stats[key], (stage, key)
            assert files[-1]["eta_s"] == 0 and all(e["records_per_s"] >= 0 for e in files)
        else:
            assert not files


@pytest.mark.slow
def test_run_json_mode_keeps_stdout_pure_and_is_quiet_without_a_terminal(spark, tmp_path, capsys):
    from jobs import run

    out = tmp_path / "out"
    assert run.main(["--input", *TWO_WARCS, "--output", str(out), "--until", "extract", "--log-format", "json"]) == 0
    captured = capsys.readouterr()
    log = events(captured.out)  # every stdout line is JSON
    stats = json.loads((out / "stats" / "extract.json").read_text())
    assert [e["event"] for e in log] == ["start", "file", "file", "stage"]
    assert sum(e["records_in"] for e in log if e["event"] == "file") == stats["records_in"] == log[-1]["records_in"]
    assert "== extract" in captured.err and "extract: in" in captured.err and "report:" in captured.err
    assert "rec/s" not in captured.err and "\r" not in captured.err  # no bar: stderr is not a terminal
    assert (out / "report.html").exists()


def test_progress_bar_on_a_terminal(spark, tmp_path, monkeypatch):
    pytest.importorskip("tqdm")
    from jobs import extract

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal has a size
    terminal = os.fdopen(slave, "w", buffering=1)
    chunks: list[bytes] = []

    def read():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the slave side closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    monkeypatch.setattr(sys, "stderr", terminal)
    try:
        assert extract.main(["--input", *TWO_WARCS, "--output", str(tmp_path / "out"), "--master", "local[2]"]) == 0
    finally:
        monkeypatch.undo()
        terminal.close()
        reader.join(timeout=10)
        os.close(master)
    shown = b"".join(chunks).decode(errors="replace")
    assert "extract" in shown and "2/2" in shown and "rec/s" in shown, shown[-2000:]
