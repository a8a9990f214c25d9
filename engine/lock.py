"""One writer per output root: a lock that two weft runs on the same --output cannot both hold.

Every stage assumes it owns its output root while it runs (it sweeps `.tmp-*` files, Spark's overwrite deletes
dedup/ before writing), so a second run on the same root must not start. The lock is taken before Spark starts,
so the second run fails in about a second with exit code 75 (EX_TEMPFAIL) and the holder's host, pid, command
and start time, or waits for it with --wait-lock SECONDS.

Local output: `OUT/_lock`, held with flock(2) on an open descriptor. The kernel drops the lock when the holder
dies, SIGKILL included, so a killed run never leaves a stale lock. The file is unlinked on release; whoever
locks re-checks that the path still names the inode it locked (the usual unlink-safe flock protocol).

S3 output: a lease object `OUT/_lock.json`, created with a conditional put (If-None-Match: *) so exactly one
creator wins, renewed by a background thread with If-Match on its ETag, and stale once the store's own clock
(LastModified vs the response's Date) says it was not renewed for `ttl_s`; a stale lease is taken over with
If-Match, so two runs cannot both take it over. Guarantee: as strong as the store's conditional writes (AWS S3,
moto and recent MinIO honour them); a store that ignores If-None-Match degrades to last-writer-wins, which the
read-back of our token after the put narrows but cannot close. If a renewal finds the lease taken (the run was
paused for longer than the TTL), the holder interrupts itself with SIGINT: PySpark cancels its jobs.

Re-entrant per process: `weft run` takes the lock once for the whole chain, and each stage's Job.main, running
in the same process, finds it held and only counts the nesting.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
import uuid

from engine.io.fs import local_path

EX_TEMPFAIL = 75
LOCK_NAME, LEASE_NAME = "_lock", "_lock.json"

_held: dict[str, "_Lock"] = {}  # output key -> lock held by this process (re-entrance)
_held_guard = threading.Lock()


class LockHeld(RuntimeError):
    """Another run holds the output root's lock."""

    def __init__(self, output: str, holder: dict | None, waited_s: float = 0.0):
        self.output, self.holder = output, holder or {}
        who = ", ".join(f"{k}={self.holder[k]}" for k in ("host", "pid", "started", "command") if k in self.holder)
        waited = f" (waited {waited_s:.0f} s)" if waited_s else ""
        super().__init__(f"output {output} is locked by another weft run{waited}: {who or 'holder unknown'}; "
                         f"wait for it to finish, or pass --wait-lock SECONDS")


def holder_info() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "command": " ".join(sys.argv),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "token": uuid.uuid4().hex}


def _key(output: str) -> str:
    return output.rstrip("/") if "://" in output else os.path.realpath(output)


class OutputLock:
    """`with OutputLock(out, wait_s=0): ...` (or acquire()/release()) raises LockHeld if another run holds `out`."""

    def __init__(self, output: str, wait_s: float = 0.0, ttl_s: float = 120.0, poll_s: float = 0.5):
        output = local_path(output)
        self.output, self.wait_s, self.ttl_s, self.poll_s = output, wait_s, ttl_s, poll_s
        self._lock: _Lock | None = None

    def __enter__(self) -> "OutputLock":
        return self if self._lock is not None else self.acquire()

    def acquire(self) -> "OutputLock":
        key = _key(self.output)
        with _held_guard:
            held = _held.get(key)
            if held is not None:  # this process already holds it (weft run -> stage main)
                held.depth += 1
                self._lock = held
                return self
        lock = _S3Lease(self.output, self.ttl_s) if self.output.startswith("s3://") else _FileLock(self.output)
        start = time.monotonic()
        while not lock.try_acquire():
            waited = time.monotonic() - start
            if waited >= self.wait_s:
                raise LockHeld(self.output, lock.read_holder(), waited)
            time.sleep(min(self.poll_s, max(0.0, self.wait_s - waited)))
        with _held_guard:
            _held[key] = lock
        self._lock = lock
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is None:
            return
        with _held_guard:
            lock.depth -= 1
            if lock.depth:
                return
            _held.pop(_key(self.output), None)
        lock.release()

    @property
    def lost(self) -> bool:
        """True when an S3 lease was taken by someone else while we held it."""
        return bool(self._lock and self._lock.lost)


class _Lock:
    depth = 1
    lost = False

    def try_acquire(self) -> bool: ...
    def read_holder(self) -> dict | None: ...
    def release(self) -> None: ...


