"""Benchmark: export throughput of `weft degrade` (MB written per CPU-second) and loader samples per CPU-second,
on the demo output and on a larger generated corpus.

    python -m benchmarks.exports [--demo out] [--docs 3000] [--images 300] [--repeats 3] [--json]
    make bench-exports                      # the same, --demo $(OUT)

Corpora:
  demo       what `make demo` wrote to --demo (OUT/docs and OUT/images/store); skipped with a note when absent
  generated  benchmarks.loader's corpus (--docs documents of 2-6 paragraphs and 0-3 images, --images distinct
             web-sized JPEG/PNG images made from the real photos of ../shared/data/images), cached in
             $WEFT_BENCH_CACHE/loader/<docs>-<images>

Exports (each one `jobs.degrade.DegradeTask` over every documents file, in this process, into a fresh folder:
the per-file work of a Spark task without Spark's start-up): text and pairs views (Parquet zstd), WebDataset
pairs, WebDataset interleaved, MMC4 JSONL (gzip). MB/s = bytes of the files written / process CPU seconds
(one core; machine load does not count), with the wall-clock rate beside it; median of --repeats runs, the
exports alternating within each repeat.

Loader: engine.loader.WeftDataset over the documents (shuffle buffer 1000), one process, no DataLoader workers;
samples per CPU-second in the modes text (images="none"), bytes (store look-ups), pil (decoded RGB) and
pil+format (then format_interleaved). A small corpus is iterated epoch after epoch until --min-cpu seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXPORTS = {  # name -> (--to, webdataset kinds)
    "views (parquet)": (("text", "pairs"), ()),
    "webdataset pairs": (("webdataset",), ("pairs",)),
    "webdataset interleaved": (("webdataset",), ("interleaved",)),
    "mmc4 jsonl": (("mmc4",), ()),
}
LOADER_MODES = ("text", "bytes", "pil", "pil+format")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and "_manifests" not in p.parts)


def export_once(root: Path, name: str) -> dict:
    """One export of every documents file under root/docs: bytes written, CPU and wall seconds, documents."""
    from engine.config import defaults
    from engine.io.fs import list_parquet
    from engine.io.output import ParquetOptions
    from engine.stats import StageStats
    from jobs.degrade import DegradeTask

    to, kinds = EXPORTS[name]
    cfg = defaults()
    out = Path(tempfile.mkdtemp(prefix="weft-bench-exports-"))
    try:
        task = DegradeTask(str(out), list_parquet(str(root / "images" / "store")), to, "parquet", cfg["degrade"],
                           ParquetOptions(), cfg["degrade"]["batch_rows"], kinds)
        stats = StageStats("degrade")
        cpu, wall = time.process_time(), time.perf_counter()
        for path in list_parquet(str(root / "docs")):
            stats += task(path)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if stats.failed or stats.files_failed:
            raise RuntimeError(f"{name}: {dict(stats.failed)} {dict(stats.files_failed)}")
        return {"bytes": _size(out), "cpu_s": cpu, "wall_s": wall, "docs": stats.records_in}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def loader_rate(root: Path, mode: str, min_cpu: float) -> dict:
    """Samples per CPU-second of one WeftDataset iterated epoch after epoch for at least min_cpu seconds."""
    from engine.loader import WeftDataset, format_interleaved

    ds = WeftDataset(str(root / "docs"), str(root / "images" / "store"), seed=1,
                     images={"text": "none", "bytes": "bytes"}.get(mode, "pil"))
    n, t0 = 0, time.process_time()
    while True:
        for s in ds:
            if mode == "pil+format":
                format_interleaved(s)
            n += 1
        cpu = time.process_time() - t0
        if cpu >= min_cpu or n == 0:
            return {"samples": n, "cpu_s": cpu, "epochs": ds.epoch}


def corpora(a) -> dict[str, Path]:
    from benchmarks.loader import SHARED, generate

    out = {}
    demo = Path(a.demo)
    if any((demo / "docs").rglob("*.parquet")):
        out["demo"] = demo
    else:
        print(f"no demo output under {demo}/docs: run `make demo` (OUT={demo}) first; measuring the generated "
              f"corpus only", file=sys.stderr)
    if SHARED.exists():
        gen = Path(os.environ.get("WEFT_BENCH_CACHE", "/tmp/weft-bench")) / "loader" / f"{a.docs}-{a.images}"
        if not (gen / "READY").exists():
            t = time.time()
            generate(gen, a.docs, a.images)
            print(f"generated {a.docs} documents, {a.images} images in {gen} ({time.time() - t:.1f} s)",
                  file=sys.stderr)
        out["generated"] = gen
    else:
        print(f"no {SHARED}: no generated corpus", file=sys.stderr)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--demo", default="out", help="a `make demo` output folder (default: out)")
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--min-cpu", type=float, default=1.0, help="loader: CPU seconds per measurement at least")
    ap.add_argument("--exports", default=",".join(EXPORTS))
    ap.add_argument("--loader-modes", default=",".join(LOADER_MODES))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    exports = [e for e in a.exports.split(",") if e]
    modes = [m for m in a.loader_modes.split(",") if m]
    results = []
    for corpus, root in corpora(a).items():
        input_mb = _size(root / "docs") / 1e6
        runs: dict[str, list[dict]] = {e: [] for e in exports}
        for _ in range(a.repeats):  # alternating: a slow moment of the machine hits every export alike
            for e in exports:
                runs[e].append(export_once(root, e))
        for e, rs in runs.items():
            results.append({
                "corpus": corpus, "what": f"export {e}", "docs": rs[0]["docs"], "input_mb": round(input_mb, 2),
                "output_mb": round(rs[0]["bytes"] / 1e6, 2),
                "mb_per_cpu_s": round(statistics.median(r["bytes"] / 1e6 / r["cpu_s"] for r in rs), 1),
                "mb_per_wall_s": round(statistics.median(r["bytes"] / 1e6 / r["wall_s"] for r in rs), 1),
                "docs_per_cpu_s": round(statistics.median(r["docs"] / r["cpu_s"] for r in rs), 1),
                "repeats": len(rs)})
        rates: dict[str, list[dict]] = {m: [] for m in modes}
        for _ in range(a.repeats):
            for m in modes:
                rates[m].append(loader_rate(root, m, a.min_cpu))
        for m, rs in rates.items():
            results.append({
                "corpus": corpus, "what": f"loader {m}", "docs": rs[0]["samples"] // max(rs[0]["epochs"], 1),
                "samples_per_cpu_s": round(statistics.median(r["samples"] / r["cpu_s"] for r in rs), 1),
                "repeats": len(rs)})
    if a.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'corpus':<10} {'what':<30} {'docs':>6} {'out MB':>8} {'MB/CPU-s':>9} {'MB/wall-s':>9} "
          f"{'docs/CPU-s':>10} {'samples/CPU-s':>13}")
    for r in results:
        if "mb_per_cpu_s" in r:
            print(f"{r['corpus']:<10} {r['what']:<30} {r['docs']:>6} {r['output_mb']:>8.2f} {r['mb_per_cpu_s']:>9.1f} "
                  f"{r['mb_per_wall_s']:>9.1f} {r['docs_per_cpu_s']:>10,.0f} {'':>13}")
        else:
            print(f"{r['corpus']:<10} {r['what']:<30} {r['docs']:>6} {'':>8} {'':>9} {'':>9} {'':>10} "
                  f"{r['samples_per_cpu_s']:>13,.0f}")
    print(f"(median of {a.repeats} runs; CPU-s = process CPU seconds of one core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
