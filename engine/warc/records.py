"""Iterate WARC/ARC records from a file or stream, with FastWARC (WARC) or warcio (ARC), into one record type.

Every record comes out as a `WarcRecord` with its HTTP body already de-chunked and content-decoded
(engine.warc.http). Broken input never raises mid-file: the record carries `error`, and the iterator
resynchronises where the format allows. A path or URI is opened by engine.io.sources.
"""
from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import BinaryIO

from engine.config import default
from engine.io.sources import open_source
from engine.warc.errors import WarcOpenError
from engine.warc.http import (ContentEncodingError, dechunk, decode_content_encoding, mime_of, parse_http_head,
                              sniff_kind)

__all__ = ["WarcRecord", "iter_records"]

_HEAD_BYTES = 64 * 1024


@dataclass(slots=True)
class WarcRecord:
    rec_type: str
    url: str | None = None
    date: datetime | None = None
    record_id: str | None = None
    offset: int = 0
    length: int | None = None
    http_status: int | None = None
    http_headers: dict[str, str] | None = None
    content_type: str | None = None
    payload: bytes | None = None
    payload_digest: str | None = None
    concurrent_to: str | None = None
    warc_headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    # non-fatal oddity: 'non_chunked_gzip' = the record is readable but shares a gzip member with others, so
    # `offset` is the member start and `length` is None (no random access to this record)
    warning: str | None = None


# ---------------------------------------------------------------- small parsers

_DATE_DIGITS = re.compile(r"\d+")


def parse_date(value: str | None) -> datetime | None:
    """WARC-Date (ISO 8601, possibly truncated: '2008-04-30T20:48Z', '2008-04') or ARC 'YYYYMMDDhhmmss'."""
    if not value:
        return None
    digits = "".join(_DATE_DIGITS.findall(value.split(".")[0] if "T" in value else value))
    if len(digits) < 4:
        return None
    digits = digits[:14]
    parts = [int(digits[0:4])]
    for i in range(4, len(digits) - 1, 2):
        parts.append(int(digits[i:i + 2]))
    parts += [1, 1, 0, 0, 0][len(parts) - 1:]  # fill month, day, h, m, s
    try:
        return datetime(*parts[:6], tzinfo=timezone.utc)
    except ValueError:
        return None


def clean_uri(value: str | None) -> str | None:
    """WARC/0.18 wraps URIs in <>, some writers leave spaces; browsers would send %20."""
    if value is None:
        return None
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value.replace(" ", "%20") or None


def _header_dict(pairs) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        k = k.strip().lower()
        out[k] = f"{out[k]}, {v}" if k in out else v
    return out


# ---------------------------------------------------------------- building records

def _new_record(warc_headers: dict[str, str], offset: int) -> WarcRecord:
    h = warc_headers
    rec_type = (h.get("warc-type") or "unknown").strip().lower()
    return WarcRecord(
        rec_type=rec_type,
        url=clean_uri(h.get("warc-target-uri")),
        date=parse_date(h.get("warc-date")),
        record_id=h.get("warc-record-id"),
        offset=offset,
        payload_digest=h.get("warc-payload-digest"),
        concurrent_to=h.get("warc-concurrent-to"),
        warc_headers=h,
    )


def _fill(rec: WarcRecord, block: bytes, complete: bool, block_type: str | None, max_payload: int) -> None:
    """Split the record block into HTTP head and body (when it is HTTP), then undo transfer/content encodings.

    Both parsers hand over the raw block, so the HTTP handling (and its leniency) is the same whichever read it.
    """
    block_type = (block_type or "").lower()
    http_like = "application/http" in block_type or (rec.rec_type in ("response", "revisit")
                                                     and block[:5] == b"HTTP/")
    if rec.rec_type not in _HTTP_MSG or not http_like or not block:
        rec.content_type = mime_of(block_type)
        rec.payload = block
        if not complete:
            rec.error = "truncated_record"
        return
    head = parse_http_head(block, request=rec.rec_type == "request")
    if head is None:
        rec.error = "bad_http_headers"
        rec.content_type = mime_of(block_type)
        return
    rec.http_status = head.status
    rec.http_headers = _header_dict(head.headers)
    rec.content_type = mime_of(rec.http_headers.get("content-type"))
    body = block[head.body_offset:]
    if not complete:
        rec.error = "truncated_record"
    if "chunked" in rec.http_headers.get("transfer-encoding", "").lower():
        body, ok = dechunk(body)
        if not ok:
            rec.error = rec.error or "truncated_record"
    try:
        body = decode_content_encoding(body, rec.http_headers.get("content-encoding"), max_out=max_payload)
    except ContentEncodingError as e:
        if e.reason == "bad_content_encoding" and _already_decoded(body, rec.http_headers["content-encoding"]):
            # crawlers (ClueWeb, some Heritrix) stored the decoded body but kept the header: keep it as is
            rec.warning = "content_encoding_not_applied"
        else:
            rec.error = rec.error or e.reason
            body = None if e.reason == "payload_too_large" else body
    rec.payload = body


