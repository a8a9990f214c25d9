"""Benchmark and evaluation of near-duplicate dedup.

Speed: URL + exact + MinHash LSH + verification + connected components (jobs.dedup.duplicates.find_duplicates, Spark
overhead included) on a generated corpus of real text (benchmarks/dedup_corpus.py), side by side with datasketch
(bulk MinHash + in-memory MinHashLSH + signature verification, single process) on the first --peer-docs documents
of the same corpus in the same process. Each of --repeats rounds runs every --verify mode, then datasketch
(interleaved, so machine noise hits all contenders alike); the report gives medians and the ratio of medians.
docs/s per core = documents / CPU seconds of the whole process tree (driver, JVM, Python workers), read from
/proc; python_worker_cpu_s is what stats/dedup.json can see (CpuMeter). Peak memory = high-water RSS of the JVM
(local mode: the driver JVM is the one executor) and of the largest Python worker.

Quality (--eval-docs N): precision / recall of the verified near-duplicate pairs against brute-force Jaccard
over all pairs (sparse product), for each --verify mode.

    python -m benchmarks.dedup --docs 100000 --repeats 3 --verify signature,exact,hybrid [--peer-docs 20000]
    python -m benchmarks.dedup --docs 2000 --no-peer --verify signature,exact,hybrid --eval-docs 3000

Skips cleanly (exit 0 with a message) when ../shared/data is absent.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.dedup_corpus import SHARED, brute_force_pairs, generate

CACHE = Path(os.environ.get("WEFT_BENCH_CACHE", "/tmp/weft-bench-dedup"))


# -- process-tree accounting (Linux /proc) -------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def process_tree(pid: int | None = None) -> list[int]:
    todo, seen = [pid or os.getpid()], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def tree_cpu_seconds() -> float:
    """utime+stime of every live process in the tree plus cutime+cstime (its reaped children)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])
        except OSError:
            pass
    return total / tick


def rss_mb() -> tuple[dict, dict]:
    """(peak, now): VmHWM of the JVM and of the largest Python worker, and the current VmRSS of the JVM and of all
    Python workers together (MB)."""
    peak = {"jvm": 0.0, "python_worker": 0.0}
    now = {"jvm": 0.0, "python_workers": 0.0}
    me = os.getpid()
    for pid in process_tree():
        if pid == me:
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in status.splitlines()
                  if line.startswith(("VmHWM", "VmRSS"))}
        java = b"java" in cmd
        key = "jvm" if java else "python_worker"
        peak[key] = max(peak[key], fields.get("VmHWM", 0.0))
        now["jvm" if java else "python_workers"] += fields.get("VmRSS", 0.0)
    return peak, now


class PeakSampler(threading.Thread):
    """Samples RSS every 0.5 s (Python workers may exit before the end): the peaks, and every `every` s the
    memory curve (elapsed s, JVM MB, all Python workers MB)."""

    def __init__(self, every: float = 5.0):
        super().__init__(daemon=True)
        self.peak = {"jvm": 0.0, "python_worker": 0.0}
        self.curve: list[tuple[float, int, int]] = []
        self.every = every
        self.stop = threading.Event()

    def run(self):
        t0 = last = time.monotonic()
        while not self.stop.wait(0.5):
            peak, now = rss_mb()
            for k, v in peak.items():
                self.peak[k] = max(self.peak[k], v)
            if time.monotonic() - last >= self.every:
                last = time.monotonic()
                self.curve.append((round(last - t0, 1), round(now["jvm"]), round(now["python_workers"])))


# -- the two contenders ------------------------------------------------------------------------------------------
CHUNK = 100_000  # larger corpora are written in chunks of this many documents (bounded generator memory)


