"""S3 access shared by reading, listing and writing: one endpoint rule, clients that retry, atomic uploads.

Retries: S3 answers 500 InternalError and 503 SlowDown as a matter of course, so every client here retries them
(boto3 "standard" mode, pyarrow's AwsStandardS3RetryStrategy) with backoff. The one exception is the GET that
streams a WARC: `engine.io.sources.RangeStream` retries that itself, resuming with Range from where it broke.

Atomic writes: an S3 object becomes visible only when its upload completes. `AtomicUpload` is a file object
that buffers parts of a multipart upload and completes it on close(); abort() (or a killed process) never
completes it, so no object, not even a partial one, ever appears at the key. A killed writer leaves an
invisible incomplete upload behind: `abort_stale_uploads` (or a bucket lifecycle rule) removes those.
"""
from __future__ import annotations

import functools
import os
from urllib.parse import urlparse

# Attempts per request, first try included. With boto3's backoff (random up to 2**n s, capped at 20 s) ten
# attempts ride out about a minute of SlowDown before a write gives up.
ATTEMPTS = 10
PART_BYTES = 8 * 2**20  # S3's minimum part is 5 MiB (the last part excepted)


def endpoint(explicit: str | None = None) -> str | None:
    """The S3 endpoint to use (None: AWS): explicit, else WEFT_S3_ENDPOINT_URL, else AWS_ENDPOINT_URL."""
    return explicit or os.environ.get("WEFT_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")


def region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"


def split(uri: str) -> tuple[str, str]:
    """s3://bucket/key -> (bucket, key)."""
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def _anonymous(bucket: str, url: str | None) -> bool:
    # Common Crawl's bucket is public: unsigned requests work without credentials (and only then, on AWS)
    return bucket == "commoncrawl" and not url


@functools.lru_cache(maxsize=16)
def _client(url: str | None, anonymous: bool, timeout_s: float, attempts: int):
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(connect_timeout=timeout_s, read_timeout=timeout_s,
                    # total_max_attempts counts the first try; botocore's "max_attempts" would count retries only
                    retries={"total_max_attempts": attempts, "mode": "standard"},
                    signature_version=UNSIGNED if anonymous else None)
    return boto3.client("s3", endpoint_url=url, config=config, region_name=region())


def client(bucket: str, url: str | None = None, timeout_s: float = 60, attempts: int = ATTEMPTS):
    """A boto3 S3 client for `bucket` (cached per endpoint); it retries 5xx, SlowDown and dropped connections."""
    url = endpoint(url)
    return _client(url, _anonymous(bucket, url), timeout_s, attempts)


@functools.lru_cache(maxsize=8)
def _filesystem(url: str | None, region_name: str, anonymous: bool):
    import pyarrow.fs as pafs

    kwargs = {}
    if url:
        parsed = urlparse(url)
        kwargs.update(endpoint_override=parsed.netloc or parsed.path, scheme=parsed.scheme or "https")
    return pafs.S3FileSystem(region=region_name, anonymous=anonymous,
                             retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=ATTEMPTS), **kwargs)


def filesystem(bucket: str):
    """pyarrow's S3FileSystem (for reading Parquet and listing), retrying like `client`."""
    url = endpoint()
    return _filesystem(url, region(), _anonymous(bucket, url))


class AtomicUpload:
    """A write-only file object for one S3 key: the object appears on close(), never on abort() or a crash.

    Deliberately not an io.IOBase: IOBase closes (here: commits) in its destructor, and a writer that is
    dropped without close() must leave nothing, not a truncated object.
    """

    def __init__(self, uri: str, part_bytes: int = PART_BYTES):
        self.uri, self.part_bytes = uri, max(part_bytes, 5 * 2**20)
        self.bucket, self.key = split(uri)
        self._s3 = client(self.bucket)
        self._buf = bytearray()
        self._pos = 0
        self._upload_id: str | None = None
        self._parts: list[dict] = []
        self.closed = False

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        """Nothing to do: data becomes durable in parts and visible only at close()."""

    def write(self, data) -> int:
        if self.closed:
            raise ValueError(f"write to a closed or aborted upload: {self.uri}")
        self._buf += data
        self._pos += len(data)
        while len(self._buf) >= self.part_bytes:
            self._upload_part(bytes(self._buf[: self.part_bytes]))
            del self._buf[: self.part_bytes]
        return len(data)

    def _upload_part(self, data: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self._s3.create_multipart_upload(Bucket=self.bucket, Key=self.key)["UploadId"]
        number = len(self._parts) + 1
        etag = self._s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id,
                                    PartNumber=number, Body=data)["ETag"]
        self._parts.append({"ETag": etag, "PartNumber": number})

    def close(self) -> None:
        """Commit: upload what is buffered and make the object visible (one PUT when it fits in one part)."""
        if self.closed:
            return
        try:
            if self._upload_id is None:
                self._s3.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self._buf))
            else:
                if self._buf or not self._parts:
                    self._upload_part(bytes(self._buf))
                # a completion whose answer was lost is retried by boto3 (moto repeats its success; should S3
                # answer NoSuchUpload, the input is counted as failed and its rerun rewrites the key)
                self._s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id,
                                                   MultipartUpload={"Parts": self._parts})
        except BaseException:
            self.abort()
            raise
        self._buf = bytearray()
        self.closed = True

    def abort(self) -> None:
        """Discard everything: uploaded parts are deleted and no object appears. Safe to call twice."""
        if self.closed:
            return
        self.closed, self._buf = True, bytearray()
        if self._upload_id is not None:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                self._s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)
            except (ClientError, BotoCoreError):
                pass  # the parts stay invisible; abort_stale_uploads or a lifecycle rule removes them later


def put_atomic(uri: str, data: bytes) -> None:
    """Write a whole small object (stats, progress records) in one request: visible complete or not at all."""
    upload = AtomicUpload(uri)
    upload.write(data)
    upload.close()


def abort_stale_uploads(prefix_uri: str) -> int:
    """Abort every incomplete multipart upload under a prefix (what killed writers leave; it is invisible but
    billed). Only for a prefix nothing else is writing to, e.g. a job's output root when the job starts."""
    bucket, prefix = split(prefix_uri)
    s3, aborted = client(bucket), 0
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
            aborted += 1
    return aborted
