"""Image hashes: 64-bit pHash / dHash computed over a batch.

pHash and dHash are imagehash's algorithms (imagehash 4.3.2 `phash(image)` and `dhash(image)`, hash_size 8),
bit for bit: grey (`convert("L")`), LANCZOS resize to 32x32 (pHash) or 9x8 (dHash), then
- pHash: 2-D DCT-II (scipy, the same pocketfft transform imagehash calls through scipy.fftpack, rows then
  columns), the 8x8 lowest frequencies, bit = coefficient > their median;
- dHash: bit = pixel > its left neighbour;
bits in row-major order, the first bit the most significant, written as 16 hex digits like `str(ImageHash)`.
The per-image work is two tiny Pillow resizes; the DCT, median and bit packing run once per batch in numpy.

What differs from running imagehash on the original file: the input. The pipeline hashes the decoded thumbnail
(engine.images.decode: JPEG decoded at reduced scale by libjpeg, then a bilinear resize to <= 256 px, EXIF
orientation applied, transparency on white), not the full-size file, so a pipeline hash equals
`imagehash.phash(thumbnail)` exactly but can differ from `imagehash.phash(Image.open(file))` in the bits that are
near ties. Measured on the real images of ../shared (tests/test_image_hashing.py): pHash 0-2 bits (mean 0.19),
dHash mostly 0-2 (mean 0.31; 7 on one flat texture, where dHash's neighbouring-cell comparisons are near ties).
Images with an EXIF orientation differ completely by design (imagehash ignores orientation, we hash what is shown).

Settings: config/images.yaml `images.hash`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.fft
from PIL import Image

from engine.config import defaults_from

_LANCZOS = Image.Resampling.LANCZOS


@dataclass(frozen=True, slots=True)
@defaults_from("images.hash")
class HashConfig:
    """Defaults: config/images.yaml `images.hash`."""

    near_distance: int


def _grey(images: Sequence[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
    """(N, 32, 32) and (N, 8, 9) uint8: each image's grey LANCZOS resizes, exactly as imagehash makes them."""
    n = len(images)
    p = np.empty((n, 32, 32), dtype=np.uint8)
    d = np.empty((n, 8, 9), dtype=np.uint8)
    for i, im in enumerate(images):
        g = im.convert("L") if im.mode != "L" else im
        p[i] = np.asarray(g.resize((32, 32), _LANCZOS))
        d[i] = np.asarray(g.resize((9, 8), _LANCZOS))
    return p, d


def _pack(bits: np.ndarray) -> np.ndarray:
    """(N, 8, 8) bool -> (N,) uint64, first bit most significant (imagehash's hex order)."""
    packed = np.packbits(bits.reshape(len(bits), 64), axis=1)  # (N, 8) bytes, big-endian bit order
    return packed.view(">u8").reshape(-1).astype(np.uint64)


def phash_bits(pixels: np.ndarray) -> np.ndarray:
    """(N, 32, 32) grey pixels -> (N, 8, 8) bool pHash bits (imagehash.phash on each)."""
    x = pixels.astype(np.float64)
    dct = scipy.fft.dct(scipy.fft.dct(x, axis=1), axis=2)  # per image: axis 0 then axis 1, DCT-II, unnormalised
    low = dct[:, :8, :8]
    med = np.median(low.reshape(len(low), 64), axis=1)
    return low > med[:, None, None]


def dhash_bits(pixels: np.ndarray) -> np.ndarray:
    """(N, 8, 9) grey pixels -> (N, 8, 8) bool dHash bits (imagehash.dhash on each)."""
    return pixels[:, :, 1:] > pixels[:, :, :-1]


def hash_images(images: Sequence[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
    """pHash and dHash of a batch of PIL images, as (N,) uint64 arrays."""
    if not len(images):
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    p, d = _grey(images)
    return _pack(phash_bits(p)), _pack(dhash_bits(d))


def to_hex(values: np.ndarray) -> list[str]:
    """uint64 hashes -> 16-digit lower-case hex strings (`str(imagehash.ImageHash)`)."""
    return [f"{int(v):016x}" for v in values]


def from_hex(values: Sequence[str]) -> np.ndarray:
    return np.array([int(v, 16) for v in values], dtype=np.uint64)


def hashes_hex(images: Sequence[Image.Image]) -> tuple[list[str], list[str]]:
    """(p_hash, d_hash) hex lists for a batch of images (the schema's `p_hash`, `d_hash`)."""
    p, d = hash_images(images)
    return to_hex(p), to_hex(d)


def hamming(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Bitwise Hamming distance of uint64 hashes, broadcasting (e.g. a[:, None] vs b[None, :] for all pairs)."""
    x = np.bitwise_xor(np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64))
    return np.bitwise_count(x).astype(np.int64)


def hamming_hex(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def is_near(a: np.ndarray | int, b: np.ndarray | int, config: HashConfig | None = None) -> np.ndarray:
    """True where the Hamming distance is <= the configured near-duplicate distance."""
    return hamming(a, b) <= (config or HashConfig()).near_distance
