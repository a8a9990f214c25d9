"""Configuration: config/*.yaml is the one place a default is written.

config/defaults.yaml holds the extract, input, output and spark sections; config/filters.yaml, config/dedup.yaml
and config/images.yaml hold the `filter`, `dedup` and `images` sections. A run deep-merges the user's YAML (`--config`) and `--set key.path=value`
overrides over them; a key that the defaults do not have is an error naming its path (a typo never passes
silently), except below a mapping whose default is empty (`spark.conf`, free-form). Each stage writes the
effective config next to its output (OUT/_config/<stage>.yaml, engine.io.output.write_effective_config), headed by
`provenance()`: the code version (git describe or package version), the config directory, --config and --set.
`explain()` gives every value with the file or flag it came from (`weft config show`).

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
# An installed wheel has no config/ beside the package: setup.py copies it into engine/_config.
_CHECKOUT_CONFIG = Path(__file__).resolve().parents[1] / "config"
CONFIG_DIR = Path(os.environ.get("WEFT_CONFIG_DIR")
                  or (_CHECKOUT_CONFIG if _CHECKOUT_CONFIG.is_dir() else Path(__file__).resolve().parent / "_config"))
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


# Mappings whose keys are the user's to name (presets, fastText training options, label aliases): not checked.
OPEN_PATHS = ("filter.presets", "filter.quality_model.train", "filter.langid.aliases")


def check_keys(config: dict, reference: dict, where: str = "") -> None:
    """Every key of `config` must exist in `reference` (the defaults); mappings with an empty default are open.
    The filter section's rules and per-language overrides are checked by filters.rules.FilterConfig."""
    for key, value in config.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in reference:
            raise ConfigError(f"unknown config key {path!r} (known here: {', '.join(map(str, reference))})")
        ref = reference[key]
        if path in OPEN_PATHS:
            continue
        if isinstance(ref, dict) and ref:
            if not isinstance(value, dict):
                raise ConfigError(f"config key {path!r} must be a mapping")
            check_keys(value, ref, path)


def _set_layer(item: str) -> dict:
    """`--set a.b.c=VALUE` -> {"a": {"b": {"c": VALUE}}} (VALUE parsed as YAML)."""
    key, sep, raw = item.partition("=")
    if not sep:
        raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
    top = node = {}
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = yaml.safe_load(raw)
    return top


def load_config(user_file: str | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    config = defaults()
    if user_file:
        user = _read(user_file)
        check_keys(user, config)
        config = deep_merge(config, user)
    for item in overrides or []:
        layer = _set_layer(item)
        check_keys(layer, config)
        config = deep_merge(config, layer)
    return config


# ---- where values come from (`weft config show`, OUT/_config/<stage>.yaml) -----------------------------------------
def _has(tree: Any, path: tuple[str, ...]) -> bool:
    for part in path:
        if not isinstance(tree, dict) or part not in tree:
            return False
        tree = tree[part]
    return True


def _leaves(tree: dict, prefix: tuple[str, ...] = ()):
    for key, value in tree.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and value:
            yield from _leaves(value, path)
        else:
            yield path, value


def explain(user_file: str | None = None, overrides: list[str] | None = None) -> list[tuple[str, Any, str]]:
    """Every effective value as (dotted key, value, source), in config order. The source is the file that set it
    last: config/<file>.yaml (or under $WEFT_CONFIG_DIR), the --config file, or `--set KEY=VALUE`."""
    config = load_config(user_file, overrides)  # validates first: an unknown key fails as it does for a run
    where = "$WEFT_CONFIG_DIR=" if os.environ.get("WEFT_CONFIG_DIR") else ""
    layers = [(f"{where}{CONFIG_DIR / name}", {section: _read(CONFIG_DIR / name)})
              for section, name in SECTION_FILES.items()]
    layers.append((f"{where}{CONFIG_DIR / 'defaults.yaml'}", _read(CONFIG_DIR / "defaults.yaml")))
    if user_file:
        layers.append((f"--config {user_file}", _read(user_file)))
    layers += [(f"--set {item}", _set_layer(item)) for item in overrides or []]
    out = []
    for path, value in _leaves(config):
        source = next((name for name, layer in reversed(layers) if _has(layer, path)), "?")
        out.append((".".join(path), value, source))
    return out


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """`git describe --always --dirty` of the source tree when it is a git checkout, else the installed package's
    version, else "unknown" (code shipped as a zip)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    if (root / ".git").exists():
        try:
            done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty", "--tags"],
                                  capture_output=True, text=True, timeout=10)
            if done.returncode == 0 and done.stdout.strip():
                return "git " + done.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        from importlib.metadata import version

        return version("weft")
    except Exception:
        return "unknown"


def provenance(user_file: str | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    """What a stage records beside its effective config: code version and where the config came from."""
    return {"code_version": code_version(),
            "config_dir": str(CONFIG_DIR) + (" ($WEFT_CONFIG_DIR)" if os.environ.get("WEFT_CONFIG_DIR") else ""),
            "config_file": user_file, "config_set": list(overrides or [])}


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
