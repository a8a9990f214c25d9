"""Short seeded fuzz run (the long one is `make fuzz`, see tests/fuzz/), plus regressions for what fuzzing found.

Each target gets hypothesis-drawn randomness: which real fixture to start from and which damage to do to it
(tests/fuzz/mutators.py, pages.py, warcs.py). derandomize keeps the suite deterministic; a failure prints the
drawn random state to reproduce it.
"""
from __future__ import annotations

import time

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from engine.extract import ExtractionRejected, extract, nesting_depth  # noqa: E402
from engine.http import dechunk  # noqa: E402
from engine.ingest import warc_to_documents  # noqa: E402
from engine.stats import StageStats  # noqa: E402
from tests.fuzz import campaign, seeds  # noqa: E402
from tests.fuzz.targets import TARGETS  # noqa: E402

# ~2,300 cases, ~40 s on two cores
_EXAMPLES = {"warc": 800, "http": 1200, "html": 300}


def _fuzz(target: str, rng) -> None:
    make, run = TARGETS[target]
    data = make(rng)
    start = time.perf_counter()
    run(data, rng)  # raises on a broken invariant or an uncaught engine exception
    assert time.perf_counter() - start < campaign.TIME_CAP_S


def _settings(target: str):
    return settings(max_examples=_EXAMPLES[target], deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def test_seeds_come_from_the_real_fixtures():
    assert len(seeds.warc_files()) >= 20 and len(seeds.http_blocks()) >= 20 and len(seeds.html_pages()) >= 50
    assert all(b.startswith(b"HTTP/") for b in seeds.http_blocks())


@_settings("warc")
@given(rng=st.randoms(use_true_random=False))
def test_fuzz_warc_ingest(rng):
    _fuzz("warc", rng)


@_settings("http")
@given(rng=st.randoms(use_true_random=False))
def test_fuzz_http_decoding(rng):
    _fuzz("http", rng)


@_settings("html")
@given(rng=st.randoms(use_true_random=False))
def test_fuzz_html_extraction(rng):
    _fuzz("html", rng)


def test_campaign_counts_cases_and_reports():
    summary = campaign.run({"http": 30, "html": 10}, seed=7, jobs=1)
    assert summary["http"]["cases"] == 30 and summary["html"]["cases"] == 10
    assert not summary["http"]["findings"] and not summary["html"]["findings"]
    assert "| **total** | 40 | 0 | 0 | 0 |" in campaign.report(summary, 7)


# ---------------------------------------------------------------- regressions (found by the fuzzer)

def test_dechunk_negative_chunk_size_terminates():
    # found: a chunk size of "-5" (int() accepts a sign) moved the cursor backwards: an endless loop
    assert dechunk(b"-5\r\nabc\r\n0\r\n\r\n") == (b"-5\r\nabc\r\n0\r\n\r\n", True)
    assert dechunk(b"3\r\nabc\r\n-5\r\nxx\r\n") == (b"abc", False)


def test_stray_end_tags_do_not_hide_nesting():
    # found: `<div></i>` repeated: the parser ignores `</i>` (nothing to close), the depth scan counted it as a
    # close, so 100k levels went to lexbor (~50 s) instead of being refused
    start = time.perf_counter()
    with pytest.raises(ExtractionRejected) as e:
        extract("<html><body>" + "<span>x</i>" * 100_000 + "<p>text</p></body></html>")
    assert e.value.reason == "too_deep" and time.perf_counter() - start < 2
    assert nesting_depth("<span><div>x</span>" * 3000, 5000) > 5000  # </span> cannot cross the open <div>


def test_misnested_but_shallow_pages_are_not_refused():
    assert nesting_depth("<b><div>x</b></div>" * 6000, 5000) == 2  # adoption agency: b moves inside the div
    assert nesting_depth("<div><span>x</div>" * 6000, 5000) == 2  # </div> closes the span with it
    assert nesting_depth("<div>" + "<x>" * 300 + "</div>" * 200_000, 5000) < 5000  # the scan stays linear


def _response(record_id: str, url: str, words: str) -> bytes:
    html = f"<html><body><article><p>{(words + ', and more words. ') * 20}</p></article></body></html>".encode()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: {record_id}\r\nWARC-Target-URI: {url}\r\n"
            f"WARC-Date: 2020-01-01T00:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(http)}\r\n\r\n").encode()
    return head + http + b"\r\n\r\n"


def test_repeated_record_id_keeps_both_documents(tmp_path):
    # found: two records with one WARC-Record-ID (a record copied by a broken writer): the second document
    # replaced the first in the pending window, so a document counted as kept was never emitted
    path = tmp_path / "dup.warc"
    rid = "<urn:uuid:00000000-0000-0000-0000-000000000001>"
    path.write_bytes(_response(rid, "http://a.example/", "first page text")
                     + _response(rid, "http://b.example/", "second page text"))
    stats = StageStats("t")
    docs = list(warc_to_documents(str(path), "dup.warc", stats))
    stats.check()
    assert stats.kept == len(docs) == 2
    assert [d.url for d in docs] == ["http://a.example/", "http://b.example/"]


def test_deep_text_heavy_page_stays_within_the_time_budget():
    # found: a UTF-16 page read as UTF-8 then stripped of NULs, repeated to 2 MB: 400 nested blocks each
    # measured their deep text while scoring and cleaning (quadratic, 47 s); those loops now check the budget
    from engine.extract import ExtractConfig

    html = "<html><body>" + ("<div class='c'><blockquote>" + "many words, " * 250) * 400 + "</body></html>"
    start = time.perf_counter()
    try:
        extract(html, config=ExtractConfig(timeout_s=1.0))
    except ExtractionRejected as e:
        assert e.reason == "timeout"
    assert time.perf_counter() - start < 4
