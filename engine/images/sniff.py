"""What image format a file's first bytes announce: the one magic-byte table of the image stage (a leaf).

engine.images.fetch uses it to tell an image from an error page after the first KiB of a body (`not_an_image`),
engine.images.decode to pick the Pillow plugin (and to name what it refused in `extra["detected"]`).
"""
from __future__ import annotations

__all__ = ["sniff", "SNIFF_BYTES"]

SNIFF_BYTES = 1024  # bytes enough to judge (SVG may open with an XML prolog or a comment)

_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
    (b"BM", "bmp"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"II+\x00", "tiff"), (b"MM\x00+", "tiff"),
    (b"\x00\x00\x01\x00", "ico"), (b"\x00\x00\x02\x00", "cur"), (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "jp2"),
    (b"\xff\x4f\xff\x51", "j2k"), (b"\xff\x0a", "jxl"), (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "jxl"),
)
_FTYP_AVIF = frozenset({b"avif", b"avis"})
_FTYP_HEIF = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})


def sniff(head: bytes) -> str | None:
    """The image format the first bytes announce (jpeg, png, gif, webp, bmp, tiff, ico, cur, jp2, j2k, jxl, avif,
    heif, svg), or None. (BMP's two-byte 'BM' is weak, but a BM-prefixed non-image is rare and the decoder
    rejects it.)"""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "avif" if brand in _FTYP_AVIF else "heif" if brand in _FTYP_HEIF else None
    text = head[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith((b"<?xml", b"<!--", b"<!doctype svg")) and b"<svg" in text):
        return "svg"
    return None
