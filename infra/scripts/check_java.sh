#!/usr/bin/env bash
# Spark 4 needs Java 17+. Install it with apt when we are root on Debian/Ubuntu; otherwise say what to do.
set -euo pipefail
java_major() {
  command -v java >/dev/null 2>&1 || { echo 0; return; }
  java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}
major=$(java_major)
if [ "${major:-0}" -ge 17 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "weft: Java 17+ not found (found: ${major:-none}); installing openjdk-17-jre-headless with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  major=$(java_major)
  [ "${major:-0}" -ge 17 ] && exit 0
fi
echo "weft: Spark 4 needs Java 17 or newer on PATH (found: ${major:-none})." >&2
echo "      Install it, e.g. 'sudo apt-get install openjdk-17-jre-headless', then run make again." >&2
exit 1
