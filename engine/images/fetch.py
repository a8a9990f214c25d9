"""The image downloader: safe (SSRF policy on every hop, bounded everything) and polite (limits, robots, opt-outs).

`fetch_all(urls, config)` is synchronous (a Spark partition calls it) and runs one asyncio event loop per call,
with one aiohttp session. In the spirit of img2dataset (256 in flight, 10 s timeout), plus:

* every URL and redirect hop passes engine.images.policy: scheme, userinfo, port, then the name is resolved
  (`dns_cache_s`, failures too) and every address is vetted; the connection goes only to the vetted addresses:
  the connector's resolver returns the pinned answer (no second DNS lookup; Host header and TLS SNI keep the
  name), and its socket factory re-checks each address just before connect() as a last line of defence (it is
  also what sees IP-literal hosts, which aiohttp never sends to a resolver);
* `trust_env=False` (no proxy variables, no .netrc), no cookie jar, `Accept-Encoding: identity` and no
  automatic decompression (no gzip bombs; images are compressed already; a server that compresses anyway gives
  bytes that do not sniff as an image: `not_an_image`);
* redirects are followed by hand: at most `max_redirects` hops (`too_many_redirects`), a URL seen before in the
  chain is `redirect_loop`, each hop re-vetted (a redirect to 169.254.169.254 is `refused_address`, never
  connected to);
* limits: `concurrency` requests in flight in all, `per_host_concurrency` and `per_host_rate` per host name;
  `connect_timeout_s` (DNS, connect) and `timeout_s` per request, connect to last body byte (a slow drip ends
  there: `timeout`); `max_bytes` checked against Content-Length and again while streaming (`too_large`; an
  endless body costs at most max_bytes plus one read buffer); an error or redirect body is never read;
* the bytes decide what is an image: the first bytes must carry a known image signature (JPEG, PNG, GIF, WebP,
  BMP, TIFF, ICO/CUR, AVIF/HEIF, JPEG 2000, JPEG XL, SVG), whatever the Content-Type says (servers lie both
  ways): else `not_an_image`, decided after the first 1 KiB, not after the whole body. Decoding, pixel limits
  and decompression bombs are engine.images.decode's business;
* retries: at most `retries` extra tries per URL (shared by all hops) after a status in `retry_statuses`
  (429, 5xx), a connection error or a cut body, waiting base * 2**n with jitter (capped at backoff_max_s), or
  the server's Retry-After when it is longer; a Retry-After above `retry_after_max_s` ends the URL at once
  (waiting less than asked is rude, waiting longer stalls the partition). DNS failures, timeouts and refusals
  are not retried;
* robots.txt (`robots_txt`): fetched once per scheme/host/port and call, under the same policy and limits
  (RFC 9309: 4xx = no rules, 429/5xx/unreachable = do not fetch: the image URL gets that failure's reason);
  a disallowed URL is `opted_out`, as is a response carrying `X-Robots-Tag` with one of `opt_out_directives`
  (noai, noimageai, noindex, noimageindex, none), bare or addressed to `user_agent_token` (`weft: noai`).

Reasons (Fetched.reason): dns, connect, tls, timeout, truncated (body shorter than its Content-Length or cut),
bad_response (malformed HTTP), status_3xx (a redirect status without Location, 304, ...), status_4xx,
status_5xx (Fetched.status has the code), too_large, not_an_image, opted_out, refused_address, bad_url,
redirect_loop, too_many_redirects, error (a bug: logged). Results come back in input order; no exception escapes
for a URL. Fetched.attempts counts the HTTP requests sent for the URL (redirect hops and retries included).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import email.utils
import inspect
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.robotparser import RobotFileParser

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from engine.config import ConfigError, defaults_from, typed
from engine.images.policy import BAD_URL, DNS, REFUSED, Policy, PolicyConfig, Refusal, Target
from engine.images.sniff import SNIFF_BYTES as _SNIFF_BYTES
from engine.images.sniff import sniff as sniff_image
from engine.images.types import Fetched

__all__ = ["FetchConfig", "fetch_all", "sniff_image", "opted_out", "REASONS"]

log = logging.getLogger(__name__)

REASONS = ("dns", "connect", "tls", "timeout", "truncated", "bad_response", "status_3xx", "status_4xx", "status_5xx",
           "too_large", "not_an_image", "opted_out", REFUSED, BAD_URL, "redirect_loop", "too_many_redirects", "error")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
# X-Robots-Tag rules that carry a value after a colon (so `name:` is not a user-agent token).
_VALUED_DIRECTIVES = frozenset({"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"})

Resolver = Callable[[str], Iterable[str] | Awaitable[Iterable[str]]]


@dataclass(frozen=True, slots=True)
@defaults_from("images.fetch")
class FetchConfig:
    """Defaults: config/images.yaml `images.fetch`; `policy` is the `images.policy` section."""

    user_agent: str
    user_agent_token: str
    concurrency: int
    per_host_concurrency: int
    per_host_rate: float
    connect_timeout_s: float
    dns_cache_s: float
    timeout_s: float
    max_bytes: int
    max_redirects: int
    retries: int
    retry_statuses: list
    backoff_base_s: float
    backoff_max_s: float
    retry_after_max_s: float
    robots_txt: bool
    robots_max_bytes: int
    opt_out_directives: list
    verify_tls: bool
    policy: PolicyConfig = field(default_factory=PolicyConfig)

    @classmethod
    def from_section(cls, images: dict) -> "FetchConfig":
        """From a loaded config's `images` section (its `fetch` and `policy` subsections; others ignored)."""
        policy = typed(PolicyConfig, images.get("policy") or {}, "images.policy")
        fetch = typed(cls, images.get("fetch") or {}, "images.fetch")
        return dataclasses.replace(fetch, policy=policy)


