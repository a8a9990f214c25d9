"""engine.warc (records, commoncrawl, ingest) on the real fixture WARCs/ARCs in tests/data/warc (see SOURCE.txt)."""
from __future__ import annotations

import collections
import gzip
import io
import json
import warnings
from pathlib import Path

import pytest

from engine.html.decode import decode_html
from engine.stats import StageStats
from engine.warc.commoncrawl import crawl_id_from, parse_cc_languages, warcinfo_fields
from engine.warc.errors import SourceError, WarcOpenError
from engine.warc.http import sniff_kind
from engine.warc.ingest import warc_to_documents
from engine.warc.records import WarcRecord, iter_records

DATA = Path(__file__).resolve().parent / "data" / "warc"
FIXTURES = sorted(p for p in DATA.rglob("*") if p.is_file() and (".warc" in p.name or ".arc" in p.name))
NON_CHUNKED = {"example-bad.warc.gz.bad", "example-bad-non-chunked.warc.gz", "clueweb12-0000tw-00.warc.gz"}


def _id(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"


def _read(path, **kw) -> list[WarcRecord]:
    return list(iter_records(str(path), **kw))


def _warcio_counts(path: Path) -> collections.Counter:
    """Independent count by warcio over the raw file; whole-file gzip is decompressed first (warcio refuses it)."""
    from warcio.archiveiterator import ArchiveIterator

    def count(stream) -> collections.Counter:
        c = collections.Counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for r in ArchiveIterator(stream, arc2warc=True, no_record_parse=True):
                c[r.rec_type] += 1
        return c

    try:
        with open(path, "rb") as f:
            return count(f)
    except Exception:  # warcio's ArchiveLoadFailed on non-standard gzip framing
        return count(io.BytesIO(gzip.decompress(path.read_bytes())))


def test_fixture_set_is_complete():
    names = {_id(p) for p in FIXTURES}
    for expected in ("resiliparse/warcfile.warc.gz", "resiliparse/clipped.warc.gz", "node-warc/books.toscrape.warc",
                     "ukwa/flashfrozen-jwat-recompressed.warc.gz", "warcio/example-trunc.warc",
                     "copycat/clueweb12-0000tw-00.warc.gz", "cc-whirlwind/whirlwind.warc.gz"):
        assert expected in names
    assert sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file()) < 4 * 2**20
    for folder in {p.parent for p in FIXTURES}:
        assert (folder / "SOURCE.txt").exists()


@pytest.mark.parametrize("path", FIXTURES, ids=_id)
def test_iteration_never_raises_and_counts_match_warcio(path):
    try:
        records = _read(path)
    except WarcOpenError as e:
        pytest.fail(f"fixture could not be opened: {e.reason}")
    assert records and all(isinstance(r, WarcRecord) for r in records)
    ours = collections.Counter(r.rec_type for r in records if not (r.error and r.rec_type == "unknown"))
    theirs = _warcio_counts(path)
    if path.name.endswith((".arc", ".arc.gz")):
        theirs = collections.Counter({("warcinfo" if k == "warcinfo" else "response"): v for k, v in theirs.items()})
    assert ours == theirs
    for r in records:
        assert r.error is None or isinstance(r.error, str) and r.error.replace("_", "").isalpha()
        assert r.date is None or r.date.tzinfo is not None
        assert r.offset >= 0


@pytest.mark.parametrize("path", [p for p in FIXTURES if p.name.endswith((".warc", ".warc.gz"))], ids=_id)
def test_fastwarc_and_warcio_agree(path):
    if path.name in NON_CHUNKED or path.name == "example-wrong-chunks.warc.gz":
        pytest.skip("warcio refuses this gzip framing (covered by test_non_chunked_gzip)")
    fast, slow = _read(path, parser="fastwarc"), _read(path, parser="warcio")
    fast = [r for r in fast if not (r.error and r.rec_type == "unknown")]  # FastWARC reports junk between records
    assert [(r.rec_type, r.url, r.offset, r.http_status, r.content_type, r.payload) for r in fast] == \
           [(r.rec_type, r.url, r.offset, r.http_status, r.content_type, r.payload) for r in slow]


@pytest.mark.parametrize("path", [p for p in FIXTURES if p.name not in NON_CHUNKED], ids=_id)
def test_reread_one_record_at_its_offset(path):
    records = _read(path)
    data = path.read_bytes()
    checked = 0
    for rec in records:
        if rec.length is None or rec.rec_type == "unknown" and rec.error:
            continue
        again = list(iter_records(io.BytesIO(data[rec.offset:rec.offset + rec.length])))
        assert [(r.rec_type, r.url, r.payload, r.error) for r in again][:1] == \
               [(rec.rec_type, rec.url, rec.payload, rec.error)]
        checked += 1
    assert checked > 0
    ok = [r for r in records if r.length is not None]
    assert all(a.offset + a.length <= b.offset for a, b in zip(ok, ok[1:]))


