"""URL normalisation for URL dedup and image-URL counting.

Two URLs normalise to the same key when a crawler would fetch the same resource: scheme (http/https) and
host case are ignored, default ports, a leading ``www.``, the fragment, tracking parameters and empty
queries are dropped, percent-escapes of unreserved characters are decoded, ``.``/``..`` path segments are
resolved and the remaining query parameters are sorted. The result is a key, not a URL to fetch.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from engine.config import defaults_from

# Parameters that identify a campaign, click or session, never the resource (lower-case names).
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "gclid", "gclsrc", "dclid", "fbclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
        "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid", "rb_clickid",
        "s_cid", "ncid", "sr_share", "spm", "scid", "ref_src", "ref_url", "phpsessid", "jsessionid", "sid",
        "sessionid", "cfid", "cftoken",
    }
)
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
_UNRESERVED_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


@dataclass(frozen=True, slots=True)
@defaults_from("dedup.url", skip=("enabled",))
class UrlNormConfig:
    ignore_scheme: bool  # defaults: config/dedup.yaml `url`
    strip_www: bool
    drop_params: frozenset[str] = field(default=TRACKING_PARAMS)
    drop_prefixes: tuple[str, ...] = TRACKING_PREFIXES
    sort_query: bool = True


def _fix_escapes(part: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others (RFC 3986 section 6.2.2)."""

    def repl(m: re.Match) -> str:
        ch = chr(int(m.group(1), 16))
        return ch if ch in _UNRESERVED else "%" + m.group(1).upper()

    return _UNRESERVED_ESCAPE.sub(repl, part)


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    for seg in path.split("/"):
        if seg == "..":
            if len(out) > 1:
                out.pop()
        elif seg != ".":
            out.append(seg)
    if path.endswith(("/.", "/..")):
        out.append("")
    return "/".join(out) or "/"


def normalize_url(url: str | None, config: UrlNormConfig = UrlNormConfig()) -> str | None:
    """Normalised key of `url`, or None when it is empty or not an absolute http(s)/ftp URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not host or scheme not in _DEFAULT_PORTS:
        return None
    host = host.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        pass
    if config.strip_www and host.startswith("www."):
        host = host[4:]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _remove_dot_segments(_fix_escapes(parts.path) or "/")
    params = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in config.drop_params and not k.lower().startswith(config.drop_prefixes)
    ]
    if config.sort_query:
        params.sort()
    query = urlencode(params, quote_via=quote, safe="/:@!$'()*,;") if params else ""
    prefix = "//" if config.ignore_scheme else f"{scheme}://"
    return f"{prefix}{netloc}{path}" + (f"?{query}" if query else "")


def normalize_urls(urls: list[str | None], config: UrlNormConfig = UrlNormConfig()) -> list[str | None]:
    """Batch form used by the Spark jobs (one call per Arrow batch)."""
    return [normalize_url(u, config) for u in urls]

