"""A loopback HTTP proxy that makes an S3 endpoint (moto_server) behave like S3 on a bad day.

Seeded and deterministic: whether a request fails depends only on (seed, the request's identity, how many times
that identity was seen before), never on thread timing, so parallel Spark tasks get the same faults each run.
The identity is method, path, query (minus the random uploadId) and Range. A request is answered with
  - 500 InternalError or 503 SlowDown (S3's XML error body) before reaching the upstream, or
  - the upstream's answer cut short: headers with the full Content-Length, half the body, then the connection
    closes (the request itself was applied upstream, as when S3 succeeds and the response is lost),
and no identity fails more than `max_in_a_row` times running, so a client that retries always gets through.
Paths in `always_fail` get 500 every time (a permanently broken input).

It is threaded with a bounded number of handlers, and stops itself after `lifetime_s` if nobody stops it.
"""
from __future__ import annotations

import hashlib
import http.client
import http.server
import socket
import threading
from collections import Counter
from urllib.parse import parse_qsl, urlencode, urlsplit

_ERRORS = {
    500: ("InternalError", "We encountered an internal error. Please try again."),
    503: ("SlowDown", "Please reduce your request rate."),
}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
               "content-length"}


def _client(agent: str) -> str:
    """Which client library sent a request: the faults must reach both the pyarrow and the boto3 paths."""
    agent = agent.lower()
    return "pyarrow" if "aws-sdk-cpp" in agent else "boto3" if "boto" in agent else "other"


def _error_body(status: int) -> bytes:
    code, message = _ERRORS[status]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>flaky-proxy</RequestId></Error>").encode()


class FlakyProxy:
    def __init__(self, upstream: str, *, seed: int = 0, error_rate: float = 0.1, cut_rate: float = 0.1,
                 max_in_a_row: int = 2, always_fail: tuple[str, ...] = (), max_handlers: int = 32,
                 lifetime_s: float = 600):
        up = urlsplit(upstream)
        self.upstream_host, self.upstream_port = up.hostname, up.port
        self.seed, self.error_rate, self.cut_rate = seed, error_rate, cut_rate
        self.max_in_a_row, self.always_fail, self.lifetime_s = max_in_a_row, always_fail, lifetime_s
        self.counts: Counter = Counter()  # requests, 500, 503, cut, always_fail
        self._seen: Counter = Counter()    # identity -> times seen
        self._streak: Counter = Counter()  # identity -> faults in a row
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_handlers)
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        self.server.proxy = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._timer = threading.Timer(lifetime_s, self.stop)
        self._timer.daemon = True

    @property
    def faults(self) -> int:
        return self.counts["500"] + self.counts["503"] + self.counts["cut"]

    def _identity(self, method: str, target: str, range_header: str | None) -> str:
        parts = urlsplit(target)
        query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                                 if k != "uploadId"))
        return f"{method} {parts.path}?{query} {range_header or ''}"

    def decide(self, method: str, target: str, range_header: str | None, agent: str = "") -> str:
        """'ok', '500', '503' or 'cut' for this request (errors are counted here, cuts where they happen: a body
        too short to cut is served whole)."""
        if urlsplit(target).path in self.always_fail:
            with self._lock:
                self.counts["requests"] += 1
                self.counts["always_fail"] += 1
            return "500"
        ident = self._identity(method, target, range_header)
        with self._lock:
            n = self._seen[ident]
            self._seen[ident] += 1
            digest = hashlib.sha256(f"{self.seed}|{ident}|{n}".encode()).digest()
            x = int.from_bytes(digest[:8], "big") / 2**64
            if self._streak[ident] >= self.max_in_a_row:
                verdict = "ok"
            elif x < self.error_rate:
                verdict = "500" if digest[8] % 2 else "503"
            elif x < self.error_rate + self.cut_rate:
                verdict = "cut"
            else:
                verdict = "ok"
            self._streak[ident] = 0 if verdict == "ok" else self._streak[ident] + 1
            self.counts["requests"] += 1
            if verdict in ("500", "503"):
                self.counts[verdict] += 1
                self.counts[f"errors:{_client(agent)}"] += 1
        return verdict

    def count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def start(self) -> "FlakyProxy":
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.cancel()
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "FlakyProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._thread.join(timeout=10)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def process_request(self, request, client_address):
        # bounded: at most max_handlers connections are served at once, the rest wait in the accept backlog
        self.proxy._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.proxy._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.proxy._slots.release()


def _handler(proxy: FlakyProxy):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as S3 clients expect

        def log_message(self, *args):
            pass

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _serve(self):
            body = self._read_body()
            verdict = proxy.decide(self.command, self.path, self.headers.get("Range"),
                                   self.headers.get("User-Agent", ""))
            if verdict in ("500", "503"):
                error = _error_body(int(verdict))
                self.send_response(int(verdict))
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(error)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(error)
                return
            upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST")
                                 else None, headers=headers)
                resp = upstream.getresponse()
                data = resp.read()
                status, resp_headers = resp.status, [(k, v) for k, v in resp.getheaders()
                                                     if k.lower() not in _HOP_BY_HOP]
                # HEAD promises the object's length without a body; everything else is sent as read
                length = resp.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data))
            finally:
                upstream.close()
            self.send_response_only(status)  # the upstream's own Date and Server, not a second pair of ours
            for k, v in resp_headers:
                self.send_header(k, v)
            self.send_header("Content-Length", length)
            if verdict == "cut" and self.command != "HEAD" and len(data) > 1:
                proxy.count("cut")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)  # the rest of the promised body never comes
                self.close_connection = True
                return
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

    return Handler
