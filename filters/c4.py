"""C4 quality scores (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified
Text-to-Text Transformer", JMLR 21(140), Sec. 2.2; reference code tensorflow_datasets/text/c4_utils.py).

C4 keeps only lines that end in terminal punctuation (. ? ! " ') and not in an ellipsis, have >= 3 words,
no word over 1,000 characters, and no "javascript" or cookie/terms-of-use/privacy-policy phrase; it drops a
page with < 5 sentences left, or with "lorem ipsum" or a curly bracket in a kept line. weft records those
as scores (sentences left, lorem/curly flags, lines C4 would remove) and does not rewrite the text: the
OmniCorpus paragraph rules are what edit documents here, so that text and images stay aligned.
"""
from __future__ import annotations

import re

from filters.rules import decide_family
from filters.text import TextStats

FAMILY = "c4"
_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
_END_PUNCTUATION = (".", "?", "!", '"', "'")
_POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
# A sentence ends at ., ! or ? (plus closing quotes/brackets) followed by whitespace and more text.
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=\S)")
MAX_WORD_CHARS = 1000
MIN_WORDS_PER_LINE = 3


def score(ts: TextStats) -> dict[str, float | None]:
    sentences = kept = javascript = policy = total = 0
    lorem = curly = 0.0
    for raw in ts.lines:
        line = raw.strip()
        if not line:
            continue
        total += 1
        words = line.split()
        if len(line) > MAX_WORD_CHARS and any(len(w) > MAX_WORD_CHARS for w in words):
            continue
        if "[" in line:  # every citation pattern has one
            line = _CITATION.sub("", line)
        if not line.endswith(_END_PUNCTUATION) or line.endswith("..."):
            continue
        if len(words) < MIN_WORDS_PER_LINE:
            continue
        lower = line.lower()
        if "lorem ipsum" in lower:
            lorem = 1.0
        if "javascript" in lower:
            javascript += 1
            continue
        if "{" in line:
            curly = 1.0
        if any(p in lower for p in _POLICY):
            policy += 1
            continue
        kept += 1
        sentences += 1 + len(_SENTENCE_END.findall(line))
    return {
        "c4_sentences": float(sentences),
        "c4_lorem_ipsum": lorem,
        "c4_curly_bracket": curly,
        "c4_javascript_lines": float(javascript),
        "c4_policy_lines": float(policy),
        "c4_kept_lines_frac": kept / total if total else None,
    }


def decide(scores: dict[str, float | None], cfg) -> tuple[bool, str | None]:
    return decide_family(scores, cfg, FAMILY)
