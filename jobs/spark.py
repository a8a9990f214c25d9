"""SparkSession construction in one place (local or cluster), with the settings every weft job relies on."""
from __future__ import annotations

import os
import sys


def get_spark(app_name: str = "weft", master: str | None = None, conf: dict | None = None):
    from pyspark.sql import SparkSession

    # Workers must run the same interpreter as the driver (our venv), also under spark-submit.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master or not os.environ.get("SPARK_MASTER_SET_BY_SUBMIT"):
        master = master or os.environ.get("WEFT_SPARK_MASTER", "local[*]")
        builder = builder.master(master)
    if (master or "").startswith("local"):
        # A local run talks to itself over loopback only, never over the host's external interface.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    defaults = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "1000",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.sql.shuffle.partitions": os.environ.get("WEFT_SHUFFLE_PARTITIONS", "8"),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": os.environ.get("WEFT_DRIVER_MEMORY", "2g"),
        "spark.python.worker.reuse": "true",
        # documents are multi-KB strings: 4,096-row reader batches mean 64 MB buffers per task
        "spark.sql.parquet.columnarReaderBatchSize": "1024",
        # one task = one WARC: never let Spark retry a task forever on a poison file
        "spark.task.maxFailures": "2",
        # The driver JVM (and in local mode the only executor) spends most of a job's JVM CPU compiling Spark's
        # own planner and codegen with C2 for the hundreds of short jobs a weft run plans: C1 only and the
        # serial collector cut a whole 4,000-page `weft run` from 133 to 79 CPU-s of the process tree
        # (benchmarks/e2e.py, BENCHMARKS.md). The per-row work runs in Python workers, not in long JVM loops
        # where C2's code would pay back its compile time.
        # Cluster executors keep their own settings (spark.executor.extraJavaOptions).
        "spark.driver.extraJavaOptions": os.environ.get(
            "WEFT_DRIVER_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
    }
    submitted = _submitted_conf()
    defaults = {k: v for k, v in defaults.items() if k not in submitted}  # spark-submit --conf / properties win
    for key, value in {**defaults, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("WEFT_SPARK_LOG_LEVEL", "ERROR"))
    return spark


def _submitted_conf() -> set[str]:
    """Keys spark-submit already set (`--conf`, `--properties-file`, spark-defaults.conf): a default of ours must
    not override the cluster's. Only under spark-submit, whose JVM is already running (PYSPARK_GATEWAY_PORT);
    started from Python, reading them would launch the JVM before our driver settings could reach it."""
    if not os.environ.get("PYSPARK_GATEWAY_PORT"):
        return set()
    from pyspark import SparkConf, SparkContext

    SparkContext._ensure_initialized()
    return {key for key, _ in SparkConf().getAll()}
