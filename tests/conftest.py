"""Shared fixtures: paths to the bundled data and one local Spark session for the whole run."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark")
    from jobs.spark import get_spark

    os.environ.setdefault("WEFT_SHUFFLE_PARTITIONS", "4")
    session = get_spark("weft-tests", "local[2]")
    yield session
    session.stop()
