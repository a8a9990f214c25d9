"""WARC-aware damage: work on the decompressed records (so HTTP-level damage reaches the HTTP decoder through the
real framing), then write the file back plain, gzipped per record, or as one gzip member."""
from __future__ import annotations

import gzip
import re
import zlib
from random import Random

from tests.fuzz.mutators import BYTE_MUTATORS, HTTP_MUTATORS

_RECORD = re.compile(rb"(?m)^WARC/\d\.\d+\r?\n")
_LEN = re.compile(rb"(?im)^content-length:[ \t]*(\d+)")


def decompress(data: bytes) -> bytes | None:
    """All gzip members; None when the bytes are not (entirely) gzip."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return None


def records(plain: bytes) -> list[bytes]:
    starts = [m.start() for m in _RECORD.finditer(plain)] or [0]
    starts[0] = 0  # keep any leading junk with the first record
    return [plain[a:b] for a, b in zip(starts, starts[1:] + [len(plain)])]


def damage_http_block(rng: Random, record: bytes) -> bytes:
    """Apply an HTTP mutator to a record's block; usually fix the WARC Content-Length afterwards."""
    sep = record.find(b"\r\n\r\n")
    if sep < 0 or b"HTTP/" not in record[sep:sep + 16]:
        return record
    head, block = record[:sep + 4], record[sep + 4:]
    m = _LEN.search(head)
    claimed = int(m.group(1)) if m else len(block)
    block, trailer = block[:claimed], block[claimed:]
    block = rng.choice(HTTP_MUTATORS)(rng, block)
    if m and rng.random() < 0.85:
        head = head[:m.start(1)] + str(len(block)).encode() + head[m.end(1):]
    return head + block + trailer


def recompress(rng: Random, recs: list[bytes], was_gzip: bool) -> bytes:
    how = rng.choice(("same", "same", "plain", "members", "one_member"))
    if how == "same":
        how = "members" if was_gzip else "plain"
    if how == "plain":
        return b"".join(recs)
    if how == "one_member":
        return gzip.compress(b"".join(recs), 1)
    return b"".join(gzip.compress(r, 1) for r in recs)


def mutate_warc(rng: Random, data: bytes) -> bytes:
    plain = decompress(data)
    if plain is None or rng.random() < 0.3:  # damage the file as stored: cut gzip members, CRC/bit errors
        for _ in range(rng.randint(1, 3)):
            data = rng.choice(BYTE_MUTATORS)(rng, data)
        return data
    recs = records(plain)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(recs))
        if rng.random() < 0.5:
            recs[i] = damage_http_block(rng, recs[i])
        else:
            recs[i] = rng.choice(BYTE_MUTATORS)(rng, recs[i])
    out = recompress(rng, recs, data[:2] == b"\x1f\x8b")
    if rng.random() < 0.2:  # then damage the container too
        out = rng.choice(BYTE_MUTATORS)(rng, out)
    return out
