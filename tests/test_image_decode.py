"""engine.images.decode: hostile inputs (../shared/data/images/pillow-edge), EXIF orientation, formats, size rules,
never raising on mutated bytes, bounded memory."""
from __future__ import annotations

import inspect
import io
import os
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from engine.images.decode import ValidateConfig, decode, decode_many, sniff
from engine.images.hashing import hamming_hex, hashes_hex

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "images")
EDGE = os.path.join(SHARED, "pillow-edge")
DEDUP = os.path.join(SHARED, "imagededup")
DEFAULT = ValidateConfig()
LOOSE = ValidateConfig(min_side=1, min_aspect=0.01, max_aspect=100.0)  # only formats, pixels and decoding

needs_shared = pytest.mark.skipif(not os.path.isdir(SHARED), reason="../shared/data/images not present")


def _read(*parts) -> bytes:
    with open(os.path.join(*parts), "rb") as f:
        return f.read()


def _encode(im: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(w: int, h: int) -> bytes:
    """A 100-byte PNG whose header claims w x h RGB pixels."""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + _chunk(b"IEND", b""))


def gif_bomb() -> bytes:
    return (b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\x00\x00\x00" + b"\x2c"
            + struct.pack("<HHHH", 0, 0, 65535, 65535) + b"\x00\x02\x02\x44\x01\x00\x3b")


def jpeg_bomb() -> bytes:
    """hopper.jpg with its SOF0 claiming 65000 x 65000."""
    data = bytearray(_encode(Image.new("RGB", (64, 48), (200, 10, 10)), quality=80))
    i = data.find(b"\xff\xc0")
    data[i + 5:i + 9] = struct.pack(">HH", 65000, 65000)
    return bytes(data)


# --- pillow-edge: every file's expected outcome -------------------------------------------------------------------

EDGE_EXPECTED = {  # file -> (reason under LOOSE rules, displayed width, height)
    "broken.png": ("corrupt", None, None),
    "broken_data_stream.png": ("corrupt", None, None),
    "truncated_image.png": ("truncated", None, None),
    "truncated_jpeg.jpg": ("truncated", None, None),
    "decompression_bomb.gif": ("pixels", None, None),  # a frame of 4.36 Gpx inside a 32x32 canvas
    "decompression_bomb.ico": ("format", None, None),  # ICO is not an accepted format: never parsed further
    "decompression_bomb_extents.gif": (None, 100, 100),
    "broken_exif_dpi.jpg": (None, 100, 100),
    "no-dpi-in-exif.jpg": (None, 200, 200),
    "exif_gps.jpg": (None, 8, 8),
    "flower.jpg": (None, 480, 360),
    "flower.webp": (None, 480, 360),
    "flower2.jpg": (None, 300, 225),
    "flower2.webp": (None, 300, 225),
    "flower_thumbnail.png": (None, 160, 120),
    "iss634.gif": (None, 245, 245),
    "iss634.webp": (None, 245, 245),
    "transparent.gif": (None, 200, 150),
    "transparent.png": (None, 200, 150),
    "transparent.webp": (None, 200, 150),
    "hopper.jpg": (None, 128, 128),
    "hopper.png": (None, 128, 128),
    "hopper.webp": (None, 128, 128),
    "hopper.gif": (None, 128, 128),
    "hopper.bmp": ("format", None, None),
    "hopper.tif": ("format", None, None),
    "hopper.ico": ("format", None, None),
    "hopper.avif": ("format", None, None),
    **{f"hopper_orientation_{n}.jpg": (None, 128, 128) for n in range(2, 9)},
}


