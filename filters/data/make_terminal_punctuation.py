"""Rebuild terminal_punctuation.json (run by hand when Python's Unicode database changes; the output is committed,
and tests/test_filters.py recomputes it and checks that it is unchanged):

    python -m filters.data.make_terminal_punctuation

Characters that end a sentence in some script (., !, ?, 。, ।, ؟, ...), from Unicode character names: a scan of
all 1.1 M code points (about 0.5 s), done here once instead of at every worker start.
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

OUT = Path(__file__).parent / "terminal_punctuation.json"


def sentence_terminals() -> str:
    keys = ("FULL STOP", "QUESTION MARK", "EXCLAMATION MARK", "DANDA", "INTERROBANG")
    out = []
    for cp in range(0x110000):
        name = unicodedata.name(chr(cp), "")
        if any(k in name for k in keys) and "INVERTED" not in name and "ORNAMENT" not in name:
            if unicodedata.category(chr(cp)).startswith("P"):
                out.append(chr(cp))
    return "".join(sorted(set(out)))


def render() -> str:
    return json.dumps({"unicode": unicodedata.unidata_version, "characters": sentence_terminals()},
                      ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
