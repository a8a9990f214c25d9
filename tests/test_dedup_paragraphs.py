"""Paragraph keys of in-domain boilerplate removal (engine/dedup/paragraphs.py), without Spark."""
from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from engine.dedup.paragraphs import normalize, paragraph_batch


@given(st.text(alphabet=st.sampled_from(list("aZ é\t\n\r\x0b\x0c\xa0\u2003\u200b\u3000İΣ.")), max_size=30))
def test_the_fast_path_normalises_as_split_and_join(text):
    assert normalize(text) == " ".join(text.lower().split())


def test_keys_ignore_case_and_whitespace_and_skip_blank_paragraphs():
    batch = pa.RecordBatch.from_pydict({
        "_id": ["a", "b", "c"], "domain": ["x.org", "x.org", None],
        "text": ["Home  | About\n\t\nBody of a\n", "home | about\r\nother\xa0body", "Home | About"]})
    rows = paragraph_batch(batch, "\n").to_pylist()
    # c has no domain; a's tab line and trailing empty line are blank; positions index the split lines
    assert [(r["_id"], r["pos"]) for r in rows] == [("a", 0), ("a", 2), ("b", 0), ("b", 1)]
    key = {(r["_id"], r["pos"]): r["key"] for r in rows}
    assert key["a", 0] == key["b", 0]  # "Home  | About" and "home | about\r" are one paragraph
    assert len({key["a", 0], key["a", 2], key["b", 1]}) == 3


def test_document_lists_keep_their_positions_past_image_slots():
    batch = pa.RecordBatch.from_pydict({"_id": ["d"], "domain": ["y.org"], "texts": [[None, "Menu", None, " ", "Menu "]]},
                                       schema=pa.schema([("_id", pa.string()), ("domain", pa.string()),
                                                         ("texts", pa.list_(pa.string()))]))
    rows = paragraph_batch(batch, None).to_pylist()
    assert [r["pos"] for r in rows] == [1, 4] and rows[0]["key"] == rows[1]["key"]
