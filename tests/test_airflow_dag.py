"""The Airflow DAG (infra/airflow/weft_dag.py) with real Airflow 3, driven from the separate .venv-airflow:
it loads in a DagBag without importing weft, builds the right stage commands, its check task rejects bad
accounting, and `dag.test()` runs extract -> filter -> dedup -> check end to end on two bundled WARCs.

Airflow is not importable here (other venv), so each test runs a small script with .venv-airflow/bin/python in a
scratch directory (so the repo's packages are not on its path) and reads back one `RESULT {json}` line."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT

AIRFLOW_VENV = ROOT / ".venv-airflow"
DAG_FILE = ROOT / "infra" / "airflow" / "weft_dag.py"
WEFT_MODULES = ("engine", "jobs", "filters", "schemas")
WARCS = [DATA / "warc/resiliparse/warcfile.warc.gz", DATA / "warc/node-warc/books.toscrape.warc"]


def airflow_python() -> Path:
    python = AIRFLOW_VENV / "bin" / "python"
    if python.exists():
        return python
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"{AIRFLOW_VENV} is missing under CI: `make test` builds it with infra/scripts/airflow_venv.sh")
    pytest.skip(f"{AIRFLOW_VENV} is absent: run infra/scripts/airflow_venv.sh to test the Airflow DAG")


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory) -> dict[str, str]:
    """A throwaway AIRFLOW_HOME with a migrated sqlite metadata DB; the DAG folder is infra/airflow."""
    python = airflow_python()
    home = tmp_path_factory.mktemp("airflow_home")
    env = {**os.environ,
           "AIRFLOW_HOME": str(home),
           "AIRFLOW__CORE__DAGS_FOLDER": str(DAG_FILE.parent),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db"}
    started = time.perf_counter()
    proc = subprocess.run([str(python.parent / "airflow"), "db", "migrate"], env=env, cwd=home,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    print(f"airflow db migrate: {time.perf_counter() - started:.1f}s")
    return env


def run_airflow(env: dict[str, str], script: str, *args: str, timeout: int = 120) -> dict:
    proc = subprocess.run([str(airflow_python()), "-c", script, *args], env=env, cwd=env["AIRFLOW_HOME"],
                          capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, (proc.stdout[-6000:] + proc.stderr[-6000:])
    return json.loads(lines[-1][len("RESULT "):])


LOAD_DAGBAG = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
dag = bag.get_dag("weft_crawl")
print("RESULT " + json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "upstream": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
    "params": dag.params.dump(),
    "retries": {t.task_id: [t.retries, t.retry_exponential_backoff] for t in dag.tasks},
    "weft_modules": sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[2:]),
}))
"""


def test_dag_loads_in_a_dagbag_with_the_stage_chain_and_params(airflow_env):
    r = run_airflow(airflow_env, LOAD_DAGBAG, str(DAG_FILE), *WEFT_MODULES)
    assert r["errors"] == {}
    assert r["upstream"] == {"extract": [], "filter": ["extract"], "dedup": ["filter"], "check": ["dedup"]}
    assert set(r["params"]) == {"crawl", "input", "output", "limit", "master", "until"}
    assert r["params"]["until"] == "dedup" and r["params"]["input"] == []
    assert all(retries >= 1 and backoff > 1 for retries, backoff in r["retries"].values())
    assert r["weft_modules"] == [], "the DAG must not import weft: it lives in another venv"


