"""Language ID per mode on ../shared/data/langid/lingua (75 languages, label = file name): fastText lid.176 alone,
lingua alone (all 75 languages; high- and low-accuracy mode) and weft's router (config/filters.yaml
`langid.router`), on sentences and word pairs. Macro accuracy over the 67 languages lid.176 knows and over all
75, per-language worst cases, the languages where the router is worse than either detector alone, and lines per
CPU-second. Then, on the filter benchmark's documents (.bench/filter_docs_v2.jsonl, written by
benchmarks/filters.py), how often each route decides a page and what the router and `lang_main_share` cost.

Split: the first half of each file is where the router's settings were chosen (reported as `tune`); the second
half (`held`) was not looked at while choosing, and is the number to quote. The router's per-language data
(`confusable`, `fasttext_groups`, `arbitration`) is learned on the tune half of the sentences by `--learn`, which
prints it for config/filters.yaml with the counts behind each entry (rules in filters/langid.py's docstring).

    python -m benchmarks.langid [--kinds sentences word-pairs] [--json .bench/langid.json]
    python -m benchmarks.langid --learn
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINGUA = ROOT / ".." / "shared" / "data" / "langid" / "lingua"
DOCS = ROOT / ".bench" / "filter_docs_v2.jsonl"
MODES = ("fasttext", "lingua", "lingua_low", "routed", "routed_low")


def read(kind: str) -> dict[str, list[str]]:
    return {p.stem: [l for l in p.read_text(encoding="utf-8").splitlines() if l.strip()]
            for p in sorted((LINGUA / kind).glob("*.txt"))}


def detectors(lid) -> dict:
    """mode -> function(text) -> label."""
    from lingua import LanguageDetectorBuilder

    from filters.langid import LanguageIdentifier

    def lingua_alone(low: bool):
        builder = LanguageDetectorBuilder.from_all_languages()
        det = (builder.with_low_accuracy_mode() if low else builder).build()

        def detect(text: str):
            lang = det.detect_language_of(text)
            return lang.iso_code_639_1.name.lower() if lang else None
        return detect

    def variant(**router):
        return LanguageIdentifier(lid.model_path, lid.max_chars, dataclasses.replace(lid.router, **router),
                                  None, lid.aliases)

    fasttext, routed_low = variant(enabled=False), variant(low_accuracy=True)
    return {"fasttext": lambda t: fasttext.predict(t)[0], "lingua": lingua_alone(False),
            "lingua_low": lingua_alone(True), "routed": lambda t: lid.predict(t)[0],
            "routed_low": lambda t: routed_low.predict(t)[0], "_routes": lid}


def run_kind(kind: str, lid, fns: dict, known: set[str]) -> dict:
    data = read(kind)
    halves = {c: len(lines) // 2 for c, lines in data.items()}
    acc: dict[str, dict[str, dict[str, float]]] = {}  # part -> mode -> lang -> accuracy
    cpu: dict[str, float] = {}
    routes: dict[str, int] = {}
    for mode in MODES:
        fn = fns[mode]
        for part in ("tune", "held"):  # tune first: lingua loads its models lazily, the timed half runs warm
            t = time.process_time()
            res = {}
            for code, lines in data.items():
                sel = lines[: halves[code]] if part == "tune" else lines[halves[code]:]
                if mode == "routed" and part == "held":
                    for line in sel:
                        r = lid.detect(line).route
                        routes[r] = routes.get(r, 0) + 1
                res[code] = sum(fn(line) == code for line in sel) / len(sel)
            if part == "held":
                cpu[mode] = time.process_time() - t
            acc.setdefault(part, {})[mode] = res
    n_held = sum(len(lines) - halves[c] for c, lines in data.items())
    report = {"lines_held": n_held, "lines_held_per_language": {c: len(l) - halves[c] for c, l in data.items()}, "routes_held": routes,
              "lines_per_cpu_s": {m: n_held / cpu[m] for m in MODES}, "macro": {}, "per_language_held": {}}
    for part, modes in acc.items():
        report["macro"][part] = {m: {"all_75": statistics.mean(r.values()),
                                     "known_67": statistics.mean(v for c, v in r.items() if c in known)}
                                 for m, r in modes.items()}
    held = acc["held"]
    for code in data:
        report["per_language_held"][code] = {m: round(held[m][code], 4) for m in MODES}
    return report


def print_kind(kind: str, rep: dict) -> None:
    print(f"\n== {kind}: {rep['lines_held']} held-out lines; macro accuracy (tune = first halves, held = second)")
    print(f"{'mode':<12}{'tune 75':>9}{'tune 67':>9}{'held 75':>9}{'held 67':>9}{'lines/cpu-s':>13}")
    for m in MODES:
        t, h = rep["macro"]["tune"][m], rep["macro"]["held"][m]
        print(f"{m:<12}{t['all_75']:>9.4f}{t['known_67']:>9.4f}{h['all_75']:>9.4f}{h['known_67']:>9.4f}"
              f"{rep['lines_per_cpu_s'][m]:>13.0f}")
    total = sum(rep["routes_held"].values())
    print("routes (held): " + ", ".join(f"{r} {n / total:.1%}" for r, n in sorted(rep["routes_held"].items())))
    per = rep["per_language_held"]
    worst = sorted(per, key=lambda c: per[c]["routed"])[:8]
    print("worst routed (held): " + ", ".join(
        f"{c} {per[c]['routed']:.2f} (ft {per[c]['fasttext']:.2f}, lingua {per[c]['lingua']:.2f})" for c in worst))
    print("per language (held): router / lid.176 / lingua")
    cells = [f"{c} {v['routed']:.3f}/{v['fasttext']:.3f}/{v['lingua']:.3f}" for c, v in sorted(per.items())]
    for i in range(0, len(cells), 5):
        print("  " + "".join(f"{cell:<26}" for cell in cells[i:i + 5]))
    # worse than the better detector alone by more than one line of the language's held-out half
    n = rep["lines_held_per_language"]
    behind = {c: v for c, v in per.items() if v["routed"] < max(v["fasttext"], v["lingua"]) - 1.5 / n[c]}
    print("router worse than lid.176 or lingua alone by > 1 line (held): " + (", ".join(
        f"{c} {v['routed']:.3f} (ft {v['fasttext']:.3f}, lingua {v['lingua']:.3f}; "
        f"{round((max(v['fasttext'], v['lingua']) - v['routed']) * n[c])} lines)" for c, v in sorted(behind.items()))
        or "none"))
    rep["router_behind"] = sorted(behind)


def documents(lid) -> dict | None:
    """Routes and CPU cost on the filter benchmark's pages (fastText alone vs router; lang_main_share)."""
    if not DOCS.exists():
        print(f"\n{DOCS} not found (run `make bench-filters` once): no page-level numbers")
        return None
    from filters.langid import LanguageIdentifier

    docs = [json.loads(line) for line in DOCS.open(encoding="utf-8")]
    texts = [d["text"] for d in docs]
    paras = [t.split("\n") for t in texts]  # one paragraph per line, as benchmarks/filters.py builds pages
    plain = LanguageIdentifier(lid.model_path, lid.max_chars, dataclasses.replace(lid.router, enabled=False),
                               None, lid.aliases)
    [lid.predict(t) for t in texts]  # warm (lingua models load lazily)
    langs = [lid.predict(t)[0] for t in texts]
    times: dict[str, list[float]] = {"fasttext": [], "routed": [], "main_share": []}
    for _ in range(5):  # alternating passes, medians
        for name, fn in (("fasttext", lambda: [plain.predict(t) for t in texts]),
                         ("routed", lambda: [lid.predict(t) for t in texts]),
                         ("main_share", lambda: [lid.main_share(p, l) for p, l in zip(paras, langs)])):
            t = time.process_time()
            fn()
            times[name].append(time.process_time() - t)
    routes: dict[str, int] = {}
    for t in texts:
        r = lid.detect(t).route
        routes[r] = routes.get(r, 0) + 1
    shares = [s for p, l in zip(paras, langs) if (s := lid.main_share(p, l)) is not None]
    us = {k: 1e6 * statistics.median(v) / len(texts) for k, v in times.items()}
    out = {"documents": len(texts), "routes": routes, "us_per_doc": us,
           "main_share": {"computed": len(shares), "below_0.9": sum(s < 0.9 for s in shares),
                          "below_0.5": sum(s < 0.5 for s in shares)}}
    print(f"\n== {len(texts)} filter-benchmark pages: routes {routes}")
    print("CPU microseconds per page (median of 5 alternating passes): " + ", ".join(
        f"{k} {v:.0f}" for k, v in us.items()))
    print(f"lang_main_share computed on {len(shares)} pages; < 0.9 on {out['main_share']['below_0.9']}, "
          f"< 0.5 on {out['main_share']['below_0.5']}")
    return out


