#!/usr/bin/env bash
# Build the separate Airflow venv (.venv-airflow) that runs infra/airflow/weft_dag.py and its tests.
# Airflow lives apart from .venv because its pins (SQLAlchemy, pendulum, ...) must not constrain weft's; the DAG
# only calls the weft CLI of .venv through a shell (or spark-submit, through SparkSubmitOperator of the Spark
# provider, which needs only the light `pyspark-client`, not Spark's jars). Idempotent: a stamp file holding the
# pinned versions makes a second call a no-op; changing AIRFLOW_VERSION (or deleting the venv) rebuilds it.
#   infra/scripts/airflow_venv.sh            # -> .venv-airflow/bin/airflow
#   AIRFLOW_VENV=/opt/af infra/scripts/airflow_venv.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${AIRFLOW_VENV:-$here/.venv-airflow}"
version="${AIRFLOW_VERSION:-3.3.2}"
spark_provider="${AIRFLOW_SPARK_PROVIDER_VERSION:-6.3.4}"
wanted="apache-airflow==$version apache-airflow-providers-apache-spark==$spark_provider"
python="${PYTHON:-python3}"
stamp="$venv/.installed"

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  exit 0
fi
echo "weft: building the Airflow venv $venv ($wanted)" >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# shellcheck disable=SC2086  # $wanted is a list of requirements
"$venv/bin/python" -m pip install -q $wanted
# fail here, not in the DAG tests
"$venv/bin/python" -c "import airflow.sdk, airflow.providers.standard, airflow.providers.apache.spark.operators.spark_submit"
echo "$wanted" > "$stamp"
