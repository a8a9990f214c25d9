"""Language-ID accuracy per language on ../shared/data/langid/lingua/sentences/ (300 web sentences per language,
label = file name), next to the published CLD2 / CLD3 / langid / lingua figures in average-accuracy-values.csv
(those are averages over sentences, word pairs and single words; ours is sentences only, so compare the
columns, not as an exact match). Also reports sentences per CPU-second.

    python -m benchmarks.langid [--model PATH] [--json .bench/langid.json]
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINGUA = ROOT / ".." / "shared" / "data" / "langid" / "lingua"
PEERS = ("cld2", "cld3", "langid", "lingua-high-accuracy", "lingua-low-accuracy")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.langid", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="fastText model (default lid.176.ftz)")
    p.add_argument("--json", default=str(ROOT / ".bench" / "langid.json"))
    args = p.parse_args(argv)
    if not LINGUA.exists():
        print(f"skip: {LINGUA} not found")
        return 0
    from filters.langid import LanguageIdentifier
    from filters.rules import FilterConfig

    lid = LanguageIdentifier(args.model, FilterConfig.load().langid["max_chars"])
    lid.model
    published = {row["language"].lower(): row for row in csv.DictReader(open(LINGUA / "average-accuracy-values.csv"))}
    rows, n_total, cpu = [], 0, 0.0
    for path in sorted((LINGUA / "sentences").glob("*.txt")):
        code = path.stem
        lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
        t = time.process_time()
        hits = sum(lid.predict(l)[0] == code for l in lines)
        cpu += time.process_time() - t
        n_total += len(lines)
        rows.append({"lang": code, "n": len(lines), "weft_fasttext": 100.0 * hits / len(lines)})
    # The CSV names languages in English; filters/data/lingua_names.json maps the ISO file names to them.
    by_name = published
    code_to_name = json.loads((ROOT / "filters" / "data" / "lingua_names.json").read_text())
    for r in rows:
        pub = by_name.get(code_to_name.get(r["lang"], ""), {})
        for peer in PEERS:
            v = pub.get(peer)
            r[peer] = None if v in (None, "", "NaN") else round(float(v), 1)
    print(f"{'lang':<6}{'weft':>7}" + "".join(f"{p[:12]:>14}" for p in PEERS))
    for r in rows:
        print(f"{r['lang']:<6}{r['weft_fasttext']:>7.1f}" + "".join(
            f"{'-' if r[p] is None else r[p]:>14}" for p in PEERS))
    summary = {"weft_fasttext_mean": statistics.mean(r["weft_fasttext"] for r in rows)}
    for peer in PEERS:
        both = [r for r in rows if r[peer] is not None]
        summary[f"{peer}_mean_same_languages"] = statistics.mean(r[peer] for r in both) if both else None
        summary[f"weft_mean_on_{peer}_languages"] = statistics.mean(r["weft_fasttext"] for r in both) if both else None
    summary["sentences_per_cpu_s"] = n_total / cpu if cpu else None
    print(json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in summary.items()}, indent=1))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
