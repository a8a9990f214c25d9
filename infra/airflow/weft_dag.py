"""weft as an Airflow 3 DAG: one run processes one crawl, extract -> filter -> dedup -> check.

Airflow runs in its own venv (infra/scripts/airflow_venv.sh), so this file never imports weft: every stage is a
shell call of the weft CLI of the project venv, or of infra/spark/submit.sh on a cluster. weft stages resume from
their progress records, so a retry simply runs the same command again and skips the files already done.

Settings, each an Airflow Variable (lower case) or else an environment variable of the worker (upper case):
    weft_home / WEFT_HOME                  weft checkout, the commands' working directory (default: this file's repo)
    weft_bin / WEFT_BIN                    weft command (default: WEFT_HOME/.venv/bin/weft)
    weft_python / WEFT_PYTHON              Python of the weft venv, reads the stats (default: beside WEFT_BIN)
    weft_spark_submit / WEFT_SPARK_SUBMIT  set to infra/spark/submit.sh to submit each stage to a cluster
    weft_spark_submit_args / WEFT_SPARK_SUBMIT_ARGS   extra spark-submit arguments, e.g. "--num-executors 50"
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Param, Variable, dag, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

STAGES = ("extract", "filter", "dedup")
# what each later stage reads, relative to the crawl's output root (the same hand-off as `weft run`)
SOURCE = {"filter": "extract", "dedup": "filter/kept"}
CC_MANIFEST = "s3://commoncrawl/crawl-data/{crawl}/warc.paths.gz"
REPO = Path(__file__).resolve().parents[2]  # resolve(): a symlink in the dags folder still finds the checkout


def setting(name: str, default: str = "") -> str:
    """Airflow Variable `name`, else environment variable NAME, else `default`; read at run time, on the worker."""
    return Variable.get(name, default=os.environ.get(name.upper(), default))


def weft_paths() -> tuple[str, str]:
    """(weft checkout, weft command) as configured for this worker."""
    home = setting("weft_home", str(REPO))
    return home, setting("weft_bin", f"{home}/.venv/bin/weft")


def crawl_output(params: dict) -> str:
    return f"{params['output'].rstrip('/')}/{params['crawl']}"


def stage_command(stage: str, params: dict, weft_bin: str, submit: str = "", submit_args: str = "") -> list[str]:
    """argv of one stage: `weft STAGE ...`, or `submit.sh STAGE [spark-submit args] -- ...` when `submit` is set."""
    out = crawl_output(params)
    if stage == "extract":
        inputs = list(params["input"]) or [CC_MANIFEST.format(crawl=params["crawl"])]
        args = ["--input", *inputs, "--output", out]
        if params.get("limit") is not None:
            args += ["--limit", str(params["limit"])]
    else:
        args = ["--input", f"{out}/{SOURCE[stage]}", "--output", out]
    master = ["--master", params["master"]] if params.get("master") else []
    if submit:
        return [submit, stage, *master, *shlex.split(submit_args), "--", *args]
    return [weft_bin, stage, *args, *master]


def selected(stage: str, params: dict) -> bool:
    return STAGES.index(stage) <= STAGES.index(params["until"])


def check_funnel(stats: dict[str, dict | None], stages: list[str]) -> dict[str, dict]:
    """Raise unless every stage wrote its stats, accounts for every record (in = kept + dropped + failed) and
    received exactly what the previous stage kept. Returns the funnel {stage: {in, kept, dropped, failed}}."""
    problems, funnel = [], {}
    for i, stage in enumerate(stages):
        s = stats.get(stage)
        if s is None:
            problems.append(f"{stage}: no stats/{stage}.json (stage missing)")
            continue
        row = {"in": s["records_in"], "kept": s["kept"],
               "dropped": sum(s["dropped"].values()), "failed": sum(s["failed"].values())}
        funnel[stage] = row
        if row["in"] != row["kept"] + row["dropped"] + row["failed"]:
            problems.append(f"{stage}: in={row['in']} != kept+dropped+failed="
                            f"{row['kept']}+{row['dropped']}+{row['failed']}")
        previous = funnel.get(stages[i - 1]) if i else None
        if previous is not None and row["in"] != previous["kept"]:
            problems.append(f"{stage}: in={row['in']} but {stages[i - 1]} kept {previous['kept']}")
    if problems:
        raise AirflowFailException("weft accounting check failed:\n  " + "\n  ".join(problems))
    return funnel


# Reads stats through weft's own reader in the weft venv, so s3:// outputs (WEFT_S3_ENDPOINT_URL too) work as well.
READ_STATS = ("import json, sys; from jobs.run import read_stats; "
              "print(json.dumps({s: (r.to_dict() if (r := read_stats(sys.argv[1], s)) else None) "
              "for s in sys.argv[2:]}))")

# A retry reruns the same command; the stage skips the files its progress records mark done.
RETRIES = {"retries": 3, "retry_delay": timedelta(minutes=2), "retry_exponential_backoff": 2.0,
           "max_retry_delay": timedelta(minutes=30)}


def _stage_task(stage: str):
    @task.bash(task_id=stage)
    def run_stage(params: dict | None = None) -> str:
        if not selected(stage, params):
            raise AirflowSkipException(f"{stage} is after until={params['until']}")
        home, weft_bin = weft_paths()
        argv = stage_command(stage, params, weft_bin, setting("weft_spark_submit"), setting("weft_spark_submit_args"))
        return f"cd {shlex.quote(home)} && exec {shlex.join(argv)}"

    return run_stage()


@dag(
    dag_id="weft_crawl",
    description="Common Crawl WARCs -> interleaved image-text Parquet (weft extract, filter, dedup)",
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
        "master": Param(None, type=["null", "string"], description="Spark master, e.g. local[8] or yarn"),
        "until": Param("dedup", enum=list(STAGES), description="last stage to run"),
    },
)
def weft_crawl():
    stages = [_stage_task(stage) for stage in STAGES]

    @task(trigger_rule="none_failed")
    def check(params: dict | None = None) -> dict[str, dict]:
        home, weft_bin = weft_paths()
        python = setting("weft_python", str(Path(weft_bin).with_name("python")))
        wanted = [s for s in STAGES if selected(s, params)]
        result = subprocess.run([python, "-c", READ_STATS, crawl_output(params), *wanted],
                                cwd=home, capture_output=True, text=True)
        if result.returncode:  # e.g. S3 unreachable: worth a retry, unlike a failed check
            raise RuntimeError(f"reading {crawl_output(params)}/stats failed:\n{result.stderr[-3000:]}")
        return check_funnel(json.loads(result.stdout.splitlines()[-1]), wanted)

    for upstream, downstream in zip(stages, stages[1:]):
        upstream >> downstream
    stages[-1] >> check()


weft_crawl()
