"""Shared fixtures: paths to the bundled data and one local Spark session for the whole run."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "data"


def pytest_collection_modifyitems(config, items):
    """Marks by what a test uses, so `make test-fast` (-m "not slow and not airflow") needs no marker bookkeeping:
    a test taking the `spark` fixture is `spark`; the Airflow module needs its own venv and is `airflow`."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)
        if item.module.__name__.endswith("test_airflow_dag"):
            item.add_marker(pytest.mark.airflow)


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark")
    from jobs.spark import get_spark

    os.environ.setdefault("WEFT_SHUFFLE_PARTITIONS", "4")
    session = get_spark("weft-tests", "local[2]")
    yield session
    session.stop()
