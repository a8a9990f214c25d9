"""weft as an Airflow 3 DAG: one run processes one crawl through every stage, then a report and the checks.

    runner -> extract -> filter -> dedup -> images -> degrade -> report -> check

Airflow runs in its own venv (infra/scripts/airflow_venv.sh), so this file never imports weft: every stage is a
shell call of the weft CLI of the project venv (runner `bash`: `weft STAGE ...`, or infra/spark/submit.sh when
weft_spark_submit is set), or a SparkSubmitOperator of apache-airflow-providers-apache-spark (runner
`spark_submit`: spark-submit jobs/STAGE.py through the Airflow connection WEFT_SPARK_CONN, which names the
cluster). The `runner` param picks one of the two chains per run; the other is skipped.

Reruns: weft stages resume from their progress records and rewrite identical output, so a retry (or a new run
with the same params) runs the same command again and skips the files already done; `redo` passes --redo.
Each stage task updates an Asset (`weft_<stage>`, extra: crawl and path) so downstream DAGs can schedule on it;
`check` (`weft check --json`: schema, funnel identity, hand-offs, row counts, empty tables, drop/fail-rate alarms,
the thresholds are params) updates `weft_checked` only when every check passed.

Settings, each an Airflow Variable (lower case) or else an environment variable of the worker (upper case):
    weft_home / WEFT_HOME                  weft checkout, the commands' working directory (default: this file's repo)
    weft_bin / WEFT_BIN                    weft command (default: WEFT_HOME/.venv/bin/weft)
    weft_spark_submit / WEFT_SPARK_SUBMIT  runner bash: set to infra/spark/submit.sh to submit each stage to a cluster
    weft_spark_submit_args / WEFT_SPARK_SUBMIT_ARGS   extra spark-submit arguments, e.g. "--num-executors 50"
    weft_spark_binary / WEFT_SPARK_BINARY  runner spark_submit: spark-submit to run (default WEFT_HOME/.venv/bin/spark-submit)
    weft_spark_conf / WEFT_SPARK_CONF      runner spark_submit: JSON object of Spark properties. The operator ships
                                           nothing itself: on a cluster, weft and config/ come from the executors'
                                           image or from here, e.g. {"spark.archives": "s3://b/env.tar.gz#env,
                                           s3://b/weft-data.zip#weft_data", "spark.pyspark.python": "./env/bin/python",
                                           "spark.executorEnv.WEFT_CONFIG_DIR": "weft_data/config"} (docs/cluster.md)
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import Asset, Param, TaskGroup, Variable, dag, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

STAGES = ("extract", "filter", "dedup", "images", "degrade")
# what each later stage reads, relative to the crawl's output root (the same hand-off as `weft run`)
SOURCE = {"filter": "extract", "dedup": "filter/kept", "images": "dedup/kept", "degrade": "docs"}
# the table each stage's asset points at
PRODUCT = {"extract": "extract", "filter": "filter/kept", "dedup": "dedup/kept", "images": "docs",
           "degrade": "views"}
CC_MANIFEST = "s3://commoncrawl/crawl-data/{crawl}/warc.paths.gz"
REPO = Path(__file__).resolve().parents[2]  # resolve(): a symlink in the dags folder still finds the checkout
RUNNERS = ("bash", "spark_submit")
SPARK_CONN = os.environ.get("WEFT_SPARK_CONN", "weft_spark")  # the connection is fixed when the DAG is parsed
SKIP_EXIT = 99  # BashOperator's exit code for "skipped"

ASSETS = {name: Asset(name=f"weft_{name}", uri=f"x-weft://{name}", group="weft")
          for name in (*STAGES, "report", "checked")}

# A retry reruns the same command; the stage skips the files its progress records mark done.
RETRIES = {"retries": 3, "retry_delay": timedelta(minutes=2), "retry_exponential_backoff": 2.0,
           "max_retry_delay": timedelta(minutes=30)}


def setting(name: str, default: str = "") -> str:
    """Airflow Variable `name`, else environment variable NAME, else `default`; read at run time, on the worker."""
    return Variable.get(name, default=os.environ.get(name.upper(), default))


def weft_paths() -> tuple[str, str]:
    """(weft checkout, weft command) as configured for this worker."""
    home = setting("weft_home", str(REPO))
    return home, setting("weft_bin", f"{home}/.venv/bin/weft")


def crawl_output(params: dict) -> str:
    return f"{params['output'].rstrip('/')}/{params['crawl']}"


def stage_args(stage: str, params: dict) -> list[str]:
    """The stage's own arguments (the same for every runner)."""
    out = crawl_output(params)
    if stage == "extract":
        inputs = list(params["input"]) or [CC_MANIFEST.format(crawl=params["crawl"])]
        args = ["--input", *inputs, "--output", out]
        if params.get("limit") is not None:
            args += ["--limit", str(params["limit"])]
        if params.get("sample") is not None:
            args += ["--sample", str(params["sample"])]
    else:
        args = ["--input", f"{out}/{SOURCE[stage]}", "--output", out]
    for override in params.get("set") or []:
        args += ["--set", override]
    return args + (["--redo"] if params.get("redo") else [])


