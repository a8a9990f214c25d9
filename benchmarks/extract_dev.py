"""The extraction development set (tests/data/extract_dev) and the per-document confidence, for `make bench-extract`.

- Per kind: weft and trafilatura text F1 on the hand-labelled pages of tests/data/extract_dev (forum threads, Q&A,
  Chinese/Japanese articles, docs, listings, products, profiles; see its SOURCE.txt), split into the `dev` part
  that extraction rules were checked on and the `held` part measured only at the end. Scored with the bench's
  shingle metric, tokens per character for Han/kana (CJK_TOKEN: for Latin text the same as `\\w+`).
- Confidence: for every page of every set, weft's `extraction_agreement` (engine.html.agreement.confidence: the
  share of weft's lines that are prose times the share of resiliparse's main-content tokens weft also holds)
  against the page's weft F1: Spearman rank correlation (beside it, the plain Dice agreement it replaced), mean F1
  of the 10% least-confident pages against the rest, and what a union fallback below the probe would do (with
  resiliparse's paragraphs, and with trafilatura's text from the same run), with the share of pages it takes.
"""
from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "extract_dev"


def load_dev(splits: tuple[str, ...] = ("dev", "held")) -> list[dict]:
    rows = csv.DictReader((DEV / "kinds.tsv").open(encoding="utf-8"), delimiter="\t")
    return [{"id": f"extract_dev/{r['name']}.html.gz", "path": DEV / f"{r['name']}.html.gz", "url": r["url"],
             "kind": r["kind"], "split": r["split"],
             "truth": (DEV / f"{r['name']}.expected.txt").read_text(encoding="utf-8")}
            for r in rows if r["split"] in splits]


def per_kind(pages: list[dict], outputs: dict[str, dict], score: Callable) -> list[dict]:
    """Rows (split, kind, pages, F1 per extractor) plus an 'all' row per split; `score` = (truth, text) -> counts."""
    from benchmarks.metrics import prf
    groups: dict[tuple[str, str], list[dict]] = {}
    for p in pages:
        groups.setdefault((p["split"], p["kind"]), []).append(p)
        groups.setdefault((p["split"], "all"), []).append(p)
    rows = []
    for (split, kind), group in sorted(groups.items(), key=lambda kv: (kv[0][0] != "dev", kv[0][1] == "all", kv[0])):
        row = {"split": split, "kind": kind, "pages": len(group)}
        for name, res in outputs.items():
            f = prf([score(p["truth"], res[p["id"]][0]) for p in group])
            row[name] = f["f1"]
            row[name + "_recall"] = f["recall"]
        rows.append(row)
    return rows


def print_per_kind(rows: list[dict], names: list[str]) -> None:
    head = ("extract_dev split / kind (token F1, R)", "pages", *names)
    table = [head] + [(f"{r['split']:4} {r['kind']}", str(r["pages"]),
                       *(f"{r[n]:.3f} (R {r[n + '_recall']:.2f})" for n in names)) for r in rows]
    _print(table)


def confidence(sets: dict[str, list[dict]], union_below: float = 0.3,
               peer: dict[str, tuple[str, list]] | None = None) -> list[dict]:
    """Per set: weft's confidence (`extraction_agreement`) vs its F1 (Spearman; beside it the plain Dice
    agreement with the same second opinion, the score before), low-confidence pages' F1, and the union
    fallback's effect below `union_below`: with resiliparse's paragraphs (as `extract.html.union_below` would
    do) and with `peer`'s text (trafilatura's output from the same bench run), and the share of pages it takes."""
    import copy
    from collections import Counter

    from scipy.stats import spearmanr

    from benchmarks.metrics import prf, shingle_tp_fp_fn
    from engine.html import ExtractConfig, ExtractionRejected, extract
    from engine.html.agreement import agreement, second_opinion, tokens, union
    from engine.html.decode import decode_html
    rows = []
    for name, (pages, token) in sets.items():
        conf, dice, f1s, shipped, unioned, peer_unioned = [], [], [], [], [], []
        taken = shipped_fallback = 0
        for p in pages:
            html = p["html"] if "html" in p else gzip.decompress(p["path"].read_bytes())
            try:
                r = extract(html, p["url"])
                u = extract(html, p["url"], config=ExtractConfig(union_below=union_below))
            except ExtractionRejected:
                continue
            text = "\n".join(t for t in r.texts if t)
            c = shingle_tp_fp_fn(p["truth"], text, token)
            shipped.append(c)
            unioned.append(shingle_tp_fp_fn(p["truth"], "\n".join(t for t in u.texts if t), token))
            low = r.agreement is not None and r.agreement < union_below
            taken += low
            if peer is not None:
                pu = union(copy.deepcopy(r), [ln for ln in peer[p["id"]][0].split("\n") if ln.strip()],
                           ExtractConfig()) if low else r
                peer_unioned.append(shingle_tp_fp_fn(p["truth"], "\n".join(t for t in pu.texts if t), token))
            conf.append(r.agreement if r.agreement is not None else 0.0)
            other = second_opinion(html if isinstance(html, str) else decode_html(html)[0])
            dice.append(agreement(Counter(tokens(text)), Counter(tokens(other))) or 0.0)
            f1s.append(prf([c])["f1"])
            shipped_fallback += r.unioned
        low10 = set(sorted(range(len(conf)), key=lambda i: conf[i])[:max(1, len(conf) // 10)])
        rest = [f for i, f in enumerate(f1s) if i not in low10]
        n = max(1, len(conf))
        rows.append({"set": name, "pages": len(conf), "spearman": float(spearmanr(conf, f1s).statistic),
                     "spearman_dice": float(spearmanr(dice, f1s).statistic),
                     "low10_f1": sum(f1s[i] for i in low10) / len(low10), "rest_f1": sum(rest) / max(1, len(rest)),
                     "f1_shipped": prf(shipped)["f1"], "f1_union": prf(unioned)["f1"],
                     "f1_peer_union": prf(peer_unioned)["f1"] if peer is not None else None,
                     "fallback_share": taken / n, "shipped_fallback_share": shipped_fallback / n})
    return rows


def print_confidence(rows: list[dict], union_below: float) -> None:
    head = ("confidence (extraction_agreement)", "pages", "Spearman vs F1 (Dice)", "F1 10% least confident / rest",
            "F1 shipped (fallback taken)", f"F1 resiliparse union<{union_below:g}",
            f"F1 trafilatura union<{union_below:g}", "pages below")
    table = [head] + [(r["set"], str(r["pages"]), f"{r['spearman']:.3f} ({r['spearman_dice']:.3f})",
                       f"{r['low10_f1']:.3f} / {r['rest_f1']:.3f}",
                       f"{r['f1_shipped']:.4f} ({r['shipped_fallback_share']:.1%})", f"{r['f1_union']:.4f}",
                       "-" if r["f1_peer_union"] is None else f"{r['f1_peer_union']:.4f}",
                       f"{r['fallback_share']:.1%}")
                      for r in rows]
    _print(table)


def _print(table: list[tuple]) -> None:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    print()
    for k, row in enumerate(table):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
        if k == 0:
            print("-+-".join("-" * w for w in widths))
