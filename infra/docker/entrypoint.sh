#!/usr/bin/env bash
# Entrypoint of the weft Spark image (infra/docker/Dockerfile):
#   executor          Spark on Kubernetes starts executor pods with this argument and SPARK_* variables
#   driver ARGS...    Spark on Kubernetes, cluster mode: the driver pod runs spark-submit in client mode
#   worker MASTER     a standalone worker (docker run --network host IMAGE worker spark://head:7077)
#   anything else     run as given (e.g. `python -m jobs.cli run ...`, `weft check ...`)
# The same steps as Spark's own kubernetes/dockerfiles/spark/entrypoint.sh, which the pip-installed pyspark
# does not ship.
set -euo pipefail
SPARK_CLASSPATH="${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}$SPARK_HOME/jars/*"
case "${1:-}" in
  executor)
    shift
    # SPARK_JAVA_OPT_0, _1, ... in order
    mapfile -t java_opts < <(env | grep '^SPARK_JAVA_OPT_' | sort -t_ -k4 -n | sed 's/^[^=]*=//')
    exec "$JAVA_HOME/bin/java" "${java_opts[@]}" -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$SPARK_CLASSPATH" org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" --cores "$SPARK_EXECUTOR_CORES" \
      --app-id "$SPARK_APPLICATION_ID" --hostname "$SPARK_EXECUTOR_POD_IP" \
      --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:-0}" --podName "${SPARK_EXECUTOR_POD_NAME:-}" ;;
  driver)
    shift
    exec "$SPARK_HOME/bin/spark-submit" --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS:-0.0.0.0}" \
      --deploy-mode client "$@" ;;
  worker)
    shift
    exec "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker --work-dir /opt/weft/work "$@" ;;
  *)
    exec "$@" ;;
esac