def _already_decoded(body: bytes, coding: str) -> bool:
    if coding.strip().lower() in ("gzip", "x-gzip") and body[:2] != b"\x1f\x8b":
        return True
    return sniff_kind(None, body) != "other"


_HTTP_MSG = ("response", "revisit", "request")


def _from_fastwarc(r, offset: int, max_payload: int) -> WarcRecord:
    rec = _new_record(_header_dict(r.headers.to_tuples()), offset)
    expected = r.content_length
    if expected > max_payload:
        rec.error = "payload_too_large"  # left unread: FastWARC skips the block on the stream
        return rec
    block = r.reader.read()
    _fill(rec, block, len(block) >= expected, rec.warc_headers.get("content-type"), max_payload)
    return rec


def _from_warcio(r, offset: int, max_payload: int) -> WarcRecord:
    rec = _new_record(_header_dict(r.rec_headers.headers), offset)
    block_type = rec.warc_headers.get("content-type")
    if r.format.startswith("arc"):
        rec.rec_type = "warcinfo" if r.rec_type in ("arc_header", "warcinfo") else "response"
        rec.url = clean_uri(r.rec_headers.get_header("uri"))
        rec.date = parse_date(r.rec_headers.get_header("archive-date"))
        block_type = r.rec_headers.get_header("content-type")
    stream = r.raw_stream
    if (getattr(stream, "limit", None) or 0) > max_payload:
        rec.error = "payload_too_large"
        return rec
    block = stream.read(max_payload + 1)
    if len(block) > max_payload:
        rec.error = "payload_too_large"
        return rec
    _fill(rec, block, (getattr(stream, "limit", 0) or 0) <= 0, block_type, max_payload)
    return rec


# ---------------------------------------------------------------- opening and sniffing

class _Prefixed(io.RawIOBase):
    """A non-seekable stream whose first bytes were already read for format sniffing."""

    def __init__(self, head: bytes, inner: BinaryIO):
        self._head, self._inner, self._pos = head, inner, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            take = len(self._head) if size is None or size < 0 else min(size, len(self._head))
            out, self._head = self._head[:take], self._head[take:]
        else:
            out = self._inner.read(size)
        self._pos += len(out)
        return out

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._inner.close()
        super().close()


# 'URL IP date ...' (URLs may contain spaces, dates may have extra digits in the wild)
_ARC_LINE = re.compile(rb"^[a-zA-Z][\w+.-]*:[^\n]* \d{1,3}(?:\.\d{1,3}){3} \d{12,} ")


def _sniff(head: bytes) -> tuple[str, str]:
    """(compression, format) from the first bytes of the file."""
    if not head:
        raise WarcOpenError("empty_file")
    compression = "none"
    inner = head
    if head.startswith(b"\x1f\x8b"):
        compression = "gzip"
        try:
            inner = zlib.decompressobj(31).decompress(head, 4096)
        except zlib.error as e:
            raise WarcOpenError("gzip_error", str(e)) from None
    elif head.startswith(b"\x04\x22\x4d\x18"):
        return "lz4", "warc"
    elif head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd", "warc"
    inner = inner.lstrip(b"\r\n")
    if inner.startswith(b"WARC/"):
        return compression, "warc"
    if inner.startswith(b"filedesc:") or _ARC_LINE.match(inner):
        return compression, "arc"
    if not inner and compression == "gzip":
        raise WarcOpenError("gzip_error", "first gzip member decodes to nothing")
    raise WarcOpenError("not_a_warc", repr(inner[:40]))


