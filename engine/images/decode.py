"""Decode and validate one image under a pixel limit: `decode(content, config) -> Decoded`, never raising.

Order of work for one byte string (each step can reject with a counted `reason`, and the cheap ones come first):

1. sha256 of the bytes (always set, also on rejection).
2. format: sniffed from the magic bytes (engine.images.sniff, the downloader's table too); a recognised image
   format that is not in `formats` (svg, ico, bmp, tiff, avif, ...) or bytes that are no known image format ->
   `format`. `extra["detected"]` names what was seen.
3. header: Pillow parses the header only (no pixel is decoded). The plugin's factory is called directly instead of
   `Image.open`, so Pillow's process-wide `MAX_IMAGE_PIXELS` (a global, with a warning at 89 Mpx and an error at
   179 Mpx) plays no part: our own per-call `max_pixels` is checked on the header size -> `pixels` (a
   decompression bomb is rejected before any allocation). A header Pillow cannot parse -> `corrupt`.
4. size rules on the displayed size (EXIF orientation 5-8 swaps width and height): `too_small` (shorter side <
   `min_side`), `too_large` (longer side > `max_side`), `aspect` (width/height outside [min_aspect, max_aspect]).
   Checked before decoding, so rejected images cost a header parse.
5. decode: JPEG uses `draft()` so libjpeg decodes at 1/2, 1/4 or 1/8 scale, the smallest that still covers the
   thumbnail (width/height stay the real ones); GIF and animated WebP decode their first frame only. A decoder
   error that says the data ended early -> `truncated`, any other -> `corrupt`.
6. thumbnail: RGB, longest side <= `thumbnail_size` (never enlarged; `thumbnail_filter`, bilinear by default: the
   resize is the largest single cost and after a JPEG draft the step is under 2x), EXIF orientation applied,
   transparency composited onto white. Hashing (engine.images.hashing) and the scorers read this, never the full
   image.

Fast paths measured and not taken (benchmarks/images.py sets, one core): simplejpeg 1.9.0 scaled decode was no
faster than Pillow's draft on small JPEGs and half as fast on 640x480; pyvips 3.2.0 / libvips 8.18
`thumbnail_buffer` ran at half of Pillow's draft + bilinear on both sets (per-call overhead on small images).

Memory: at most `max_pixels` x 4 bytes for a non-JPEG decode (PNG/WebP/GIF decode at full size; x 5 for a palette
image with transparency, converted to RGBA before the resize), about 1/64 of that for a large JPEG (draft), plus
the thumbnail. Warnings from damaged metadata are silenced inside decode (catch_warnings: not thread-safe, so
call decode from one thread per process, as Spark's Python workers do). Settings: config/images.yaml `images.validate`.
"""
from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass
from typing import Iterable

from PIL import Image, ImageFile

from engine.config import defaults_from
from engine.images.sniff import sniff
from engine.images.types import Decoded

# Our names for sniffed formats -> Pillow's format id (only the ones we may decode need one).
_PILLOW = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF"}
_ORIENT_SWAPS = {5, 6, 7, 8}
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION = 0x0112
_FILTERS = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC,
            "lanczos": Image.Resampling.LANCZOS}


@dataclass(frozen=True, slots=True)
@defaults_from("images.validate")
class ValidateConfig:
    """Which images are kept and how they are decoded. Defaults: config/images.yaml `images.validate`."""

    formats: list
    min_side: int
    max_side: int
    min_aspect: float
    max_aspect: float
    max_pixels: int
    thumbnail_size: int
    thumbnail_filter: str
    jpeg_draft: bool

    def __post_init__(self):
        if self.thumbnail_filter not in _FILTERS:
            raise ValueError(f"images.validate.thumbnail_filter: {self.thumbnail_filter!r} is not one of "
                             f"{sorted(_FILTERS)}")
        unknown = set(self.formats) - set(_PILLOW)
        if unknown:
            raise ValueError(f"images.validate.formats: cannot decode {sorted(unknown)} (decodable: {sorted(_PILLOW)})")
        if self.thumbnail_size < 8 or self.min_side < 1 or not 0 < self.min_aspect <= self.max_aspect:
            raise ValueError("images.validate: thumbnail_size >= 8, min_side >= 1, 0 < min_aspect <= max_aspect")


def _orientation(im: Image.Image) -> int:
    """EXIF orientation 1-8 (1 when absent or unreadable). Reads EXIF only where it was already parsed with the
    header, so asking never decodes pixels (PngImageFile.getexif would load the image when no eXIf came first)."""
    if "exif" not in im.info:
        return 1
    try:
        value = im.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # broken EXIF: shown unrotated by browsers too
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _size_reason(width: int, height: int, cfg: ValidateConfig) -> str | None:
    if min(width, height) < cfg.min_side:
        return "too_small"
    if max(width, height) > cfg.max_side:
        return "too_large"
    aspect = width / height
    if not (cfg.min_aspect <= aspect <= cfg.max_aspect):
        return "aspect"
    return None


