"""`TokenVocab`: a text as an array of token ids, with every per-token fact the filters need as numpy arrays.

The filters ask the same questions of every token of every document: how long is it, is it only punctuation,
does it contain a letter, is its lower-case form a stop word or a flagged word. Words repeat across documents
("the", "it.", "(see"), so each whitespace-separated chunk is tokenised once per process, its tokens get ids,
and the answers are stored once per token. A document then costs one split, one dict lookup per chunk (a C
loop) and a few numpy gathers, instead of a Python loop over its tokens.

Layout: chunk -> tuple of token ids (a dict: a document's ids come out of one C-level chain over its chunks);
token id -> length, content, alpha, a 64-bit mix of the id (n-gram hashes are built from these) as numpy
columns, and stop / flagged flags per word list, filled lazily.

Memory is bounded: past `limit` distinct chunks the vocabulary starts over with a new generation (`_State`);
an `Encoded` text keeps a reference to its own, so it stays valid across a reset, and the tokeniser's answers of
the last generation are kept one generation longer so a long-running worker does not start cold again.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import chain, compress, repeat
from operator import is_
from typing import Callable, Iterable

import numpy as np

_LIMIT = 300_000  # distinct chunks per vocabulary before it starts over


class _Column:
    """An append-only numpy column with amortised doubling (`view()` is the filled part)."""

    __slots__ = ("data", "size")

    def __init__(self, dtype, capacity: int = 4096):
        self.data = np.zeros(capacity, dtype=dtype)
        self.size = 0

    def extend(self, values: Iterable, count: int) -> None:
        need = self.size + count
        if need > len(self.data):
            grown = np.zeros(max(need, 2 * len(self.data)), dtype=self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown  # a new array: views taken before stay valid
        if not isinstance(values, np.ndarray):
            values = np.fromiter(values, dtype=self.data.dtype, count=count)
        self.data[self.size: need] = values
        self.size = need

    def view(self) -> np.ndarray:
        return self.data[: self.size]


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection on 64-bit integers, so distinct token ids get distinct, well spread
    values (n-gram hashes are polynomials of these)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class _State:
    """Everything one generation of a vocabulary knows; a reset starts a new one, so texts encoded before it
    keep reading theirs (strings, word-list flags)."""

    def __init__(self):
        self.chunks: dict[str, tuple[int, ...]] = {}
        self.tokens: dict[str, int] = {}
        self.strings: list[str] = []
        self.length = _Column(np.int64)
        self.content = _Column(np.bool_)
        self.alpha = _Column(np.bool_)
        self.hash = _Column(np.uint64)
        self.flags: dict[frozenset[str], _Column] = {}

    def word_flags(self, ids: np.ndarray, words: frozenset[str]) -> np.ndarray:
        """bool per token: its lower-case form is in `words` (a stop-word or flagged-word list), computed once per
        distinct token and list, when a list is first asked about a token."""
        col = self.flags.get(words)
        if col is None:
            col = self.flags[words] = _Column(np.bool_)
        if col.size < len(self.strings):
            todo = self.strings[col.size:]
            col.extend(map(words.__contains__, map(str.lower, todo)), len(todo))
        return col.view()[ids]


@dataclass(frozen=True, slots=True)
class Encoded:
    """One text's tokens: ids and the per-token facts, with the vocabulary generation they belong to."""

    ids: np.ndarray  # token id per token, in text order
    lengths: np.ndarray  # characters per token
    content: np.ndarray  # bool: the token has a character that is not punctuation
    alpha: np.ndarray  # bool: the token has a letter
    hashes: np.ndarray  # uint64, one per distinct token (n-gram hashes are polynomials of these)
    state: _State

    def words(self) -> list[str]:
        return list(map(self.state.strings.__getitem__, self.ids.tolist()))

    def in_word_list(self, words: frozenset[str]) -> np.ndarray:
        """bool per token: its lower-case form is in `words`."""
        return self.state.word_flags(self.ids, words)

    def distinct_lower(self, mask: np.ndarray) -> int:
        """How many distinct lower-case forms the tokens under `mask` have."""
        strings = self.state.strings
        return len(set(map(str.lower, map(strings.__getitem__, np.unique(self.ids[mask]).tolist()))))


