"""infra/spark/submit.sh against a real Spark standalone cluster: a master and one worker started from the pyspark
distribution on 127.0.0.1 (free ports, 2 cores), the whole pipeline (`submit.sh run`) on the Makefile's demo WARCs
with weft shipped to the executors as a wheel, and every table's sorted rows compared with a `local[2]` run of
the same input. The executors' Python workers run with PYTHONVERBOSE=1, so their own log (the worker's
work/app-*/<id>/stderr) says which file `filters._native` was loaded from: it must be the shipped wheel, not the
checkout (the project venv's editable install would find the checkout's copy too) and not missing.

Also: the executor Dockerfile builds where a container runtime answers (skipped with the reason otherwise)."""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, demo_warcs
from tests.test_kill_rerun import table_digest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SUBMIT = ROOT / "infra" / "spark" / "submit.sh"
VENV_BIN = Path(sys.executable).parent
# every Parquet table of a full run (views/pairs is absent when no image is in the store, as in the demo)
TABLES = ("extract", "warc_images", "filter/kept", "filter/rejected", "dedup/kept", "dedup/duplicates",
          "images/store", "docs", "views/text", "views/pairs")
NATIVE_LOADED = re.compile(r"extension module 'filters\._native' loaded from '([^']+)'")
TIMEOUT = 1200  # one full pipeline run on a loaded 2-core machine


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """spark://127.0.0.1:PORT with one registered worker (2 cores, 3 GiB), from benchmarks.standalone (which the
    cluster benchmark uses too); stopped on exit, even when the start itself fails half way."""
    from benchmarks.standalone import Cluster

    base = tmp_path_factory.mktemp("standalone")
    with Cluster(workers=1, cores=2, memory="3g", base=base) as c:
        assert c.alive_workers() == 1, "the master does not list the worker"
        yield {"url": c.url, "work": base / "work0", "logs": base}


def run(argv: list[str], log: Path, env: dict) -> None:
    """Run to the end in its own process group, which is killed whole if the test stops early (the driver's JVM
    and Python would outlive a killed submit.sh)."""
    started = time.perf_counter()
    with log.open("wb") as f:
        proc = subprocess.Popen(argv, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=TIMEOUT)
        finally:
            if proc.poll() is None or code:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
    print(f"{Path(argv[0]).name} {argv[1]}: {time.perf_counter() - started:.0f}s")
    assert code == 0, log.read_text(errors="replace")[-6000:]


def stats(out: Path) -> dict:
    """Each stage's funnel (side outputs hold timings and per-task counts, which differ between runs)."""
    return {p.stem: {k: v for k, v in json.loads(p.read_text()).items()
                     if k in ("records_in", "kept", "dropped", "failed", "files_failed")}
            for p in sorted((out / "stats").glob("*.json")) if p.stem != "failed_inputs"}


def mmc4_lines(out: Path) -> list[str]:
    return sorted(line for p in (out / "exports" / "mmc4").glob("*.jsonl.gz")
                  for line in gzip.decompress(p.read_bytes()).decode().splitlines())