@needs_shared
def test_every_pillow_edge_file():
    names = sorted(f for f in os.listdir(EDGE) if f not in ("SOURCE.txt", "LICENSE"))
    assert set(names) == set(EDGE_EXPECTED), set(names) ^ set(EDGE_EXPECTED)
    for name in names:
        reason, w, h = EDGE_EXPECTED[name]
        r = decode(_read(EDGE, name), LOOSE)
        assert r.reason == reason, (name, r)
        assert len(r.sha256) == 64 and r.bytes > 0
        if reason is None:
            assert (r.width, r.height) == (w, h), name
            assert r.thumbnail.mode == "RGB" and max(r.thumbnail.size) <= LOOSE.thumbnail_size
        else:
            assert r.thumbnail is None
    # under the default rules the 8x8 GPS image and the 128 px hoppers are too small
    assert decode(_read(EDGE, "exif_gps.jpg")).reason == "too_small"
    assert decode(_read(EDGE, "hopper.jpg")).reason == "too_small"
    assert decode(_read(EDGE, "flower.jpg")).ok


@needs_shared
def test_exif_orientation_is_applied():
    """hopper_orientation_N.jpg stores hopper transformed so that applying orientation N shows hopper upright."""
    upright = np.asarray(decode(_read(EDGE, "hopper.jpg"), LOOSE).thumbnail, dtype=np.int16)
    for n in range(2, 9):
        r = decode(_read(EDGE, f"hopper_orientation_{n}.jpg"), LOOSE)
        assert r.extra["orientation"] == n
        diff = np.abs(np.asarray(r.thumbnail, dtype=np.int16) - upright).mean()
        assert diff < 12, (n, diff)  # unrotated, the mean difference is > 40
    # non-square: stored 300x200 with orientation 6 (rotate 90 degrees to show) -> displayed 200x300
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = Image.linear_gradient("L").resize((300, 200)).convert("RGB")
    r = decode(_encode(stored, exif=exif.tobytes()), LOOSE)
    assert (r.width, r.height) == (200, 300) and r.thumbnail.size[0] < r.thumbnail.size[1]
    # orientation decides the rules too: displayed 150x400 is outside [0.5, 2] either way, 200x300 is not
    assert decode(_encode(stored, exif=exif.tobytes())).ok


@needs_shared
def test_same_image_in_every_format_decodes_alike():
    """imagededup's ukbench09380 in 6 files (.bmp/.png/.svg there hold JPEG bytes: the sniffer reads content, not
    names) and hopper in the 4 accepted formats: same size, thumbnails that hash as near duplicates."""
    for folder, names, size in (
        (os.path.join(DEDUP, "formats_images"),
         ["ukbench09380.jpeg", "ukbench09380.png", "ukbench09380.bmp", "ukbench09380.svg", "ukbench09380.webp"],
         (640, 480)),
        (EDGE, ["hopper.jpg", "hopper.png", "hopper.webp", "hopper.gif"], (128, 128)),
    ):
        results = decode_many([_read(folder, n) for n in names], LOOSE)
        assert all(r.ok and (r.width, r.height) == size for r in results), [(r.format, r.reason) for r in results]
        ph, _ = hashes_hex([r.thumbnail for r in results])
        assert max(hamming_hex(ph[0], p) for p in ph) <= 6
    base = decode(_read(DEDUP, "base_images", "ukbench09380.jpg"))
    assert base.ok and (base.width, base.height) == (640, 480)
    # formats outside the accepted list, by content
    for name in ("copyleft.tiff", "baboon.pgm", "marbles.pbm", "Iggy.1024.ppm"):
        assert decode(_read(DEDUP, "formats_images", name)).reason == "format", name
    corrupt = decode(_read(DEDUP, "mixed_images", "ukbench09268_corrupt.jpg"))  # random bytes: no image signature
    assert corrupt.reason == "format" and corrupt.extra["detected"] == "unknown"


def test_config_is_checked():
    for bad in ({"thumbnail_filter": "nearest-ish"}, {"formats": ["jpeg", "svg"]}, {"min_aspect": 3.0}):
        with pytest.raises(ValueError):
            ValidateConfig(**bad)


def test_svg_html_and_empty_are_format():
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"/>'
    assert decode(svg).reason == "format"
    assert sniff(b"  <svg width='10'></svg>") == "svg"
    assert decode(b"<!doctype html><html><body>404</body></html>").reason == "format"
    assert decode(b"").reason == "format"
    r = decode(bytearray(_encode(Image.new("RGB", (300, 300)))))  # bytes-like input is accepted
    assert r.ok


