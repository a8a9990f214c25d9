"""Per-stage accounting: every record that enters a stage is kept, dropped (by reason) or failed (by reason).

`StageStats` is plain data: a task fills one, the driver merges them with `+=`, and `check()` enforces
records_in == kept + dropped + failed. Written as out/stats/<stage>.json by the jobs.
"""
from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


class AccountingError(AssertionError):
    """records_in != kept + dropped + failed: some records were lost or double counted."""


@dataclass
class StageStats:
    stage: str
    records_in: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    bytes_in: int = 0
    bytes_out: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    cores: int = 1
    # records that are documents in a user's sense, where a stage reads other records too (extract: HTML
    # responses, not requests, metadata or images); 0 = every record is one. docs_per_s_per_core divides these.
    documents: int = 0
    # files: in/done/skipped (resume)/failed-by-reason; side: side outputs (e.g. warc_images rows);
    # by: free-form breakdowns such as kept documents per language or dropped per rule and language.
    files: Counter = field(default_factory=Counter)
    files_failed: Counter = field(default_factory=Counter)
    side: Counter = field(default_factory=Counter)
    by: dict[str, Counter] = field(default_factory=dict)

    # -- counting ---------------------------------------------------------------------------------------
    def seen(self, n: int = 1, nbytes: int = 0) -> None:
        self.records_in += n
        self.bytes_in += nbytes

    def keep(self, n: int = 1) -> None:
        self.kept += n

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] += n

    def fail(self, reason: str, n: int = 1) -> None:
        self.failed[reason] += n

    def count(self, breakdown: str, key: str, n: int = 1) -> None:
        self.by.setdefault(breakdown, Counter())[key] += n

    @contextmanager
    def timed(self):
        w, c = time.perf_counter(), time.process_time()
        try:
            yield self
        finally:
            self.wall_s += time.perf_counter() - w
            self.cpu_s += time.process_time() - c

    # -- combining --------------------------------------------------------------------------------------
    def __iadd__(self, other: "StageStats") -> "StageStats":
        for name in ("records_in", "kept", "bytes_in", "bytes_out", "cpu_s", "documents"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        # Tasks run in parallel: wall time of the merge is set by the job, not summed.
        self.wall_s = max(self.wall_s, other.wall_s)
        for name in ("dropped", "failed", "files", "files_failed", "side"):
            getattr(self, name).update(getattr(other, name))
        for key, counter in other.by.items():
            self.by.setdefault(key, Counter()).update(counter)
        return self

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    def check(self) -> "StageStats":
        out = self.kept + self.dropped_total + self.failed_total
        if out != self.records_in:
            raise AccountingError(
                f"{self.stage}: in={self.records_in} but kept+dropped+failed={out} "
                f"(kept={self.kept}, dropped={dict(self.dropped)}, failed={dict(self.failed)})"
            )
        return self

    # -- serialising ------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "records_in": self.records_in,
            "kept": self.kept,
            "dropped": dict(sorted(self.dropped.items())),
            "dropped_total": self.dropped_total,
            "failed": dict(sorted(self.failed.items())),
            "failed_total": self.failed_total,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "wall_s": round(self.wall_s, 3),
            "cpu_s": round(self.cpu_s, 3),
            "cores": self.cores,
            "documents": self.documents,
            "docs_per_s_per_core": round((self.documents or self.records_in) / self.cpu_s, 1) if self.cpu_s else None,
            "docs_per_s_per_core_wall": (
                round((self.documents or self.records_in) / (self.wall_s * self.cores), 1) if self.wall_s else None
            ),
            "files": dict(self.files),
            "files_failed": dict(self.files_failed),
            "side_outputs": dict(self.side),
            "by": {k: dict(sorted(v.items())) for k, v in sorted(self.by.items())},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "StageStats":
        return cls(
            stage=d["stage"],
            records_in=d["records_in"],
            kept=d["kept"],
            dropped=Counter(d.get("dropped", {})),
            failed=Counter(d.get("failed", {})),
            bytes_in=d.get("bytes_in", 0),
            bytes_out=d.get("bytes_out", 0),
            wall_s=d.get("wall_s", 0.0),
            cpu_s=d.get("cpu_s", 0.0),
            cores=d.get("cores", 1),
            documents=d.get("documents", 0),
            files=Counter(d.get("files", {})),
            files_failed=Counter(d.get("files_failed", {})),
            side=Counter(d.get("side_outputs", {})),
            by={k: Counter(v) for k, v in d.get("by", {}).items()},
        )

    def funnel(self) -> str:
        """Short human-readable summary for the CLI."""
        lines = [f"{self.stage:>8}: in {self.records_in:>7}  kept {self.kept:>7}  "
                 f"dropped {self.dropped_total:>7}  failed {self.failed_total:>5}"]
        for label, counter in (("dropped", self.dropped), ("failed", self.failed)):
            for reason, n in counter.most_common(8):
                lines.append(f"{'':>10}{label} {reason}: {n}")
        return "\n".join(lines)
