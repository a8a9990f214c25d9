#!/usr/bin/env bash
# Submit a weft stage to a Spark cluster:
#   infra/spark/submit.sh extract --master spark://host:7077 -- --input s3://commoncrawl/crawl-data/CC-MAIN-2024-22/warc.paths.gz --limit 100 --output s3://bucket/weft
# Everything before `--` goes to spark-submit, everything after it to the stage. The code ships as a zip
# (--py-files) unless WEFT_SHIP_CODE=0; executors need the same Python packages (a venv or conda env at the same path on every node,
# or a packed env via --archives, see README "Running on a cluster").
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
stage="${1:?usage: submit.sh STAGE [spark-submit args] -- [stage args]}"; shift
submit_args=(); while [ $# -gt 0 ] && [ "$1" != "--" ]; do submit_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
# WEFT_SHIP_CODE=0: the executors' env has weft itself installed (`pip install .`), so no zip is shipped and they
# import the installed package, with its compiled module filters/_native (a zip can carry no compiled module:
# the filter stage then runs its Python fallback, ~1.3x slower).
py_files=()
if [ "${WEFT_SHIP_CODE:-1}" != "0" ]; then
  zip_path="$(mktemp -d)/weft.zip"
  (cd "$here" && zip -qr "$zip_path" engine jobs filters schemas config -x '*/__pycache__/*' '*.so')
  py_files=(--py-files "$zip_path")
fi
# A stage is a module (jobs/extract.py) or a package (jobs/dedup/, run through its __main__.py).
script="$here/jobs/$stage.py"
[ -f "$script" ] || script="$here/jobs/$stage/__main__.py"
[ -f "$script" ] || { echo "submit.sh: no stage $stage (jobs/$stage.py or jobs/$stage/__main__.py)" >&2; exit 2; }
export PYSPARK_PYTHON="${PYSPARK_PYTHON:-$here/.venv/bin/python}"
export SPARK_MASTER_SET_BY_SUBMIT=1
# The driver (client mode) reads config/ from the checkout; tasks receive the merged config from the driver.
export WEFT_CONFIG_DIR="${WEFT_CONFIG_DIR:-$here/config}"
exec "${SPARK_SUBMIT:-spark-submit}" "${py_files[@]}" \
  --conf spark.sql.execution.arrow.pyspark.enabled=true \
  --conf spark.sql.session.timeZone=UTC \
  "${submit_args[@]}" "$script" "$@"
