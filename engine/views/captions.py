"""Caption strategies for image-text pairs (`degrade.pairs.strategy`, then `degrade.pairs.fallback` in order).

* ``alt``: the image's alt text (figure captions are folded into alt by extraction).
* ``nearest``: the nearest paragraph before or after the image, at most `max_distance` positions away, equal
  distances broken by `prefer`; a paragraph before the image keeps its end, one after it its start.
* ``mmc4``: MMC4's assignment (Zhu et al. 2023, Sec. 2): images and the document's paragraphs form a bipartite
  graph weighted by image-text similarity, and `scipy.optimize.linear_sum_assignment` picks the one-to-one
  matching of greatest total similarity (each paragraph captions at most one image).
  When the image stage wrote per-candidate similarities (`OUT/images/clip_sims`, CLIP active), the caller passes
  that real image x paragraph matrix (`matrix=`, engine/views/similarity.py; counted `mmc4_similarity_docs`) and
  the caption carries the matched pair's cosine. Otherwise only the documents table's one `clip_sim` per image
  (the best cosine over its alt text and neighbouring paragraphs) exists, and the matrix is built as a proxy
  (counted `mmc4_proxy_matrix_docs`):
      S[i, j] = clip_sim_i - mmc4_distance_penalty * (d_ij - 1)   for d_ij <= max_distance, else no edge,
  d_ij = positions between image i and paragraph j. clip_sim_i measures how well image i matches its
  adjacent text, so the matching assigns each image its closest free paragraph, a contested paragraph goes to
  the image with the higher clip_sim, and the total distance is least. A document without any clip_sim has
  no similarity to match on: its images fall through to the fallback (counted `mmc4_no_similarity`), as do
  images the matching leaves without a paragraph (`mmc4_unmatched`).
Every caption is whitespace-collapsed, cut to `max_caption_chars` at a sentence (else word) end, and must keep
at least `min_caption_chars` characters.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from engine.views.settings import PairsConfig

_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?。！？…](?=\s|$)")


@dataclass(frozen=True, slots=True)
class Caption:
    text: str
    source: str               # alt | nearest | mmc4
    text_position: int | None  # position of the paragraph in the aligned lists (None for alt)
    similarity: float | None = None  # cosine of the image with this paragraph, when a real matrix matched them


def clean(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def bound(text: str, max_chars: int, keep: str = "start") -> str:
    """Cut `text` to at most `max_chars`, at a sentence end if one is in the kept half, else at a word end.
    keep="end" keeps the end of the text (a paragraph before the image)."""
    if len(text) <= max_chars:
        return text
    if keep == "end":
        tail = text[-max_chars:]
        starts = [m.end() for m in _SENTENCE_END.finditer(tail)]
        cut = next((s for s in starts if s <= max_chars // 2), None)
        if cut is not None:
            return tail[cut:].strip()
        space = tail.find(" ")
        return tail[space + 1:].strip() if 0 <= space < max_chars // 2 else tail.strip()
    head = text[:max_chars]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= max_chars // 2:
        return head[: ends[-1]].strip()
    space = head.rfind(" ")
    return head[:space].strip() if space >= max_chars // 2 else head.strip()


def _valid(text: str | None, config: PairsConfig) -> bool:
    return text is not None and len(clean(text)) >= config.min_caption_chars


def _paragraph_caption(texts: list, text_pos: int, image_pos: int, config: PairsConfig) -> str:
    keep = "end" if text_pos < image_pos else "start"
    return bound(clean(texts[text_pos]), config.max_caption_chars, keep)


def alt_caption(meta: dict | None, config: PairsConfig) -> Caption | None:
    alt = clean((meta or {}).get("alt"))
    if len(alt) < config.min_caption_chars:
        return None
    return Caption(bound(alt, config.max_caption_chars), "alt", None)


def nearest_position(texts: list, pos: int, config: PairsConfig) -> int | None:
    """Position of the nearest usable paragraph within max_distance, or None."""
    first, second = (1, -1) if config.prefer == "after" else (-1, 1)
    for d in range(1, config.max_distance + 1):
        for sign in (first, second):
            j = pos + sign * d
            if 0 <= j < len(texts) and _valid(texts[j], config):
                return j
    return None


def nearest_caption(texts: list, pos: int, config: PairsConfig) -> Caption | None:
    j = nearest_position(texts, pos, config)
    return None if j is None else Caption(_paragraph_caption(texts, j, pos, config), "nearest", j)


def proxy_matrix(texts: list, image_positions: list[int], sims: list, config: PairsConfig):
    """(matrix images x paragraphs with -inf for no edge, paragraph positions), or None without any clip_sim."""
    base = [None if s is None or (isinstance(s, float) and math.isnan(s)) else float(s) for s in sims]
    if all(b is None for b in base):
        return None
    paragraphs = [j for j, t in enumerate(texts) if _valid(t, config)]
    m = np.full((len(image_positions), len(paragraphs)), -np.inf)
    floor = min(b for b in base if b is not None)
    for r, (p, b) in enumerate(zip(image_positions, base)):
        b = floor if b is None else b  # an image without text of its own competes with the weakest
        for c, j in enumerate(paragraphs):
            d = abs(p - j)
            if d <= config.max_distance:
                # prefer: a hair's advantage for the preferred side at equal distance
                side = 1e-9 if (j > p) == (config.prefer == "after") else 0.0
                m[r, c] = b - config.mmc4_distance_penalty * (d - 1) + side
    return m, paragraphs


def mmc4_assign(texts: list, image_positions: list[int], sims: list, config: PairsConfig,
                matrix: np.ndarray | None = None, paragraphs: list[int] | None = None):
    """Optimal one-to-one matching: {image position: paragraph position}, or None when there is no similarity.
    `matrix` (images x `paragraphs` positions) replaces the proxy when a real image x text similarity exists."""
    from scipy.optimize import linear_sum_assignment

    if matrix is None:
        built = proxy_matrix(texts, image_positions, sims, config)
        if built is None:
            return None
        matrix, paragraphs = built
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.size == 0 or not np.isfinite(matrix).any():
        return {}
    finite = np.isfinite(matrix)
    big = (np.abs(matrix[finite]).max() + 1.0) * (matrix.shape[0] + 1)
    cost = np.where(finite, -matrix, big)
    rows, cols = linear_sum_assignment(cost)
    return {image_positions[r]: paragraphs[c] for r, c in zip(rows, cols) if finite[r, c]}


def caption_document(texts: list, images: list, metas: list, positions: list[int], config: PairsConfig,
                     counts: Counter | None = None, matrix=None, paragraphs=None) -> dict[int, Caption]:
    """Captions for the images at `positions` (those being paired) of one document; images without one are
    absent from the result. `counts` receives mmc4_* counters and captions per source."""
    counts = counts if counts is not None else Counter()
    out: dict[int, Caption] = {}
    assigned = None
    if "mmc4" in config.order and positions:
        assigned = mmc4_assign(texts, positions, [(metas[p] or {}).get("clip_sim") for p in positions], config,
                               matrix, paragraphs)
        if assigned is None:
            counts["mmc4_no_similarity"] += len(positions)
        else:
            counts["mmc4_proxy_matrix_docs" if matrix is None else "mmc4_similarity_docs"] += 1
    for p in positions:
        for name in config.order:
            if name == "alt":
                cap = alt_caption(metas[p], config)
            elif name == "nearest":
                cap = nearest_caption(texts, p, config)
            else:
                j = (assigned or {}).get(p)
                if assigned is not None and j is None:
                    counts["mmc4_unmatched"] += 1
                sim = None
                if j is not None and matrix is not None:
                    sim = float(np.asarray(matrix)[positions.index(p), paragraphs.index(j)])
                cap = None if j is None else Caption(_paragraph_caption(texts, j, p, config), "mmc4", j, sim)
            if cap is not None and len(cap.text) >= config.min_caption_chars:
                out[p] = cap
                counts[f"caption:{cap.source}"] += 1
                break
    return out
