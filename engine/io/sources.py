"""Open WARC inputs from local paths, s3:// and http(s):// as streamed, resumable file objects.
(Turning what the user listed into input URIs is engine/io/inputs.py; reading the records, engine/warc/records.py.)

Network reads go through `RangeStream`: it streams one GET, and when the connection breaks mid-read it
reconnects with a Range request from the current offset, with exponential backoff and jitter; it also supports
seek (lazily, by reconnecting), which is what lets the WARC reader resynchronise after a corrupt record.
"""
from __future__ import annotations

import functools
import http.client
import io
import random
import re
import time
from collections.abc import Callable
from typing import BinaryIO

from engine.io import s3
from engine.io.fs import local_path
from engine.warc.errors import SourceError

__all__ = ["RangeStream", "open_source"]

_RETRY_S3_CODES = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeTooSkewed",
                   "503", "500", "502", "504", "Throttling", "ThrottlingException"}


class _Retryable(Exception):
    """A transient failure (5xx, 429, SlowDown): worth another try."""


def _backoff(attempt: int, backoff_s: float) -> None:
    time.sleep(min(30.0, backoff_s * (2 ** attempt)) * (0.5 + random.random()))


# ---------------------------------------------------------------- resumable stream

# fetch(offset) -> (body with .read/.close, total size or None); raises SourceError (final) or _Retryable/OSError
Fetch = Callable[[int], tuple[object, int | None]]


class RangeStream(io.RawIOBase):
    """Read-only, seekable view of a remote object that survives dropped connections."""

    def __init__(self, fetch: Fetch, name: str, *, retries: int, backoff_s: float, transient: tuple):
        self._fetch, self.name = fetch, name
        self._retries, self._backoff_s, self._transient = retries, backoff_s, transient
        self._pos = 0    # logical position of the reader
        self._net = 0    # offset of the next byte the open connection delivers (= _pos + len(_buf))
        self._buf = b""  # bytes peeked but not yet read
        self._body, self.size = None, None
        self._connect()  # fail fast (404/403) before the caller starts reading

    def _connect(self) -> None:
        attempt = 0
        while True:
            try:
                self._body, size = self._fetch(self._net)
                if size is not None:
                    self.size = size
                return
            except SourceError:
                raise
            except (_Retryable, *self._transient) as e:
                if attempt >= self._retries:
                    raise SourceError("unavailable", f"{self.name}: {e}") from None
                _backoff(attempt, self._backoff_s)
                attempt += 1

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence == io.SEEK_END:
            if self.size is None:
                raise OSError("size unknown")
            offset += self.size
        offset = max(0, offset)
        if offset != self._pos:
            self._drop()
            self._pos = self._net = offset
            self._buf = b""
        return self._pos

    def _drop(self) -> None:
        if self._body is not None:
            try:
                self._body.close()
            except Exception:  # closing a broken connection may itself fail; nothing to keep
                pass
            self._body = None

    def _read_net(self, size: int) -> bytes:
        """Up to `size` bytes from the connection at _net, reconnecting with Range when it breaks."""
        if self.size is not None and self._net >= self.size:
            return b""
        attempt = 0
        while True:
            try:
                if self._body is None:
                    self._connect()
                    if self._body is None:  # range past the end
                        return b""
                read = getattr(self._body, "read1", None) or self._body.read  # read1: keep partial data
                data = read(size)
                if not data and (self.size is None or self._net >= self.size):
                    return b""
                if not data:
                    raise ConnectionError(f"stream ended at {self._net} of {self.size}")
                self._net += len(data)
                return data
            except SourceError:
                raise
            except (_Retryable, *self._transient) as e:
                self._drop()
                if attempt >= self._retries:
                    raise SourceError("read_failed", f"{self.name} at byte {self._net}: {e}") from None
                _backoff(attempt, self._backoff_s)
                attempt += 1

    def peek_exact(self, size: int) -> bytes:
        """The next `size` bytes (fewer at EOF) without consuming them: format sniffing needs no second GET."""
        while len(self._buf) < size:
            data = self._read_net(size - len(self._buf))
            if not data:
                break
            self._buf += data
        return self._buf[:size]

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self.read(1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        if self._buf:
            data, self._buf = self._buf[:size], self._buf[size:]
        else:
            data = self._read_net(size)
        self._pos += len(data)
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._drop()
        super().close()


# ---------------------------------------------------------------- http(s)

@functools.lru_cache(maxsize=4)
def _pool(timeout_s: float):
    import urllib3

    return urllib3.PoolManager(timeout=urllib3.Timeout(connect=timeout_s, read=timeout_s), retries=False)


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _http_fetch(url: str, timeout_s: float) -> Fetch:
    pool = _pool(timeout_s)

    def fetch(offset: int):
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        resp = pool.request("GET", url, headers=headers, preload_content=False, redirect=True)
        status = resp.status
        if status in (200, 206):
            total = None
            m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
            if m and m.group(3) != "*":
                total = int(m.group(3))
            elif status == 200 and resp.headers.get("Content-Length", "").isdigit():
                total = int(resp.headers["Content-Length"])
            if status == 200 and offset:  # server ignored Range: skip what we already have
                skip = offset
                while skip:
                    got = resp.read(min(skip, 1 << 20))
                    if not got:
                        raise ConnectionError("short body while skipping to offset")
                    skip -= len(got)
            return resp, total
        resp.drain_conn()
        if status == 416:
            return None, offset
        if status == 404 or status == 410:
            raise SourceError("not_found", f"{url}: HTTP {status}")
        if status in (401, 403):
            raise SourceError("access_denied", f"{url}: HTTP {status}")
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}")
        raise SourceError(f"http_{status}", url)

    return fetch