def stage_command(stage: str, params: dict, weft_bin: str, submit: str = "", submit_args: str = "") -> list[str]:
    """argv of one stage: `weft STAGE ...`, or `submit.sh STAGE [spark-submit args] -- ...` when `submit` is set."""
    master = ["--master", params["master"]] if params.get("master") else []
    if submit:
        return [submit, stage, *master, *shlex.split(submit_args), "--", *stage_args(stage, params)]
    return [weft_bin, stage, *stage_args(stage, params), *master]


def stage_script(home: str, stage: str) -> str:
    """What spark-submit runs for a stage: jobs/STAGE.py, or a package's __main__.py (jobs/dedup/)."""
    script = Path(home, "jobs", f"{stage}.py")
    return str(script if script.exists() else Path(home, "jobs", stage, "__main__.py"))


def check_command(params: dict, weft_bin: str) -> list[str]:
    argv = [weft_bin, "check", crawl_output(params), "--until", params["until"], "--json"]
    for flag, limits in (("--max-drop-rate", params.get("max_drop_rate")),
                         ("--max-fail-rate", params.get("max_fail_rate"))):
        for stage, rate in sorted((limits or {}).items()):
            argv += [flag, f"{stage}={rate}" if stage != "*" else str(rate)]
    return argv


def selected(stage: str, params: dict) -> bool:
    return STAGES.index(stage) <= STAGES.index(params["until"])


def announce(stage: str, params: dict, outlet_events) -> None:
    """Attach where the output is to this run's event of the stage's asset (read by downstream DAGs)."""
    out = crawl_output(params)
    outlet_events[ASSETS[stage]].extra = {"crawl": params["crawl"], "output": out,
                                          "path": f"{out}/{PRODUCT.get(stage, stage)}"}


def _bash_stage(stage: str):
    @task.bash(task_id=stage, outlets=[ASSETS[stage]])
    def run_stage(params: dict | None = None, outlet_events=None) -> str:
        if not selected(stage, params):
            raise AirflowSkipException(f"{stage} is after until={params['until']}")
        home, weft_bin = weft_paths()
        argv = stage_command(stage, params, weft_bin, setting("weft_spark_submit"), setting("weft_spark_submit_args"))
        announce(stage, params, outlet_events)
        return f"cd {shlex.quote(home)} && exec {shlex.join(argv)}"

    return run_stage()


class WeftSparkSubmitOperator(SparkSubmitOperator):
    """One weft stage through spark-submit (client mode) on the WEFT_SPARK_CONN connection's master. What it
    submits depends on the run's params, so it is filled in at execute time, on the worker."""

    def __init__(self, *, stage: str, **kwargs):
        super().__init__(task_id=stage, conn_id=SPARK_CONN, name=f"weft-{stage}", outlets=[ASSETS[stage]], **kwargs)
        self.stage = stage

    def execute(self, context):
        params = context["params"]
        if not selected(self.stage, params):
            raise AirflowSkipException(f"{self.stage} is after until={params['until']}")
        home, weft_bin = weft_paths()
        binary = Path(setting("weft_spark_binary", f"{home}/.venv/bin/spark-submit"))
        python = str(Path(weft_bin).with_name("python"))
        self.application = stage_script(home, self.stage)
        self.application_args = stage_args(self.stage, params)
        self.conf = {"spark.sql.execution.arrow.pyspark.enabled": "true", "spark.sql.session.timeZone": "UTC",
                     **json.loads(setting("weft_spark_conf", "{}"))}
        # the hook runs "spark-submit" from PATH: the weft venv's comes first; the master is the connection's
        self.env_vars = {"PATH": f"{binary.parent}:{os.environ.get('PATH', '')}", "PYSPARK_PYTHON": python,
                         "PYSPARK_DRIVER_PYTHON": python, "SPARK_MASTER_SET_BY_SUBMIT": "1",
                         "WEFT_CONFIG_DIR": f"{home}/config"}
        announce(self.stage, params, context["outlet_events"])
        return super().execute(context)


