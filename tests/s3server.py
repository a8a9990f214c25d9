"""Start and stop a real moto_server (S3 API) on 127.0.0.1 for tests."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MOTO_SERVER = Path(sys.executable).with_name("moto_server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def moto_s3(timeout_s: float = 30) -> Iterator[str]:
    """Yield the endpoint URL of a fresh moto_server; it is terminated (then killed) on exit."""
    port = _free_port()
    proc = subprocess.Popen([str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {proc.returncode}")
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not answer") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


DUMMY_AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@contextmanager
def moto_bucket(bucket: str) -> Iterator[tuple[str, object]]:
    """A fresh moto_server with `bucket` created, the process environment pointed at it (dummy credentials,
    WEFT_S3_ENDPOINT_URL) for the duration; yields (endpoint, boto3 client)."""
    import boto3
    import pytest

    with pytest.MonkeyPatch.context() as mp:
        for k, v in DUMMY_AWS_ENV.items():
            mp.setenv(k, v)
        with moto_s3() as endpoint:
            mp.setenv("WEFT_S3_ENDPOINT_URL", endpoint)
            client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
            client.create_bucket(Bucket=bucket)
            yield endpoint, client