def test_size_and_aspect_rules():
    def jpg(w, h):
        return _encode(Image.new("RGB", (w, h), (90, 120, 30)), quality=70)

    assert decode(jpg(150, 150)).ok
    assert decode(jpg(149, 300)).reason == "too_small"
    assert decode(jpg(300, 150)).ok and decode(jpg(150, 300)).ok  # exactly 2 and 0.5
    assert decode(jpg(301, 150)).reason == "aspect"
    assert decode(jpg(150, 301)).reason == "aspect"
    cfg = ValidateConfig(max_side=500, min_side=100, min_aspect=0.25, max_aspect=4.0, thumbnail_size=64)
    assert decode(jpg(501, 300), cfg).reason == "too_large"
    r = decode(jpg(400, 100), cfg)
    assert r.ok and r.thumbnail.size == (64, 16)
    assert decode(jpg(401, 100), cfg).reason == "aspect"
    assert decode(jpg(1000, 1000), ValidateConfig(max_pixels=999_999)).reason == "pixels"
    assert decode(jpg(400, 300), ValidateConfig(formats=["png"])).reason == "format"
    # JPEG draft keeps the real size; the thumbnail is never enlarged; PNG/WebP/GIF take the plain path
    big = decode(jpg(3000, 2000))
    assert (big.width, big.height) == (3000, 2000) and big.thumbnail.size == (256, 171)
    small = decode(_encode(Image.new("RGB", (200, 180)), "PNG"))
    assert small.thumbnail.size == (200, 180)
    nodraft = decode(jpg(3000, 2000), ValidateConfig(jpeg_draft=False))
    assert nodraft.thumbnail.size == (256, 171)


def test_transparency_is_composited_on_white_and_modes_convert():
    clear = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    r = decode(_encode(clear, "PNG"))
    assert r.ok and r.thumbnail.getpixel((5, 5)) == (255, 255, 255)
    for mode in ("L", "P", "LA", "1", "I;16", "CMYK"):
        if mode == "I;16":
            im = Image.new(mode, (300, 200), 500)
        else:
            im = Image.new("RGB", (300, 200), (10, 20, 30)).convert(mode)
        fmt = "JPEG" if mode == "CMYK" else "PNG"
        r = decode(_encode(im, fmt))
        assert r.ok and r.thumbnail.mode == "RGB", (mode, r)


def test_bombs_are_rejected_from_the_header():
    for content, fmt in ((png_bomb(30000, 30000), "png"), (gif_bomb(), "gif"), (jpeg_bomb(), "jpeg")):
        r = decode(content)
        assert r.reason == "pixels" and r.format == fmt and r.extra["pixels"] > DEFAULT.max_pixels, r
    # the limit is ours per call, not Pillow's global MAX_IMAGE_PIXELS (untouched)
    before = Image.MAX_IMAGE_PIXELS
    assert decode(png_bomb(2000, 2000), ValidateConfig(max_pixels=3_000_000)).reason == "pixels"
    assert decode(png_bomb(2000, 2000)).reason == "truncated"  # under the limit: decoded, and the data is short
    assert Image.MAX_IMAGE_PIXELS == before


# --- never raises -------------------------------------------------------------------------------------------------

def _seeds() -> list[bytes]:
    """Small real images (and encoded ones, so the test also runs without ../shared)."""
    seeds = []
    if os.path.isdir(EDGE):
        for name in ("hopper.jpg", "hopper.png", "hopper.webp", "hopper.gif", "flower2.jpg", "transparent.png",
                     "hopper_orientation_6.jpg", "decompression_bomb_extents.gif"):
            seeds.append(_read(EDGE, name))
    grad = Image.linear_gradient("L").resize((200, 160)).convert("RGB")
    seeds += [_encode(grad, quality=70), _encode(grad, "PNG"), _encode(grad, "WEBP", quality=60),
              _encode(grad.convert("P"), "GIF"), _encode(grad, quality=70, progressive=True)]
    return seeds


