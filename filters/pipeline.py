"""`FilterStep`: opt-out, URL blocklist, OmniCorpus paragraph edits, language ID, every score family, then the
threshold config decides. Plain Python per document (no Spark); `filter_documents` is what the Spark task of
jobs/filter.py runs on each Arrow batch.

Order for one document (each step runs for a whole batch of documents before the next, see `process_many`):
 1. opt-out (document URL) -> drop "optout"; opted-out image URLs are removed from kept documents;
 2. URL blocklist -> drop "url_blocklist:domain" / "url_blocklist:substring";
 3. language ID on the main text as extracted (it decides whether the paragraph rules run);
 4. OmniCorpus paragraph rules edit the document (`omnicorpus.paragraph_languages`, English by default), then
    the preset's line removal, when it has `lines` (filters/lines.py; every language);
 5. tokens, then every score family (filters/families.py) on the edited text (one shared TextStats; n-gram
    repetition for the whole batch in one call), then `langid.keep` / `langid.min_score` -> "language" /
    "language_score" and the rules: the first failing one in config order.
Scores are computed for every document that reaches step 5, kept or not, so thresholds can be retuned later.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Iterable, Iterator

import pyarrow as pa

from engine.config import ConfigError
from engine.document import Document, from_batch
from engine.stats import StageStats
from filters import lines, omnicorpus
from filters.families import Family, Prepared, all_families
from filters.langid import LanguageIdentifier
from filters.rules import FilterConfig, Rule
from filters.safety import OptOut, UrlBlocklist
from filters.text import TextStats


@dataclass(slots=True)
class Outcome:
    """A document after the filters: kept, or rejected with its reason (`doc.meta["filter_reason"]` too), so
    the job writes rejected documents with their scores instead of losing them."""

    doc: Document
    kept: bool
    reason: str | None = None  # drop reason when not kept


class FilterStep:
    """The filter stage for documents in batches: `run` does the accounting, `process_many` the work."""

    name = "filter"
    batch_size = 256  # n-gram repetition runs over a batch's words at once

    def __init__(self, cfg: FilterConfig | None = None):
        self.cfg = cfg or FilterConfig.load()
        lid = self.cfg.langid
        self.langid = LanguageIdentifier.from_config(self.cfg)
        self.keep_languages = frozenset(lid["keep"] or ())
        self.min_lang_score = float(lid["min_score"] or 0.0)  # null: no minimum
        safety = self.cfg.safety
        flagged_dir = self.cfg.resolve(safety["flagged_words_dir"])
        self.blocklist = UrlBlocklist.from_files(
            self.cfg.resolve(safety["url_blocklist_domains"]), self.cfg.resolve(safety["url_banned_substrings"])
        )
        self.optout = OptOut.from_file(self.cfg.resolve(safety["optout"]))
        self.paragraph_languages = frozenset(self.cfg.omnicorpus["paragraph_languages"] or ())
        qm = self.cfg.quality_model
        self.quality_model = None
        if qm["path"]:
            from filters.quality_model import QualityModel

            self.quality_model = QualityModel(str(self.cfg.resolve(qm["path"])), str(qm["label"]),
                                              int(qm["max_chars"]))
        self.families: list[Family] = all_families(str(flagged_dir) if flagged_dir else None,
                                                   int(safety["flagged_distinct_full"]), self.quality_model)
        known = {name for family in self.families for name in family.scores}
        for rule in self.cfg.rules:
            if rule.score not in known:
                raise ConfigError(
                    f"filter.presets.{self.cfg.preset}.rules.{rule.name}.score: unknown score {rule.score!r}")
        self._family_rules: dict[str | None, list[tuple[Family, list[Rule]]]] = {}

    def setup(self) -> None:
        self.langid.model  # load once per process, before the first document is timed
        if self.quality_model is not None:
            self.quality_model.model

    def run(self, docs: Iterable[Document], stats: StageStats) -> Iterator[Outcome]:
        """Outcomes in batches of `batch_size`, every document counted in `stats` (kept, dropped by reason,
        failed by exception: a bad document never kills the task)."""
        self.setup()
        it = iter(docs)
        while group := list(islice(it, self.batch_size)):
            stats.seen(len(group))
            try:
                results = self.process_many(group)
            except Exception as e:  # the batch path itself broke: every document of the batch is counted
                results = [e] * len(group)
            for result in results:
                if isinstance(result, Exception):
                    stats.fail(f"{self.name}:{type(result).__name__}")
                    continue
                if result.kept:
                    stats.keep()
                else:
                    stats.drop(result.reason or f"{self.name}:unspecified")
                yield result

    # -- documents ---------------------------------------------------------------------------------------
    def process(self, doc: Document) -> Outcome:
        result = self.process_many([doc])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def process_many(self, docs: list[Document]) -> list[Outcome | Exception]:
        """One phase at a time over the whole batch (URL checks, language, paragraph edits, tokens, each family's
        batch work such as n-gram repetition of all documents in one call, each family's scores, decision): each
        phase's tables (fastText's model, the rules' automata, the token vocabulary) stay in the CPU caches
        across documents instead of evicting one another for every document (1.2x over document by document).
        One result per document, in order: its Outcome, or the exception that failed it."""
        results: list[Outcome | Exception | None] = [None] * len(docs)

        def each(fn, items: list[tuple[int, object]]) -> list[tuple[int, object]]:
            out = []
            for i, item in items:
                try:
                    r = fn(item)
                except Exception as e:  # a failure stays with its document
                    results[i] = e
                    continue
                if isinstance(r, Outcome):
                    results[i] = r
                else:
                    out.append((i, r))
            return out

        live = each(self._url_checks, list(enumerate(docs)))
        live = each(self._language, live)
        live = each(self._paragraphs, live)
        live = each(self._tokens, live)
        batch = [p for _, p in live]
        for family in self.families:
            family.prepare(batch)
        for family in self.families:
            live = each(partial(self._score, family), live)
        each(self._decide, live)
        return results

    @staticmethod
    def _score(family: Family, p: Prepared) -> Prepared:
        p.scores.update(family.score(p))
        return p

    def _url_checks(self, doc: Document) -> Outcome | Document:
        if self.optout.matches(doc.url):
            return self._reject(doc, "optout")
        blocked = self.blocklist.match(doc.url)
        if blocked:
            return self._reject(doc, f"url_blocklist:{blocked}")
        if self.optout and any(u is not None and self.optout.matches(u) for u in doc.images):
            doc.keep_positions(u is None or not self.optout.matches(u) for u in doc.images)
        return doc

    def _language(self, doc: Document) -> Prepared:
        # Language of the page as extracted decides whether the English paragraph rules run.
        language, lang_score = self.langid.predict(doc.text)
        return Prepared(doc, language, lang_score, lang_main_share=self.langid.main_share(doc.texts, language))

    def _paragraphs(self, p: Prepared) -> Prepared:
        doc = p.doc
        p.paragraphs_before = sum(t is not None for t in doc.texts)
        if p.language in self.paragraph_languages:
            keep, reasons = omnicorpus.paragraph_mask(doc, self.cfg.omnicorpus)
            p.removed = sum(reasons.values())
            if p.removed:
                doc.keep_positions(keep)
                doc.meta["paragraph_removals"] = reasons  # not a schema field: dropped by to_batch, used by --explain
        if self.cfg.lines is not None:
            keep, reasons, p.lines_removed_frac = lines.line_mask(doc, self.cfg.lines)
            if reasons:
                # the removed lines themselves, for --explain (not a schema field: to_batch drops it)
                doc.meta["removed_lines"] = [t for t, k in zip(doc.texts, keep) if not k and t is not None]
                doc.keep_positions(keep)
                doc.meta["paragraph_removals"] = {**doc.meta.get("paragraph_removals", {}), **reasons}
        return p

    def _tokens(self, p: Prepared) -> Prepared:
        p.ts = TextStats(p.doc.text, p.language)
        p.ts.encoded  # tokenise now: a failure here belongs to this document
        return p

    def family_rules(self, language: str | None) -> list[tuple[Family, list[Rule]]]:
        """Each family with its rules for `language` (config order, overrides applied), cached per language."""
        hit = self._family_rules.get(language)
        if hit is None:
            rules = self.cfg.rules_for(language)
            hit = self._family_rules[language] = [(f, f.rules(rules)) for f in self.families]
        return hit

    def first_failure(self, scores: dict[str, float | None], language: str | None) -> Rule | None:
        """The first rule in config order that `scores` fail: the earliest of each family's first failure."""
        failed = [r for f, rules in self.family_rules(language) if (r := f.check(scores, rules)) is not None]
        if not failed:
            return None
        order = self.cfg.rules_for(language)
        return min(failed, key=order.index)

    def _decide(self, p: Prepared) -> Outcome:
        doc, language, lang_score, scores, ts = p.doc, p.language, p.lang_score, p.scores, p.ts
        doc.scores = {**doc.scores, **scores}  # keep what earlier stages scored (extraction_agreement)
        doc.meta["language"] = language
        doc.meta["language_score"] = lang_score
        doc.meta["num_words"] = ts.n_content_words

        if self.keep_languages and language not in self.keep_languages:
            return self._reject(doc, "language")
        if lang_score < self.min_lang_score:
            return self._reject(doc, "language_score")
        failed = self.first_failure(scores, language)
        if failed is not None:
            return self._reject(doc, failed.name)
        doc.meta["filter_reason"] = None
        return Outcome(doc, True)

    @staticmethod
    def _reject(doc: Document, reason: str) -> Outcome:
        doc.meta["filter_reason"] = reason
        return Outcome(doc, False, reason)

    def failed_rule(self, outcome: Outcome) -> Rule | None:
        """The rule that dropped the document (None: kept, or dropped before the rules: URL, language)."""
        if outcome.kept:
            return None
        return next((r for r in self.cfg.rules_for(outcome.doc.meta.get("language")) if r.name == outcome.reason),
                    None)

    def explain(self, doc: Document) -> str:
        """Every score and rule for one document, for `weft filter --explain` and `weft score --explain`."""
        outcome = self.process(doc)
        d = outcome.doc
        lang = d.meta.get("language")
        active = {r.name: r for r in self.cfg.rules_for(lang)}
        decision = "KEEP" if outcome.kept else f"DROP ({outcome.reason})"
        failed = self.failed_rule(outcome)
        if failed is not None:
            decision += f": {failed.score} = {d.scores.get(failed.score):.4g}, rule {failed.describe()}"
        lines = [f"id: {d.id}", f"url: {d.url}", f"language: {lang} ({d.meta.get('language_score', 0):.3f})",
                 f"preset: {self.cfg.preset}", f"decision: {decision}"]
        if d.meta.get("paragraph_removals"):
            lines.append(f"paragraphs removed: {d.meta['paragraph_removals']}")
        for removed in d.meta.get("removed_lines", [])[:20]:
            lines.append(f"  removed line: {removed[:100]!r}")
        lines.append("rules (config order; '-' = not applicable):")
        for rule in self.cfg.rules:
            r = active.get(rule.name)
            value = d.scores.get(rule.score)
            if r is None:
                status = "off for this language"
            elif value is None:
                status = "-"
            else:
                status = "FAIL" if r.fails(value) else "ok"
            shown = "null" if value is None else f"{value:.4g}"
            lines.append(f"  {rule.name:<28} {status:<22} {shown:>10}   {(r or rule).describe()}")
        return "\n".join(lines)


def count_outcome(stats: StageStats, outcome: Outcome) -> None:
    """Per-language and per-rule breakdowns for stats/filter.json."""
    lang = outcome.doc.meta.get("language") or "unknown"
    if outcome.kept:
        stats.count("kept_by_language", lang)
    else:
        stats.count("dropped_by_language", lang)
        stats.count("dropped_by_rule_language", f"{outcome.reason}|{lang}")


def filter_documents(batch: pa.RecordBatch, step: FilterStep, stats: StageStats) -> Iterator[Outcome]:
    """Outcomes for one Arrow batch of documents, counted in `stats` with per-language/per-rule breakdowns."""
    for outcome in step.run(from_batch(batch), stats):
        count_outcome(stats, outcome)
        yield outcome
