"""`TokenVocab`: a text as an array of token ids, with every per-token fact the filters need as numpy arrays.

The filters ask the same questions of every token of every document: how long is it, is it only punctuation,
does it contain a letter, is its lower-case form a stop word or a flagged word. Words repeat across documents
("the", "it.", "(see"), so each whitespace-separated chunk is tokenised once per process, its tokens get ids,
and the answers are stored once per token. A document then costs one split, one dict lookup per chunk (a C
loop) and a few numpy gathers, instead of a Python loop over its tokens.

Layout: chunk -> tuple of token ids (a dict); token id -> length, content, alpha, a 64-bit mix of the id (n-gram
hashes are built from these) as numpy columns, filled when first read, and stop / flagged flags per word list,
filled when a list is first asked about.

The two loops that run per chunk (looking up a text's chunks, adding the new ones on the way; adding new chunks
of letters only) are in C, filters/_native.c, where `pip install` could build it, and in Python otherwise
(`_chunk_ids_py`, `_add_plain_py`, same results, tested).

Memory is bounded: past `limit` distinct chunks the vocabulary starts over with a new generation (`_State`);
an `Encoded` text keeps a reference to its own, so it stays valid across a reset, and the tokeniser's answers of
the last generation are kept one generation longer so a long-running worker does not start cold again.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import chain, compress, filterfalse, repeat
from operator import is_
from typing import Callable, Iterable

import numpy as np

from engine.dedup.minhash import mix64

_LIMIT = 300_000  # distinct chunks per vocabulary before it starts over


def _chunk_ids_py(chunks: dict[str, tuple[int, ...]], words: list[str],
                  add: Callable[[list[str]], None]) -> np.ndarray:
    """The words' token ids in order; words not in `chunks` yet go to `add` first, each once, first occurrence
    first (filters/_native.c: the same in C)."""
    known = list(map(chunks.get, words))  # one C-level pass; None marks a chunk seen for the first time
    if None in known:
        add(list(dict.fromkeys(compress(words, map(is_, known, repeat(None))))))
        known = list(map(chunks.__getitem__, words))
    return np.fromiter(chain.from_iterable(known), dtype=np.int64)


def _append_tokens(tokens: dict[str, int], strings: list[str], new: Iterable[str]) -> None:
    """Give tokens not seen before the next ids (token -> id, and id -> token as the position in `strings`)."""
    new = list(new)
    tokens.update(zip(new, range(len(strings), len(strings) + len(new))))
    strings.extend(new)


def _add_plain_py(chunks: dict[str, tuple[int, ...]], tokens: dict[str, int], strings: list[str],
                  words: list[str], special: frozenset[str]) -> list[str]:
    """Add the distinct new `words` that are one token, themselves (letters only, not special cases): new tokens
    get the next ids; return the other words (filters/_native.c: the same in C)."""
    plain = set(filter(str.isalpha, words)).difference(special)
    _append_tokens(tokens, strings, plain.difference(tokens))
    chunks.update(zip(plain, zip(map(tokens.__getitem__, plain))))  # chunk -> (id,)
    return list(filterfalse(plain.__contains__, words))


try:  # built by `pip install` where a C compiler exists
    from filters._native import add_plain as _add_plain, chunk_ids as _chunk_ids
except ImportError:  # e.g. code shipped to Spark executors as a zip: same results, ~0.2 ms more per document
    _chunk_ids, _add_plain = _chunk_ids_py, _add_plain_py


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


class _State:
    """Everything one generation of a vocabulary knows; a reset starts a new one, so texts encoded before it
    keep reading theirs (strings, facts, word-list flags). The per-token facts are filled when first read: with
    FilterStep's phases that is once per batch (every text of the batch is encoded before any is scored), not
    once per text."""

    def __init__(self, is_punctuation: Callable[[str], bool]):
        self.chunks: dict[str, tuple[int, ...]] = {}
        self.tokens: dict[str, int] = {}
        self.strings: list[str] = []
        self.length = _Column(np.int64)
        self.content = _Column(np.bool_)
        self.alpha = _Column(np.bool_)
        self.hash = _Column(np.uint64)
        self.flags: dict[frozenset[str], _Column] = {}
        self._is_punctuation = is_punctuation

    def facts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """length, content, alpha and hash per token id, filled up to the last token added."""
        if self.length.size < len(self.strings):
            self._fill()
        return self.length.view(), self.content.view(), self.alpha.view(), self.hash.view()

    def _fill(self) -> None:
        """The facts of the tokens added since the last fill. Most are letters only (content, alpha); the others
        are looked at one by one."""
        base = self.length.size
        new = self.strings[base:]
        n = len(new)
        alpha = np.fromiter(map(str.isalpha, new), dtype=np.bool_, count=n)
        content = alpha.copy()
        for i in np.flatnonzero(~alpha).tolist():
            token = new[i]
            content[i] = not self._is_punctuation(token)
            alpha[i] = any(map(str.isalpha, token))
        self.length.extend(map(len, new), n)
        self.content.extend(content, n)
        self.alpha.extend(alpha, n)
        # splitmix64's finaliser, a bijection: distinct token ids get distinct, well spread values
        self.hash.extend(mix64(np.arange(base, base + n, dtype=np.uint64)), n)

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
    """One text's tokens: ids, with the vocabulary generation they belong to, and the per-token facts."""

    ids: np.ndarray  # token id per token, in text order
    state: _State

    @property
    def lengths(self) -> np.ndarray:
        """characters per token"""
        return self.state.facts()[0][self.ids]

    @property
    def content(self) -> np.ndarray:
        """bool per token: it has a character that is not punctuation"""
        return self.state.facts()[1][self.ids]

    @property
    def alpha(self) -> np.ndarray:
        """bool per token: it has a letter"""
        return self.state.facts()[2][self.ids]

    @property
    def hashes(self) -> np.ndarray:
        """uint64 per token, one value per distinct token (n-gram hashes are polynomials of these)"""
        return self.state.facts()[3][self.ids]

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
        self._s = _State(self._is_punctuation)
        self._previous: dict[str, tuple[str, ...]] = {}

    def _start_over(self) -> None:
        """A new generation when the vocabulary is full. The tokeniser's answers for the last generation's chunks
        with punctuation (the expensive ones) are kept as strings for one more generation, so a chunk that is
        still in use is not tokenised again (memory stays within two generations)."""
        old = self._s
        strings = old.strings
        self._previous = {chunk: tuple(map(strings.__getitem__, ids))
                          for chunk, ids in old.chunks.items() if not chunk.isalpha()}
        self._s = _State(self._is_punctuation)

    def __len__(self) -> int:
        return len(self._s.chunks)

    def encode(self, text: str) -> Encoded:
        chunks = text.split()
        if len(self._s.chunks) > self.limit:
            self._start_over()
        s = self._s
        ids = _chunk_ids(s.chunks, chunks, self._add_chunks)  # chunks seen for the first time are added first
        ids = np.frombuffer(ids, dtype=np.int64) if isinstance(ids, bytes) else ids
        return Encoded(ids, s)

    # -- growing -------------------------------------------------------------------------------------------
    def _add_chunks(self, chunks: list[str]) -> None:
        """Add chunks seen for the first time (distinct). Chunks of letters only that are not special cases are
        one token, themselves (most new chunks): `_add_plain` adds them in one C-level pass. The rest go
        through the tokeniser. (The new tokens' facts are filled when first read, see _State.)"""
        s = self._s
        rest = _add_plain(s.chunks, s.tokens, s.strings, chunks, self._special)
        if rest:
            previous, tokenise = self._previous, self._chunk_tokens
            split = [previous.get(chunk) or tokenise(chunk) for chunk in rest]
            _append_tokens(s.tokens, s.strings, set(chain.from_iterable(split)).difference(s.tokens))
            ids = map(tuple, map(partial(map, s.tokens.__getitem__), split))  # C-level: token strings -> ids
            s.chunks.update(zip(rest, ids))
