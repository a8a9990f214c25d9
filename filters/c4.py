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
from itertools import compress, repeat
from operator import gt, itemgetter, methodcaller

from filters.text import TextStats

_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
_END_PUNCTUATION = (".", "?", "!", '"', "'")
_POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
# A sentence ends at ., ! or ? (plus closing quotes/brackets) followed by whitespace and more text. Written
# [.!?][.!?]* rather than [.!?]+ (the same matches): a pattern that starts with a character class lets re skip
# to the next candidate character in C.
_SENTENCE_END = re.compile(r"[.!?][.!?]*[\"'”’)\]]*\s+(?=\S)")
MAX_WORD_CHARS = 1000
MIN_WORDS_PER_LINE = 3
SCORES = ("c4_sentences", "c4_lorem_ipsum", "c4_curly_bracket", "c4_javascript_lines", "c4_policy_lines",
          "c4_kept_lines_frac")


def score(ts: TextStats) -> dict[str, float | None]:
    """The line rules above over all lines at once: C-level maps and one regex pass over the joined lines pick the
    lines C4 keeps; only a page with "javascript" or a policy phrase in a kept line looks at lines one by one."""
    lines = list(filter(None, map(str.strip, ts.lines)))  # what C4 sees: stripped, non-empty lines
    total = len(lines)
    if "[" in ts.text:  # every citation pattern has one; no pattern spans lines, so one pass over them all
        cleaned = _CITATION.sub("", "\n".join(lines)).split("\n")
    else:
        cleaned = lines
    # the punctuation end (not an ellipsis) on the cleaned line; >= 3 words and no over-long word on the line
    ends = map(methodcaller("endswith", _END_PUNCTUATION), cleaned)
    punctuated = list(compress(zip(lines, cleaned), map(gt, ends, map(methodcaller("endswith", "..."), cleaned))))
    n_words = map(len, map(str.split, map(itemgetter(0), punctuated)))
    kept_lines = [clean for line, clean in compress(punctuated, map(MIN_WORDS_PER_LINE.__le__, n_words))
                  if len(line) <= MAX_WORD_CHARS or max(map(len, line.split())) <= MAX_WORD_CHARS]
    lower = "\n".join(kept_lines).lower()  # no phrase below spans lines
    lorem = 1.0 if "lorem ipsum" in lower else 0.0
    javascript = policy = 0
    scanned = kept_lines  # the lines the curly-bracket rule looks at: all but "javascript" lines
    if "javascript" in lower or any(map(lower.__contains__, _POLICY)):
        scanned, kept_lines, javascript, policy = _without_script_and_policy(kept_lines)
    curly = 1.0 if any(map(str.__contains__, scanned, repeat("{"))) else 0.0
    kept = len(kept_lines)
    # "\0" is neither punctuation nor space: no sentence end spans two lines joined by it
    sentences = kept + len(_SENTENCE_END.findall("\0".join(kept_lines)))
    return {
        "c4_sentences": float(sentences),
        "c4_lorem_ipsum": lorem,
        "c4_curly_bracket": curly,
        "c4_javascript_lines": float(javascript),
        "c4_policy_lines": float(policy),
        "c4_kept_lines_frac": kept / total if total else None,
    }


def _without_script_and_policy(lines: list[str]) -> tuple[list[str], list[str], int, int]:
    """(lines without "javascript", those also without a policy phrase, how many of each were dropped)."""
    scanned, kept = [], []
    for line in lines:
        lower = line.lower()
        if "javascript" in lower:
            continue
        scanned.append(line)
        if not any(map(lower.__contains__, _POLICY)):
            kept.append(line)
    return scanned, kept, len(lines) - len(scanned), len(scanned) - len(kept)
