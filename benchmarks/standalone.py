"""Run one command against a throw-away Spark standalone cluster on 127.0.0.1: a master and --workers workers
(--cores each) from the pyspark distribution, started as this process's children, so a caller that meters its
process tree (benchmarks.e2e.TreeMeter) counts the daemons and their executors too; stopped when the command ends.

    python -m benchmarks.standalone --workers 2 --cores 1 --memory 3g -- python -m jobs.cli run ... --master MASTER

The literal argument MASTER is replaced by the cluster's spark:// URL. Executors inherit this environment
(PYTHONPATH), so their Python workers import the same checkout as the driver."""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A port free now on 127.0.0.1 (the cluster's daemons; the e2e crawl's loopback image host)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """A Spark daemon in its own process group (its JVM and children stop together), logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name, self.log = name, log_dir / f"{name}.log"
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_for(self, pattern: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log.read_text(errors="replace")):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: no {pattern!r} (exit {self.proc.poll()}):\n"
                           f"{self.log.read_text(errors='replace')[-4000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


class Cluster:
    """Context manager: `with Cluster(workers=2, cores=1, base=dir) as c: c.url`."""

    def __init__(self, workers: int, cores: int, memory: str, base: Path):
        import pyspark

        self.workers, self.cores, self.memory, self.base = workers, cores, memory, base
        home = Path(pyspark.__file__).parent
        self.spark_class = str(home / "bin" / "spark-class")
        self.env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1",
                    "SPARK_LOCAL_DIRS": str(base / "local"), "SPARK_NO_DAEMONIZE": "1",
                    "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        self.daemons: list[Daemon] = []
        self.url = self.ui = ""

    def __enter__(self) -> "Cluster":
        try:
            port, ui = free_port(), free_port()
            master = Daemon("master", [self.spark_class, "org.apache.spark.deploy.master.Master", "--host",
                                       "127.0.0.1", "--port", str(port), "--webui-port", str(ui)], self.env, self.base)
            self.daemons.append(master)
            master.wait_for(r"I have been elected leader")
            self.url, self.ui = f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui}"
            for i in range(self.workers):
                w = Daemon(f"worker{i}", [self.spark_class, "org.apache.spark.deploy.worker.Worker", self.url,
                                          "--host", "127.0.0.1", "--port", str(free_port()), "--webui-port",
                                          str(free_port()), "--cores", str(self.cores), "--memory", self.memory,
                                          "--work-dir", str(self.base / f"work{i}")], self.env, self.base)
                self.daemons.append(w)
                w.wait_for(r"Successfully registered with master")
            if self.alive_workers() != self.workers:
                raise RuntimeError(f"the master lists {self.alive_workers()} workers, not {self.workers}")
        except BaseException:
            self.__exit__()
            raise
        return self

    def alive_workers(self) -> int:
        with urllib.request.urlopen(f"{self.ui}/json/", timeout=5) as r:
            return json.loads(r.read())["aliveworkers"]

    def __exit__(self, *exc) -> None:
        for d in reversed(self.daemons):
            d.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        raise SystemExit("usage: python -m benchmarks.standalone [--workers N] [--cores C] [--memory M] -- CMD ...")
    i = argv.index("--")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cores", type=int, default=1, help="cores per worker")
    ap.add_argument("--memory", default="3g", help="memory per worker")
    ap.add_argument("--dir", help="logs and work dirs (default: a temporary directory)")
    args, cmd = ap.parse_args(argv[:i]), argv[i + 1:]
    base = Path(args.dir or tempfile.mkdtemp(prefix="weft-standalone-"))
    base.mkdir(parents=True, exist_ok=True)
    with Cluster(args.workers, args.cores, args.memory, base) as c:
        print(f"standalone cluster {c.url}: {args.workers} workers x {args.cores} cores; logs in {base}", flush=True)
        cmd = [c.url if a == "MASTER" else a for a in cmd]
        return subprocess.run(cmd, env={**c.env, "WEFT_SPARK_MASTER": c.url}).returncode


if __name__ == "__main__":
    sys.exit(main())
