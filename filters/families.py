"""Filter families: small objects of one shape, the way datatrove's `BaseFilter` and NeMo Curator's score / keep
split read. Each has a `name`, the `scores` it computes, `score(doc) -> dict` for one prepared document,
`prepare(docs)` for work done once per batch before any document is scored (n-gram repetition for the whole
batch in one call), and `check(scores, rules) -> Rule | None`: the first of its config rules (filters/rules.py,
values in config/filters.yaml) that the scores fail, whose name is the document's `filter_reason`.
`FilterStep` (filters/pipeline.py) runs a list of them, one family at a time over a batch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from engine.document import Document
from filters import c4, fineweb, gopher, lines, omnicorpus, quality
from filters.rules import Rule
from filters.safety import flagged_scores
from filters.text import TextStats


@dataclass(slots=True)
class Prepared:
    """A document past the URL checks and paragraph edits, with its language and tokens, waiting for scores."""

    doc: Document
    language: str | None
    lang_score: float
    ts: TextStats | None = None
    removed: int = 0  # paragraphs the OmniCorpus rules removed
    paragraphs_before: int = 0
    lang_main_share: float | None = None  # share of the paragraphs in `language` (LanguageIdentifier.main_share)
    lines_removed_frac: float | None = None  # characters the preset's line removal took (None: no removal)
    quality_prob: float | None = None  # the quality model's probability, computed for the batch
    ngram_chars: dict[int, int] | None = None  # n-gram repetition, computed for the batch (GopherRepetition)
    scores: dict[str, float | None] = field(default_factory=dict)


class Family:
    name = "family"
    scores: tuple[str, ...] = ()

    def prepare(self, docs: list[Prepared]) -> None:
        """Work for a whole batch before its documents are scored (none by default)."""

    def score(self, doc: Prepared) -> dict[str, float | None]:
        raise NotImplementedError

    def rules(self, rules: list[Rule]) -> list[Rule]:
        """This family's rules among `rules` (those on its scores), in config order."""
        return [r for r in rules if r.score in self.scores]

    def check(self, scores: dict[str, float | None], rules: list[Rule]) -> Rule | None:
        """The first of `rules` (this family's, see `rules`) that `scores` fail, or None: keep."""
        for rule in rules:
            if rule.fails(scores.get(rule.score)):
                return rule
        return None


class TextFamily(Family):
    """A family whose scores are a function of the text's shared analysis alone (TextStats)."""

    def __init__(self, name: str, scores: tuple[str, ...], fn: Callable[[TextStats], dict[str, float | None]]):
        self.name, self.scores, self.fn = name, scores, fn

    def score(self, doc: Prepared) -> dict[str, float | None]:
        return self.fn(doc.ts)


def gopher_quality() -> TextFamily:
    return TextFamily("gopher_quality", gopher.QUALITY_SCORES, gopher.quality_scores)


def c4_family() -> TextFamily:
    return TextFamily("c4", c4.SCORES, c4.score)


def fineweb_family() -> TextFamily:
    return TextFamily("fineweb", fineweb.SCORES, fineweb.score)


def weft_family() -> TextFamily:
    return TextFamily("weft", quality.SCORES, quality.score)


class GopherRepetition(Family):
    """Gopher's repetition scores; the n-gram part for the whole batch at once (`prepare`)."""

    name, scores = "gopher_repetition", gopher.REPETITION_SCORES

    def prepare(self, docs: list[Prepared]) -> None:
        try:
            chars = gopher.ngram_repetition_many([(p.ts.word_hashes, p.ts.word_lengths) for p in docs])
        except Exception:  # never expected; then each document computes its own, so a failure stays with it
            chars = [None] * len(docs)
        for p, ngram_chars in zip(docs, chars):
            p.ngram_chars = ngram_chars

    def score(self, doc: Prepared) -> dict[str, float | None]:
        return gopher.repetition_scores(doc.ts, doc.ngram_chars)


class FlaggedWords(Family):
    name, scores = "safety", ("flagged_words_ratio", "flagged_words_density")

    def __init__(self, directory: str | None, distinct_full: int):
        self.directory = directory  # safety.flagged_words_dir: <lang>.txt word lists
        self.distinct_full = distinct_full  # safety.flagged_distinct_full (see filters/safety.py)

    def score(self, doc: Prepared) -> dict[str, float | None]:
        return flagged_scores(doc.ts, doc.language, self.directory, self.distinct_full)


class Language(Family):
    """fastText's probability as a score (a rule may bound it); `langid.keep` / `langid.min_score` are checked
    by FilterStep before any rule."""

    name, scores = "language", ("lang_score", "lang_main_share")

    def score(self, doc: Prepared) -> dict[str, float | None]:
        return {"lang_score": doc.lang_score, "lang_main_share": doc.lang_main_share}


class Lines(Family):
    """What the preset's line removal took (filters/lines.py), as a score a rule may bound."""

    name, scores = "lines", lines.SCORES

    def score(self, doc: Prepared) -> dict[str, float | None]:
        return {"lines_removed_frac": doc.lines_removed_frac}


class QualityModel(Family):
    """The fastText quality classifier's probability of the good label (`quality_model.path`; None without one),
    predicted for the whole batch in `prepare` (filters/quality_model.py)."""

    name, scores = "quality_model", ("quality_prob",)

    def __init__(self, model):
        self.model = model  # filters.quality_model.QualityModel or None

    def prepare(self, docs: list[Prepared]) -> None:
        if self.model is None:
            return
        for p, prob in zip(docs, self.model.predict_many([p.doc.text for p in docs])):
            p.quality_prob = prob

    def score(self, doc: Prepared) -> dict[str, float | None]:
        return {"quality_prob": doc.quality_prob}


class OmniDocument(Family):
    """OmniCorpus's document-level scores on the edited document (its paragraph rules edit before scoring)."""

    name, scores = "omni", omnicorpus.SCORE_NAMES

    def score(self, doc: Prepared) -> dict[str, float | None]:
        return omnicorpus.document_scores(doc.doc, doc.ts, doc.removed, doc.paragraphs_before)


def text_families(flagged_dir: str | None, distinct_full: int) -> list[Family]:
    """The families that score a text (Gopher, C4, FineWeb, weft's, flagged words), in the order their scores
    appear."""
    return [gopher_quality(), GopherRepetition(), c4_family(), fineweb_family(), weft_family(),
            FlaggedWords(flagged_dir, distinct_full)]


def all_families(flagged_dir: str | None, distinct_full: int, model=None) -> list[Family]:
    """Every family FilterStep runs, in the order their scores appear; `model`: the quality model or None."""
    return [*text_families(flagged_dir, distinct_full), Language(), OmniDocument(), Lines(), QualityModel(model)]
