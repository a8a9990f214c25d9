"""Rows -> training samples, the ``<image>``-placeholder formatter and the token-budget packer.

A sample is a dict. Every sample has ``__key__`` = (unit, row), the key the resume state records (see the package
docstring); a pack has ``__keys__``, the keys of the samples whose last token it holds.

* documents: ``{"__key__", "id", "url", "meta": {...}, "items": [str | image, ...]}``: paragraphs and images in
  page order (images missing from the store are left out, or raise with ``missing="error"``).
* pairs view: the row's columns, plus ``"image"`` and ``"items": [image, text]``.
* text view: the row's columns, plus ``"items": [text]``.

An image is a loaded PIL image (``images="pil"``, RGB by default), the encoded bytes (``images="bytes"``), or
the store row as a dict (``images="record"``: sha256, content, width, height, format); ``images="none"`` leaves
images out (text-only training on the documents table).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

IMAGE_MODES = ("pil", "bytes", "record", "none")


def whitespace_tokens(text: str) -> list[str]:
    """The default tokenizer of the packer: whitespace-separated words."""
    return text.split()


def is_image(item: Any) -> bool:
    return not isinstance(item, str)


def format_interleaved(sample: dict, image_token: str = "<image>", joiner: str = "\n") -> dict:
    """An interleaved sample -> {"text": paragraphs joined with ``joiner``, each image replaced by
    ``image_token``, "images": the images in the same order} (the InternVL / LLaVA-interleaved convention: the
    i-th placeholder is the i-th image)."""
    parts, images = [], []
    for item in sample["items"]:
        if is_image(item):
            parts.append(image_token)
            images.append(item)
        else:
            parts.append(item)
    return {"text": joiner.join(parts), "images": images}


def sample_text(sample: dict, joiner: str = "\n\n") -> str:
    """The text of a sample: its ``text`` field, else its string items joined."""
    if isinstance(sample.get("text"), str):
        return sample["text"]
    return joiner.join(i for i in sample.get("items", ()) if isinstance(i, str))


class Packer:
    """Concatenates samples' texts into packs of at most ``budget`` tokens, measured by ``tokenizer`` (a callable
    text -> sequence of tokens or ids; default: whitespace words).

    A pack is ``{"tokens": [...], "texts": [...], "num_tokens": n, "__keys__": [...]}``; ``sep`` (a sequence of
    tokens, e.g. ``[eos_id]``) is appended after each sample's tokens and counts against the budget. A sample
    longer than the budget is split into budget-sized pieces (``overflow="split"``), cut (``"truncate"``) or
    dropped (``"drop"``). A sample's key goes with the pack holding its last token (so the resume state marks it
    consumed only when all of it was)."""

    def __init__(self, budget: int, tokenizer: Callable[[str], Any] | None = None, sep: Iterable = (),
                 overflow: str = "split", text_of: Callable[[dict], str] = sample_text):
        if budget < 1:
            raise ValueError("budget must be >= 1")
        if overflow not in ("split", "truncate", "drop"):
            raise ValueError(f"overflow must be split, truncate or drop, not {overflow!r}")
        self.budget, self.tokenizer = budget, tokenizer or whitespace_tokens
        self.sep, self.overflow, self.text_of = list(sep), overflow, text_of
        if len(self.sep) >= budget:
            raise ValueError("sep is as long as the budget")

    def __call__(self, samples: Iterable[dict]) -> Iterator[dict]:
        tokens: list = []
        texts: list[str] = []
        keys: list = []

        def flush():
            nonlocal tokens, texts, keys
            pack = {"tokens": tokens, "texts": texts, "num_tokens": len(tokens), "__keys__": keys}
            tokens, texts, keys = [], [], []
            return pack

        for s in samples:
            text = self.text_of(s)
            toks = list(self.tokenizer(text)) + self.sep
            key = s.get("__key__")
            if len(toks) > self.budget:
                if self.overflow == "drop":
                    keys.append(key)  # consumed (dropped): recorded with the next pack
                    continue
                if self.overflow == "truncate":
                    toks = toks[: self.budget]
            if tokens and len(tokens) + len(toks) > self.budget:
                yield flush()
            texts.append(text)
            while len(toks) > self.budget:  # split
                tokens.extend(toks[: self.budget])
                toks = toks[self.budget:]
                yield flush()
            tokens.extend(toks)
            keys.append(key)
            if len(tokens) == self.budget:
                yield flush()
        if tokens or keys:
            yield flush()