def _open(source: str | BinaryIO) -> tuple[BinaryIO, str, str]:
    stream = open_source(source) if isinstance(source, str) else source
    try:
        seekable = stream.seekable()
    except (AttributeError, OSError, ValueError):
        seekable = False
    try:
        if hasattr(stream, "peek_exact"):  # remote stream: sniff without a second request
            head = stream.peek_exact(_HEAD_BYTES)
        elif seekable:
            start = stream.tell()
            head = stream.read(_HEAD_BYTES)
            stream.seek(start)
        else:
            head = stream.read(_HEAD_BYTES)
            stream = _Prefixed(head, stream)
        compression, fmt = _sniff(head)
    except WarcOpenError:
        stream.close()
        raise
    except OSError as e:
        stream.close()
        raise WarcOpenError("read_error", str(e)) from None
    return stream, compression, fmt


# ---------------------------------------------------------------- FastWARC with resync

def _error_reason(exc: BaseException) -> str:
    text = str(exc).lower()
    if "header" in text:
        return "bad_warc_header"
    if "gzip" in text or "zlib" in text or "decompress" in text or "lz4" in text or "zstd" in text:
        return "decompression_error"
    return "read_error"


def _find_resync(stream: BinaryIO, start: int, compression: str, limit: int = 256 * 2**20) -> int | None:
    """Offset of the next plausible record start at or after `start`, scanning forward at most `limit` bytes."""
    marker = b"\x1f\x8b\x08" if compression == "gzip" else b"WARC/1."
    stream.seek(start)
    scanned, carry = 0, b""
    base = start
    while scanned < limit:
        block = stream.read(1 << 20)
        if not block:
            return None
        buf = carry + block
        i = buf.find(marker)
        while i >= 0:
            pos = base - len(carry) + i
            if compression == "gzip":
                stream.seek(pos)
                try:
                    if zlib.decompressobj(31).decompress(stream.read(4096), 64).lstrip(b"\r\n").startswith(b"WARC/"):
                        return pos
                except zlib.error:
                    pass
                stream.seek(base + len(block))
            elif i == 0 and pos == 0 or (i > 0 and buf[i - 1:i] == b"\n"):
                return pos
            i = buf.find(marker, i + 1)
        carry = buf[-8:]
        base += len(block)
        scanned += len(block)
    return None


def _fastwarc_records(stream: BinaryIO, compression: str, wanted: set[str] | None,
                      max_payload: int) -> Iterator[WarcRecord]:
    from fastwarc.stream_io import GzipReader, Lz4Reader, ZstdReader
    from fastwarc.warc import ArchiveIterator

    wrappers = {"gzip": GzipReader, "lz4": Lz4Reader, "zstd": ZstdReader}
    seekable = stream.seekable()
    # one record of lookahead: a record's length is known when the next one starts. All types are walked (not
    # FastWARC's type mask) so that lengths stay exact; unwanted records are not decoded and not yielded.
    held: WarcRecord | None = None
    produced = 0
    start = stream.tell()

    def release(rec: WarcRecord) -> Iterator[WarcRecord]:
        if wanted is None or rec.rec_type in wanted or rec.error:
            yield rec

    while True:
        reader = wrappers[compression](stream) if compression in wrappers else stream
        position = reader.frame_start_position if compression in wrappers else None
        it = iter(ArchiveIterator(reader, parse_http=False, stream_detect=False))
        failure: BaseException | None = None
        while True:
            try:
                r = next(it)
                offset = position() if position is not None else r.stream_pos
                if wanted is None or str(r.record_type) in wanted or str(r.record_type) == "unknown":
                    rec = _from_fastwarc(r, offset, max_payload)
                else:
                    rec = WarcRecord(rec_type=str(r.record_type), offset=offset)
            except StopIteration:
                break
            except Exception as e:  # FastWARC raises OSError/ValueError on garbage: never let it escape
                failure = e
                break
            if held is not None:
                if offset == held.offset:  # several records in one gzip member (non-standard framing)
                    held.warning = rec.warning = "non_chunked_gzip"
                elif held.warning is None:
                    held.length = offset - held.offset
                yield from release(held)
            held = rec
            produced += 1
        if failure is None:
            if held is not None:
                if held.warning is None:
                    end = reader.inner_tell() if compression in wrappers else _stream_end(stream)
                    held.length = end - held.offset if end is not None and end > held.offset else None
                yield from release(held)
            return
        reason = _error_reason(failure)
        if produced == 0:
            raise WarcOpenError(reason, str(failure))
        scan_from = held.offset + 1 if held is not None else start + 1
        can_resync = seekable and compression in ("gzip", "none")
        resync = _find_resync(stream, scan_from, compression) if can_resync else None
        explained = False
        if held is not None:
            claimed = _int(held.warc_headers.get("content-length"))
            if resync is not None and compression == "none" and claimed is not None \
                    and resync < held.offset + claimed:
                # the next record starts inside this one's claimed block: its body was cut short
                held.error = held.error or "truncated_record"
                explained = True
            if held.warning is None:
                held.length = resync - held.offset if resync is not None else None
            yield from release(held)
            bad_at = held.offset + (held.length or 0)
            held = None
        else:
            bad_at = start
        if not explained:
            yield WarcRecord(rec_type="unknown", offset=bad_at, error=reason,
                             warc_headers={"x-weft-error-detail": str(failure)[:200]})
        if resync is None:
            return
        stream.seek(resync)
        start = resync


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _stream_end(stream: BinaryIO) -> int | None:
    try:
        return stream.seek(0, io.SEEK_END) if stream.seekable() else stream.tell()
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- warcio

