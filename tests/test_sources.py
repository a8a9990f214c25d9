"""engine.io (sources, inputs, fs, output) against real servers on 127.0.0.1: moto_server (S3) and http.server."""
from __future__ import annotations

import gzip
import http.server
import re
import socket
import threading
from pathlib import Path

import pytest

from engine.io.fs import resolve
from engine.io.inputs import resolve_inputs
from engine.io.output import write_bytes_atomic
from engine.io.sources import open_source
from engine.warc.errors import SourceError
from engine.warc.records import iter_records
from tests.s3server import moto_bucket

DATA = Path(__file__).resolve().parent / "data" / "warc"
WARC = DATA / "resiliparse" / "warcfile.warc.gz"
BUCKET = "weft-test"


def _paths(items, **kwargs) -> list[str]:
    """The input files the extract job would process (engine.io.inputs.resolve_inputs, as jobs/extract.py calls it)."""
    return resolve_inputs(items, **kwargs).paths


def _summary(records) -> list[tuple]:
    return [(r.rec_type, r.url, r.offset, r.length, r.payload, r.error) for r in records]


LOCAL = _summary(iter_records(str(WARC)))


# ---------------------------------------------------------------- local

def test_expand_local_dirs_globs_manifests(tmp_path):
    every = _paths([str(DATA)])
    assert str(WARC) in every and every == sorted(set(every))
    assert all(re.search(r"\.(warc|arc)(\.gz)?$", p) for p in every)
    assert _paths([str(DATA / "ukwa" / "*.warc.gz")]) == sorted(str(p) for p in (DATA / "ukwa").glob("*.warc.gz"))
    manifest = tmp_path / "warc.paths.gz"
    manifest.write_bytes(gzip.compress(b"crawl-data/a.warc.gz\n\ncrawl-data/b.warc.gz\n"))
    assert _paths([str(manifest)], manifest_base="/data/") == ["/data/crawl-data/a.warc.gz",
                                                                     "/data/crawl-data/b.warc.gz"]
    assert _paths([str(manifest)]) == ["s3://commoncrawl/crawl-data/a.warc.gz",
                                              "s3://commoncrawl/crawl-data/b.warc.gz"]
    # sample is deterministic per seed, applied before limit; limit keeps the sorted head
    half = _paths([str(DATA)], sample=0.5, seed=1)
    assert half == _paths([str(DATA)], sample=0.5, seed=1) and set(half) < set(every)
    assert half != _paths([str(DATA)], sample=0.5, seed=2)
    assert _paths([str(DATA)], sample=0.5, seed=1, limit=3) == half[:3]
    assert _paths([str(DATA), f"file://{WARC}"]).count(str(WARC)) == 1  # de-duplicated


def test_local_open_errors(tmp_path):
    with pytest.raises(SourceError) as e:
        open_source(str(tmp_path / "missing.warc.gz"))
    assert e.value.reason == "not_found"
    with pytest.raises(SourceError) as e:
        open_source(str(tmp_path))
    assert e.value.reason in ("not_a_file", "access_denied")
    assert _summary(iter_records(f"file://{WARC}")) == LOCAL


# ---------------------------------------------------------------- S3 (moto_server)

@pytest.fixture(scope="module")
def s3():
    with moto_bucket(BUCKET) as (endpoint, client):
        client.upload_file(str(WARC), BUCKET, "crawl-data/CC-MAIN-2020-34/segments/1/warc/a.warc.gz")
        client.upload_file(str(WARC), BUCKET, "crawl-data/CC-MAIN-2020-34/segments/1/warc/b.warc.gz")
        client.put_object(Bucket=BUCKET, Key="crawl-data/CC-MAIN-2020-34/segments/1/warc/readme.txt", Body=b"x")
        client.put_object(Bucket=BUCKET, Key="crawl-data/CC-MAIN-2020-34/warc.paths.gz",
                          Body=gzip.compress(b"crawl-data/CC-MAIN-2020-34/segments/1/warc/a.warc.gz\n"))
        yield endpoint, client


def test_s3_stream_equals_local_read(s3):
    uri = f"s3://{BUCKET}/crawl-data/CC-MAIN-2020-34/segments/1/warc/a.warc.gz"
    assert _summary(iter_records(uri)) == LOCAL
    with open_source(uri) as f:  # streamed: reading a slice in the middle gives the same bytes as the file
        f.seek(1000)
        assert f.read(5000) == WARC.read_bytes()[1000:6000]
        assert f.size == WARC.stat().st_size


