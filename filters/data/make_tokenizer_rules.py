"""Regenerate tokenizer_rules.json from spaCy (run with a Python that has spaCy installed, e.g. .venv-datatrove):

    .venv-datatrove/bin/python filters/data/make_tokenizer_rules.py

The file holds data only: spaCy's prefix / suffix / infix / URL patterns and its special cases (orth -> token
texts) for English and for the language-independent base (spaCy, MIT licence, (c) ExplosionAI GmbH). weft's own
tokeniser (filters/tokens.py) applies them, so weft's word counts and n-grams match datatrove's (which tokenises
with spacy.blank(lang)) without spaCy at run time.
"""
import json
from pathlib import Path

import spacy
from spacy.attrs import ORTH


def rules(lang: str) -> dict:
    tok = spacy.blank(lang).tokenizer
    return {
        "prefix": tok.prefix_search.__self__.pattern,
        "suffix": tok.suffix_search.__self__.pattern,
        "infix": tok.infix_finditer.__self__.pattern,
        "url": tok.url_match.__self__.pattern if tok.url_match else None,
        "token_match": tok.token_match.__self__.pattern if tok.token_match else None,
        "special": {orth: [t[ORTH] for t in toks] for orth, toks in sorted(tok.rules.items())},
    }


if __name__ == "__main__":
    out = {"source": f"spaCy {spacy.__version__} (MIT)", "en": rules("en"), "xx": rules("xx")}
    Path(__file__).with_name("tokenizer_rules.json").write_text(json.dumps(out, ensure_ascii=False, indent=0))
    print("now rebuild the tables made from these rules: python -m filters.data.make_affix_tables")
