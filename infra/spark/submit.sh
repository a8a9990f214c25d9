#!/usr/bin/env bash
# Submit a weft stage (or `run`, the whole pipeline) to a Spark cluster:
#   infra/spark/submit.sh extract --master spark://host:7077 -- --input s3://commoncrawl/crawl-data/CC-MAIN-2024-22/warc.paths.gz --limit 100 --output s3://bucket/weft
#   WEFT_SHIP=wheel infra/spark/submit.sh run --master spark://host:7077 --properties-file infra/spark/conf/extract.conf -- --input ... --output ...
# Everything before `--` goes to spark-submit, everything after it to the stage. The driver runs in client mode
# from this checkout (its .venv); how the executors get weft is WEFT_SHIP (docs/cluster.md):
#   zip    (default) engine/ jobs/ filters/ schemas/ as --py-files. Executors need weft's dependencies in
#          their Python (PYSPARK_PYTHON, default this checkout's .venv/bin/python at the same path on every node).
#          A zip can carry no compiled module, so the filter stage runs its Python loops (~1.3x slower).
#   wheel  a wheel built here (`pip wheel`, compiling filters/_native.c) shipped with --archives and unpacked on
#          each executor, first on its PYTHONPATH: the compiled loops travel; dependencies as for zip.
#   env    a packed virtualenv (infra/spark/pack_env.sh -> WEFT_ENV_ARCHIVE, default dist/weft-env.tar.gz) with
#          weft and every dependency installed: --archives ENV#env, executors run ./env/bin/python. Nothing needs
#          to be installed on the nodes but the same base Python (the Docker image of infra/docker/ has it).
#   none   nothing shipped but the config: weft is installed (`pip install .`) in the executors' Python (e.g.
#          the Docker image).
# config/ and filters/data/ are shipped in every mode (executors read the defaults from WEFT_CONFIG_DIR). A
# local[...] master ships nothing: its workers run here, from this checkout.
# WEFT_SHIP_CODE=0 is the older spelling of WEFT_SHIP=none.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
stage="${1:?usage: submit.sh STAGE [spark-submit args] -- [stage args]}"; shift
submit_args=(); while [ $# -gt 0 ] && [ "$1" != "--" ]; do submit_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
ship="${WEFT_SHIP:-zip}"
[ "${WEFT_SHIP_CODE:-1}" = "0" ] && ship=none
# a local master runs its Python workers on this machine, in the driver's working directory (not where archives
# are unpacked): they import weft from this checkout and read config/ through the exported WEFT_CONFIG_DIR
for ((i = 0; i < ${#submit_args[@]}; i++)); do
  case "${submit_args[$i]}" in
    --master) [[ "${submit_args[$((i + 1))]:-}" == local* ]] && ship=local ;;
    --master=local*) ship=local ;;
  esac
done
driver_python="${PYSPARK_DRIVER_PYTHON:-$here/.venv/bin/python}"
export PYSPARK_PYTHON="${PYSPARK_PYTHON:-$here/.venv/bin/python}"

# A stage is a module (jobs/extract.py) or a package (jobs/dedup/, run through its __main__.py).
script="$here/jobs/$stage.py"
[ -f "$script" ] || script="$here/jobs/$stage/__main__.py"
[ -f "$script" ] || { echo "submit.sh: no stage $stage (jobs/$stage.py or jobs/$stage/__main__.py)" >&2; exit 2; }

build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
# Executors read the config defaults when weft's modules are imported (engine.config, from WEFT_CONFIG_DIR), and
# the files the config names relative to the repository (filters/data/...) from beside that directory. So config/
# and filters/data/ travel in every mode, as one archive unpacked in each executor's working directory with the
# repository's layout (a zip on the Python path, a wheel or an installed package holds no config/ a worker
# could open).
(cd "$here" && zip -qr "$build/weft-data.zip" config filters/data -x '*/__pycache__/*')
archives="$build/weft-data.zip#weft_data"
ship_args=(--conf spark.executorEnv.WEFT_CONFIG_DIR=weft_data/config)
case "$ship" in
  local)
    archives=""; ship_args=() ;;
  zip)
    (cd "$here" && zip -qr "$build/weft.zip" engine jobs filters schemas -x '*/__pycache__/*' '*.so')
    ship_args+=(--py-files "$build/weft.zip") ;;
  wheel)
    # --no-build-isolation: build with the driver venv's setuptools (no index needed); the wheel is a zip, and
    # the .zip name makes Spark unpack it (a compiled module cannot be imported from inside a zip)
    "$driver_python" -m pip wheel -q --no-deps --no-build-isolation -w "$build" "$here" >&2
    mv "$build"/weft-*.whl "$build/weft-wheel.zip"
    # executors' working directory holds the unpacked archives; their PYTHONPATH comes before site-packages
    archives+=",$build/weft-wheel.zip#weft_wheel"
    ship_args+=(--conf spark.executorEnv.PYTHONPATH=./weft_wheel) ;;
  env)
    archive="${WEFT_ENV_ARCHIVE:-$here/dist/weft-env.tar.gz}"
    [ -f "$archive" ] || { echo "submit.sh: no packed env $archive (build it: infra/spark/pack_env.sh)" >&2; exit 2; }
    archives+=",$archive#env"
    # the conf would also name the driver's Python (Spark prefers it to PYSPARK_DRIVER_PYTHON): keep ours there
    ship_args+=(--conf spark.pyspark.python=./env/bin/python --conf "spark.pyspark.driver.python=$driver_python") ;;
  none) ;;
  *) echo "submit.sh: WEFT_SHIP=$ship: expected zip, wheel, env or none" >&2; exit 2 ;;
esac
# one --archives list: spark-submit keeps only the last --archives given, so the caller's join ours
extra=()
for ((i = 0; i < ${#submit_args[@]}; i++)); do
  if [ "${submit_args[$i]}" = "--archives" ]; then
    archives+=",${submit_args[$((i + 1))]}"; i=$((i + 1))
  else
    extra+=("${submit_args[$i]}")
  fi
done
submit_args=("${extra[@]}")
archives="${archives#,}"
[ -n "$archives" ] && ship_args+=(--archives "$archives")
export PYSPARK_DRIVER_PYTHON="$driver_python"
export SPARK_MASTER_SET_BY_SUBMIT=1
# The driver (client mode) reads config/ from the checkout; tasks receive the merged config from the driver.
export WEFT_CONFIG_DIR="${WEFT_CONFIG_DIR:-$here/config}"
# not exec: the EXIT trap removes the built zip/wheel once spark-submit is done
"${SPARK_SUBMIT:-spark-submit}" "${ship_args[@]}" \
  --conf spark.sql.execution.arrow.pyspark.enabled=true \
  --conf spark.sql.session.timeZone=UTC \
  "${submit_args[@]}" "$script" "$@"
