"""A loopback HTTP server for the image downloader's tests: real images from ../shared/data/images/ and hostile
responses. Binds 127.0.0.1 only (port 0 = any free port); a thread per connection, HTTP/1.1 keep-alive.

Routes (path -> response):
  /img/<dir>/<file>            the file, with the Content-Type of its extension
  /as/<type>/<dir>/<file>      the file served with Content-Type <type> ('_' for '/'; e.g. /as/text_html/...)
  /html                        an HTML page (text/html)
  /html-as-image               an HTML page served as image/jpeg
  /gzip/<dir>/<file>           the file gzip-compressed, Content-Encoding: gzip (though identity was asked)
  /slow                        PNG signature, then one byte every 0.1 s (for up to 30 s): a slow drip
  /endless                     PNG signature, then zeros without end (no Content-Length, close-delimited)
  /cl-short                    hopper.jpg with a Content-Length of 100 (the rest follows 0.3 s later, then close)
  /cl-long                     hopper.jpg with a Content-Length 10,000 bytes too long, then close
  /cl-huge                     Content-Length 10**12, a few bytes, then close
  /loop/a, /loop/b             302 to each other
  /chain/<n>                   302 to /chain/<n+1>
  /redirect?to=<url>           302 to <url>
  /once/<code>/<key>           first request per key: <code> (429 with Retry-After: 1, else plain); then hopper.jpg
  /always/<code>               always <code>
  /retry-after/<seconds>       429 with Retry-After: <seconds>
  /xrobots?v=<value>           hopper.jpg with X-Robots-Tag: <value> (repeat v for several headers)
  /busy/<n>                    hopper.jpg after 0.15 s (tracks the most requests in flight at once)
  /robots.txt                  `ROBOTS` (User-agent: weft / Disallow: /private/)
  /private/<dir>/<file>        like /img/ (but robots.txt disallows it)
  anything else                404

`server.hits` counts requests per path, `server.hosts` the Host headers seen, `server.sent` the body bytes sent
by /endless, `server.max_busy` the most concurrent /busy requests. Standalone:
`python -m tests.image_server [PORT]` serves until interrupted (for the throughput check).
"""
from __future__ import annotations

import collections
import gzip
import mimetypes
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

IMAGES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "images"
ROBOTS = b"User-agent: weft\nDisallow: /private/\n\nUser-agent: *\nDisallow:\n"
HTML = b"<!doctype html><html><head><title>not an image</title></head><body>" + b"x" * 4000 + b"</body></html>"
PNG_SIG = b"\x89PNG\r\n\x1a\n"
_TYPES = {".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon", ".tif": "image/tiff",
          ".bmp": "image/bmp"}


def image_path(rel: str) -> Path:
    path = (IMAGES / rel).resolve()
    if IMAGES.resolve() not in path.parents or not path.is_file():
        raise FileNotFoundError(rel)
    return path


