"""The Airflow DAG (infra/airflow/weft_dag.py) with real Airflow 3 and the Spark provider, driven from the
separate .venv-airflow: it loads in a DagBag without importing weft, builds the right stage and check commands,
and `dag.test()` runs it end to end on two bundled WARCs: every stage through the weft CLI (runner bash), then the
same run again on the same output (a rerun resumes and changes nothing), and extract -> filter through
SparkSubmitOperator on a `local[2]` connection (runner spark_submit), whose tables equal the bash run's.

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
from tests.test_kill_rerun import table_digest

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
    "outlets": {t.task_id: [a.name for a in t.outlets] for t in dag.tasks},
    "operators": {t.task_id: type(t).__mro__[1].__name__ if type(t).__name__.startswith("Weft") else type(t).__name__
                  for t in dag.tasks},
    "weft_modules": sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[2:]),
}))
"""

STAGES = ["extract", "filter", "dedup", "images", "degrade"]


def test_dag_loads_in_a_dagbag_with_both_stage_chains_assets_and_params(airflow_env):
    r = run_airflow(airflow_env, LOAD_DAGBAG, str(DAG_FILE), *WEFT_MODULES)
    assert r["errors"] == {}
    up = r["upstream"]
    for runner in ("bash", "spark_submit"):
        chain = [f"{runner}.{s}" for s in STAGES]
        assert up[chain[0]] == ["runner"]
        assert all(up[b] == [a] for a, b in zip(chain, chain[1:]))
        assert all(r["outlets"][f"{runner}.{s}"] == [f"weft_{s}"] for s in STAGES)
    # the report waits for every stage task of both chains (with until < degrade the last ones are skipped)
    assert up["report"] == sorted(f"{runner}.{s}" for runner in ("bash", "spark_submit") for s in STAGES)
    assert up["check"] == ["report"] and r["outlets"]["check"] == ["weft_checked"]
    assert r["operators"]["spark_submit.dedup"] == "SparkSubmitOperator"
    assert "Bash" in r["operators"]["bash.dedup"]  # @task.bash: _BashDecoratedOperator
    assert set(r["params"]) == {"crawl", "input", "output", "limit", "sample", "master", "until", "runner", "set",
                                "redo", "report", "max_drop_rate", "max_fail_rate"}
    assert r["params"]["until"] == "degrade" and r["params"]["runner"] == "bash" and r["params"]["input"] == []
    assert all(retries >= 1 for retries, _ in r["retries"].values())
    assert all(backoff > 1 for task, (_, backoff) in r["retries"].items() if "." in task)
    assert r["weft_modules"] == [], "the DAG must not import weft: it lives in another venv"


