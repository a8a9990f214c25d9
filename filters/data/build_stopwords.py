"""Rebuild filters/data/stopwords.json (run by hand; the output is committed).

Gopher's stop-word rule asks for at least two of eight very common English words. For other languages we take
the stopwords-iso list (PyPI `stopwordsiso`, MIT) and keep its 8 most frequent entries in the Leipzig web
sentences of ../shared/data/langid/lingua/sentences/<lang>.txt, so the rule means the same thing ("the text
contains ordinary function words") in every language we have a list for. Entries are matched as tokens of
filters.text.tokenize, so Chinese/Japanese keep only single-character stop words.

    pip download --no-deps stopwordsiso==0.7.1 && unzip stopwordsiso-*.whl -d /tmp/swiso
    python -m filters.data.build_stopwords /tmp/swiso/stopwordsiso/stopwords-iso.json
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from filters.text import PUNCTUATION, tokenize

GOPHER_EN = ["the", "be", "to", "of", "and", "that", "have", "with"]  # Rae et al. 2021, Gopher, Appendix A.1.1
TOP_K = 8


def main(iso_json: str) -> None:
    iso = json.loads(Path(iso_json).read_text())
    sentences = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "langid" / "lingua" / "sentences"
    out = {"en": GOPHER_EN}
    for lang, words in sorted(iso.items()):
        path = sentences / f"{lang}.txt"
        if lang == "en" or not path.exists():
            continue
        wanted = {w.lower() for w in words if not PUNCTUATION.issuperset(w)}
        counts = Counter(t for t in tokenize(path.read_text(encoding="utf-8").lower(), lang) if t in wanted)
        top = [w for w, n in counts.most_common(TOP_K) if n >= 5]
        if len(top) >= 4:
            out[lang] = top
    Path(__file__).with_name("stopwords.json").write_text(json.dumps(out, ensure_ascii=False, indent=0) + "\n")
    print(f"{len(out)} languages")


if __name__ == "__main__":
    main(sys.argv[1])