def learn(lid, min_hidden: int, group_share: float, min_gain: int) -> dict:
    """The router's per-language data from the tune half of the sentences (printed for config/filters.yaml).
    fastText's top labels and lingua's confidences over all its languages are computed once per line; every
    variant is replayed with the router's own `route` and `combine` (lingua inside a set: its confidences
    over all languages renormalised to the set, close to the restricted detector the router builds)."""
    import collections

    data = {c: lines[: len(lines) // 2] for c, lines in read("sentences").items()}
    det = lid.lingua(None)
    recs = []
    for code, lines in data.items():
        for text in lines:
            line = lid.normalise(text[: lid.max_chars])
            top = lid._top(line, 5) if line else {}
            if top:
                conf = {v.language.iso_code_639_1.name.lower(): round(v.value, 9) for v in
                        det.compute_language_confidence_values(line[: lid.router.lingua_max_chars])}
                recs.append((code, len(line), top, conf))

    def variant(**router):
        from filters.langid import LanguageIdentifier

        return LanguageIdentifier(lid.model_path, lid.max_chars, dataclasses.replace(lid.router, **router),
                                  None, lid.aliases)

    def replay(ident, rec):
        _, n, top, conf = rec
        label, prob = next(iter(top.items()))
        cands, route = ident.route(label, prob, n)
        if route == "fasttext":
            return label, route, None
        if cands is not None:
            total = sum(conf.get(c, 0.0) for c in cands)
            conf = {c: conf[c] / total for c in cands if c in conf} if total else {}
        return ident.combine(top, conf, cands), route, conf

    def macro(ident) -> float:
        right = collections.Counter(code for code, *_ in recs if replay(ident, (code, *_))[0] == code)
        return statistics.mean(right[c] / len(lines) for c, lines in data.items())

    def components(pairs) -> list[list[str]]:
        comp: dict[str, set[str]] = {}
        for a, b in pairs:
            merged = comp.get(a, {a}) | comp.get(b, {b})
            for c in merged:
                comp[c] = merged
        return sorted(sorted(g) for g in {frozenset(g) for g in comp.values()})

    bare = variant(confusable=[], fasttext_groups=[], arbitration=[])
    hidden, mixed = collections.Counter(), collections.Counter()
    for rec in recs:
        code, n, top, _ = rec
        label, prob = next(iter(top.items()))
        if label != code:
            mixed[(label, code)] += 1
            if bare.route(label, prob, n)[1] == "fasttext":
                hidden[(label, code)] += 1
    confusable = components(p for p, v in hidden.items() if v >= min_hidden)
    known = lid.fasttext_codes
    groups = components(p for p, v in mixed.items()
                        if p[1] in known and v >= group_share * len(data[p[1]]))
    ident = variant(confusable=confusable, fasttext_groups=groups, arbitration=[])
    score, gains = macro(ident), {}
    for g in list(groups):  # a group stays only where it raises the tune macro accuracy
        rest = [h for h in groups if h != g]
        without = macro(variant(confusable=confusable, fasttext_groups=rest, arbitration=[]))
        gains[" ".join(g)] = round(score - without, 5)
        if without >= score:
            groups, score = rest, without
    ident = variant(confusable=confusable, fasttext_groups=groups, arbitration=[])
    pairs: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    for rec in recs:
        label, route, conf = replay(ident, rec)
        if route == "fasttext" or not conf:
            continue
        fast = max(sorted(rec[2]), key=rec[2].__getitem__)
        ling = max(sorted(conf), key=conf.__getitem__)
        if fast != ling:
            pairs[(fast, ling)][rec[0]] += 1
            pairs[(fast, ling)]["_product"] += label == rec[0]
    arbitration = []
    for (fast, ling), c in sorted(pairs.items()):
        best = max((ling, fast), key=lambda x: c[x])  # ties: lingua
        if c[best] - c["_product"] >= min_gain:
            arbitration.append([fast, ling, best])
    final = variant(confusable=confusable, fasttext_groups=groups, arbitration=arbitration)
    out = {"confusable": confusable, "fasttext_groups": groups, "arbitration": arbitration,
           "evidence": {"hidden": {f"{a}>{b}": v for (a, b), v in sorted(hidden.items()) if v >= min_hidden},
                        "mixed": {f"{a}>{b}": v for (a, b), v in sorted(mixed.items())
                                  if b in known and v >= group_share * len(data[b])},
                        "group_gain": gains,
                        "arbitration": {f"{a}/{b}": dict(pairs[(a, b)]) for a, b, _ in arbitration}},
           "tune_macro": {"bare": macro(bare), "learned": macro(final)}}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.langid", description=__doc__.split("\n\n")[0])
    p.add_argument("--kinds", nargs="+", default=["sentences", "word-pairs"])
    p.add_argument("--json", default=str(ROOT / ".bench" / "langid.json"))
    p.add_argument("--learn", action="store_true", help="print the router's per-language data learned on the tune "
                   "half of the sentences (for config/filters.yaml), then stop")
    p.add_argument("--min-hidden", type=int, default=5, help="confusable: tune sentences of a language that "
                   "fastText's confident label hides")
    p.add_argument("--group-share", type=float, default=0.2, help="fasttext_groups: share of a language's tune "
                   "sentences fastText gives another label")
    p.add_argument("--min-gain", type=int, default=3, help="arbitration: tune sentences gained over the product")
    args = p.parse_args(argv)
    if not LINGUA.exists():
        print(f"skip: {LINGUA} not found")
        return 0
    from filters.langid import LanguageIdentifier
    from filters.rules import FilterConfig

    lid = LanguageIdentifier.from_config(FilterConfig.load())
    if lid.router is None:
        print("langid.router.enabled is false in the config: nothing to compare")
        return 1
    if args.learn:
        learned = learn(lid, args.min_hidden, args.group_share, args.min_gain)
        print(json.dumps(learned["evidence"], indent=1))
        print(f"tune macro: without the data {learned['tune_macro']['bare']:.4f}, "
              f"with it {learned['tune_macro']['learned']:.4f}")
        for key in ("confusable", "fasttext_groups", "arbitration"):
            print(f"    {key}: " + json.dumps(learned[key]).replace('"', ""))
        return 0
    known = {c for c in read("sentences") if c in lid.fasttext_codes}
    print(f"{len(known)} of the lingua languages are lid.176 labels (after langid.aliases); "
          f"missing: {', '.join(sorted(set(read('sentences')) - known))}")
    fns = detectors(lid)
    report = {"known_to_fasttext": sorted(known)}
    for kind in args.kinds:
        report[kind] = run_kind(kind, lid, fns, known)
        print_kind(kind, report[kind])
    report["pages"] = documents(lid)
    report["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {report['max_rss_mib']:.0f} MiB (lingua's models for every language seen, both modes)")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