def _http_transient() -> tuple:
    import urllib3

    return (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError)


# ---------------------------------------------------------------- s3

# Endpoint, clients (which retry) and uri splitting live in engine/io/s3.py, shared with listing and the writers.

def _s3_error(e, uri: str) -> Exception:
    code = str(e.response.get("Error", {}).get("Code", ""))
    status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _RETRY_S3_CODES or (status or 0) >= 500:
        return _Retryable(f"S3 {code or status}")
    if code in ("NoSuchKey", "NoSuchBucket", "404", "NotFound"):
        return SourceError("not_found", uri)
    if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled"):
        return SourceError("access_denied", uri)
    if code == "InvalidRange":
        return SourceError("invalid_range", uri)
    return SourceError(f"s3_{code or status}", uri)


def _s3_fetch(uri: str, endpoint: str | None, timeout_s: float) -> Fetch:
    from botocore.exceptions import ClientError

    bucket, key = s3.split(uri)
    client = s3.client(bucket, endpoint, timeout_s, attempts=1)  # RangeStream retries, resuming with Range
    size: list[int | None] = [None]

    def fetch(offset: int):
        if size[0] is not None and offset >= size[0]:
            return None, size[0]
        kwargs = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            resp = client.get_object(Bucket=bucket, Key=key, **kwargs)
        except ClientError as e:
            raise _s3_error(e, uri) from None
        m = _CONTENT_RANGE.match(resp.get("ContentRange") or "")
        size[0] = int(m.group(3)) if m and m.group(3) != "*" else offset + int(resp["ContentLength"])
        return resp["Body"], size[0]

    return fetch


def _s3_transient() -> tuple:
    from botocore.exceptions import BotoCoreError

    return (*_http_transient(), BotoCoreError)


# ---------------------------------------------------------------- public

def open_source(uri: str, *, retries: int = 5, backoff_s: float = 0.5, s3_endpoint_url: str | None = None,
                timeout_s: float = 60) -> BinaryIO:
    """A binary, streamed file object for a local path, file://, s3:// or http(s):// URI."""
    if uri.startswith("s3://"):
        return RangeStream(_s3_fetch(uri, s3_endpoint_url, timeout_s), uri, retries=retries, backoff_s=backoff_s,
                           transient=_s3_transient())
    if uri.startswith(("http://", "https://")):
        return RangeStream(_http_fetch(uri, timeout_s), uri, retries=retries, backoff_s=backoff_s,
                           transient=_http_transient())
    path = local_path(uri)
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise SourceError("not_found", path) from None
    except PermissionError:
        raise SourceError("access_denied", path) from None
    except IsADirectoryError:
        raise SourceError("not_a_file", path) from None
    except OSError as e:
        raise SourceError("open_failed", f"{path}: {e}") from None