UNITS = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("weft_dag", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
params = {"crawl": "CC-MAIN-2024-22", "input": ["a.warc.gz", "b.warc.gz"], "output": "s3://bucket/weft/",
          "limit": 5, "sample": 0.25, "master": "yarn", "until": "dedup", "set": ["images.job.download=false"],
          "redo": False, "max_drop_rate": {"filter": 0.9, "*": 0.99}, "max_fail_rate": {}}
print("RESULT " + json.dumps({
    "extract": m.stage_command("extract", params, "/w/weft"),
    "manifest": m.stage_command("extract", {**params, "input": [], "limit": None, "sample": None, "master": None,
                                            "set": []}, "/w/weft"),
    "stages": {s: m.stage_args(s, {**params, "set": [], "redo": True}) for s in m.STAGES[1:]},
    "submit": m.stage_command("filter", params, "/w/weft", "/w/infra/spark/submit.sh", "--num-executors 50"),
    "script": [m.stage_script(sys.argv[2], s) for s in ("filter", "dedup", "images")],
    "check": m.check_command(params, "/w/weft"),
    "skip_after_extract": [m.selected(s, {**params, "until": "extract"}) for s in m.STAGES],
}))
"""


def test_stage_and_check_commands(airflow_env):
    r = run_airflow(airflow_env, UNITS, str(DAG_FILE), str(ROOT))
    out = "s3://bucket/weft/CC-MAIN-2024-22"
    assert r["extract"] == ["/w/weft", "extract", "--input", "a.warc.gz", "b.warc.gz", "--output", out,
                            "--limit", "5", "--sample", "0.25", "--set", "images.job.download=false",
                            "--master", "yarn"]
    assert r["manifest"] == ["/w/weft", "extract", "--input",
                             "s3://commoncrawl/crawl-data/CC-MAIN-2024-22/warc.paths.gz", "--output", out]
    # each stage reads what the previous one kept (the hand-off of `weft run`); redo -> --redo
    assert r["stages"] == {
        "filter": ["--input", f"{out}/extract", "--output", out, "--redo"],
        "dedup": ["--input", f"{out}/filter/kept", "--output", out, "--redo"],
        "images": ["--input", f"{out}/dedup/kept", "--output", out, "--redo"],
        "degrade": ["--input", f"{out}/docs", "--output", out, "--redo"]}
    # spark-submit options before `--`, stage options after it (infra/spark/submit.sh's contract)
    assert r["submit"] == ["/w/infra/spark/submit.sh", "filter", "--master", "yarn", "--num-executors", "50", "--",
                           "--input", f"{out}/extract", "--output", out, "--set", "images.job.download=false"]
    assert r["script"] == [str(ROOT / "jobs/filter.py"), str(ROOT / "jobs/dedup/__main__.py"),
                           str(ROOT / "jobs/images/__main__.py")]
    assert all(Path(p).exists() for p in r["script"])
    assert r["check"] == ["/w/weft", "check", out, "--until", "dedup", "--json",
                          "--max-drop-rate", "0.99", "--max-drop-rate", "filter=0.9"]
    assert r["skip_after_extract"] == [True, False, False, False, False]


DAG_TEST = """
import json, sys
from airflow import settings
from airflow.dag_processing.dagbag import DagBag
from airflow.models.asset import AssetEvent, AssetModel
from airflow.models.xcom import XComModel
from sqlalchemy import select
dag = DagBag(dag_folder=sys.argv[1]).get_dag("weft_crawl")
for t in dag.tasks:
    t.retries = 0  # a failure must fail the test now, not wait out the retry backoff
run = dag.test(run_conf=json.loads(sys.argv[2]))
session = settings.Session()
query = XComModel.get_many(run_id=run.run_id, key="return_value", dag_ids=dag.dag_id, task_ids="check")
verdict = session.scalars(query).first()
events = dict(session.execute(select(AssetModel.name, AssetEvent.extra)
                              .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                              .where(AssetEvent.source_run_id == run.run_id)).all())
print("RESULT " + json.dumps({"state": str(run.state), "check": verdict and XComModel.deserialize_value(verdict),
                              "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()},
                              "events": events,
                              "seconds": {ti.task_id: round((ti.end_date - ti.start_date).total_seconds(), 1)
                                          for ti in run.get_task_instances() if ti.end_date}}))
"""
CRAWL = "CC-MAIN-2020-34"


def report_mode() -> str:
    """`weft report` is built separately; until it exists the report task may only be skipped on request."""
    from jobs.cli import COMMANDS

    return "required" if "report" in COMMANDS else "if_available"


def dag_test(env: dict, conf: dict) -> dict:
    started = time.perf_counter()
    r = run_airflow(env, DAG_TEST, str(DAG_FILE), json.dumps(conf), timeout=1500)
    print(f"dag.test: {time.perf_counter() - started:.1f}s, per task: {r['seconds']}")
    return r


def digests(out: Path, tables) -> dict:
    return {t: table_digest(out / t) for t in tables}


TABLES = ["extract", "warc_images", "filter/kept", "filter/rejected", "dedup/kept", "dedup/duplicates", "docs",
          "views/text"]


@pytest.fixture(scope="module")
def bash_run(airflow_env, tmp_path_factory) -> dict:
    """The whole DAG through the weft CLI; WEFT_BIN is a wrapper that logs its arguments, so the test sees that
    the tasks call the configured command."""
    tmp = tmp_path_factory.mktemp("bash_run")
    calls = tmp / "calls.log"
    wrapper = tmp / "bin" / "weft"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/usr/bin/env bash\necho "$*" >> {calls}\nexec {ROOT}/.venv/bin/weft "$@"\n')
    wrapper.chmod(0o755)
    env = {**airflow_env, "WEFT_BIN": str(wrapper), "WEFT_SHUFFLE_PARTITIONS": "2"}
    conf = {"crawl": CRAWL, "input": [str(p) for p in WARCS], "output": str(tmp / "out"), "master": "local[2]",
            "set": ["images.job.download=false"], "report": report_mode()}
    return {"result": dag_test(env, conf), "env": env, "conf": conf, "calls": calls, "out": tmp / "out" / CRAWL}


@pytest.mark.spark
@pytest.mark.slow
def test_dag_runs_every_stage_report_and_checks_then_reruns_identically(bash_run):
    r, out = bash_run["result"], bash_run["out"]
    report = "success" if report_mode() == "required" else "skipped"
    assert r["tasks"] == {"runner": "success", **{f"bash.{s}": "success" for s in STAGES},
                          **{f"spark_submit.{s}": "skipped" for s in STAGES}, "report": report,
                          "check": "success"}, r
    assert r["state"] == "success"
    assert [line.split()[0] for line in bash_run["calls"].read_text().splitlines()] == [
        *STAGES, *(["report"] if report == "success" else []), "check"]
    stats = {s: json.loads((out / "stats" / f"{s}.json").read_text()) for s in STAGES}
    assert stats["extract"]["files"]["inputs"] == len(WARCS) and stats["extract"]["kept"] > 0
    # the check task's verdict is weft check's, on this output: the funnel the stages wrote, every table's rows
    verdict = r["check"]
    assert verdict["ok"] and verdict["failures"] == []
    assert verdict["funnel"] == {s: {"in": v["records_in"], "kept": v["kept"], "dropped": v["dropped_total"],
                                     "failed": v["failed_total"]} for s, v in stats.items()}
    assert verdict["rows"]["docs"] == stats["images"]["by"]["documents"]["kept"] > 0
    # one asset event per stage (and the checked output), saying where the data is
    assert r["events"]["weft_extract"] == {"crawl": CRAWL, "output": str(out), "path": str(out / "extract")}
    assert r["events"]["weft_images"]["path"] == str(out / "docs")
    assert {f"weft_{s}" for s in STAGES} | {"weft_checked"} <= set(r["events"])
    assert r["events"]["weft_checked"] == {"crawl": CRAWL, "output": str(out)}
    if report == "success":
        assert r["events"]["weft_report"]["path"] == str(out / "report.html")
        assert (out / "report.html").stat().st_size > 0

    # the same run again on the same output: every stage resumes or recomputes the same rows
    before = digests(out, TABLES)
    assert all(n > 0 for t, (n, _) in before.items() if t in ("extract", "filter/kept", "dedup/kept", "docs"))
    again = dag_test(bash_run["env"], bash_run["conf"])
    assert again["state"] == "success" and again["check"]["ok"], again
    assert digests(out, TABLES) == before
    assert again["check"]["funnel"] == verdict["funnel"]


@pytest.mark.spark
@pytest.mark.slow
def test_spark_submit_runner_matches_the_bash_run(bash_run, airflow_env, tmp_path):
    # the Airflow connection to the cluster; here a local[2] master (host holds the master URL)
    env = {**airflow_env, "AIRFLOW_CONN_WEFT_SPARK": json.dumps({"conn_type": "spark", "host": "local[2]"}),
           "WEFT_SHUFFLE_PARTITIONS": "2"}
    conf = {**bash_run["conf"], "output": str(tmp_path / "out"), "runner": "spark_submit", "until": "filter",
            "master": None}
    r = dag_test(env, conf)
    assert r["tasks"] == {"runner": "success", "spark_submit.extract": "success", "spark_submit.filter": "success",
                          **{f"spark_submit.{s}": "skipped" for s in STAGES[2:]},
                          **{f"bash.{s}": "skipped" for s in STAGES},
                          "report": "success" if report_mode() == "required" else "skipped",
                          "check": "success"}, r
    assert list(r["check"]["funnel"]) == ["extract", "filter"]
    tables = ["extract", "warc_images", "filter/kept", "filter/rejected"]
    assert digests(tmp_path / "out" / CRAWL, tables) == digests(bash_run["out"], tables)
    assert set(r["events"]) == {"weft_extract", "weft_filter", "weft_checked"} | (
        {"weft_report"} if report_mode() == "required" else set())
