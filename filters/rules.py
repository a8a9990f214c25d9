"""Threshold config: which score must stay inside which bounds, for which languages, in which order.

Scores are computed by the families; this module only decides. A document fails a rule when its score is
below `min` or above `max`; a score of None means "does not apply" (e.g. no stop-word list for the language)
and never fails. The first failing rule in config order is the document's `filter_reason`, so an analyst can
retune thresholds later from the stored scores without recomputing them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "filters.yaml"
FAMILIES = ("safety", "gopher", "c4", "fineweb", "omni")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    score: str
    min: float | None = None
    max: float | None = None
    languages: frozenset[str] | None = None  # apply only to these languages (None = all)

    @property
    def family(self) -> str:
        return self.score.split("_", 1)[0] if not self.score.startswith(("flagged", "url", "optout")) else "safety"

    def applies_to(self, language: str | None) -> bool:
        return self.languages is None or (language or "").split("_")[0] in self.languages

    def fails(self, value: float | None) -> bool:
        if value is None:
            return False
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)

    def describe(self) -> str:
        lo = "" if self.min is None else f"{self.min:g} <= "
        hi = "" if self.max is None else f" <= {self.max:g}"
        langs = "" if self.languages is None else f"  [{', '.join(sorted(self.languages))}]"
        return f"{lo}{self.score}{hi}{langs}"


def _rule(name: str, spec: dict[str, Any]) -> Rule:
    unknown = set(spec) - {"score", "min", "max", "languages", "source"}
    if unknown or "score" not in spec or ("min" not in spec and "max" not in spec):
        raise ValueError(f"rule {name!r}: needs score and min and/or max (unknown keys: {sorted(unknown)})")
    langs = spec.get("languages")
    return Rule(
        name=name,
        score=spec["score"],
        min=None if spec.get("min") is None else float(spec["min"]),
        max=None if spec.get("max") is None else float(spec["max"]),
        languages=None if langs is None else frozenset(langs),
    )


@dataclass
class FilterConfig:
    """Parsed config/filters.yaml (see that file for every key and its source)."""

    rules: list[Rule]
    overrides: dict[str, dict[str, dict]] = field(default_factory=dict)
    langid: dict[str, Any] = field(default_factory=dict)
    safety: dict[str, Any] = field(default_factory=dict)
    omnicorpus: dict[str, Any] = field(default_factory=dict)
    base_dir: Path = DEFAULT_CONFIG.parent
    _cache: dict[str, list[Rule]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "FilterConfig":
        path = Path(path) if path else DEFAULT_CONFIG
        raw = yaml.safe_load(path.read_text()) or {}
        return cls.from_dict(raw, base_dir=path.parent)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], base_dir: Path | None = None) -> "FilterConfig":
        rules = [_rule(name, spec) for name, spec in (raw.get("rules") or {}).items()]
        names = {r.name for r in rules}
        for lang, over in (raw.get("languages") or {}).items():
            bad = set(over) - names
            if bad:
                raise ValueError(f"languages.{lang}: unknown rules {sorted(bad)}")
        return cls(
            rules=rules,
            overrides=raw.get("languages") or {},
            langid=raw.get("langid") or {},
            safety=raw.get("safety") or {},
            omnicorpus=raw.get("omnicorpus") or {},
            base_dir=base_dir or DEFAULT_CONFIG.parent,
        )

    def resolve(self, path: str | None) -> Path | None:
        """Paths in the config are relative to the repository (the config file's parent's parent)."""
        if not path:
            return None
        p = Path(path)
        return p if p.is_absolute() else self.base_dir.parent / p

    def rules_for(self, language: str | None) -> list[Rule]:
        """Rules that apply to `language`, with its overrides applied (cached per language)."""
        lang = (language or "").split("_")[0]
        hit = self._cache.get(lang)
        if hit is None:
            hit = self._cache[lang] = self._build_rules(lang)
        return hit

    def _build_rules(self, lang: str) -> list[Rule]:
        over = self.overrides.get(lang, {})
        out = []
        for r in self.rules:
            if not r.applies_to(lang):
                continue
            if r.name in over:
                spec = {"score": r.score, "min": r.min, "max": r.max, **over[r.name]}
                if spec.get("min") is None and spec.get("max") is None:
                    continue  # an override with min: null and max: null switches the rule off for this language
                r = _rule(r.name, spec)
            out.append(r)
        return out


def decide(scores: dict[str, float | None], cfg: FilterConfig, language: str | None = None,
           family: str | None = None) -> tuple[bool, str | None]:
    """(keep, first failing rule name) over the rules for `language` (optionally one family's only)."""
    for rule in cfg.rules_for(language):
        if family is not None and rule.family != family:
            continue
        if rule.fails(scores.get(rule.score)):
            return False, rule.name
    return True, None


def decide_family(scores: dict[str, float | None], cfg: FilterConfig, family: str,
                  language: str | None = None) -> tuple[bool, str | None]:
    return decide(scores, cfg, language, family)