def _thumbnail(im: Image.Image, size: int, orientation: int, resample: int) -> Image.Image:
    """RGB copy with the longest side <= size, orientation applied, alpha composited onto white."""
    source, mode = im, im.mode
    alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in im.info)
    if alpha:
        im = im.convert("RGBA")
    elif mode not in ("RGB", "L"):
        im = im.convert("RGB")
    w, h = im.size
    scale = size / max(w, h)
    if scale < 1:
        target = (max(1, round(w * scale)), max(1, round(h * scale)))
        im = im.resize(target, resample, reducing_gap=3.0)  # reducing_gap: box-reduce first when >= 3x
    if alpha:
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        white.alpha_composite(im)
        im = white.convert("RGB")
    elif im.mode != "RGB":
        im = im.convert("RGB")
    if orientation in _TRANSPOSE:
        im = im.transpose(_TRANSPOSE[orientation])
    return im.copy() if im is source else im  # a plain Image, not the file object (closed after decode)


def _open(content: bytes, fmt: str) -> ImageFile.ImageFile:
    """Parse the header with the plugin for `fmt` (no pixels, no global bomb check)."""
    name = _PILLOW[fmt]
    if name not in Image.OPEN:
        Image.init()
    factory, _accept = Image.OPEN[name]
    return factory(io.BytesIO(content), "")


def _load_reason(exc: BaseException) -> str:
    """`truncated` when the decoder ran out of data, `corrupt` for any other decoder error."""
    text = str(exc).lower()
    if "truncated" in text or "premature end" in text or "not enough data" in text:
        return "truncated"
    return "corrupt"


def decode(content: bytes, config: ValidateConfig | None = None) -> Decoded:
    """Validate and decode one image; never raises (a `reason` instead). See the module docstring."""
    cfg = config or _DEFAULT
    try:
        data = bytes(content) if not isinstance(content, bytes) else content
    except Exception:
        return Decoded(sha256="", bytes=0, reason="corrupt", extra={"error": "not bytes"})
    out = Decoded(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    try:
        with warnings.catch_warnings():  # damaged EXIF/metadata warns once per tag: noise, never a decision
            warnings.simplefilter("ignore")
            _decode_into(data, cfg, out)
    except MemoryError:
        out.reason, out.thumbnail = "pixels", None
        out.extra["error"] = "MemoryError"
    except Exception as exc:  # any other failure of a decoder is a corrupt file, never a crash
        out.reason, out.thumbnail = "corrupt", None
        out.extra["error"] = f"{type(exc).__name__}: {exc}"[:200]
    return out


def _decode_into(data: bytes, cfg: ValidateConfig, out: Decoded) -> None:
    fmt = sniff(data)
    out.format = fmt
    if fmt is None or fmt not in cfg.formats or fmt not in _PILLOW:
        out.reason = "format"
        out.extra["detected"] = fmt or "unknown"
        return
    try:
        im = _open(data, fmt)
    except Image.DecompressionBombError as exc:  # GIF: a frame far larger than the canvas (checked by Pillow)
        out.reason = "pixels"
        out.extra["error"] = f"{type(exc).__name__}: {exc}"[:200]
        return
    except Exception as exc:
        out.reason = _load_reason(exc) if isinstance(exc, EOFError) else "corrupt"
        out.extra["error"] = f"{type(exc).__name__}: {exc}"[:200]
        return
    with im:
        width, height = im.size
        if width <= 0 or height <= 0:
            out.reason = "corrupt"
            return
        out.extra["pixels"] = width * height
        if width * height > cfg.max_pixels:  # decompression bomb: rejected on the header, nothing allocated
            out.width, out.height, out.reason = width, height, "pixels"
            return
        orientation = _orientation(im)
        if orientation in _ORIENT_SWAPS:
            width, height = height, width
        out.width, out.height = width, height
        out.reason = _size_reason(width, height, cfg)
        if out.reason:
            return
        if fmt == "jpeg" and cfg.jpeg_draft:
            w, h = im.size
            scale = cfg.thumbnail_size / max(w, h)
            if scale < 1:
                im.draft("RGB", (max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale))))
        try:
            im.load()  # first frame only for GIF / animated WebP
        except Image.DecompressionBombError as exc:
            out.reason = "pixels"
            out.extra["error"] = f"{type(exc).__name__}: {exc}"[:200]
            return
        except (OSError, EOFError, SyntaxError, ValueError) as exc:
            out.reason = _load_reason(exc)
            out.extra["error"] = f"{type(exc).__name__}: {exc}"[:200]
            return
        if fmt == "png" and orientation == 1:  # an eXIf chunk after the pixel data is only seen now
            late = _orientation(im)
            if late != 1:
                orientation = late
                if late in _ORIENT_SWAPS:
                    out.width, out.height = out.height, out.width
                out.reason = _size_reason(out.width, out.height, cfg)
                if out.reason:
                    return
        if orientation != 1:
            out.extra["orientation"] = orientation
        out.thumbnail = _thumbnail(im, cfg.thumbnail_size, orientation, _FILTERS[cfg.thumbnail_filter])


def decode_many(contents: Iterable[bytes], config: ValidateConfig | None = None) -> list[Decoded]:
    """decode() over a batch (one config object, no per-item setup)."""
    cfg = config or _DEFAULT
    return [decode(c, cfg) for c in contents]


_DEFAULT = ValidateConfig()