class _FileLock(_Lock):
    def __init__(self, output: str):
        self.path = os.path.join(os.path.abspath(output), LOCK_NAME)
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        import fcntl

        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)  # CLOEXEC: the JVM must not inherit it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        try:  # a releasing holder may have unlinked the file between our open and our flock: then start over
            same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return self.try_acquire()
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(holder_info()).encode())
        self.fd = fd
        return True

    def read_holder(self) -> dict | None:
        # The holder writes its info right after locking: give it a moment if we read an empty file.
        for _ in range(10):
            try:
                with open(self.path) as f:
                    text = f.read()
                if text:
                    return json.loads(text)
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.05)
        return None

    def release(self) -> None:
        if self.fd is not None:
            os.unlink(self.path)  # still locked: nobody can hold the old inode after this
            os.close(self.fd)
            self.fd = None


class _S3Lease(_Lock):
    def __init__(self, output: str, ttl_s: float):
        from engine.io import s3

        self.bucket, prefix = s3.split(output.rstrip("/") + "/" + LEASE_NAME)
        self.key, self.ttl_s = prefix, ttl_s
        self.client = s3.client(self.bucket)
        self.info = holder_info()
        self.etag: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _body(self) -> bytes:
        return json.dumps({**self.info, "ttl_s": self.ttl_s}).encode()

    def _put(self, **condition) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.etag = self.client.put_object(Bucket=self.bucket, Key=self.key, Body=self._body(),
                                               ContentType="application/json", **condition)["ETag"]
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise
            # A retried put whose first attempt succeeded fails its own precondition: check for our token.
            current = self._read()
            if not current or current[0].get("token") != self.info["token"]:
                return False
            self.etag = current[1]
        # Read back: on a store that ignores the condition, the last writer wins; the loser sees it here.
        current = self._read()
        return bool(current) and current[0].get("token") == self.info["token"]

    def _read(self) -> tuple[dict, str, bool] | None:
        """(holder, etag, stale) of the current lease, or None when there is none."""
        from datetime import datetime, timezone
        from email.utils import parsedate_to_datetime

        from botocore.exceptions import BotoCoreError

        for attempt in range(5):  # boto3 retries the request, not a body cut mid-read
            try:
                r = self.client.get_object(Bucket=self.bucket, Key=self.key)
                holder = json.loads(r["Body"].read())
                break
            except self.client.exceptions.NoSuchKey:
                return None
            except (OSError, ValueError, BotoCoreError):
                if attempt == 4:
                    raise
                time.sleep(0.2 * 2**attempt)
        date = r["ResponseMetadata"]["HTTPHeaders"].get("date")
        # both on the store's clock; a store that sends no Date falls back to ours
        server_now = parsedate_to_datetime(date) if date else datetime.now(timezone.utc)
        if server_now.tzinfo is None:
            server_now = server_now.replace(tzinfo=timezone.utc)
        age = (server_now - r["LastModified"]).total_seconds()
        return holder, r["ETag"], age > float(holder.get("ttl_s", self.ttl_s))

    def try_acquire(self) -> bool:
        if self._put(IfNoneMatch="*"):
            return self._start()
        current = self._read()
        if current is None:  # released between our put and our read: try again next round
            return False
        _, etag, stale = current
        if stale and self._put(IfMatch=etag):  # take over a dead holder's lease, exactly one taker wins
            return self._start()
        return False

    def read_holder(self) -> dict | None:
        current = self._read()
        return current[0] if current else None

    def _start(self) -> bool:
        self._thread = threading.Thread(target=self._renew, name="weft-lock-renew", daemon=True)
        self._thread.start()
        return True

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_s / 4):
            try:
                ok = self._put(IfMatch=self.etag)
            except Exception as e:  # a transient store error: the lease still has most of its TTL
                print(f"weft: lock renewal of s3://{self.bucket}/{self.key} failed: {e}", file=sys.stderr)
                continue
            if not ok:
                self.lost = True
                print(f"weft: lost the lock on s3://{self.bucket}/{self.key} (another run took it over after "
                      f"{self.ttl_s:.0f} s without renewal); stopping", file=sys.stderr)
                os.kill(os.getpid(), signal.SIGINT)  # PySpark's SIGINT handler cancels the running jobs
                return

    def release(self) -> None:
        from botocore.exceptions import ClientError

        self._stop.set()
        if self._thread:
            self._thread.join()
        if self.lost or self.etag is None:
            return
        try:  # only our own lease: If-Match on the ETag we last wrote
            self.client.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=self.etag)
        except ClientError:
            pass
