"""Good kept and boilerplate kept, per source and per half, for each rule preset, on the development set.

    python -m benchmarks.filter_quality [--presets weft fineweb] [--json .bench/filter_quality.json]

The development set is benchmarks/filter_devset.py's (human main texts = good; the rest of the same pages and
the cs336 low-quality page = bad), split by domain into `tune` (what the `weft` thresholds were chosen on) and
`holdout` (sites never looked at while tuning). Each text is one document with one paragraph per line, as
`weft extract` emits a page's blocks, run through the whole filter stage (FilterStep) of each preset. Printed:
the share kept per source and half, and the drops per first failing rule, by label.
Target (issue 16): the default preset keeps >= 90% of good and <= 3% of boilerplate, per source.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def evaluate(rows: list[dict], preset: str) -> dict:
    """{"kept": {source: {split: [kept, total]}}, "drops": {label: {rule: n}}} for one preset."""
    from engine.document import Document
    from filters.pipeline import FilterStep
    from filters.rules import FilterConfig

    step = FilterStep(FilterConfig.load(preset=preset))
    step.setup()
    kept: dict = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    drops: dict = collections.defaultdict(collections.Counter)
    docs = []
    for r in rows:
        d = Document(id=r["id"], url=r["url"])
        for p in r["text"].split("\n"):
            d.add_text(p)
        docs.append(d)
    outcomes = []
    for i in range(0, len(docs), step.batch_size):
        outcomes += step.process_many(docs[i: i + step.batch_size])
    for r, out in zip(rows, outcomes):
        cell = kept[r["source"]][r["split"]]
        cell[1] += 1
        if isinstance(out, Exception):
            drops[r["label"]][f"failed:{type(out).__name__}"] += 1
        elif out.kept:
            cell[0] += 1
        else:
            drops[r["label"]][out.reason] += 1
    return {"kept": {s: dict(v) for s, v in kept.items()},
            "drops": {k: dict(v.most_common()) for k, v in drops.items()}}


def report(results: dict[str, dict]) -> None:
    presets = list(results)
    sources = sorted({s for res in results.values() for s in res["kept"]})
    print("kept on the development set (share kept / documents), per source and half:")
    print(f"  {'source':<26}" + "".join(f"{p + ' ' + h:>20}" for p in presets for h in ("tune", "holdout")))
    for s in sources:
        cells = []
        for p in presets:
            for h in ("tune", "holdout"):
                k, n = results[p]["kept"].get(s, {}).get(h, [0, 0])
                cells.append(f"{k / n:8.1%} {k:>4}/{n:<4}" if n else f"{'-':>17}")
        print(f"  {s:<26}" + "".join(f"{c:>20}" for c in cells))
    for p in presets:
        for label, counts in sorted(results[p]["drops"].items()):
            top = ", ".join(f"{rule} {n}" for rule, n in list(counts.items())[:12])
            print(f"  {p}: {label} dropped by: {top}")


def main(argv=None) -> int:
    from benchmarks.filter_devset import SHARED, load

    p = argparse.ArgumentParser(prog="python -m benchmarks.filter_quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--presets", nargs="+", default=["weft", "fineweb"])
    p.add_argument("--json", default=str(ROOT / ".bench" / "filter_quality.json"))
    args = p.parse_args(argv)
    if not SHARED.exists():
        print(f"skip: {SHARED} not found")
        return 0
    rows = load()
    results = {preset: evaluate(rows, preset) for preset in args.presets}
    report(results)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
