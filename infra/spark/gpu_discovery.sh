#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the GPUs this executor may use
# as {"name": "gpu", "addresses": ["0", "1"]}. Honors CUDA_VISIBLE_DEVICES (set by a container runtime or YARN)
# and otherwise lists what nvidia-smi sees; no GPU prints an empty list, so the executor starts and Spark schedules
# no GPU task on it.
set -euo pipefail
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  ids="${CUDA_VISIBLE_DEVICES//,/ }"
elif command -v nvidia-smi >/dev/null 2>&1; then
  ids="$(nvidia-smi --query-gpu=index --format=csv,noheader | tr '\n' ' ')"
else
  ids=""
fi
printf '{"name": "gpu", "addresses": ['
sep=""
for id in $ids; do printf '%s"%s"' "$sep" "$id"; sep=", "; done
printf ']}\n'
