"""Configuration: config/*.yaml is the one place a default is written.

config/defaults.yaml holds the extract, input, output and spark sections; config/filters.yaml, config/dedup.yaml
and config/images.yaml hold the `filter`, `dedup` and `images` sections. A run deep-merges the user's YAML (`--config`) and `--set key.path=value`
overrides over them; a key that the defaults do not have is an error naming its path (a typo never passes
silently), except below a mapping whose default is empty (`spark.conf`, free-form). Each stage writes the
effective config next to its output (OUT/_config/<stage>.yaml, engine.io.output.write_effective_config).

Typed sections are dataclasses whose defaults come from the YAML (`@defaults_from("extract.html")`), so library
callers (`ExtractConfig()`) and jobs (`ExtractConfig(**config["extract"]["html"])`) agree, and the numbers are
written once.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import os
from pathlib import Path
from typing import Any

import yaml

# WEFT_CONFIG_DIR lets spark-submit (code shipped as a zip, where no directory sits beside it) point at the files.
CONFIG_DIR = Path(os.environ.get("WEFT_CONFIG_DIR") or Path(__file__).resolve().parents[1] / "config")
SECTION_FILES = {"filter": "filters.yaml", "dedup": "dedup.yaml", "images": "images.yaml", "degrade": "degrade.yaml"}


class ConfigError(ValueError):
    """A config file or override names a key that does not exist, or is malformed."""


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read(path: Path | str) -> dict:
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return data


@functools.lru_cache(maxsize=4)
def _defaults(config_dir: Path) -> dict[str, Any]:
    config = _read(config_dir / "defaults.yaml")
    for section, name in SECTION_FILES.items():
        config[section] = deep_merge(_read(config_dir / name), config.get(section, {}))
    return config


def defaults() -> dict[str, Any]:
    """Every default, as written in config/*.yaml (a fresh copy)."""
    return copy.deepcopy(_defaults(CONFIG_DIR))


def default(path: str) -> Any:
    """The default of one key, e.g. default("extract.html.timeout_s")."""
    node: Any = _defaults(CONFIG_DIR)
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(f"no config key {path!r} in {CONFIG_DIR}")
        node = node[part]
    return copy.deepcopy(node)


def check_keys(config: dict, reference: dict, where: str = "") -> None:
    """Every key of `config` must exist in `reference` (the defaults); mappings with an empty default are open.
    The filter section's rules and per-language overrides are checked by filters.rules.FilterConfig."""
    for key, value in config.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in reference:
            raise ConfigError(f"unknown config key {path!r} (known here: {', '.join(map(str, reference))})")
        ref = reference[key]
        if path in ("filter.rules", "filter.languages"):
            continue
        if isinstance(ref, dict) and ref:
            if not isinstance(value, dict):
                raise ConfigError(f"config key {path!r} must be a mapping")
            check_keys(value, ref, path)


def load_config(user_file: str | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    config = defaults()
    if user_file:
        user = _read(user_file)
        check_keys(user, config)
        config = deep_merge(config, user)
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        node = {}
        *parents, leaf = key.split(".")
        top = node
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(raw)
        check_keys(top, config)
        config = deep_merge(config, top)
    return config


def defaults_from(path: str, skip: tuple[str, ...] = ()):
    """Class decorator, applied before @dataclass: each annotated field whose name is a key of the config section
    at `path` gets that key's default. Keys of the section that are neither fields nor in `skip` are an error,
    so the YAML and the class cannot drift apart."""

    def wrap(cls):
        section = default(path)
        fields = cls.__dict__.get("__annotations__", {})
        extra = set(section) - set(fields) - set(skip)
        if extra:
            raise ConfigError(f"{path}: keys {sorted(extra)} have no field in {cls.__name__}")
        for name in fields:
            if name in section:
                value = section[name]
                if isinstance(value, (list, dict)):
                    setattr(cls, name, dataclasses.field(default_factory=functools.partial(copy.deepcopy, value)))
                else:
                    setattr(cls, name, value)
        return cls

    return wrap


def typed(cls, section: dict, path: str, skip: tuple[str, ...] = ()):
    """Build a @defaults_from dataclass from a loaded config section, ignoring the keys in `skip`."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(section) - names - set(skip)
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}")
    return cls(**{k: v for k, v in section.items() if k in names})
