"""The extraction benchmarks' text metric: 4-gram shingle precision / recall / F1 against ground truth (the
ScrapingHub article-extraction-benchmark's measure), shared by benchmarks.extract and benchmarks.extract_dev."""
from __future__ import annotations

import re
import statistics
from collections import Counter

WORD_TOKEN = re.compile(r"\w+")


CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Chinese and Japanese write no spaces between words, so `\w+` makes a whole clause one token: for the
# per-script section, each Han/kana character is a token of its own
CJK_TOKEN = re.compile(f"[{CJK_RANGES}]|[^\\W{CJK_RANGES}]+")


def shingles(text: str, n: int = 4, token: re.Pattern = WORD_TOKEN) -> Counter:
    tokens = token.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def shingle_tp_fp_fn(truth: str, pred: str, token: re.Pattern = WORD_TOKEN) -> tuple[float, float, float]:
    t, p = shingles(truth, token=token), shingles(pred, token=token)
    tp = float(sum((t & p).values()))
    fp = float(sum((p - t).values()))
    fn = float(sum((t - p).values()))
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def prf(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    def precision(tp, fp, fn):
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def recall(tp, fp, fn):
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)

    ps = [precision(*c) for c in counts if c[0] + c[1] > 0]
    rs = [recall(*c) for c in counts if c[0] + c[2] > 0]
    p = statistics.mean(ps) if ps else 0.0
    r = statistics.mean(rs) if rs else 0.0
    return {"f1": 2 * p * r / (p + r) if p + r else 0.0, "precision": p, "recall": r}