def _coerce_config(config) -> FetchConfig:
    if config is None:
        return FetchConfig()
    if isinstance(config, FetchConfig):
        return config
    if isinstance(config, dict):
        return FetchConfig.from_section(config["images"] if "images" in config else config)
    raise ConfigError(f"fetch_all: config must be a FetchConfig or the images section, not {type(config).__name__}")


# -- content checks (pure) -------------------------------------------------------------------------------------

def opted_out(values: Iterable[str], token: str, directives: Iterable[str]) -> bool:
    """True if X-Robots-Tag header values forbid use: a directive of `directives`, bare or addressed to `token`
    (`weft: noai`; a `bot:` prefix applies to the directives after it in that value)."""
    token = token.lower()
    wanted = {d.lower() for d in directives}
    for value in values:
        agent = None
        for item in value.split(","):
            name, sep, rest = item.partition(":")
            name = name.strip().lower()
            if sep and name not in _VALUED_DIRECTIVES:
                agent, directive = name, rest.strip().lower()
            else:
                directive = name
            if directive in wanted and (agent is None or agent == token):
                return True
    return False


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent or unparseable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _status_reason(status: int) -> str:
    return f"status_{status // 100}xx" if 300 <= status < 600 else "bad_response"


# -- the run ---------------------------------------------------------------------------------------------------


