"""What an epoch has consumed: a bitmap of fully consumed units and, per partially consumed unit, a bitmap of its
consumed rows. The serialised form carries no unit table (only unit count and, per partial unit, its rows), so
states merge without the dataset."""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np

STATE_VERSION = 1


class Consumption:
    """Consumed samples of one epoch, keyed (unit, row). ``rows_per_unit[u]`` is the number of rows of unit u."""

    def __init__(self, rows_per_unit: Sequence[int] | Mapping[int, int], n_units: int, epoch: int = 0):
        self.rows_per_unit = rows_per_unit
        self.epoch = epoch
        self.full = np.zeros(n_units, dtype=bool)
        self.partial: dict[int, np.ndarray] = {}  # unit -> bool[rows]
        self._set: dict[int, int] = {}  # unit -> rows set in partial[unit]

    # -- recording ------------------------------------------------------------------------------------
    def add(self, unit: int, row: int) -> None:
        if self.full[unit]:
            return
        bits = self.partial.get(unit)
        if bits is None:
            bits = self.partial[unit] = np.zeros(int(self.rows_per_unit[unit]), dtype=bool)
        if bits[row]:
            return
        bits[row] = True
        n = self._set[unit] = self._set.get(unit, 0) + 1
        if n == len(bits):
            self.mark_full(unit)

    def mark_full(self, unit: int) -> None:
        """Every row of ``unit`` consumed."""
        self.full[unit] = True
        self.partial.pop(unit, None)
        self._set.pop(unit, None)

    def add_keys(self, keys: Iterable) -> None:
        for u, r in keys:
            self.add(int(u), int(r))

    def partial_rows(self, unit: int) -> np.ndarray | None:
        return self.partial.get(unit)

    def done(self) -> bool:
        return bool(self.full.all())

    def merge(self, other: "Consumption") -> None:
        if other.epoch != self.epoch or len(other.full) != len(self.full):
            raise ValueError("cannot merge states of different epochs or datasets")
        for u in np.flatnonzero(other.full):
            self.mark_full(int(u))
        for u, bits in other.partial.items():
            if self.full[u]:
                continue
            mine = self.partial.get(u)
            merged = bits.copy() if mine is None else (mine | bits)
            if merged.all():
                self.mark_full(u)
            else:
                self.partial[u] = merged
                self._set[u] = int(merged.sum())

    # -- serialisation --------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "epoch": int(self.epoch),
            "n_units": int(len(self.full)),
            "full": np.packbits(self.full).tobytes(),
            "partial": {int(u): (int(len(b)), np.packbits(b).tobytes()) for u, b in sorted(self.partial.items())},
        }

    @classmethod
    def from_dict(cls, d: dict, rows_per_unit: Sequence[int] | Mapping[int, int] | None = None) -> "Consumption":
        partial = {int(u): (int(n), raw) for u, (n, raw) in d["partial"].items()}
        if rows_per_unit is None:  # enough to merge: rows are known for partial units
            rows_per_unit = {u: n for u, (n, _) in partial.items()}
        c = cls(rows_per_unit, int(d["n_units"]), int(d["epoch"]))
        c.full = np.unpackbits(np.frombuffer(d["full"], dtype=np.uint8), count=c.full.size).astype(bool)
        for u, (n, raw) in partial.items():
            c.partial[u] = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), count=n).astype(bool)
            c._set[u] = int(c.partial[u].sum())
        return c


def merge_states(states: Sequence[dict]) -> dict:
    """One global state from the states of several ranks (or plain iterators) over the same dataset: per epoch,
    the union of what each consumed. The resume epoch is the earliest one not fully consumed; later epochs that
    some rank had started stay in the state and are resumed in turn."""
    states = [s for s in states if s]
    if not states:
        raise ValueError("no states to merge")
    first = states[0]
    for s in states[1:]:
        for k in ("version", "fingerprint"):
            if s.get(k) != first.get(k):
                raise ValueError(f"states differ in {k!r}")
    epochs: dict[int, Consumption] = {}
    for s in states:
        for e, d in s["epochs"].items():
            c = Consumption.from_dict(d)
            if int(e) in epochs:
                epochs[int(e)].merge(c)
            else:
                epochs[int(e)] = c
    open_epochs = sorted(e for e, c in epochs.items() if not c.done())
    # everything seen was consumed: the next epoch
    current = open_epochs[0] if open_epochs else max([*epochs, *(int(s["epoch"]) - 1 for s in states)]) + 1
    return {**first, "epoch": current, "epochs": {e: epochs[e].to_dict() for e in open_epochs}}
