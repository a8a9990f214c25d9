"""Threshold config: which score must stay inside which bounds, for which languages, in which order.

Rules come in named presets (`filter.presets.<name>`: `lines`, `rules`, `languages`); `filter.preset` picks the
one that decides: `weft` (the default, tuned for precision at high recall on benchmarks/filter_devset.py) or
`fineweb` (datatrove's Gopher / C4 / FineWeb filters rule for rule). Scores do not depend on the preset, except
that a preset with `lines` removes bad lines before they are computed.

Scores are computed by the families (filters/families.py); this module only parses config/filters.yaml, the one
place where every threshold and setting has its value (nothing here repeats one as a default). A document fails
a rule when its score is below `min` or above `max`; a score of None means "does not apply" (e.g. no stop-word
list for the language) and never fails. The first failing rule in config order is the document's
`filter_reason`, so an analyst can retune thresholds later from the stored scores without recomputing them.
A key the config does not know, or a setting it lacks, fails with the key's path (`filter.langid.max_chars`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.config import CONFIG_DIR, ConfigError

DEFAULT_CONFIG = CONFIG_DIR / "filters.yaml"  # honours WEFT_CONFIG_DIR like every other config file
_PACKAGES_ROOT = Path(__file__).resolve().parents[1]  # the directory holding filters/ (checkout or site-packages)
# The keys of each settings section (their values live in config/filters.yaml only).
SETTINGS = {
    "langid": ("model", "max_chars", "keep", "min_score", "aliases", "router", "paragraphs"),
    "safety": ("flagged_words_dir", "url_blocklist_domains", "url_banned_substrings", "optout",
               "flagged_distinct_full"),
    "omnicorpus": ("paragraph_languages", "uppercase_max", "ui_line_max_words", "caption_max_words"),
    "quality_model": ("path", "label", "max_chars", "train"),
}
_RULE_KEYS = ("score", "min", "max", "languages", "source")
_PRESET_KEYS = ("lines", "rules", "languages")
LINE_KEYS = ("max_chars", "dup_min_chars")  # a preset's `lines`: null, or C4-style removal of bad lines (filters/lines.py)
_PATH = "filter"  # the config section these keys sit in (engine/config.py)
_JOB_KEYS = ("batch_rows",)  # read by jobs/filter.py, not by the filters
_SECTION_KEYS = (*SETTINGS, "preset", "presets", *_JOB_KEYS)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    score: str
    min: float | None = None
    max: float | None = None
    languages: frozenset[str] | None = None  # apply only to these languages (None = all)

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


def _unknown(keys, known, path: str) -> None:
    bad = [k for k in keys if k not in known]
    if bad:
        raise ConfigError(f"{path}.{bad[0]}: unknown key (known: {', '.join(known)})")


def _rule(name: str, spec: dict[str, Any], path: str) -> Rule:
    if not isinstance(spec, dict):
        raise ConfigError(f"{path}: a rule is a mapping with score and min and/or max")
    _unknown(spec, _RULE_KEYS, path)
    if "score" not in spec or ("min" not in spec and "max" not in spec):
        raise ConfigError(f"{path}: needs score and min and/or max")
    langs = spec.get("languages")
    return Rule(
        name=name,
        score=spec["score"],
        min=None if spec.get("min") is None else float(spec["min"]),
        max=None if spec.get("max") is None else float(spec["max"]),
        languages=None if langs is None else frozenset(langs),
    )


def _settings(raw: dict[str, Any], section: str) -> dict[str, Any]:
    values = raw.get(section)
    path = f"{_PATH}.{section}"
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: missing (config/filters.yaml sets every key)")
    _unknown(values, SETTINGS[section], path)
    for key in SETTINGS[section]:
        if key not in values:
            raise ConfigError(f"{path}.{key}: missing (config/filters.yaml sets every key)")
    return dict(values)


@dataclass
class FilterConfig:
    """Parsed config/filters.yaml (see that file for every key and its source)."""

    rules: list[Rule]
    langid: dict[str, Any]
    safety: dict[str, Any]
    omnicorpus: dict[str, Any]
    quality_model: dict[str, Any]
    preset: str  # the name of the preset whose rules these are
    overrides: dict[str, dict[str, dict]] = field(default_factory=dict)
    lines: dict[str, Any] | None = None  # the preset's line removal (None: no line is removed)
    base_dir: Path = DEFAULT_CONFIG.parent
    _cache: dict[str, list[Rule]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None, preset: str | None = None) -> "FilterConfig":
        """The config file (default config/filters.yaml), with `preset` instead of its `preset` when given."""
        path = Path(path) if path else DEFAULT_CONFIG
        raw = yaml.safe_load(path.read_text()) or {}
        if preset is not None:
            raw["preset"] = preset
        return cls.from_dict(raw, base_dir=path.parent)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], base_dir: Path | None = None) -> "FilterConfig":
        """`raw`: the whole `filter` section (config/filters.yaml merged with the user's config)."""
        _unknown(raw, _SECTION_KEYS, _PATH)
        presets = raw.get("presets") or {}
        name = raw.get("preset")
        if name not in presets:
            raise ConfigError(f"{_PATH}.preset: {name!r} is not one of presets: {', '.join(presets)}")
        path = f"{_PATH}.presets.{name}"
        preset = presets[name] or {}
        _unknown(preset, _PRESET_KEYS, path)
        for key in _PRESET_KEYS:
            if key not in preset:
                raise ConfigError(f"{path}.{key}: missing (config/filters.yaml sets every key)")
        lines = preset["lines"]
        if lines is not None:
            _unknown(lines, LINE_KEYS, f"{path}.lines")
            missing = [k for k in LINE_KEYS if k not in lines]
            if missing:
                raise ConfigError(f"{path}.lines.{missing[0]}: missing")
        rules = [_rule(n, spec, f"{path}.rules.{n}") for n, spec in (preset["rules"] or {}).items()]
        names = {r.name for r in rules}
        overrides = preset["languages"] or {}
        for lang, over in overrides.items():
            _unknown(over, sorted(names), f"{path}.languages.{lang}")
            for rule_name, spec in over.items():
                _unknown(spec, ("min", "max", "source"), f"{path}.languages.{lang}.{rule_name}")
        return cls(
            rules=rules,
            langid=_settings(raw, "langid"),
            safety=_settings(raw, "safety"),
            omnicorpus=_settings(raw, "omnicorpus"),
            quality_model=_settings(raw, "quality_model"),
            overrides=overrides,
            lines=None if lines is None else dict(lines),
            preset=name,
            base_dir=base_dir or DEFAULT_CONFIG.parent,
        )

    def resolve(self, path: str | None) -> Path | None:
        """Paths in the config are relative to the repository (the config file's parent's parent); in an
        installed wheel (config in engine/_config) the shipped files sit beside the packages instead."""
        if not path:
            return None
        p = Path(path)
        if p.is_absolute():
            return p
        beside = self.base_dir.parent / p
        return beside if beside.exists() else _PACKAGES_ROOT / p

    def rules_for(self, language: str | None) -> list[Rule]:
        """Rules that apply to `language`, in config order, with its overrides applied (cached per language)."""
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
                r = _rule(r.name, spec, f"{_PATH}.presets.{self.preset}.languages.{lang}.{r.name}")
            out.append(r)
        return out