class TokenVocab:
    def __init__(self, chunk_tokens: Callable[[str], tuple[str, ...]], is_punctuation: Callable[[str], bool],
                 special: Iterable[str] = (), limit: int = _LIMIT):
        """`chunk_tokens`: the tokeniser for one chunk; `special`: chunks it does not keep whole although they
        are letters only (spaCy's special cases such as "dont" -> do + nt)."""
        self._chunk_tokens = chunk_tokens
        self._is_punctuation = is_punctuation
        self._special = frozenset(special)
        self.limit = limit
        self.clear()

    def clear(self) -> None:
        self._s = _State()
        self._previous: dict[str, tuple[str, ...]] = {}

    def _start_over(self) -> None:
        """A new generation when the vocabulary is full. The tokeniser's answers for the last generation's chunks
        with punctuation (the expensive ones) are kept as strings for one more generation, so a chunk that is
        still in use is not tokenised again (memory stays within two generations)."""
        old = self._s
        strings = old.strings
        self._previous = {chunk: tuple(map(strings.__getitem__, ids))
                          for chunk, ids in old.chunks.items() if not chunk.isalpha()}
        self._s = _State()

    def __len__(self) -> int:
        return len(self._s.chunks)

    def encode(self, text: str) -> Encoded:
        chunks = text.split()
        if len(self._s.chunks) > self.limit:
            self._start_over()
        s = self._s
        known = list(map(s.chunks.get, chunks))  # one C-level pass; None marks a chunk seen for the first time
        if None in known:
            self._add_chunks(set(compress(chunks, map(is_, known, repeat(None)))))
            known = list(map(s.chunks.__getitem__, chunks))
        ids = np.fromiter(chain.from_iterable(known), dtype=np.int64)
        return Encoded(ids, s.length.view()[ids], s.content.view()[ids], s.alpha.view()[ids], s.hash.view()[ids], s)

    # -- growing -------------------------------------------------------------------------------------------
    def _add_chunks(self, chunks: set[str]) -> None:
        # Chunks of letters only that are not special cases are one token, themselves (most new chunks): they
        # are added with set and dict operations in C. The rest go through the tokeniser.
        s = self._s
        plain = set(filter(str.isalpha, chunks)).difference(self._special)
        if plain:
            self._add_tokens(plain.difference(s.tokens), letters=True)
            s.chunks.update(zip(plain, zip(map(s.tokens.__getitem__, plain))))  # chunk -> (id,)
            chunks = chunks.difference(plain)
        if chunks:
            chunks_list = list(chunks)
            previous, tokenise = self._previous, self._chunk_tokens
            split = [previous.get(chunk) or tokenise(chunk) for chunk in chunks_list]
            self._add_tokens(set(chain.from_iterable(split)).difference(s.tokens), letters=False)
            ids = map(tuple, map(partial(map, s.tokens.__getitem__), split))  # C-level: token strings -> ids
            s.chunks.update(zip(chunks_list, ids))

    def _add_tokens(self, tokens: set[str], letters: bool) -> None:
        """Ids and facts for tokens not seen before (`letters`: all of them are letters only)."""
        if not tokens:
            return
        s = self._s
        new = list(tokens)
        n, base = len(new), len(s.strings)
        s.tokens.update(zip(new, range(base, base + n)))
        s.strings.extend(new)
        s.length.extend(map(len, new), n)
        if letters:
            s.content.extend(np.ones(n, dtype=np.bool_), n)
            s.alpha.extend(np.ones(n, dtype=np.bool_), n)
        else:
            s.content.extend(~np.fromiter(map(self._is_punctuation, new), dtype=np.bool_, count=n), n)
            s.alpha.extend((any(map(str.isalpha, t)) for t in new), n)
        s.hash.extend(_mix64(np.arange(base, base + n, dtype=np.uint64)), n)
