"""Text safety: flagged-word ratio per language, URL blocklist (domains and banned substrings), opt-out list.

* Flagged-word ratio = flagged tokens / tokens, with one word list per language in filters/data/flagged/
  (OBELICS, Laurençon et al. 2023, arXiv:2306.16527, and OmniCorpus, Li et al. 2024, arXiv:2406.08418, drop
  documents above 0.01-0.02). No list for a language -> the score is None and the rule does not apply.
  Flagged-word density: the same ratio discounted when only a few distinct terms occur (`flagged_scores`).
* URL blocklist: a domain matches itself and every subdomain (set lookups on the host's suffixes); banned
  substrings are found in one pass over the lower-cased URL with an Aho-Corasick automaton (pyahocorasick).
* Opt-out: domains or URL prefixes whose owners asked to be left out. `OptOut.matches(url)` is what every stage
  calls (documents here, image URLs here and in the image stage).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from engine.document import domain_of

if TYPE_CHECKING:
    from filters.text import TextStats


def read_list(path: Path | str | None) -> list[str]:
    """One entry per line; blank lines and '#' comments ignored."""
    if not path:
        return []
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


@lru_cache(maxsize=64)
def flagged_words(language: str, directory: str | None) -> frozenset[str] | None:
    """`directory`/<language>.txt (safety.flagged_words_dir); None without a list (or without a directory)."""
    path = Path(directory) / f"{language}.txt" if directory else None
    return frozenset(w.lower() for w in read_list(path)) if path and path.exists() else None


def flagged_scores(ts: "TextStats", language: str | None, directory: str | None,
                   distinct_full: int) -> dict[str, float | None]:
    """`flagged_words_ratio`, and `flagged_words_density`: the ratio discounted when the text repeats few
    distinct flagged terms, times min(1, distinct / `distinct_full`). A news story about a meth ring or a war
    says "meth" or "Nazi" a dozen times (one or two terms: its topic); explicit pages use many different
    terms. The lists mix both kinds, so the plain ratio drops the news (issue 16: 63 good texts)."""
    words = flagged_words((language or "").split("_")[0], directory) if language else None
    if words is None or not ts.n_words:
        return {"flagged_words_ratio": None, "flagged_words_density": None}
    hits = ts.in_word_list(words)
    n = int(hits.sum())
    ratio = n / ts.n_words
    distinct = ts.encoded.distinct_lower(hits) if n else 0
    return {"flagged_words_ratio": ratio, "flagged_words_density": ratio * min(1.0, distinct / distinct_full)}


def _host_suffixes(host: str) -> list[str]:
    parts = host.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


class UrlBlocklist:
    """Blocked domains (with subdomains) and banned URL substrings."""

    def __init__(self, domains: list[str] = (), substrings: list[str] = ()):
        self.domains = frozenset(d.lower().lstrip(".").removeprefix("www.") for d in domains)
        self.substrings = [s.lower() for s in substrings]
        self._automaton = None

    @classmethod
    def from_files(cls, domains_path, substrings_path) -> "UrlBlocklist":
        return cls(read_list(domains_path), read_list(substrings_path))

    def __getstate__(self):
        return {"domains": self.domains, "substrings": self.substrings, "_automaton": None}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _matcher(self):
        if self._automaton is None and self.substrings:
            import ahocorasick

            a = ahocorasick.Automaton()
            for s in self.substrings:
                a.add_word(s, s)
            a.make_automaton()
            self._automaton = a
        return self._automaton

    def match(self, url: str | None) -> str | None:
        """'domain' or 'substring' when the URL is blocked, else None."""
        if not url:
            return None
        host = domain_of(url)
        if host and self.domains and any(s in self.domains for s in _host_suffixes(host)):
            return "domain"
        matcher = self._matcher()
        if matcher is not None:
            for _ in matcher.iter(url.lower()):
                return "substring"
        return None


class OptOut:
    """Opt-out entries: a bare domain ("example.com": the domain and its subdomains) or a URL prefix
    ("https://example.com/gallery/": that URL and everything under it, scheme and 'www.' ignored)."""

    def __init__(self, entries: list[str] = ()):
        domains, prefixes = set(), []
        for e in entries:
            e = e.strip().lower()
            if "/" in e.split("://", 1)[-1] or "://" in e:
                prefixes.append(self._key(e))
            else:
                domains.add(e.lstrip(".").removeprefix("www."))
        self.domains = frozenset(domains)
        self.prefixes = tuple(p for p in prefixes if p)

    @classmethod
    def from_file(cls, path) -> "OptOut":
        return cls(read_list(path))

    @staticmethod
    def _key(url: str) -> str:
        """host (without www.) + path, lower-case: what prefixes are compared on."""
        try:
            parts = urlsplit(url if "://" in url else "http://" + url)
        except ValueError:
            return ""
        host = (parts.hostname or "").removeprefix("www.")
        return host + (parts.path or "/") + (("?" + parts.query) if parts.query else "")

    def __bool__(self) -> bool:
        return bool(self.domains or self.prefixes)

    def matches(self, url: str | None) -> bool:
        if not url or not self:
            return False
        host = domain_of(url)
        if host and self.domains and any(s in self.domains for s in _host_suffixes(host)):
            return True
        if self.prefixes:
            key = self._key(url.lower())
            return any(key.startswith(p) for p in self.prefixes)
        return False
