"""The SSRF guard: which URLs the image downloader may request, and which addresses it may connect to.

Pure functions over a `Policy` built from config/images.yaml `images.policy`; the only I/O is the resolver a
caller injects (`Policy.vet`), and engine.images.fetch resolves asynchronously itself, then calls the same
`check_url` / `check_addresses`. Rules, applied to the first URL and to every redirect hop:

* the URL is parsed once, by yarl (the parser aiohttp itself uses, so the host vetted is the host connected to:
  no parser differential); scheme in `schemes` (else `bad_url`), no userinfo (`bad_url`), a valid host
  (`bad_url`), a port in `ports` + `extra_ports` (else `refused_address`: a port scan is an SSRF too);
* IPv4 literals in every form browsers and inet_aton accept (http://2130706433/, http://0x7f.1/,
  http://0177.0.0.1/, http://127.1/) are decoded by the WHATWG URL rules and rewritten to the dotted quad, so the
  decision never depends on what a resolver makes of them; ill-formed numeric hosts (http://1.2.3.4.5/,
  http://256.0.0.1/) are `bad_url`;
* a name is resolved first and every address of the answer is checked: refused if *any* address is refused.
  (Rather than connecting only to the acceptable subset: a name whose answer mixes public and internal addresses
  is either a DNS-rebinding/probing attempt or broken, no real image host needs it, and refusing the whole name
  makes the outcome independent of answer order and of which address a connection happens to pick.) The
  downloader then connects only to the vetted addresses (no second resolution);
* refused addresses (`refused_address`): loopback, unspecified, private (RFC 1918, fc00::/7), link-local
  (169.254/16, fe80::/10), CGNAT 100.64/10, multicast, reserved (240/4, broadcast, 5f00::/16, anything outside
  2000::/3), IETF protocol assignments (192.0.0/24, 2001::/23), benchmark (198.18/15, 2001:2::/48),
  documentation (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20), 6to4 relay
  192.88.99/24, discard-only 100::/64, site-local fec0::/10, local-use NAT64 64:ff9b:1::/48, Teredo 2001::/32,
  IPv4-mapped ::ffff:0:0/96 and IPv4-compatible ::/96, scoped (zone id) IPv6; then anything Python does not
  call global. 6to4 (2002::/16) and NAT64 (64:ff9b::/96) addresses are judged by the IPv4 address they embed
  (DNS64 networks synthesise NAT64 answers for every public name);
* `allow_networks` exempts CIDRs from the built-in refusals (the tests allow 127.0.0.1/32), `deny_networks`
  adds refusals and wins over the allow list, and the cloud metadata addresses (169.254.169.254, 169.254.170.2,
  fd00:ec2::254, 100.100.100.200, 192.0.0.192) are refused whatever the lists say. An embedded IPv4 address
  (6to4, NAT64) is judged without the allow list.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from yarl import URL

from engine.config import defaults_from

__all__ = ["PolicyConfig", "Policy", "Target", "Refusal", "BAD_URL", "REFUSED", "DNS", "whatwg_ipv4"]

BAD_URL = "bad_url"
REFUSED = "refused_address"
DNS = "dns"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Iterable[str]]


@dataclass(frozen=True, slots=True)
@defaults_from("images.policy")
class PolicyConfig:
    """Defaults: config/images.yaml `images.policy`."""

    schemes: list
    ports: list
    extra_ports: list
    allow_networks: list
    deny_networks: list


@dataclass(frozen=True, slots=True)
class Target:
    """A URL that passed the URL rules. `addresses` is set for IP literals (already checked); a name still has to
    be resolved and its answer passed through `Policy.check_addresses`."""

    url: URL                      # what to request: fragment dropped, numeric IPv4 hosts as a dotted quad
    host: str                     # ASCII (IDNA) host, lower case, no brackets
    port: int
    addresses: tuple[str, ...] | None = None

    @property
    def host_key(self) -> str:
        """The key for per-host limits and the robots.txt cache."""
        return self.host.rstrip(".")


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str                   # BAD_URL | REFUSED | DNS
    detail: str = ""


def _nets(*cidrs: str) -> tuple:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


_METADATA = _nets("169.254.169.254/32", "169.254.170.2/32", "fd00:ec2::254/128", "100.100.100.200/32",
                  "192.0.0.192/32")
# First match names the range (the order matters where ranges nest).
_V4_RANGES = (
    (_nets("0.0.0.0/8"), "unspecified"),
    (_nets("127.0.0.0/8"), "loopback"),
    (_nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"), "private"),
    (_nets("100.64.0.0/10"), "cgnat"),
    (_nets("169.254.0.0/16"), "link_local"),
    (_nets("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"), "documentation"),
    (_nets("192.0.0.0/24"), "ietf_protocol"),
    (_nets("192.88.99.0/24"), "6to4_relay"),
    (_nets("198.18.0.0/15"), "benchmark"),
    (_nets("224.0.0.0/4"), "multicast"),
    (_nets("255.255.255.255/32"), "broadcast"),
    (_nets("240.0.0.0/4"), "reserved"),
)
_V6_RANGES = (
    (_nets("::/128"), "unspecified"),
    (_nets("::1/128"), "loopback"),
    (_nets("::ffff:0:0/96"), "ipv4_mapped"),
    (_nets("::/96"), "ipv4_compatible"),
    (_nets("100::/64"), "discard"),
    (_nets("64:ff9b:1::/48"), "nat64_local"),
    (_nets("2001::/32"), "teredo"),
    (_nets("2001:db8::/32", "3fff::/20"), "documentation"),
    (_nets("2001:2::/48"), "benchmark"),
    (_nets("2001::/23"), "ietf_protocol"),
    (_nets("fc00::/7"), "private"),
    (_nets("fe80::/10"), "link_local"),
    (_nets("fec0::/10"), "site_local"),
    (_nets("ff00::/8"), "multicast"),
    (_nets("5f00::/16"), "reserved"),
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z")
_HEX = re.compile(r"0[xX][0-9a-fA-F]*\Z")
_DEC = re.compile(r"[0-9]+\Z")
_MAX_URL = 8192


class _NotIPv4(ValueError):
    pass


def whatwg_ipv4(host: str) -> int | None:
    """The WHATWG URL host parser's IPv4 rule: None when `host` is a domain, else the address as an integer;
    ValueError when it ends in a number but is not a valid IPv4 (a URL failure). Parts may be decimal, octal
    (leading 0) or hex (0x); 1 to 4 parts, the last filling the remaining bytes: '0x7f.1' -> 127.0.0.1."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    last = parts[-1]
    if not (_DEC.match(last) or _HEX.match(last)):
        return None
    if len(parts) > 4:
        raise ValueError(f"{host!r}: more than 4 parts")
    numbers = []
    for part in parts:
        if _HEX.match(part):
            numbers.append(int(part[2:] or "0", 16))
        elif part.startswith("0") and len(part) > 1:
            if not re.fullmatch(r"[0-7]+", part):
                raise ValueError(f"{host!r}: {part!r} is not octal")
            numbers.append(int(part, 8))
        elif _DEC.match(part):
            numbers.append(int(part))
        else:
            raise ValueError(f"{host!r}: {part!r} is not a number")
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError(f"{host!r}: out of range")
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n * 256 ** (3 - i)
    return value