@dag(
    dag_id="weft_crawl",
    description="Common Crawl WARCs -> interleaved image-text Parquet: every weft stage, a report, data checks",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["weft"],
    max_active_runs=1,  # a weft stage owns its output root while it runs
    default_args=RETRIES,
    params={
        "crawl": Param("CC-MAIN-2024-22", type="string", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                       description="crawl id; names the output directory and the default manifest"),
        "input": Param([], type="array", items={"type": "string"},
                       description="WARC paths, globs, s3:// prefixes or warc.paths.gz manifests "
                                   "(empty: the crawl's manifest on s3://commoncrawl)"),
        "output": Param(str(REPO / "out"), type="string", minLength=1,
                        description="output root (local or s3://); this run writes to OUTPUT/CRAWL"),
        "limit": Param(None, type=["null", "integer"], minimum=1, description="at most N WARC files"),
        "sample": Param(None, type=["null", "number"], exclusiveMinimum=0, maximum=1,
                        description="deterministic sample of the WARC files (extract --sample)"),
        "master": Param(None, type=["null", "string"],
                        description="runner bash: Spark master, e.g. local[8] or yarn (spark_submit: the connection's)"),
        "until": Param("degrade", enum=list(STAGES), description="last stage to run"),
        "runner": Param("bash", enum=list(RUNNERS),
                        description="bash: the weft CLI (or submit.sh); spark_submit: SparkSubmitOperator"),
        "set": Param([], type="array", items={"type": "string"},
                     description="config overrides for every stage (--set KEY=VALUE), e.g. images.job.download=false"),
        "redo": Param(False, type="boolean", description="ignore the stages' progress records (--redo)"),
        "report": Param("required", enum=["required", "if_available", "off"],
                        description="weft report OUT; if_available: skip it when this weft has no report command"),
        # alarms: a stage dropping (failing) a larger share of its input fails the check task; images are left
        # out of the fail-rate defaults, dead image links are common on the web
        "max_drop_rate": Param({"extract": 0.97, "filter": 0.97, "dedup": 0.8}, type="object",
                               description="stage (or *) -> highest dropped/in before the check fails"),
        "max_fail_rate": Param({"extract": 0.05, "filter": 0.01, "dedup": 0.01, "degrade": 0.01}, type="object",
                               description="stage (or *) -> highest failed/in before the check fails"),
    },
)
def weft_crawl():
    @task.branch
    def runner(params: dict | None = None) -> str:
        return f"{params['runner']}.extract"

    chains = {}
    with TaskGroup("bash"):
        chains["bash"] = [_bash_stage(stage) for stage in STAGES]
    with TaskGroup("spark_submit"):
        chains["spark_submit"] = [WeftSparkSubmitOperator(stage=stage) for stage in STAGES]

    # after every stage task of both chains: the unused chain and the stages after `until` are skipped
    @task.bash(trigger_rule="none_failed_min_one_success", outlets=[ASSETS["report"]])
    def report(params: dict | None = None, outlet_events=None) -> str:
        if params["report"] == "off":
            raise AirflowSkipException("report=off")
        home, weft_bin = weft_paths()
        outlet_events[ASSETS["report"]].extra = {"crawl": params["crawl"], "output": crawl_output(params),
                                                 "path": f"{crawl_output(params)}/report.html"}
        argv = shlex.join([weft_bin, "report", crawl_output(params)])
        guard = ""
        if params["report"] == "if_available":  # an older weft without `weft report`: skip, do not fail
            guard = (f"{shlex.quote(weft_bin)} --help | grep -q '^  report ' || "
                     f"{{ echo 'weft has no report command: skipped'; exit {SKIP_EXIT}; }}; ")
        return f"cd {shlex.quote(home)} && {guard}exec {argv}"

    @task(trigger_rule="none_failed", retries=1, outlets=[ASSETS["checked"]])
    def check(params: dict | None = None, outlet_events=None) -> dict:
        home, weft_bin = weft_paths()
        result = subprocess.run(check_command(params, weft_bin), cwd=home, capture_output=True, text=True)
        lines = result.stdout.strip().splitlines()
        if result.returncode not in (0, 1) or not lines:  # e.g. S3 unreachable: worth a retry
            raise RuntimeError(f"weft check failed to run (exit {result.returncode}):\n{result.stderr[-3000:]}")
        verdict = json.loads(lines[-1])
        if not verdict["ok"]:  # bad data: a retry would not change it
            raise AirflowFailException("weft check failed:\n  " + "\n  ".join(verdict["failures"]))
        outlet_events[ASSETS["checked"]].extra = {"crawl": params["crawl"], "output": crawl_output(params)}
        return verdict

    branch = runner()
    for chain in chains.values():
        branch >> chain[0]
        for upstream, downstream in zip(chain, chain[1:]):
            upstream >> downstream
    done = report()
    for chain in chains.values():
        chain >> done  # every stage task, not only the last: with until=dedup both last ones are skipped
    done >> check()


weft_crawl()
