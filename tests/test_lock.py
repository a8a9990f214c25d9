"""The output-root lock (engine/lock.py) with real processes: a second holder is refused with the first one's
name, a SIGKILLed holder leaves no stale lock, waiting works, the lock is re-entrant within a process, the CLI
stops with exit 75 before starting Spark, and the S3 lease through a real moto_server."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from engine.lock import EX_TEMPFAIL, LockHeld, OutputLock
from tests.conftest import ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
HOLDER = """
import sys, time
from engine.lock import OutputLock
lock = OutputLock(sys.argv[1], ttl_s=float(sys.argv[2])).acquire()
print("held", flush=True)
try:
    sys.stdin.read()  # hold until the test closes our stdin (or kills us)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
lock.release()
"""


def holder(output: str, env: dict | None = None, ttl_s: float = 120) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, output, str(ttl_s)], cwd=ROOT, env=env or ENV,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def probe(output: str, env: dict | None = None) -> int:
    """Try the lock from another process (within this one it is re-entrant): 75 if refused."""
    code = ("import sys; from engine.lock import OutputLock, LockHeld\n"
            "try: OutputLock(sys.argv[1], ttl_s=3).acquire().release()\nexcept LockHeld: sys.exit(75)")
    return subprocess.run([sys.executable, "-c", code, output], cwd=ROOT, env=env or ENV).returncode


def test_second_holder_is_refused_with_the_first_holders_name(tmp_path):
    first = holder(str(tmp_path))
    try:
        with pytest.raises(LockHeld) as e:
            OutputLock(str(tmp_path)).acquire()
        assert e.value.holder["pid"] == first.pid and f"pid={first.pid}" in str(e.value)
    finally:
        first.stdin.close()
        first.wait(10)
    with OutputLock(str(tmp_path)):  # released: free again, and no lock file left behind after us
        assert json.loads((tmp_path / "_lock").read_text())["pid"] == os.getpid()
    assert not (tmp_path / "_lock").exists()


def test_a_sigkilled_holder_leaves_no_stale_lock(tmp_path):
    first = holder(str(tmp_path))
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert (tmp_path / "_lock").exists(), "the file stays (nobody released it) ..."
    with OutputLock(str(tmp_path)):  # ... but the kernel dropped the flock with the process
        pass


def test_wait_lock_waits_for_the_holder(tmp_path):
    first = holder(str(tmp_path))
    start = time.monotonic()
    subprocess.Popen(["sh", "-c", f"sleep 1; kill -9 {first.pid}"])
    with pytest.raises(LockHeld):
        OutputLock(str(tmp_path), wait_s=0.2, poll_s=0.05).acquire()
    with OutputLock(str(tmp_path), wait_s=30, poll_s=0.05):
        assert time.monotonic() - start >= 0.9
    first.wait(10)


def test_reentrant_within_a_process_and_exclusive_across(tmp_path):
    outer = OutputLock(str(tmp_path)).acquire()
    with OutputLock(str(tmp_path / ".." / tmp_path.name)):  # same root spelled differently: re-entered
        pass
    assert probe(str(tmp_path)) == 75, "the inner release must not free the lock"
    outer.release()
    assert probe(str(tmp_path)) == 0


@pytest.mark.parametrize("command", ["filter", "run"])
def test_cli_exits_75_naming_the_holder_before_spark_starts(tmp_path, command):
    first = holder(str(tmp_path))
    try:
        start = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "jobs.cli", command, "--input", str(tmp_path / "in"),
                              "--output", str(tmp_path)], cwd=ROOT, env=ENV, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == EX_TEMPFAIL, run.stderr[-2000:]
        assert f"pid={first.pid}" in run.stderr and "--wait-lock" in run.stderr
        assert time.monotonic() - start < 30, "refused before Spark starts"
    finally:
        first.stdin.close()
        first.wait(10)


# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def s3():
    from tests.s3server import DUMMY_AWS_ENV, moto_bucket

    with moto_bucket("weft-lock") as (endpoint, client):  # this process pointed at it too, for the lock under test
        yield client, {**ENV, **DUMMY_AWS_ENV, "WEFT_S3_ENDPOINT_URL": endpoint}


def test_s3_lease_is_exclusive_and_released(s3):
    client, env = s3
    out = "s3://weft-lock/excl"
    first = holder(out, env)
    try:
        with pytest.raises(LockHeld) as e:
            OutputLock(out).acquire()
        assert e.value.holder["pid"] == first.pid
    finally:
        first.stdin.close()
        first.wait(10)
    assert client.list_objects_v2(Bucket="weft-lock", Prefix="excl/").get("KeyCount") == 0, "lease deleted"
    with OutputLock(out):
        lease = json.loads(client.get_object(Bucket="weft-lock", Key="excl/_lock.json")["Body"].read())
        assert lease["pid"] == os.getpid()


@pytest.mark.slow
def test_s3_lease_of_a_killed_holder_is_taken_over_only_after_its_ttl(s3):
    client, env = s3
    out = "s3://weft-lock/stale"
    first = holder(out, env, ttl_s=3)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    with pytest.raises(LockHeld):  # not renewed any more, but not yet expired
        OutputLock(out, ttl_s=3).acquire()
    start = time.monotonic()
    with OutputLock(out, ttl_s=3, wait_s=30, poll_s=0.2):
        lease = json.loads(client.get_object(Bucket="weft-lock", Key="stale/_lock.json")["Body"].read())
        assert lease["pid"] == os.getpid()
        time.sleep(3.5)  # our own renewals (every ttl/4) keep it from going stale
        assert probe(out, env) == 75
    assert time.monotonic() - start < 15
    assert probe(out, env) == 0


def test_s3_holder_that_loses_its_lease_interrupts_itself(s3):
    client, env = s3
    out = "s3://weft-lock/lost"
    first = holder(out, env, ttl_s=1)
    client.put_object(Bucket="weft-lock", Key="lost/_lock.json", Body=b'{"pid": 1, "ttl_s": 60}')  # a usurper
    assert first.stdout.readline().strip() == "interrupted"
    assert first.wait(10) == 130
