"""Configuration: config/defaults.yaml, with config/filters.yaml and config/dedup.yaml as the `filter` and `dedup`
sections, then the user's YAML, then `--set key.path=value` overrides. One dict, deep-merged, recorded with the
output (out/_config.yaml) so every run says how it was made."""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

# WEFT_CONFIG_DIR lets spark-submit (code shipped as a zip, where no directory sits beside it) point at the files.
CONFIG_DIR = Path(os.environ.get("WEFT_CONFIG_DIR") or Path(__file__).resolve().parents[1] / "config")
SECTION_FILES = {"filter": "filters.yaml", "dedup": "dedup.yaml"}


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
        raise ValueError(f"{path}: top level must be a mapping")
    return data


def load_config(user_file: str | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    config = _read(CONFIG_DIR / "defaults.yaml")
    for section, name in SECTION_FILES.items():
        if (CONFIG_DIR / name).exists():
            config[section] = deep_merge(_read(CONFIG_DIR / name), config.get(section, {}))
    if user_file:
        config = deep_merge(config, _read(user_file))
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        node = config
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(raw)
    return config