def test_offsets_and_lengths_match_pywb_cdxj():
    index = [json.loads(line.split(" ", 2)[2]) for line in (DATA / "pywb" / "dupes.cdxj").read_text().splitlines()]
    by_offset = {r.offset: r for r in _read(DATA / "pywb" / "dupes.warc.gz")}
    assert index
    for entry in index:
        rec = by_offset[int(entry["offset"])]
        assert rec.length == int(entry["length"])
        assert rec.url == entry["url"]
        assert rec.payload_digest == "sha1:" + entry["digest"]


def test_non_chunked_gzip_is_read_but_flagged():
    for name in ("example-bad.warc.gz.bad", "example-bad-non-chunked.warc.gz"):
        records = _read(DATA / "warcio" / name)
        assert len(records) == 6
        assert {r.warning for r in records} == {"non_chunked_gzip"} and {r.length for r in records} == {None}
        responses = [r for r in records if r.rec_type == "response"]
        assert responses and all(sniff_kind(r.content_type, r.payload) == "html" for r in responses
                                 if r.http_status == 200)
    # forcing warcio: it refuses the framing after the first record, which comes out as an error reason
    forced = _read(DATA / "warcio" / "example-bad-non-chunked.warc.gz", parser="warcio")
    assert [r.error for r in forced] == [None, "non_chunked_gzip"]


def test_truncated_and_corrupt_records_give_reasons():
    clipped = _read(DATA / "resiliparse" / "clipped.warc.gz")
    assert [r.error for r in clipped] == ["truncated_record"]
    assert clipped[0].payload and len(clipped[0].payload) < int(clipped[0].warc_headers["content-length"])
    trunc = _read(DATA / "warcio" / "example-trunc.warc")
    errors = [r for r in trunc if r.error]
    assert [r.error for r in errors] == ["bad_warc_header"]
    assert trunc[-1].rec_type == "request" and trunc[-1].error is None  # resynchronised after the broken spot


def test_corrupt_gzip_member_midfile_resyncs(tmp_path):
    src = DATA / "resiliparse" / "warcfile.warc.gz"
    good = _read(src)
    data = bytearray(src.read_bytes())
    victim = good[20]  # a record in the middle: smash the inside of its gzip member
    start = victim.offset + 30
    data[start:start + 200] = b"\0" * 200
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(bytes(data))
    records = _read(broken)
    assert any(r.error for r in records)
    after = [r for r in records if r.offset > victim.offset and not r.error]
    assert len(after) >= len(good) - 21 - 1  # everything after the smashed member is still read
    assert {r.record_id for r in after} <= {r.record_id for r in good}


@pytest.mark.parametrize("content,reason", [(b"", "empty_file"), (b"hello world, not a warc\n", "not_a_warc"),
                                            (b"\x1f\x8b\x08\x00garbage-garbage", "gzip_error")])
def test_unreadable_inputs_raise_open_error(tmp_path, content, reason):
    p = tmp_path / "x.warc.gz"
    p.write_bytes(content)
    with pytest.raises(WarcOpenError) as e:
        _read(p)
    assert e.value.reason == reason


def test_missing_file_is_source_error():
    with pytest.raises(WarcOpenError) as e:
        _read(DATA / "nope.warc.gz")
    assert isinstance(e.value, SourceError) and e.value.reason == "not_found"


def test_content_encodings_decode_to_the_same_html():
    bodies, codings = {}, {}
    for variant in ("brotli", "gzip", "none"):
        for ext in ("warc", "warc.gz"):
            [resp] = [r for r in _read(DATA / "ukwa" / f"transfer_compression_{variant}.{ext}")
                      if r.rec_type == "response"]
            assert resp.error is None
            bodies[variant, ext] = resp.payload
            codings[variant] = resp.http_headers.get("content-encoding")
    assert codings == {"brotli": "br", "gzip": "gzip", "none": None}
    assert len(set(bodies.values())) == 1
    assert sniff_kind(None, bodies["none", "warc"]) == "html"


def test_arc_reads_via_warcio_like_the_same_crawl_in_warc():
    arc = {r.url: r for r in _read(DATA / "ukwa" / "IAH-20080430204825-00000-blackbook-truncated.arc.gz")
           if r.rec_type == "response"}
    warc = {r.url: r for r in _read(DATA / "ukwa" / "IAH-20080430204825-00000-blackbook-truncated.warc.gz")
            if r.rec_type == "response"}
    assert arc.keys() == warc.keys() and len(arc) == 8
    for url, rec in arc.items():
        assert rec.payload == warc[url].payload
        assert rec.http_status == warc[url].http_status and rec.content_type == warc[url].content_type
        assert rec.date == warc[url].date
    with pytest.raises(WarcOpenError) as e:
        _read(DATA / "warcio" / "example.arc", parser="fastwarc")
    assert e.value.reason == "unsupported_format"


