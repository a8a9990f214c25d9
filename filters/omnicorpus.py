"""OmniCorpus's English human-feedback rules (Li et al. 2024, "OmniCorpus: A Unified Multimodal Corpus of 10
Billion-Level Images Interleaved with Text", arXiv:2406.08418, Sec. 3.2; reference code
github.com/OpenGVLab/OmniCorpus human_feedback_textfiltering/text_filter/filters.py), re-implemented over
weft's paragraph list instead of trafilatura's XML.

Paragraph level (edits the document through Document.keep_positions, so texts/images stay aligned):
  social/boilerplate lines ("... comments", "share", "subscribe", "copyright", "for more info", "most read"),
  sign-in / read-more / cookie / advertisement lines, upper-case paragraphs (> 80% capitals), source and
  photo credits, short by-lines / dates / phone numbers, a trailing "[1] ..." citation block, a final
  parenthesised note, short image captions next to an image.
Document level (scores, decided by config): words per image, mean words per paragraph, share of paragraphs
removed. OmniCorpus publishes no numbers for these; the defaults in config/filters.yaml are weft's and are
marked so there.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate
from operator import methodcaller, ne

import numpy as np

from engine.document import Document
from filters.text import TextStats

# OmniCorpus's `^.*(references|likes?|...) *:? *$` on one line, as suffixes (str.endswith is C-fast).
_SOCIAL_ENDINGS = ("references", "like", "likes", "share", "shares", "comment", "comments", "review", "reviews",
                   "reviews about", "call us at", "email us at", "more images", "users online", "copyright",
                   "subscribe", "subscribes")
# what `candidates` looks for at the end: a social ending, with ':' after it, or " :"; or a final ')'
_CANDIDATE_ENDINGS = (*_SOCIAL_ENDINGS, *(e + ":" for e in _SOCIAL_ENDINGS), " :", ")")
_SOCIAL_PHRASES = ("for more info", "for more detail", "top threads", "most read", "most viewed", "most shared",
                   "most liked", "more here")
_DOWNLOAD_PHRASES = ("for details on the", "the link is")
# weft addition named in the issue: short navigation/consent lines. Patterns below run on the lower-cased
# paragraph instead of with re.IGNORECASE (several times faster in Python's re).
_UI_LITERALS = ("sign in", "sign up", "log in", "login", "log out", "register", "read more", "continue reading",
                "share this", "share on", "cookie", "advertisement", "sponsored", "all rights reserved", "follow us")
_UI_LINE = re.compile(
    r"\b(sign in|sign up|log ?in|log out|register|read more|continue reading|share this|share on|"
    r"cookies?|advertisement|sponsored|all rights reserved|follow us)\b"
)
_PUBLISHED_BY = re.compile(r"published\s*by")
_PHOTO_CREDITS = re.compile(r"all\s*photo\s*credits\s*and\s*copyright")
_SOURCE_NOTES = (re.compile(r"\(cf\..*?\)$"), re.compile(r"\([\w\s&,]+\s*,\s*\d{4,}\)$"))
_DIGIT = re.compile(r"\d")
_ASCII_LOWER = bytes(range(ord("a"), ord("z") + 1))
_PHONE = re.compile(r"\d{3}-\d{3}-\d{4}|\(\d{3}\)\s?\d{3}-\d{4}")
_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MON = f"(?:{'|'.join(_MONTH_ABBREVIATIONS)})"
_DATE_TIME = re.compile(
    rf"{_MONTHS}\s\d{{1,2}},\s\d{{4}}|{_MON}\s\d{{1,2}},\s\d{{4}}|\d{{1,2}}\s{_MON}\s\d{{4}}"
    r"|\b\d{1,2}[:.]\d{2}\s*(?:a|p)?\.?m\.?\b|\b(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?\b"
    r"|\b(?:[01]?[0-9]|2[0-3])(?::[0-5][0-9])?(?:[ap]\.?m\.?)\b"
)


def _after_first_character(words: tuple[str, ...]) -> str:
    """`Jan|Jun|Feb` as `(?<=J)(?:an|un)|(?<=F)(?:eb)`, to follow a class of the first characters."""
    rest: dict[str, list[str]] = {}
    for w in words:
        rest.setdefault(w[0], []).append(re.escape(w[1:]))
    return "|".join(f"(?<={re.escape(c)})(?:{'|'.join(r)})" for c, r in rest.items())


# A necessary condition of _DATE_TIME (every alternative has digit-[:.]-digit, a digit then am/pm, or a month
# abbreviation), the pre-check before that regex in `candidates`: `\d[:.]\d|\d[ap]\.?m|Jan|...|Dec`, written to
# start with one character class so that re skips in C to the positions that can start a match (an alternation
# is tried branch by branch at every position): 1.7x faster on the fixture paragraphs.
_MAY_BE_DATE_TIME = re.compile(
    rf"[\d{''.join(dict.fromkeys(m[0] for m in _MONTH_ABBREVIATIONS))}]"
    rf"(?:(?<=\d)(?:[:.]\d|[ap]\.?m)|{_after_first_character(_MONTH_ABBREVIATIONS)})")
_PHOTO_BY = re.compile(r"\(Photo:[A-Za-z,\s]{0,20}\)")
_CITATION_ITEM = re.compile(r"\[\d{1,2}\]\s.*(?<=\.)")
_CAPTION_WORDS = ("photo", "image", "picture", "credit", "getty", "shutterstock", "courtesy", "caption",
                  "reuters", "afp", "illustration")

SCORE_NAMES = ("omni_paragraphs_removed_frac", "omni_words_per_image", "omni_mean_paragraph_words")


def paragraph_reason(text: str, uppercase_max: float, ui_line_max_words: int) -> str | None:
    """Why this paragraph is boilerplate (rule name), or None to keep it. Position-independent rules only."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    lower = stripped.lower()
    n_space_words = stripped.count(" ") + 1
    # any(map(lower.__contains__, ...)): substring tests without a Python frame per phrase
    if ("\n" not in lower and lower.rstrip(" ").removesuffix(":").rstrip(" ").endswith(_SOCIAL_ENDINGS)) or any(
            map(lower.__contains__, _SOCIAL_PHRASES)):
        return "social"
    if any(map(lower.__contains__, _DOWNLOAD_PHRASES)):
        return "download_link"
    if len(stripped.split()) <= ui_line_max_words and _UI_LINE.search(lower):
        return "ui_line"
    if _mostly_uppercase(stripped, uppercase_max):
        return "uppercase"
    if (lower.startswith("special thanks") or ("published" in lower and _PUBLISHED_BY.search(lower))
            or ("photo" in lower and _PHOTO_CREDITS.search(lower))
            or (stripped.endswith(")") and any(p.search(stripped) for p in _SOURCE_NOTES))):
        return "source_credit"
    if n_space_words < 80 and "-" in stripped and _PHONE.search(stripped):
        return "phone"
    if (n_space_words < 20 and _DIGIT.search(stripped) and _may_be_date_time(stripped)
            and _DATE_TIME.search(stripped)):
        return "date_time"
    if n_space_words < 10 and (lower.startswith("by ") or ("(Photo:" in stripped and _PHOTO_BY.search(stripped))):
        return "byline"
    return None


