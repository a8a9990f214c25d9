"""The step contract: a small object that turns an iterator of Documents into an iterator of Documents and
accounts for every one in a StageStats.

A document that a step rejects is not lost: the step sets `doc.meta["filter_reason"]` (or another step's
reason field) and yields it with `rejected=True` through `Outcome`, so the job can write a rejected table
with its scores. Heavy imports (models, parsers) belong inside methods so that pickling a step to Spark
workers stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import pyarrow as pa

from engine.document import Document, from_batch, to_batch
from engine.stats import StageStats


@dataclass(slots=True)
class Outcome:
    doc: Document
    kept: bool
    reason: str | None = None  # drop reason when not kept


class Step:
    """One unit of per-document work. Override `process`; `run` does the accounting."""

    name = "step"

    def setup(self) -> None:
        """Load models / compile tables once per process (called lazily by `run`)."""

    def process(self, doc: Document) -> Outcome:
        raise NotImplementedError

    def run(self, docs: Iterable[Document], stats: StageStats) -> Iterator[Outcome]:
        self.setup()
        for doc in docs:
            stats.seen()
            try:
                outcome = self.process(doc)
            except Exception as e:  # a bad document never kills the task: it is counted
                stats.fail(f"{self.name}:{type(e).__name__}")
                continue
            if outcome.kept:
                stats.keep()
            else:
                stats.drop(outcome.reason or f"{self.name}:unspecified")
            yield outcome


def run_on_batches(
    step: Step, batches: Iterable[pa.RecordBatch], stats: StageStats
) -> Iterator[tuple[pa.RecordBatch, pa.RecordBatch]]:
    """Arrow in, Arrow out: yields (kept_batch, rejected_batch) per input batch."""
    for batch in batches:
        kept, rejected = [], []
        for outcome in step.run(from_batch(batch), stats):
            (kept if outcome.kept else rejected).append(outcome.doc)
        yield to_batch(kept), to_batch(rejected)