def corpus(n_docs: int, seed: int = 0) -> Path:
    """The cached corpus of n_docs documents. Above CHUNK documents, independent chunks (own seeds, ids prefixed
    with the chunk number, near duplicates planted within a chunk) are appended to one file, so a 1 M-document
    corpus never holds more than one chunk in memory; the fixture documents that open every chunk are then
    exact duplicates across chunks (~0.2 % of the corpus)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"corpus-{n_docs}-{seed}.parquet"
    if path.exists():
        return path
    tmp = path.with_suffix(".part")
    if n_docs <= CHUNK:
        pq.write_table(generate(n_docs, planted=0.2, seed=seed), tmp, compression="zstd", row_group_size=5000)
    else:
        writer = None
        for k, start in enumerate(range(0, n_docs, CHUNK)):
            t = generate(min(CHUNK, n_docs - start), planted=0.2, seed=seed * 1000 + k)
            prefix = f"c{k:03d}-"
            for col in ("id", "planted_from"):
                t = t.set_column(t.column_names.index(col), col, pc.binary_join_element_wise(prefix, t[col], ""))
            t = t.set_column(t.column_names.index("url"), "url",
                             pc.replace_substring(t["url"], "/page/", f"/page/{prefix}"))
            writer = writer or pq.ParquetWriter(tmp, t.schema, compression="zstd")
            writer.write_table(t, row_group_size=5000)
            print(f"corpus {path.name}: chunk {k + 1} of {-(-n_docs // CHUNK)}", file=sys.stderr, flush=True)
        writer.close()
    tmp.rename(path)  # a killed generation leaves no half corpus under the cached name
    return path


def run_weft(spark, path: Path, cfg: dict) -> dict:
    from jobs.dedup import find_duplicates, read_source

    source = read_source(spark, [str(path)], None, "id", "text", "date", "url")
    cpu0, wall0 = tree_cpu_seconds(), time.perf_counter()
    result = find_duplicates(source, cfg)
    n_docs = result.nodes.count()
    dropped = {r["reason"]: r["count"] for r in result.duplicates.groupBy("reason").count().collect()}
    cpu, wall = tree_cpu_seconds() - cpu0, time.perf_counter() - wall0
    return {"docs": n_docs, "cpu_s": round(cpu, 2), "python_worker_cpu_s": round(result.meter.seconds, 2),
            "wall_s": round(wall, 2), "docs_per_cpu_s": round(n_docs / cpu, 1), "dropped": dropped, **result.side}


def datasketch_tokens(text: str, ngram: int) -> list[bytes]:
    words = "".join(c if c.isalnum() or c.isspace() else "" for c in text.lower()).split()
    return [" ".join(words[i : i + ngram]).encode() for i in range(max(1, len(words) - ngram + 1))]


def run_datasketch(texts: list[str], bands: int, rows: int, threshold: float, ngram: int = 5) -> dict:
    from datasketch import MinHash, MinHashLSH

    cpu0, wall0 = time.process_time(), time.perf_counter()
    sets = [set(datasketch_tokens(t, ngram)) for t in texts]
    sigs = MinHash.bulk(sets, num_perm=bands * rows)
    lsh = MinHashLSH(threshold=threshold, num_perm=bands * rows, params=(bands, rows))
    pairs = 0
    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            pairs += sigs[j].jaccard(m) >= threshold
        lsh.insert(i, m)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"docs": len(texts), "cpu_s": cpu, "wall_s": wall, "docs_per_cpu_s": len(texts) / cpu, "pairs": int(pairs)}


# -- quality ---------------------------------------------------------------------------------------------------
def evaluate(spark, n_docs: int, cfg: dict, modes: list[str]) -> dict:
    from jobs.dedup import find_duplicates, read_source

    threshold = float(cfg["near"]["threshold"])
    path = corpus(n_docs, seed=7)
    table = pq.read_table(path)
    ids = table.column("id").to_pylist()
    truth = brute_force_pairs(table.column("text").to_pylist(), threshold)
    index = {d: i for i, d in enumerate(ids)}
    near_only = {**cfg, "url": {"enabled": False}, "exact": {"enabled": False}}
    band = {k: v for k, v in truth.items() if v < 0.85}
    out = {"docs": n_docs, "true_pairs": len(truth), "true_pairs_0.80_0.85": len(band)}
    for verify in modes:
        run_cfg = {**near_only, "near": {**cfg.get("near", {}), "verify": verify}}
        result = find_duplicates(read_source(spark, [str(path)], None, "id", "text", "date", "url"), run_cfg)
        node_id = {r["node"]: index[r["id"]] for r in result.nodes.select("node", "id").collect()}
        found = {tuple(sorted((node_id[r["a"]], node_id[r["b"]]))) for r in result.near_edges.collect()}
        hit = len(found & truth.keys())
        out[verify] = {
            "found_pairs": len(found),
            "false_positives": len(found - truth.keys()),
            "precision": round(hit / len(found), 4) if found else None,
            "recall": round(hit / len(truth), 4) if truth else None,
            "recall_0.80_0.85": round(len(found & band.keys()) / len(band), 4) if band else None,
            **{k: v for k, v in result.side.items() if k.startswith("near_")},
        }
    return out


def release(spark) -> None:
    """Let Spark drop the previous run's checkpoint blocks before the next run: they are only freed once their
    DataFrames are garbage on both sides (Python, then a JVM GC that the ContextCleaner sees). Without this,
    repeated 100k-document runs in one 2 GB driver fill its heap with blocks nobody references any more."""
    gc.collect()
    spark.sparkContext._jvm.System.gc()
    time.sleep(1)


def _median(runs: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=int, default=100_000)
    p.add_argument("--peer-docs", type=int, default=20_000, help="datasketch runs on the first N documents")
    p.add_argument("--repeats", type=int, default=1, help="interleaved rounds; medians are reported")
    p.add_argument("--verify", default=None,
                   help="comma-separated near.verify modes to time side by side (default: the configured one)")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--eval-docs", type=int, default=0, help="also measure precision/recall on a corpus this big")
    p.add_argument("--no-peer", action="store_true")
    args = p.parse_args(argv)
    if not SHARED.exists():
        print(f"skip: {SHARED} not found")
        return 0
    from engine.config import load_config
    from jobs.spark import get_spark

    cfg = load_config()["dedup"]
    near = cfg["near"]
    modes = args.verify.split(",") if args.verify else [near["verify"]]
    # 8 KB documents: the default 4096-row Parquet reader batch grows 64 MB on-heap text vectors per task, which
    # repeated runs in one 2 GB driver JVM cannot always find contiguously (OutOfMemoryError in the scan).
    spark = get_spark("weft-bench-dedup", args.master, {"spark.sql.parquet.columnarReaderBatchSize": "1024"})
    report: dict = {"docs": args.docs, "peer_docs": 0 if args.no_peer else min(args.peer_docs, args.docs),
                    "repeats": args.repeats, "master": args.master, "cores": spark.sparkContext.defaultParallelism,
                    "params": {k: near.get(k) for k in ("bands", "rows", "ngram", "threshold", "verify", "uncertain")}}
    path = corpus(args.docs)
    # Streamed: a 1 M-document corpus is ~8 GB of text, which the driver must not hold.
    n_bytes, peer_texts = 0, []
    for batch in pq.ParquetFile(path).iter_batches(batch_size=5000, columns=["text"]):
        n_bytes += pc.sum(pc.binary_length(batch.column(0).cast("binary"))).as_py() or 0
        if not args.no_peer and len(peer_texts) < args.peer_docs:
            peer_texts += batch.column(0).to_pylist()[: args.peer_docs - len(peer_texts)]
    report["mean_doc_bytes"] = round(n_bytes / args.docs)
    run_weft(spark, corpus(min(args.docs, 2000), seed=3), cfg)  # warm-up: JVM, Python workers
    sampler = PeakSampler()
    sampler.start()
    weft: dict[str, list[dict]] = {m: [] for m in modes}
    peer: list[dict] = []
    for _ in range(args.repeats):  # interleaved, so machine noise hits every contender alike
        for mode in modes:
            weft[mode].append(run_weft(spark, path, {**cfg, "near": {**near, "verify": mode}}))
            print(f"weft {mode}: {weft[mode][-1]}", file=sys.stderr, flush=True)
            release(spark)
        if not args.no_peer:
            peer.append(run_datasketch(peer_texts, near["bands"], near["rows"], near["threshold"]))
            print(f"datasketch: {peer[-1]}", file=sys.stderr, flush=True)
    sampler.stop.set()
    report["peak_rss_mb"] = {k: round(v) for k, v in sampler.peak.items()}
    report["rss_curve_mb"] = {"columns": ["elapsed_s", "jvm", "python_workers"], "every_s": sampler.every,
                              "samples": sampler.curve}
    if peer:
        report["datasketch"] = {"runs": peer, "docs_per_cpu_s_median": _median(peer, "docs_per_cpu_s")}
    for mode, runs in weft.items():
        entry = {"runs": runs, "docs_per_cpu_s_median": _median(runs, "docs_per_cpu_s"),
                 "cpu_s_median": _median(runs, "cpu_s"), "wall_s_median": _median(runs, "wall_s"),
                 "python_worker_cpu_s_median": _median(runs, "python_worker_cpu_s")}
        if peer:
            entry["ratio_vs_datasketch"] = round(entry["docs_per_cpu_s_median"] / report["datasketch"]["docs_per_cpu_s_median"], 2)
        report[f"weft_{mode}"] = entry
    report["anchors_docs_per_cpu_s"] = {"omnicorpus_dedup": 38.8, "bigcode_spark_dedup": 109}
    if args.eval_docs:
        report["quality"] = evaluate(spark, args.eval_docs, cfg, modes)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
