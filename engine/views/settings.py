"""Typed settings of the degrade stage. Defaults: config/degrade.yaml (the `degrade` section), nowhere else."""
from __future__ import annotations

from dataclasses import dataclass

from engine.config import defaults_from, typed

STRATEGIES = ("alt", "nearest", "mmc4")


@dataclass(frozen=True)
@defaults_from("degrade.text")
class TextConfig:
    image_placeholder: str | None
    paragraph_separator: str
    min_chars: int


@dataclass(frozen=True)
@defaults_from("degrade.pairs")
class PairsConfig:
    strategy: str
    fallback: list
    min_caption_chars: int
    max_caption_chars: int
    max_distance: int
    prefer: str
    mmc4_distance_penalty: float

    def __post_init__(self):
        from engine.config import ConfigError

        for name in (self.strategy, *self.fallback):
            if name not in STRATEGIES:
                raise ConfigError(f"degrade.pairs: unknown caption strategy {name!r} (known: {', '.join(STRATEGIES)})")
        if self.prefer not in ("after", "before"):
            raise ConfigError(f"degrade.pairs.prefer must be after or before, not {self.prefer!r}")

    @property
    def order(self) -> tuple[str, ...]:
        """Strategies in the order they are tried (each at most once)."""
        return tuple(dict.fromkeys((self.strategy, *self.fallback)))


@dataclass(frozen=True)
@defaults_from("degrade.export")
class ExportConfig:
    shard_samples: int
    shard_bytes: int
    shard_name: str
    webdataset: list


def from_section(section: dict) -> tuple[TextConfig, PairsConfig, ExportConfig]:
    """The three typed configs from a loaded `degrade` section."""
    return (typed(TextConfig, section.get("text", {}), "degrade.text"),
            typed(PairsConfig, section.get("pairs", {}), "degrade.pairs"),
            typed(ExportConfig, section.get("export", {}), "degrade.export"))