UNITS = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("weft_dag", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
params = {"crawl": "CC-MAIN-2024-22", "input": ["a.warc.gz", "b.warc.gz"], "output": "s3://bucket/weft/",
          "limit": 5, "master": "yarn", "until": "dedup"}
good = {"records_in": 10, "kept": 6, "dropped": {"x": 3}, "failed": {"y": 1}}

def check(stats, stages):
    try:
        return m.check_funnel(stats, stages)
    except Exception as e:
        return f"{type(e).__name__}: {e}"

print("RESULT " + json.dumps({
    "extract": m.stage_command("extract", params, "/w/weft"),
    "manifest": m.stage_command("extract", {**params, "input": [], "limit": None, "master": None}, "/w/weft"),
    "dedup": m.stage_command("dedup", params, "/w/weft"),
    "submit": m.stage_command("filter", params, "/w/weft", "/w/infra/spark/submit.sh", "--num-executors 50"),
    "skip_after_extract": [m.selected(s, {**params, "until": "extract"}) for s in m.STAGES],
    "ok": check({"extract": good, "filter": {**good, "records_in": 6, "kept": 2}}, ["extract", "filter"]),
    "unbalanced": check({"extract": {**good, "kept": 7}}, ["extract"]),
    "missing": check({"extract": good, "filter": None}, ["extract", "filter"]),
    "lost_between": check({"extract": good, "filter": {**good, "records_in": 5, "kept": 1}}, ["extract", "filter"]),
}))
"""


def test_stage_commands_and_the_accounting_check(airflow_env):
    r = run_airflow(airflow_env, UNITS, str(DAG_FILE))
    out = "s3://bucket/weft/CC-MAIN-2024-22"
    assert r["extract"] == ["/w/weft", "extract", "--input", "a.warc.gz", "b.warc.gz", "--output", out,
                            "--limit", "5", "--master", "yarn"]
    assert r["manifest"] == ["/w/weft", "extract", "--input",
                             "s3://commoncrawl/crawl-data/CC-MAIN-2024-22/warc.paths.gz", "--output", out]
    assert r["dedup"] == ["/w/weft", "dedup", "--input", f"{out}/filter/kept", "--output", out, "--master", "yarn"]
    # spark-submit options before `--`, stage options after it (infra/spark/submit.sh's contract)
    assert r["submit"] == ["/w/infra/spark/submit.sh", "filter", "--master", "yarn", "--num-executors", "50", "--",
                           "--input", f"{out}/extract", "--output", out]
    assert r["skip_after_extract"] == [True, False, False]
    assert r["ok"] == {"extract": {"in": 10, "kept": 6, "dropped": 3, "failed": 1},
                       "filter": {"in": 6, "kept": 2, "dropped": 3, "failed": 1}}
    assert r["unbalanced"].startswith("AirflowFailException")
    assert "extract: in=10 != kept+dropped+failed=7+3+1" in r["unbalanced"]
    assert "filter: no stats/filter.json" in r["missing"]
    assert "filter: in=5 but extract kept 6" in r["lost_between"]


DAG_TEST = """
import json, sys
from airflow import settings
from airflow.dag_processing.dagbag import DagBag
from airflow.models.xcom import XComModel
dag = DagBag(dag_folder=sys.argv[1]).get_dag("weft_crawl")
for t in dag.tasks:
    t.retries = 0  # a failure must fail the test now, not wait out the retry backoff
run = dag.test(run_conf=json.loads(sys.argv[2]))
query = XComModel.get_many(run_id=run.run_id, key="return_value", dag_ids=dag.dag_id, task_ids="check")
funnel = settings.Session().scalars(query).first()
print("RESULT " + json.dumps({"state": str(run.state), "funnel": funnel and XComModel.deserialize_value(funnel),
                              "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()},
                              "seconds": {ti.task_id: round((ti.end_date - ti.start_date).total_seconds(), 1)
                                          for ti in run.get_task_instances() if ti.end_date}}))
"""


@pytest.mark.spark
@pytest.mark.slow
def test_dag_runs_extract_filter_dedup_and_check_end_to_end(airflow_env, tmp_path):
    # WEFT_BIN points at a wrapper that logs its arguments: the tasks must call the configured command
    calls = tmp_path / "calls.log"
    wrapper = tmp_path / "bin" / "weft"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/usr/bin/env bash\necho "$*" >> {calls}\nexec {ROOT}/.venv/bin/weft "$@"\n')
    wrapper.chmod(0o755)
    env = {**airflow_env, "WEFT_BIN": str(wrapper), "WEFT_PYTHON": str(ROOT / ".venv" / "bin" / "python")}
    conf = {"crawl": "CC-MAIN-2020-34", "input": [str(p) for p in WARCS], "output": str(tmp_path / "out"),
            "master": "local[2]"}
    started = time.perf_counter()
    r = run_airflow(env, DAG_TEST, str(DAG_FILE), json.dumps(conf), timeout=300)
    print(f"dag.test: {time.perf_counter() - started:.1f}s, per task: {r['seconds']}")
    assert r["tasks"] == {"extract": "success", "filter": "success", "dedup": "success", "check": "success"}, r
    assert r["state"] == "success"
    assert [line.split()[0] for line in calls.read_text().splitlines()] == ["extract", "filter", "dedup"]
    out = tmp_path / "out" / "CC-MAIN-2020-34"
    stats = {s: json.loads((out / "stats" / f"{s}.json").read_text()) for s in ("extract", "filter", "dedup")}
    assert stats["extract"]["files"]["inputs"] == len(WARCS) and stats["extract"]["kept"] > 0
    for name, s in stats.items():
        assert s["records_in"] == s["kept"] + s["dropped_total"] + s["failed_total"], name
    # the check task reported the same funnel the stages wrote
    assert r["funnel"] == {name: {"in": s["records_in"], "kept": s["kept"], "dropped": s["dropped_total"],
                                  "failed": s["failed_total"]} for name, s in stats.items()}
    assert list((out / "dedup" / "kept").rglob("*.parquet"))