def _valid_name(host: str) -> bool:
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > 253:
        return False
    return all(_LABEL.match(label) for label in name.split("."))


class Policy:
    """The compiled policy (networks parsed once). Thread-safe, no state beyond the config."""

    def __init__(self, config: PolicyConfig | None = None):
        config = config or PolicyConfig()
        self.config = config
        self.schemes = frozenset(s.lower() for s in config.schemes)
        self.ports = frozenset(int(p) for p in [*config.ports, *config.extra_ports])
        self.allow = tuple(ipaddress.ip_network(c, strict=False) for c in config.allow_networks)
        self.deny = tuple(ipaddress.ip_network(c, strict=False) for c in config.deny_networks)

    # -- addresses ---------------------------------------------------------------------------------------------

    def address_refusal(self, address: str | IPAddress, *, use_allow: bool = True) -> str | None:
        """None if the address may be connected to, else the name of the range that refuses it."""
        try:
            ip = address if isinstance(address, (ipaddress.IPv4Address, ipaddress.IPv6Address)) \
                else ipaddress.ip_address(str(address))
        except ValueError:
            return "unparseable"
        if ip.version == 6 and ip.scope_id:
            return "scoped"
        if any(ip in net for net in _METADATA):
            return "metadata"
        if any(ip.version == net.version and ip in net for net in self.deny):
            return "denied"
        if use_allow and any(ip.version == net.version and ip in net for net in self.allow):
            return None
        if ip.version == 6:
            embedded = None
            if ip in _NAT64:
                embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            elif ip.sixtofour is not None:
                embedded = ip.sixtofour
            if embedded is not None:
                inner = self.address_refusal(embedded, use_allow=False)
                return None if inner is None else f"embedded_{inner}"
            ranges = _V6_RANGES
        else:
            ranges = _V4_RANGES
        for nets, name in ranges:
            if any(ip in net for net in nets):
                return name
        if ip.version == 6 and ip not in _GLOBAL_UNICAST_V6:
            return "reserved"
        if not ip.is_global:
            return "not_global"
        return None

    def check_addresses(self, addresses: Iterable[str]) -> tuple[str, ...] | Refusal:
        """The whole answer for a name: the distinct addresses (answer order) if every one is allowed, else a
        Refusal (any refused address refuses the name; an empty answer is `dns`)."""
        out: list[str] = []
        for address in addresses:
            refusal = self.address_refusal(address)
            if refusal is not None:
                return Refusal(REFUSED, f"{address}: {refusal}")
            canonical = str(ipaddress.ip_address(str(address)))
            if canonical not in out:
                out.append(canonical)
        if not out:
            return Refusal(DNS, "no addresses")
        return tuple(out)

    # -- URLs --------------------------------------------------------------------------------------------------

    def check_url(self, url: str | URL) -> Target | Refusal:
        """The URL rules (no I/O). A Target for a name still needs its resolved addresses checked."""
        try:
            if isinstance(url, str):
                if len(url) > _MAX_URL:
                    return Refusal(BAD_URL, "too long")
                url = URL(url.strip())
            elif not isinstance(url, URL):
                return Refusal(BAD_URL, f"not a URL: {type(url).__name__}")
            scheme = (url.scheme or "").lower()
            if scheme not in self.schemes:
                return Refusal(BAD_URL, f"scheme {scheme!r}")
            if not url.absolute or not url.raw_host:
                return Refusal(BAD_URL, "no host")
            if url.raw_user is not None or url.raw_password is not None:
                return Refusal(BAD_URL, "userinfo")
            host = url.raw_host.lower()
            port = url.port
        except (ValueError, TypeError, UnicodeError) as exc:
            return Refusal(BAD_URL, str(exc)[:200])
        if port is None:
            return Refusal(BAD_URL, "no port")
        if port not in self.ports:
            return Refusal(REFUSED, f"port {port}")
        url = url.with_fragment(None)
        literal: IPAddress | None = None
        if ":" in host:
            if "%" in host:
                return Refusal(REFUSED, f"{host}: scoped")
            try:
                literal = ipaddress.IPv6Address(host)
            except ValueError:
                return Refusal(BAD_URL, f"host {host!r}")
        else:
            try:
                number = whatwg_ipv4(host)
            except ValueError as exc:
                return Refusal(BAD_URL, str(exc))
            if number is not None:
                literal = ipaddress.IPv4Address(number)
                host = str(literal)
                if url.raw_host != host:
                    url = url.with_host(host)
            elif not _valid_name(host):
                return Refusal(BAD_URL, f"host {host[:100]!r}")
        if literal is not None:
            refusal = self.address_refusal(literal)
            if refusal is not None:
                return Refusal(REFUSED, f"{literal}: {refusal}")
            return Target(url, str(literal), port, (str(literal),))
        return Target(url, host, port)

    def vet(self, url: str | URL, resolver: Resolver | None = None) -> tuple[Target, tuple[str, ...]] | Refusal:
        """Synchronous check of one URL: the URL rules, then the resolver's answer for a name (default: the
        system resolver). Returns (target, addresses to connect to) or a Refusal."""
        target = self.check_url(url)
        if isinstance(target, Refusal):
            return target
        if target.addresses is not None:
            return target, target.addresses
        try:
            answer = list((resolver or system_resolve)(target.host))
        except Exception as exc:  # noqa: BLE001 - any resolver failure is a DNS failure
            return Refusal(DNS, f"{type(exc).__name__}: {exc}"[:200])
        addresses = self.check_addresses(answer)
        if isinstance(addresses, Refusal):
            return addresses
        return target, addresses


def system_resolve(host: str) -> list[str]:
    """Every address getaddrinfo gives for `host` (TCP), in answer order."""
    import socket

    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]
