"""`python -m tests.fuzz [--cases N] [--seed S] [--jobs J] [--replay target:seed:i]` (see campaign.py)."""
from __future__ import annotations

import argparse
import sys

from tests.fuzz import campaign

# share of the cases per target (html cases cost ~50 ms each, warc and http ~10 ms)
_SHARE = {"warc": 0.35, "http": 0.3, "html": 0.15, "image": 0.2}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz")
    ap.add_argument("--cases", type=int, default=100_000, help="total over all targets")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--replay", help="target:seed:i of one finding")
    args = ap.parse_args(argv)
    if args.replay:
        target, seed, i = args.replay.split(":")
        outcome, took, finding = campaign.run_case(int(seed), target, int(i))
        print(f"{outcome} in {took:.2f}s\n{finding or ''}")
        return 1 if finding else 0
    cases = {t: round(args.cases * share) for t, share in _SHARE.items()}

    shown = set()

    def progress(summary, elapsed):
        for t, s in summary.items():
            for f in [] if t.startswith("_") else s["findings"]:
                if f not in shown and len(shown) < 50:  # as they come: a long run is worth reading early
                    shown.add(f)
                    print("\nFINDING", f, file=sys.stderr)
        done = sum(s["cases"] for k, s in summary.items() if not k.startswith("_"))
        bad = sum(len(s["findings"]) for k, s in summary.items() if not k.startswith("_"))
        print(f"\r{done}/{sum(cases.values())} cases, {bad} findings, {elapsed:.0f}s", end="", file=sys.stderr)

    summary = campaign.run(cases, seed=args.seed, jobs=args.jobs, progress=progress)
    print(file=sys.stderr)
    for t, s in summary.items():
        for f in [] if t.startswith("_") else s["findings"][:20]:
            print("FINDING", f)
    print(campaign.report(summary, args.seed))
    return 1 if any(s["findings"] for t, s in summary.items() if not t.startswith("_")) else 0


if __name__ == "__main__":
    sys.exit(main())
