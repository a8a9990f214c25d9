"""Run many cases per target over worker processes and summarise: cases, outcomes, findings (assertion failures,
uncaught exceptions, cases over the time cap), max per-case time and peak RSS.

Case `i` of target `t` under seed `s` is fully determined by (s, t, i): `--replay t:s:i` reruns one finding.
"""
from __future__ import annotations

import contextlib
import os
import resource
import signal
import time
import traceback
import zlib
from collections import Counter
from multiprocessing import get_context
from random import Random

from tests.fuzz.targets import TARGETS

TIME_CAP_S = 10.0  # per case; the extractor's own budget is 5 s between phases
HANG_S = 120  # a case still running after this is stopped and recorded (an endless loop would stall the run)


class CaseHang(Exception):
    pass


def _hang(signum, frame):
    raise CaseHang(f"over {HANG_S}s")
CHUNK = 200


def case_rng(seed: int, target: str, i: int) -> Random:
    return Random(zlib.crc32(f"{seed}:{target}:{i}".encode()) << 32 | i)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_case(seed: int, target: str, i: int) -> tuple[str, float, str | None]:
    """(outcome, seconds in the engine, finding or None)."""
    make, run = TARGETS[target]
    rng = case_rng(seed, target, i)
    data = make(rng)
    t0 = time.perf_counter()
    old = signal.signal(signal.SIGALRM, _hang)
    signal.alarm(HANG_S)
    try:
        outcome, finding = run(data, rng), None
    except AssertionError as e:
        outcome, finding = "assertion", f"{type(e).__name__}: {e}"[:300]
    except Exception as e:  # the point of the run: anything escaping the engine is recorded, not fatal here
        outcome, finding = "uncaught", f"{type(e).__name__}: {e}"[:300] + "\n" + traceback.format_exc()[-1500:]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    took = time.perf_counter() - t0
    if finding is None and took > TIME_CAP_S:
        outcome, finding = "slow", f"{took:.1f}s > {TIME_CAP_S}s"
    return outcome, took, finding


_BASE_RSS = 0.0


def _init() -> None:
    global _BASE_RSS
    from tests.fuzz import seeds

    import engine.html.dom  # noqa: F401  (imports and seeds count as baseline, not per-case memory)
    import engine.warc.ingest  # noqa: F401
    seeds.warc_files(), seeds.http_blocks(), seeds.html_pages()
    _BASE_RSS = _rss_mb()


def _chunk(args: tuple[int, str, int, int]) -> dict:
    seed, target, start, n = args
    outcomes, findings, max_s = Counter(), [], 0.0
    # warcio prints every bad record (with megabytes of it) to stderr; the summary is the output here
    with open(os.devnull, "w") as null, contextlib.redirect_stderr(null):
        results = [run_case(seed, target, i) for i in range(start, start + n)]
    for i, (outcome, took, finding) in enumerate(results, start):
        outcomes[outcome] += 1
        max_s = max(max_s, took)
        if finding:
            findings.append(f"{target}:{seed}:{i} {outcome} {finding}")
    return {"target": target, "outcomes": outcomes, "findings": findings, "max_s": max_s,
            "rss_mb": _rss_mb(), "rss_growth_mb": _rss_mb() - _BASE_RSS}


def run(cases: dict[str, int], seed: int = 0, jobs: int = 2, progress=None) -> dict:
    """Run cases[target] cases of each target; returns per-target summaries."""
    tasks = [(seed, t, s, min(CHUNK, n - s)) for t, n in cases.items() for s in range(0, n, CHUNK)]
    summary = {t: {"cases": 0, "outcomes": Counter(), "findings": [], "max_s": 0.0, "rss_mb": 0.0,
                   "rss_growth_mb": 0.0} for t in cases}
    t0 = time.perf_counter()
    if jobs <= 1:
        _init()
        results = map(_chunk, tasks)
    else:
        pool = get_context("spawn").Pool(jobs, initializer=_init)
        results = pool.imap_unordered(_chunk, tasks)
    for r in results:
        s = summary[r["target"]]
        s["cases"] += sum(r["outcomes"].values())
        s["outcomes"].update(r["outcomes"])
        s["findings"] += r["findings"]
        for k in ("max_s", "rss_mb", "rss_growth_mb"):
            s[k] = max(s[k], r[k])
        if progress:
            progress(summary, time.perf_counter() - t0)
    if jobs > 1:
        pool.close()
        pool.join()
    summary["_wall_s"] = time.perf_counter() - t0
    return summary


def report(summary: dict, seed: int) -> str:
    rows = ["| target | cases | uncaught | assertion | slow | max s/case | peak RSS MB (growth) | outcomes |",
            "|---|---:|---:|---:|---:|---:|---:|---|"]
    total = Counter()
    for t, s in summary.items():
        if t.startswith("_"):
            continue
        o = s["outcomes"]
        total.update({"cases": s["cases"], "uncaught": o["uncaught"], "assertion": o["assertion"], "slow": o["slow"]})
        top = ", ".join(f"{k} {v}" for k, v in o.most_common(6))
        rows.append(f"| {t} | {s['cases']} | {o['uncaught']} | {o['assertion']} | {o['slow']} | {s['max_s']:.2f} | "
                    f"{s['rss_mb']:.0f} (+{s['rss_growth_mb']:.0f}) | {top} |")
    rows.append(f"| **total** | {total['cases']} | {total['uncaught']} | {total['assertion']} | {total['slow']} | | | "
                f"seed {seed}, {summary['_wall_s']:.0f} s wall |")
    return "\n".join(rows)
