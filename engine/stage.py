"""The step contract: a small object that turns an iterator of Documents into an iterator of Documents and
accounts for every one in a StageStats.

A document that a step rejects is not lost: the step sets `doc.meta["filter_reason"]` (or another step's
reason field) and yields it with `rejected=True` through `Outcome`, so the job can write a rejected table
with its scores. Heavy imports (models, parsers) belong inside methods so that pickling a step to Spark
workers stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
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
    """One unit of per-document work. Override `process` (and `process_many` where documents are cheaper
    together); `run` does the accounting."""

    name = "step"
    batch_size = 1  # documents handed to process_many at once

    def setup(self) -> None:
        """Load models / compile tables once per process (called lazily by `run`)."""

    def process(self, doc: Document) -> Outcome:
        raise NotImplementedError

    def process_many(self, docs: list[Document]) -> list[Outcome | Exception]:
        """One result per document, in order: its Outcome, or the exception that failed it (one bad document
        never fails the others)."""
        out: list[Outcome | Exception] = []
        for doc in docs:
            try:
                out.append(self.process(doc))
            except Exception as e:  # counted by run
                out.append(e)
        return out

    def run(self, docs: Iterable[Document], stats: StageStats) -> Iterator[Outcome]:
        self.setup()
        it = iter(docs)
        while group := list(islice(it, self.batch_size)):
            stats.seen(len(group))
            try:
                results = self.process_many(group)
            except Exception as e:  # a step whose batch path itself broke: every document of the batch is counted
                results = [e] * len(group)
            for result in results:
                if isinstance(result, Exception):  # a bad document never kills the task: it is counted
                    stats.fail(f"{self.name}:{type(result).__name__}")
                    continue
                if result.kept:
                    stats.keep()
                else:
                    stats.drop(result.reason or f"{self.name}:unspecified")
                yield result


def run_on_batches(
    step: Step, batches: Iterable[pa.RecordBatch], stats: StageStats
) -> Iterator[tuple[pa.RecordBatch, pa.RecordBatch]]:
    """Arrow in, Arrow out: yields (kept_batch, rejected_batch) per input batch."""
    for batch in batches:
        kept, rejected = [], []
        for outcome in step.run(from_batch(batch), stats):
            (kept if outcome.kept else rejected).append(outcome.doc)
        yield to_batch(kept), to_batch(rejected)