def content_type(path: Path) -> str:
    return _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "ImageServer"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str | None = None, headers: dict | None = None,
              length: int | None = None, close: bool = False) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for key, value in (headers or {}).items():
            for v in value if isinstance(value, list) else [value]:
                self.send_header(key, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _stream(self, ctype: str, first: bytes, chunk: bytes, pause: float, limit_s: float) -> int:
        """Close-delimited body: `first`, then `chunk` every `pause` s until the client goes or limit_s passes."""
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        sent, end = 0, time.monotonic() + limit_s
        try:
            self.wfile.write(first)
            self.wfile.flush()
            while time.monotonic() < end:
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
                if pause:
                    time.sleep(pause)
        except OSError:
            pass
        return sent

    def _file(self, rel: str, ctype: str | None = None, headers: dict | None = None) -> None:
        try:
            path = image_path(rel)
        except FileNotFoundError:
            self._send(404, b"no such image", "text/plain")
            return
        self._send(200, path.read_bytes(), ctype or content_type(path), headers)

    def do_GET(self):  # noqa: C901 - a routing table
        srv = self.server
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        with srv.lock:
            srv.hits[path] += 1
            srv.hosts.add(self.headers.get("Host", ""))
            srv.user_agents.add(self.headers.get("User-Agent", ""))
            hit = srv.hits[path]
        if path.startswith("/img/") or path.startswith("/private/"):
            self._file(path.split("/", 2)[2])
        elif path.startswith("/as/"):
            _, _, ctype, rel = path.split("/", 3)
            self._file(rel, ctype.replace("_", "/"))
        elif path == "/html":
            self._send(200, HTML, "text/html; charset=utf-8")
        elif path == "/html-as-image":
            self._send(200, HTML, "image/jpeg")
        elif path.startswith("/gzip/"):
            body = gzip.compress(image_path(path[len("/gzip/"):]).read_bytes())
            self._send(200, body, "image/jpeg", {"Content-Encoding": "gzip"})
        elif path == "/slow":
            self._stream("image/png", PNG_SIG, b"\x00", 0.1, 30)
        elif path == "/endless":
            sent = self._stream("image/png", PNG_SIG, bytes(65536), 0, 60)
            with srv.lock:
                srv.sent += sent
        elif path == "/cl-short":  # the 100 declared bytes, a pause, then the rest: the client stops at 100
            body = image_path("pillow-edge/hopper.jpg").read_bytes()
            self._send(200, body[:100], "image/jpeg", close=True)
            try:
                self.wfile.flush()
                time.sleep(0.3)
                self.wfile.write(body[100:])
            except OSError:
                pass
        elif path == "/cl-long":
            body = image_path("pillow-edge/hopper.jpg").read_bytes()
            self._send(200, body, "image/jpeg", length=len(body) + 10000, close=True)
        elif path == "/cl-huge":
            self._send(200, PNG_SIG, "image/png", length=10**12, close=True)
        elif path in ("/loop/a", "/loop/b"):
            self._send(302, headers={"Location": "/loop/b" if path == "/loop/a" else "/loop/a"})
        elif path.startswith("/chain/"):
            self._send(302, headers={"Location": f"/chain/{int(path.rsplit('/', 1)[1]) + 1}"})
        elif path == "/redirect":
            self._send(302, headers={"Location": query["to"][0]})
        elif path.startswith("/once/"):
            _, _, code, _key = path.split("/", 3)
            if hit == 1:
                self._send(int(code), b"try later", "text/plain",
                           {"Retry-After": "1"} if code == "429" else None)
            else:
                self._file("pillow-edge/hopper.jpg")
        elif path.startswith("/always/"):
            code = int(path.rsplit("/", 1)[1])
            self._send(code, b"" if code in (204, 304) else b"no", "text/plain")
        elif path.startswith("/retry-after/"):
            self._send(429, b"later", "text/plain", {"Retry-After": path.rsplit("/", 1)[1]})
        elif path == "/xrobots":
            self._file("pillow-edge/hopper.jpg", headers={"X-Robots-Tag": query.get("v", [])})
        elif path.startswith("/busy/"):
            with srv.lock:
                srv.busy += 1
                srv.max_busy = max(srv.max_busy, srv.busy)
            time.sleep(0.15)
            with srv.lock:
                srv.busy -= 1
            self._file("pillow-edge/hopper.jpg")
        elif path == "/robots.txt":
            self._send(200, ROBOTS, "text/plain")
        else:
            self._send(404, b"not found", "text/plain")


class ImageServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, port: int = 0):
        super().__init__(("127.0.0.1", port), Handler)
        self.lock = threading.Lock()
        self.hits: collections.Counter = collections.Counter()
        self.hosts: set[str] = set()
        self.user_agents: set[str] = set()
        self.sent = 0
        self.busy = self.max_busy = 0
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> "ImageServer":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


if __name__ == "__main__":
    server = ImageServer(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"serving {IMAGES} on http://127.0.0.1:{server.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