SEEDS = _seeds()


def _check(content: bytes) -> None:
    r = decode(content, LOOSE)
    assert r.reason is not None or r.thumbnail is not None
    assert r.reason in (None, "format", "pixels", "corrupt", "truncated", "too_small", "too_large", "aspect"), r


@settings(max_examples=1500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=st.sampled_from(range(len(SEEDS))), cut=st.floats(0, 1),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 7)), max_size=8),
       insert=st.binary(max_size=16), where=st.floats(0, 1))
def test_never_raises_on_mutations(seed, cut, flips, insert, where):
    data = bytearray(SEEDS[seed])
    for pos, bit in flips:
        data[min(int(pos * len(data)), len(data) - 1)] ^= 1 << bit
    at = int(where * len(data))
    data[at:at] = insert
    _check(bytes(data[: max(1, int(len(data) * (0.2 + 0.8 * cut)))]))


def test_never_raises_on_random_truncations_and_flips():
    rng = np.random.default_rng(13)
    for i in range(2000):
        data = bytearray(SEEDS[i % len(SEEDS)])
        kind = i % 4
        if kind == 0:
            data = data[: rng.integers(0, len(data))]
        elif kind == 1:
            for pos in rng.integers(0, len(data), rng.integers(1, 20)):
                data[pos] ^= 1 << int(rng.integers(0, 8))
        elif kind == 2:  # header damage: the first 64 bytes, where sizes and chunk lengths live
            for pos in rng.integers(0, min(64, len(data)), 3):
                data[pos] = int(rng.integers(0, 256))
        else:
            data = data[: len(data) // 2] + rng.bytes(int(rng.integers(1, 200)))
        _check(bytes(data))


# --- memory -------------------------------------------------------------------------------------------------------

def test_memory_bounded(tmp_path):
    """Peak RSS of a fresh process: bombs add nothing; a 24 Mpx JPEG decodes at 1/8 scale (draft), so it costs about
    what a 0.4 Mpx image does, not the 72 MB of its full RGB decode (WEFT_TEST_DRAFT=0 runs it with
    jpeg_draft=False: ~90 MB, and it fails)."""
    big = tmp_path / "big.jpg"
    Image.effect_noise((1500, 1000), 60).convert("RGB").resize((6000, 4000)).save(big, "JPEG", quality=80)
    script = textwrap.dedent("""
        import io, sys

        def peak_kb():  # VmHWM belongs to this process image (ru_maxrss would carry the parent's peak over exec)
            for line in open("/proc/self/status"):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        from PIL import Image
        sys.path.insert(0, %r)
        import struct, zlib
        from engine.images.decode import ValidateConfig, decode
        big = open(sys.argv[1], "rb").read()
        cfg = ValidateConfig(jpeg_draft=sys.argv[2] == "1")
        warm = io.BytesIO(); Image.new("RGB", (800, 600)).save(warm, "JPEG"); decode(warm.getvalue())
        base = peak_kb()
        for _ in range(3):
            for b in (png_bomb(60000, 60000), gif_bomb(), jpeg_bomb()):
                assert decode(b).reason == "pixels"
        bombs = peak_kb()
        r = decode(big, cfg)
        assert r.ok and (r.width, r.height) == (6000, 4000), r
        large = peak_kb()
        print((bombs - base) // 1024, (large - bombs) // 1024)
    """) % os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    # the bomb builders travel as source: importing this module (hypothesis, pytest) would raise the baseline
    helpers = "".join(inspect.getsource(f) for f in (_encode, _chunk, png_bomb, gif_bomb, jpeg_bomb))
    script = script.replace("big = open(", helpers + "big = open(", 1)
    out = subprocess.run([sys.executable, "-c", script, str(big), os.environ.get("WEFT_TEST_DRAFT", "1")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    bombs_mb, large_mb = map(int, out.stdout.split())
    print("peak RSS growth, MB: bombs", bombs_mb, "24 Mpx JPEG", large_mb)
    assert bombs_mb <= 2, bombs_mb
    assert large_mb <= 20, large_mb