def test_common_crawl_language_labels():
    records = _read(DATA / "resiliparse" / "warcfile.warc.gz")
    responses = {r.record_id: r for r in records if r.rec_type == "response"}
    labels = {}
    for meta in (r for r in records if r.rec_type == "metadata"):
        fields = warcinfo_fields(meta.payload)
        top = max(json.loads(fields["languages-cld2"])["languages"], key=lambda x: x["text-covered"])
        code, coverage = parse_cc_languages(meta.payload)
        assert code == top["code"] and coverage == top["text-covered"] and 0 < coverage <= 1
        assert meta.concurrent_to in responses  # the label belongs to a response of the same file
        labels[meta.concurrent_to] = code
    assert len(labels) == len(responses) == 16
    assert len(set(labels.values())) > 3  # a real multilingual sample, not one default value
    assert parse_cc_languages(b"fetchTimeMs: 3\r\n") == (None, None)
    assert parse_cc_languages(b"languages-cld2: {not json\r\n") == (None, None)


def test_revisits_are_dropped_as_duplicate_captures():
    """A revisit repeats an earlier capture (same payload digest, or 'not modified'): ingest counts it as a drop with
    its own reason, never as a document; the record keeps what it refers to in its WARC headers."""
    path = DATA / "pywb" / "dupes.warc.gz"
    revisits = [r for r in _read(path) if r.rec_type == "revisit"]
    assert len(revisits) == 9
    for rec in revisits:
        h = rec.warc_headers
        assert rec.payload_digest and h["warc-refers-to-target-uri"] and h["warc-refers-to-date"]
    stats = StageStats("extract")
    docs = list(warc_to_documents(str(path), path.name, stats))
    assert stats.dropped["revisit:duplicate_capture"] == 9 and len(docs) == stats.kept == 1
    # url-agnostic revisit (another URL's payload, found through its digest): a drop all the same
    stats = StageStats("extract")
    agnostic = DATA / "pywb" / "example-url-agnostic-revisit.warc.gz"
    assert list(warc_to_documents(str(agnostic), agnostic.name, stats)) == []
    assert stats.dropped["revisit:duplicate_capture"] == 1


def test_payload_limit_skips_body_and_goes_on():
    path = DATA / "node-warc" / "books.toscrape.warc"
    full = _read(path)
    small = _read(path, max_payload_bytes=20_000)
    assert [r.rec_type for r in small] == [r.rec_type for r in full]
    big = [(a, b) for a, b in zip(full, small) if a.payload is not None and len(a.payload) > 20_000]
    assert big and all(b.error == "payload_too_large" and b.payload is None for _, b in big)
    assert all(b.payload == a.payload for a, b in zip(full, small) if b.error is None)


def test_record_type_filter_keeps_offsets():
    path = DATA / "ukwa" / "flashfrozen-jwat-recompressed.warc.gz"
    full = {r.offset: r for r in _read(path)}
    only = _read(path, record_types={"response"})
    assert only and {r.rec_type for r in only} == {"response"}
    assert len(only) == sum(r.rec_type == "response" for r in full.values())
    assert all(full[r.offset].length == r.length and full[r.offset].payload == r.payload for r in only)


def test_page_and_its_images_in_one_warc():
    records = _read(DATA / "ukwa" / "flashfrozen-jwat-recompressed.warc.gz", record_types={"response"})
    kinds = collections.Counter(sniff_kind(r.content_type, r.payload or b"") for r in records)
    assert kinds["html"] >= 1 and kinds["image"] >= 20


def test_japanese_pages_decode_with_their_charset():
    records = [r for r in _read(DATA / "resiliparse" / "clueweb-quirk.warc.gz") if r.rec_type == "response"]
    decoded = 0
    for rec in records:
        text, charset = decode_html(rec.payload, rec.http_headers.get("content-type"))
        if "euc-jp" in (rec.http_headers.get("content-type") or "").lower():
            assert charset == "euc_jp"
            assert "\ufffd" not in text[:2000]
            assert any("\u3040" <= ch <= "\u30ff" for ch in text)  # kana
            decoded += 1
    assert decoded >= 5


def test_crawl_id():
    assert crawl_id_from("s3://commoncrawl/crawl-data/CC-MAIN-2024-22/segments/1/warc/x.warc.gz") == "CC-MAIN-2024-22"
    assert crawl_id_from("CC-MAIN-20200808165417-20200808195417-00395.warc.gz") is None
    info = [warcinfo_fields(r.payload) for r in _read(DATA / "resiliparse" / "warcfile.warc.gz")
            if r.rec_type == "warcinfo"][0]
    assert crawl_id_from("local/file.warc.gz", info) == "CC-MAIN-2020-34"


def test_dates_uris_and_headers():
    [resp] = [r for r in _read(DATA / "warcio" / "example-space-in-target-uri.warc.gz") if r.rec_type == "resource"]
    assert " " not in resp.url and resp.content_type == "image/png" and sniff_kind(resp.content_type,
                                                                                   resp.payload) == "image"
    records = _read(DATA / "ukwa" / "transfer_compression_none.warc")
    assert all(r.date is not None for r in records)
    [clue] = [r for r in _read(DATA / "copycat" / "clueweb12-0000tw-00.warc.gz") if r.rec_type == "response"][:1]
    assert clue.url and not clue.url.startswith("<")