class _Fail(Exception):
    """A counted failure of one request (control flow inside the run, never escapes it)."""

    def __init__(self, reason: str, status: int | None = None, *, retry: bool = False,
                 retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.status, self.retry, self.retry_after = reason, status, retry, retry_after


@dataclass(slots=True)
class _Response:
    status: int
    location: str | None = None
    body: bytes | None = None
    content_type: str | None = None


class _Host:
    __slots__ = ("sem", "next_at")

    def __init__(self, concurrency: int):
        self.sem = asyncio.Semaphore(concurrency)
        self.next_at = 0.0


class _PinnedResolver(AbstractResolver):
    """aiohttp's resolver: answers only with addresses the policy vetted for that name (no DNS of its own)."""

    def __init__(self):
        self.table: dict[str, tuple[str, ...]] = {}

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):
        addresses = self.table.get(host.lower())
        if not addresses:
            raise OSError(f"{host}: no vetted address")
        out = []
        for address in addresses:
            fam = socket.AF_INET6 if ":" in address else socket.AF_INET
            if family in (socket.AF_UNSPEC, fam):
                out.append({"hostname": host, "host": address, "port": port, "family": fam, "proto": 0,
                            "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV})
        if not out:
            raise OSError(f"{host}: no vetted address of family {family}")
        return out

    async def close(self) -> None:
        pass


class _Run:
    def __init__(self, cfg: FetchConfig, resolver: Resolver | None, connector_factory):
        self.cfg = cfg
        self.policy = Policy(cfg.policy)
        self.resolver = resolver
        self.connector_factory = connector_factory or aiohttp.TCPConnector
        self.pinned = _PinnedResolver()
        self.global_sem = asyncio.Semaphore(max(1, cfg.concurrency))
        self.hosts: dict[str, _Host] = {}
        self.dns: dict[str, tuple[float, asyncio.Future]] = {}
        self.robots: dict[str, asyncio.Future] = {}
        self.interval = 1.0 / cfg.per_host_rate if cfg.per_host_rate and cfg.per_host_rate > 0 else 0.0
        self.retry_statuses = frozenset(int(s) for s in cfg.retry_statuses)
        self.session: aiohttp.ClientSession | None = None

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _socket_factory(self, addr_info):
        """Last line of defence, just before connect(): the address must pass the policy."""
        family, type_, proto, _, sockaddr = addr_info
        refusal = self.policy.address_refusal(sockaddr[0])
        if refusal is not None:
            raise OSError(f"refused address {sockaddr[0]}: {refusal}")
        return socket.socket(family=family, type=type_, proto=proto)

    async def run(self, urls: list) -> list[Fetched]:
        cfg = self.cfg
        connector = self.connector_factory(
            resolver=self.pinned, socket_factory=self._socket_factory, use_dns_cache=False,
            limit=max(1, cfg.concurrency), limit_per_host=0, ssl=bool(cfg.verify_tls),
        )
        session = aiohttp.ClientSession(
            connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=cfg.connect_timeout_s),
            headers={"User-Agent": cfg.user_agent, "Accept": _ACCEPT, "Accept-Encoding": "identity"},
        )
        results: list[Fetched | None] = [None] * len(urls)
        # Admission window: tasks waiting on a busy host hold no connection, but a million of them would hold
        # memory; head-of-line blocking needs more than the window of consecutive URLs to one host.
        window = asyncio.Semaphore(max(1024, 4 * cfg.concurrency))

        async def one(i: int, url) -> None:
            try:
                results[i] = await self.fetch_one(url)
            except Exception:  # noqa: BLE001 - a bug must cost one URL, not the partition
                log.exception("image fetch failed unexpectedly for %r", url)
                results[i] = Fetched(url=str(url), reason="error")
            finally:
                window.release()

        async with session:
            self.session = session
            tasks = []
            for i, url in enumerate(urls):
                await window.acquire()
                tasks.append(asyncio.create_task(one(i, url)))
            await asyncio.gather(*tasks)
        return [r if r is not None else Fetched(url=str(u), reason="error") for r, u in zip(results, urls)]

    # -- policy: resolution ------------------------------------------------------------------------------------

    async def _lookup(self, host: str, port: int) -> list[str]:
        if self.resolver is not None:
            answer = self.resolver(host)
            if inspect.isawaitable(answer):
                answer = await answer
            return [str(a) for a in answer]
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        out = []
        for family, _, _, _, sockaddr in infos:
            if family == socket.AF_INET6 and len(sockaddr) >= 4 and sockaddr[3]:
                out.append(f"{sockaddr[0]}%{sockaddr[3]}")  # scoped: refused by the policy
            else:
                out.append(sockaddr[0])
        return out

    async def _resolve_vetted(self, host: str, port: int) -> tuple[str, ...] | Refusal:
        try:
            async with asyncio.timeout(self.cfg.connect_timeout_s):
                answer = await self._lookup(host, port)
        except Exception as exc:  # noqa: BLE001 - every resolver failure is a DNS failure
            return Refusal(DNS, f"{type(exc).__name__}: {exc}"[:200])
        return self.policy.check_addresses(answer)

    async def vet(self, target: Target) -> tuple[str, ...] | Refusal:
        """The vetted addresses of a target (cached per name for dns_cache_s, failures too)."""
        if target.addresses is not None:
            return target.addresses
        loop = asyncio.get_running_loop()
        now = loop.time()
        cached = self.dns.get(target.host)
        if cached is None or cached[0] < now:
            future = asyncio.ensure_future(self._resolve_vetted(target.host, target.port))
            self.dns[target.host] = (now + self.cfg.dns_cache_s, future)
        else:
            future = cached[1]
        return await asyncio.shield(future)

    # -- one request -------------------------------------------------------------------------------------------

    async def _rate_wait(self, host: _Host) -> None:
        if not self.interval:
            return
        now = asyncio.get_running_loop().time()
        at = max(now, host.next_at)
        host.next_at = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)

    async def request(self, target: Target, addresses: tuple[str, ...], *, image: bool) -> _Response:
        """One HTTP request (no redirect following). Raises _Fail."""
        host = self.hosts.get(target.host_key)
        if host is None:
            host = self.hosts[target.host_key] = _Host(max(1, self.cfg.per_host_concurrency))
        async with host.sem:
            await self._rate_wait(host)
            async with self.global_sem:
                self.pinned.table[target.host] = addresses
                try:
                    async with asyncio.timeout(self.cfg.timeout_s):
                        async with self.session.get(target.url, allow_redirects=False) as resp:
                            return await self._read(resp, image=image)
                except _Fail:
                    raise
                except TimeoutError:  # also aiohttp's connect timeouts
                    raise _Fail("timeout") from None
                except aiohttp.ClientSSLError:
                    raise _Fail("tls") from None
                except aiohttp.ClientConnectorDNSError:
                    raise _Fail("dns") from None
                except aiohttp.ClientPayloadError:
                    raise _Fail("truncated", retry=True) from None
                except (aiohttp.ClientConnectionError, ConnectionError):
                    raise _Fail("connect", retry=True) from None
                except aiohttp.InvalidURL:
                    raise _Fail(BAD_URL) from None
                except aiohttp.ClientResponseError:  # malformed status line or headers, header too long, ...
                    raise _Fail("bad_response") from None
                except (aiohttp.ClientError, OSError):
                    raise _Fail("connect", retry=True) from None

    async def _read(self, resp: aiohttp.ClientResponse, *, image: bool) -> _Response:
        cfg = self.cfg
        status = resp.status
        if status in _REDIRECTS and resp.headers.get("Location"):
            return _Response(status, location=resp.headers["Location"])
        if not 200 <= status < 300:
            if not image:  # robots.txt: the caller judges the status
                return _Response(status)
            retry = status in self.retry_statuses
            raise _Fail(_status_reason(status), status, retry=retry,
                        retry_after=_retry_after(resp.headers.get("Retry-After")) if retry else None)
        content_type = resp.headers.get("Content-Type")
        limit = cfg.max_bytes if image else cfg.robots_max_bytes
        if image:
            if opted_out(resp.headers.getall("X-Robots-Tag", ()), cfg.user_agent_token, cfg.opt_out_directives):
                raise _Fail("opted_out", status)
            if resp.content_length is not None and resp.content_length > limit:
                raise _Fail("too_large", status)
        body = bytearray()
        sniffed = not image
        async for chunk in resp.content.iter_any():
            body += chunk
            if len(body) > limit:
                if not image:  # robots.txt: RFC 9309 parses the first part
                    del body[limit:]
                    break
                raise _Fail("too_large", status)
            if not sniffed and len(body) >= _SNIFF_BYTES:
                if sniff_image(bytes(body[:_SNIFF_BYTES])) is None:
                    raise _Fail("not_an_image", status)
                sniffed = True
        if not sniffed and sniff_image(bytes(body)) is None:
            raise _Fail("not_an_image", status)
        return _Response(status, body=bytes(body), content_type=content_type)

    # -- robots.txt --------------------------------------------------------------------------------------------

    async def _load_robots(self, target: Target) -> RobotFileParser | str | None:
        """A parser, None (no rules: allow all), or a failure reason (do not fetch from this host)."""
        url: URL | str = target.url.with_path("/robots.txt").with_query(None)
        seen = set()
        for _ in range(6):  # RFC 9309: follow at least five redirects
            hop = self.policy.check_url(url)
            if isinstance(hop, Refusal) or str(hop.url) in seen:
                return None  # robots.txt unreachable for reasons of ours: treat as absent
            seen.add(str(hop.url))
            addresses = await self.vet(hop)
            if isinstance(addresses, Refusal):
                return None if addresses.reason == REFUSED else addresses.reason
            try:
                resp = await self.request(hop, addresses, image=False)
            except _Fail as fail:
                return fail.reason
            if resp.location is not None:
                try:
                    url = hop.url.join(URL(resp.location.strip()))
                except Exception:  # noqa: BLE001
                    return None
                continue
            if 200 <= resp.status < 300:
                parser = RobotFileParser()
                parser.parse(resp.body.decode("utf-8", "replace").splitlines())
                return parser
            if resp.status == 429 or resp.status >= 500:
                return _status_reason(resp.status)
            return None  # 4xx (and other): no rules
        return None

    async def robots_reason(self, target: Target) -> str | None:
        """None if robots.txt lets us fetch the target, else 'opted_out' or the reason robots.txt failed."""
        key = f"{target.url.scheme}://{target.host_key}:{target.port}"
        future = self.robots.get(key)
        if future is None:
            future = self.robots[key] = asyncio.ensure_future(self._load_robots(target))
        rules = await asyncio.shield(future)
        if rules is None:
            return None
        if isinstance(rules, str):
            return rules
        return None if rules.can_fetch(self.cfg.user_agent_token, str(target.url)) else "opted_out"

    # -- one URL -----------------------------------------------------------------------------------------------

    def _delay(self, n: int, retry_after: float | None) -> float | None:
        cfg = self.cfg
        base = min(cfg.backoff_max_s, cfg.backoff_base_s * 2 ** n)
        delay = random.uniform(base / 2, base)
        if retry_after is not None:
            if retry_after > cfg.retry_after_max_s:
                return None
            delay = max(delay, retry_after)
        return delay

    async def fetch_one(self, url) -> Fetched:
        out = Fetched(url=url if isinstance(url, str) else str(url))
        if not isinstance(url, (str, URL)):
            out.reason = BAD_URL
            return out
        cfg = self.cfg
        current: str | URL = url
        seen: set[str] = set()
        hops = retries = 0
        while True:
            out.final_url = str(current)
            target = self.policy.check_url(current)
            if isinstance(target, Refusal):
                out.reason = target.reason
                return out
            key = out.final_url = str(target.url)
            if key in seen:
                out.reason = "redirect_loop"
                return out
            seen.add(key)
            addresses = await self.vet(target)
            if isinstance(addresses, Refusal):
                out.reason = addresses.reason
                return out
            if cfg.robots_txt:
                reason = await self.robots_reason(target)
                if reason is not None:
                    out.reason = reason
                    return out
            while True:
                out.attempts += 1
                try:
                    resp = await self.request(target, addresses, image=True)
                    break
                except _Fail as fail:
                    delay = self._delay(retries, fail.retry_after) if fail.retry and retries < cfg.retries else None
                    if delay is None:
                        out.reason, out.status = fail.reason, fail.status
                        return out
                    retries += 1
                    await asyncio.sleep(delay)
            out.status = resp.status
            if resp.location is None:
                out.content, out.content_type = resp.body, resp.content_type
                return out
            hops += 1
            if hops > cfg.max_redirects:
                out.reason = "too_many_redirects"
                return out
            try:
                current = target.url.join(URL(resp.location.strip()))
            except Exception:  # noqa: BLE001 - whatever yarl rejects in a Location header
                out.reason = BAD_URL
                return out


def fetch_all(urls: Iterable, config=None, *, resolver: Resolver | None = None,
              connector_factory: Callable[..., aiohttp.BaseConnector] | None = None) -> list[Fetched]:
    """Download every URL; one Fetched per URL, in input order (content on success, else a counted reason).

    config: a FetchConfig, the loaded `images` section (or the whole config), or None for the defaults.
    resolver: host -> addresses (a list, or an awaitable of one); default getaddrinfo. Tests inject one.
    connector_factory: called with aiohttp.TCPConnector's keyword arguments (resolver, socket_factory, ...)
    and returns the connector; tests wrap `socket_factory` to see every address a socket is opened for.
    One event loop per call (in a worker thread when the calling thread already runs one)."""
    urls = list(urls)
    if not urls:
        return []
    cfg = _coerce_config(config)

    def run() -> list[Fetched]:
        return asyncio.run(_Run(cfg, resolver, connector_factory).run(urls))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()