def _warcio_records(stream: BinaryIO, max_payload: int, types: set[str] | None) -> Iterator[WarcRecord]:
    from warcio.archiveiterator import ArchiveIterator

    it = ArchiveIterator(stream, arc2warc=False, no_record_parse=True)
    records = iter(it)
    held: WarcRecord | None = None  # lookahead, as for FastWARC: length = next offset - offset

    def release(rec: WarcRecord) -> Iterator[WarcRecord]:
        if types is None or rec.rec_type in types or rec.error:
            yield rec

    while True:
        try:
            r = next(records)
            rec = _from_warcio(r, 0, max_payload)
            rec.offset = it.get_record_offset()  # warcio computes it once the record is read to its end
        except StopIteration:
            break
        except Exception as e:  # warcio raises ArchiveLoadFailed & co.; it cannot resynchronise
            reason = "non_chunked_gzip" if "non-chunked" in str(e) else _error_reason(e)
            if held is None:
                raise WarcOpenError(reason, str(e)[:300]) from None
            held.length = it.get_record_offset() - held.offset if it.member_info else None
            yield from release(held)
            yield WarcRecord(rec_type="unknown", offset=held.offset + (held.length or 0), error=reason,
                             warc_headers={"x-weft-error-detail": str(e)[:200]})
            return
        if held is not None:
            held.length = rec.offset - held.offset
            yield from release(held)
        held = rec
    if held is not None:
        end = _stream_end(stream)
        held.length = end - held.offset if end is not None and end > held.offset else None
        yield from release(held)


# ---------------------------------------------------------------- public entry point

def iter_records(source: str | BinaryIO, *, parser: str = default("extract.parser"),
                 max_payload_bytes: int = default("extract.max_payload_bytes"),
                 record_types: set[str] | None = None) -> Iterator[WarcRecord]:
    """Yield every record of a WARC/ARC file (see module docstring). Raises WarcOpenError before the first record.
    `parser` and `max_payload_bytes` default to config/defaults.yaml `extract`."""
    if parser not in ("auto", "fastwarc", "warcio"):
        raise ValueError(f"unknown parser {parser!r}")
    stream, compression, fmt = _open(source)
    use = parser if parser != "auto" else ("warcio" if fmt == "arc" else "fastwarc")
    if use == "fastwarc" and fmt == "arc":
        stream.close()
        raise WarcOpenError("unsupported_format", "FastWARC cannot read ARC files")
    if use == "warcio" and compression in ("lz4", "zstd"):
        stream.close()
        raise WarcOpenError("unsupported_format", f"warcio cannot read {compression}")
    return _iterate(stream, use, compression, max_payload_bytes, record_types)


def _iterate(stream, use, compression, max_payload, types) -> Iterator[WarcRecord]:
    try:
        if use == "warcio":
            yield from _warcio_records(stream, max_payload, types)
            return
        yield from _fastwarc_records(stream, compression, types, max_payload)
    finally:
        stream.close()