def test_s3_expand_prefix_and_manifest(s3):
    prefix = f"s3://{BUCKET}/crawl-data/CC-MAIN-2020-34/segments/"
    assert _paths([prefix]) == [f"s3://{BUCKET}/crawl-data/CC-MAIN-2020-34/segments/1/warc/{n}.warc.gz"
                                       for n in ("a", "b")]
    assert _paths([f"s3://{BUCKET}/crawl-data/*/segments/1/warc/b*"]) == [
        f"s3://{BUCKET}/crawl-data/CC-MAIN-2020-34/segments/1/warc/b.warc.gz"]
    listed = _paths([f"s3://{BUCKET}/crawl-data/CC-MAIN-2020-34/warc.paths.gz"],
                           manifest_base=f"s3://{BUCKET}/")
    assert listed == [f"s3://{BUCKET}/crawl-data/CC-MAIN-2020-34/segments/1/warc/a.warc.gz"]
    assert _summary(iter_records(listed[0])) == LOCAL


def test_s3_read_of_a_key_that_always_fails_gives_up_with_reason(s3):
    from tests.flaky_proxy import FlakyProxy

    endpoint, _ = s3
    with FlakyProxy(endpoint, error_rate=0, cut_rate=0, always_fail=(f"/{BUCKET}/broken.warc.gz",)) as proxy:
        with pytest.raises(SourceError) as e:
            open_source(f"s3://{BUCKET}/broken.warc.gz", s3_endpoint_url=proxy.url, retries=3, backoff_s=0.01)
    assert e.value.reason == "unavailable"
    assert proxy.counts["always_fail"] == 4  # 1 + 3 retries: boto3 must not retry underneath RangeStream


def test_s3_missing_key_and_bucket(s3):
    with pytest.raises(SourceError) as e:
        open_source(f"s3://{BUCKET}/no/such.warc.gz", retries=1, backoff_s=0.01)
    assert e.value.reason == "not_found"
    with pytest.raises(SourceError) as e:
        open_source("s3://no-such-bucket-weft/x.warc.gz", retries=1, backoff_s=0.01)
    assert e.value.reason == "not_found"


def test_resolve_reads_s3_and_local_written_atomically(s3, tmp_path):
    write_bytes_atomic(f"s3://{BUCKET}/out/deep/x.bin", b"weft")
    _, client = s3
    assert client.get_object(Bucket=BUCKET, Key="out/deep/x.bin")["Body"].read() == b"weft"
    # no directory marker objects ("out/", "out/deep/") next to it
    assert [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="out")["Contents"]] == ["out/deep/x.bin"]
    fs, path = resolve(f"s3://{BUCKET}/out/deep/x.bin")
    assert path == f"{BUCKET}/out/deep/x.bin"
    with fs.open_input_stream(path) as f:
        assert f.read() == b"weft"
    write_bytes_atomic(str(tmp_path / "d" / "y.bin"), b"local")
    assert (tmp_path / "d" / "y.bin").read_bytes() == b"local"
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["y.bin"]  # the temporary was renamed, not left
    fs, path = resolve(str(tmp_path / "d" / "y.bin"))
    with fs.open_input_stream(path) as f:
        assert f.read() == b"local"


# ---------------------------------------------------------------- HTTP (flaky loopback server)

class FlakyServer:
    """Serves one file with Range support; fails the first GET with 503 and cuts the second after N bytes."""

    def __init__(self, data: bytes, *, fail_first: int = 1, cut_after: int | None = None):
        self.data, self.fail_first, self.cut_after = data, fail_first, cut_after
        self.ranges: list[str | None] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.ranges.append(self.headers.get("Range"))
                if self.path.endswith("/missing.warc.gz"):
                    self.send_error(404)
                    return
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    self.send_error(503)
                    return
                start = 0
                m = re.match(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if m:
                    start = int(m.group(1))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(outer.data) - 1}/{len(outer.data)}")
                else:
                    self.send_response(200)
                body = outer.data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.cut_after is not None:
                    cut, outer.cut_after = outer.cut_after, None
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)  # drop the connection mid-body
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def test_http_retry_and_resume_equal_local_read():
    with FlakyServer(WARC.read_bytes(), fail_first=1, cut_after=40_000) as srv:
        records = list(iter_records(f"{srv.url}/a.warc.gz"))
    assert _summary(records) == LOCAL
    assert srv.ranges[0] is None and srv.ranges[1] is None  # 503, then the full GET that gets cut
    resumed = [r for r in srv.ranges[2:] if r]
    assert resumed and int(re.match(r"bytes=(\d+)-", resumed[0]).group(1)) > 0


def test_http_gives_up_with_reason():
    with FlakyServer(WARC.read_bytes(), fail_first=100) as srv:
        with pytest.raises(SourceError) as e:
            open_source(f"{srv.url}/a.warc.gz", retries=2, backoff_s=0.01, timeout_s=5)
        assert e.value.reason == "unavailable" and len(srv.ranges) == 3
        with pytest.raises(SourceError) as e:
            open_source(f"{srv.url}/missing.warc.gz", retries=2, backoff_s=0.01, timeout_s=5)
        assert e.value.reason == "not_found"
