"""Shared fixtures: paths to the bundled data and one local Spark session for the whole run."""
from __future__ import annotations

import os
import re
import subprocess
import sys
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


def demo_warcs() -> list[str]:
    """DEMO_WARCS of the Makefile (what `make demo` runs), so the tests follow it."""
    text = (ROOT / "Makefile").read_text()
    block = re.search(r"^DEMO_WARCS\s*:=((?:.*\\\n)*.*)$", text, re.M).group(1)
    return [str(ROOT / p) for p in block.replace("\\\n", " ").split()]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """OUT of one `weft run --master local[2]` on the demo WARCs without downloads, made once per session: the
    reference of tests/test_cluster.py and the input of tests/test_check.py. Read only: copy it to change it."""
    out = tmp_path_factory.mktemp("demo-run") / "out"
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "WEFT_SHUFFLE_PARTITIONS": "4"}
    proc = subprocess.run([sys.executable, "-m", "jobs.cli", "run", "--master", "local[2]", "--input", *demo_warcs(),
                           "--output", str(out), "--set", "images.job.download=false"],
                          capture_output=True, text=True, timeout=1200, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out