def _may_be_date_time(text: str) -> bool:
    """Every _DATE_TIME alternative contains ':' (times), 'm' (am/pm) or a month abbreviation: cheap substring
    tests that spare the regex on most short lines with digits."""
    return ":" in text or "m" in text or any(map(text.__contains__, _MONTH_ABBREVIATIONS))


def _mostly_uppercase(stripped: str, uppercase_max: float) -> bool:
    """More than `uppercase_max` of the non-space characters are upper case. Lower-case ASCII letters (counted
    with bytes.translate, C speed) settle almost every paragraph without looking at each character."""
    letters = sum(map(len, stripped.split()))  # characters that are not whitespace
    if not letters:
        return False
    raw = stripped.encode("utf-8", "surrogatepass")
    if len(raw) - len(raw.translate(None, _ASCII_LOWER)) >= (1 - uppercase_max) * letters:
        return False  # enough lower-case letters that the upper-case share cannot exceed the limit
    return sum(map(str.isupper, stripped)) / letters > uppercase_max


def _is_caption(text: str, max_words: int) -> bool:
    lower = text.lower()
    return len(re.findall(r"\w+", lower)) < max_words and any(w in lower for w in _CAPTION_WORDS)


@lru_cache(maxsize=1)
def _trigger_automaton():
    """Every literal that some text rule needs (phrases, UI words, "published", "photo", ...), for one
    Aho-Corasick pass over a document's lower-cased paragraphs."""
    import ahocorasick

    words = (*_SOCIAL_PHRASES, *_DOWNLOAD_PHRASES, *_UI_LITERALS, "special thanks", "published", "photo")
    automaton = ahocorasick.Automaton()
    for w in words:
        automaton.add_word(w, w)
    automaton.make_automaton()
    return automaton


def _spaces_and_upper_py(stripped: list[str], lowers: list[str], uppercase_max: float) -> tuple[list, list]:
    """Per paragraph: its spaces, and whether the upper-case rule may hold (a necessary condition: more than
    `uppercase_max` of the non-space characters upper case needs an upper-case letter, so lower-casing changes
    the text, and fewer lower-case ASCII letters than (1 - uppercase_max) of the characters, counted on the
    UTF-8 bytes as the rule does)."""
    n_spaces = list(map(methodcaller("count", " "), stripped))
    raw = [x.encode("utf-8", "surrogatepass") for x in stripped]
    n_lower = np.fromiter(map(len, raw), np.int64, len(raw)) - np.fromiter(
        map(len, map(methodcaller("translate", None, _ASCII_LOWER), raw)), np.int64, len(raw))
    n_chars = np.fromiter(map(len, stripped), np.int64, len(stripped))
    maybe_upper = ((n_lower < (1 - uppercase_max) * n_chars)
                   & np.fromiter(map(ne, stripped, lowers), bool, len(stripped))).tolist()
    return n_spaces, maybe_upper


