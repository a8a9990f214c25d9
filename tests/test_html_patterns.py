"""engine.html.text.any_word (class/id hints factored by common prefixes) finds what the plain alternation finds."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.html.text import any_word

WORDS = "ad|ads|advert|advertisement|com-|comment|community|combx|foot|footer|footnote|h-entry|hentry|-ad-|a.b"


@settings(max_examples=400)
@given(st.text(alphabet=st.sampled_from(list("adsvertismnocmbxfhpu-.AD ")), max_size=24))
def test_factored_words_match_the_same_strings_as_the_alternation(text):
    literal = "|".join(map(re.escape, WORDS.split("|")))  # the hints' words are literals ("." is no wildcard)
    plain, factored = re.compile(literal), any_word(WORDS)
    assert (plain.search(text) is None) == (factored.search(text) is None)
    # inside delimiters (clean.META's use: a word of its own, case-insensitive), too
    wrap = r"(?:^|[\s_-])(?:{})(?:$|[\s_-])"
    assert ((re.search(wrap.format(literal), text, re.I) is None)
            == (re.search(wrap.format(any_word(WORDS).pattern), text, re.I) is None))


def test_the_words_are_literals():
    assert any_word("a.b").search("axb") is None and any_word("a.b").search("a.b")
    assert any_word("foot|footer").pattern == "foot(?:er)?"