def test_submit_sh_runs_the_pipeline_on_a_standalone_cluster_like_local(cluster, demo_run, tmp_path):
    warcs = demo_warcs()
    common = ["--input", *warcs, "--set", "images.job.download=false"]
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "WEFT_SHUFFLE_PARTITIONS": "4",
           "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "SPARK_SUBMIT": str(VENV_BIN / "spark-submit")}
    cluster_out, local_out = tmp_path / "cluster", demo_run  # demo_run: the same input and settings in local[2]
    run([str(SUBMIT), "run", "--master", cluster["url"], "--executor-memory", "1g", "--total-executor-cores", "2",
         "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.executorEnv.PYTHONVERBOSE=1",
         # one Python worker per task instead of the daemon: Spark reads the daemon's stderr only once the daemon
         # has written its port, and PYTHONVERBOSE's import lines fill the pipe before that (a deadlock)
         "--conf", "spark.python.use.daemon=false", "--",
         *common, "--output", str(cluster_out)], tmp_path / "cluster.log", {**env, "WEFT_SHIP": "wheel"})

    # the job ran on the cluster's executors, and they loaded the compiled module from the shipped wheel
    apps = sorted(cluster["work"].glob("app-*"))
    assert apps, "no application ran on the worker"
    loaded = [(log, path) for log in cluster["work"].glob("app-*/*/stderr")
              for path in NATIVE_LOADED.findall(log.read_text(errors="replace"))]
    assert loaded, "no executor imported filters._native (the filter stage ran its Python fallback)"
    for log, path in loaded:
        assert Path(path).is_relative_to(log.parent) and "/weft_wheel/filters/" in path, (log, path)
        assert not Path(path).is_relative_to(ROOT), f"{path}: the checkout's module, not the shipped one"

    # same rows in every table, same funnel, same exports (every difference listed at once)
    assert set(stats(local_out)) == {"extract", "filter", "dedup", "images", "degrade"}
    differ = [f"stats/{stage}" for stage, funnel in stats(local_out).items() if stats(cluster_out).get(stage) != funnel]
    compared = {}
    for table in TABLES:
        present = [(out / table).is_dir() and any((out / table).rglob("*.parquet")) for out in (local_out, cluster_out)]
        if present[0] != present[1]:
            differ.append(f"{table}: only in {'local' if present[0] else 'cluster'}")
        elif present[0]:
            compared[table] = table_digest(local_out / table)
            if table_digest(cluster_out / table) != compared[table]:
                differ.append(f"{table}: rows {table_digest(cluster_out / table)[0]} vs {compared[table][0]} local")
    print("compared rows:", {t: n for t, (n, _) in compared.items()})
    assert differ == [], (differ, stats(cluster_out), stats(local_out))
    for table in ("extract", "filter/kept", "dedup/kept", "docs", "views/text"):
        assert compared.get(table, (0,))[0] > 0, f"{table} is empty: a vacuous comparison"
    assert mmc4_lines(cluster_out) == mmc4_lines(local_out) and mmc4_lines(local_out)


def docker_available() -> str | None:
    """None when a container runtime answers, else why not."""
    if not shutil.which("docker"):
        return "no docker command"
    proc = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    return None if proc.returncode == 0 else f"docker info failed: {(proc.stderr or proc.stdout).strip()[-300:]}"


def test_executor_image_builds_with_java_17_and_the_compiled_module():
    reason = docker_available()
    if reason:
        pytest.skip(f"no container runtime ({reason})")
    tag = f"weft-spark:test-{os.getpid()}"
    build = subprocess.run(["docker", "build", "-f", "infra/docker/Dockerfile", "-t", tag, "."], cwd=ROOT,
                           capture_output=True, text=True, timeout=3600)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    try:
        probe = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", tag, "bash", "-c",
             "java -version 2>&1 | head -1; python -c 'import filters._native, filters.vocab as v; "
             "print(v._chunk_ids is not v._chunk_ids_py)'; weft --help | head -1"],
            capture_output=True, text=True, timeout=300)
        assert probe.returncode == 0, probe.stderr
        assert '"17.' in probe.stdout and "True" in probe.stdout and "usage: weft" in probe.stdout, probe.stdout
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=300)


def test_spark_submit_conf_wins_over_weft_defaults(tmp_path):
    """A `--conf` given to spark-submit is the cluster operator's: get_spark keeps its own default only for keys
    spark-submit left unset."""
    script = tmp_path / "conf.py"
    script.write_text("import sys; sys.path.insert(0, %r)\n" % str(ROOT)
                      + "from jobs.spark import get_spark\n"
                      "s = get_spark('conf-check')\n"
                      "print('CONF', s.conf.get('spark.sql.shuffle.partitions'), s.conf.get('spark.sql.session.timeZone'))\n"
                      "s.stop()\n")
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_MASTER_SET_BY_SUBMIT": "1",
           "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "PYSPARK_PYTHON": sys.executable,
           "PYSPARK_DRIVER_PYTHON": sys.executable}
    env.pop("WEFT_SHUFFLE_PARTITIONS", None)
    done = subprocess.run([str(VENV_BIN / "spark-submit"), "--master", "local[1]",
                           "--conf", "spark.sql.shuffle.partitions=3", str(script)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("CONF "))
    assert line.split()[1:] == ["3", "UTC"]  # the operator's partitions, weft's time zone