def _spaces_and_upper_c(stripped: list[str], lowers: list[str], uppercase_max: float) -> tuple[list, list]:
    """The same from one C pass (filters/_native.c), with the upper-case rule itself instead of a pre-check."""
    counts = np.frombuffer(_paragraph_counts(stripped, uppercase_max), dtype=np.int64).reshape(-1, 2)
    return counts[:, 0].tolist(), counts[:, 1].tolist()


try:  # built by `pip install` where a C compiler exists
    from filters._native import paragraph_counts as _paragraph_counts
    _spaces_and_upper = _spaces_and_upper_c
except ImportError:  # e.g. code shipped to Spark executors as a zip
    _spaces_and_upper = _spaces_and_upper_py


def candidates(stripped: list[str], uppercase_max: float) -> list[int]:
    """Indexes of the paragraphs that some rule of `paragraph_reason` could remove; the others are kept without
    running the rules. Each test is a necessary condition of a rule, computed for all paragraphs at once (C-level
    maps, one Aho-Corasick pass, numpy), so the common paragraph costs no Python frame:
      empty; ends like a social line (or with ':'); contains a rule's literal (phrases, UI words, "published",
      "photo" - which covers "(Photo:"); ends with ')'; upper case (the rule itself from the compiled pass,
      or few lower-case ASCII letters without it);
      is short (< 20 words) and has a date or time, or has a phone number (< 80 words): the rules' own tests;
      starts with "by " (< 10 words: by-lines)."""
    lowers = list(map(str.lower, stripped))
    n_spaces, maybe_upper = _spaces_and_upper(stripped, lowers, uppercase_max)
    hit = set()
    joined = "\n".join(lowers)
    if joined:
        starts = list(accumulate((len(x) + 1 for x in lowers), initial=0))
        for end, _ in _trigger_automaton().iter(joined):
            hit.add(bisect_right(starts, end) - 1)
    social_end = map(methodcaller("endswith", _CANDIDATE_ENDINGS), lowers)
    by_line = map(methodcaller("startswith", "by "), lowers)
    # dates and phones: the rules' own tests (cheap pre-checks first), so a decimal number or "Market" does not
    # send a paragraph through every rule
    may_be_date, date, phone = _MAY_BE_DATE_TIME.search, _DATE_TIME.search, _PHONE.search
    return [i for i, (x, spaces, upper, social, by) in enumerate(
        zip(stripped, n_spaces, maybe_upper, social_end, by_line))
        if not x or upper or social or i in hit or (by and spaces < 9)
        or (spaces < 19 and may_be_date(x) and date(x)) or (spaces < 79 and "-" in x and phone(x))]


def paragraph_mask(doc: Document, cfg: dict) -> tuple[list[bool], dict[str, int]]:
    """keep-mask over doc positions and the count of removed paragraphs per rule; `cfg`: the `omnicorpus`
    section of config/filters.yaml."""
    upper = float(cfg["uppercase_max"])
    ui_words = int(cfg["ui_line_max_words"])
    caption_words = int(cfg["caption_max_words"])
    keep = [True] * len(doc.texts)
    reasons: dict[str, int] = {}

    def drop(i: int, why: str) -> None:
        if keep[i]:
            keep[i] = False
            reasons[why] = reasons.get(why, 0) + 1

    text_pos = [i for i, t in enumerate(doc.texts) if t is not None]
    stripped = [doc.texts[i].strip() for i in text_pos]
    for k in candidates(stripped, upper):
        why = paragraph_reason(doc.texts[text_pos[k]], upper, ui_words)
        if why:
            drop(text_pos[k], why)
    # Position rules: a "[n] ..." reference list that reaches the last five paragraphs, a final "(...)" note.
    cites = [i for i in text_pos if _CITATION_ITEM.match(doc.texts[i])]
    if cites and cites[-1] in text_pos[-5:]:
        for i in cites:
            drop(i, "citation_block")
    if text_pos:
        last = doc.texts[text_pos[-1]].strip()
        if last.startswith("(") and last.endswith(")"):
            drop(text_pos[-1], "trailing_note")
    # Captions: the text position right before or after an image.
    for i, url in enumerate(doc.images):
        if url is None:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(doc.texts) and doc.texts[j] is not None and _is_caption(doc.texts[j], caption_words):
                drop(j, "image_caption")
    return keep, reasons


def document_scores(doc: Document, ts: TextStats, removed: int, paragraphs_before: int) -> dict[str, float | None]:
    """Scores on the edited document; `ts` is the TextStats of its main text (words already counted there)."""
    paragraphs = doc.paragraphs
    total = ts.n_content_words
    images = sum(u is not None for u in doc.images)
    return {
        "omni_paragraphs_removed_frac": removed / paragraphs_before if paragraphs_before else None,
        "omni_words_per_image": total / images if images else None,
        "omni_mean_paragraph_words": total / len(paragraphs) if paragraphs else None,
    }
