"""The image downloader and its SSRF policy (engine/images/fetch.py, engine/images/policy.py).

Policy tests are pure (an injected resolver). Downloader tests talk only to tests/image_server.py on 127.0.0.1:
names resolve through an injected resolver, and the connector factory wraps the socket factory so that any
socket opened for an address other than 127.0.0.1 is recorded as a violation and refused (no packet leaves
127.0.0.1; a refused address is never connected to).
"""
from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
import tracemalloc
import uuid

import aiohttp
import pytest

from engine.config import ConfigError, load_config
from engine.images.fetch import FetchConfig, fetch_all, opted_out, sniff_image
from engine.images.policy import Policy, PolicyConfig, Refusal, whatwg_ipv4
from tests.image_server import IMAGES, ImageServer

# -- policy ------------------------------------------------------------------------------------------------------

REFUSED_ADDRESSES = [
    ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("::1", "loopback"),
    ("0.0.0.0", "unspecified"), ("0.1.2.3", "unspecified"), ("::", "unspecified"),
    ("10.0.0.1", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"), ("192.168.1.1", "private"),
    ("fc00::1", "private"), ("fd12:3456::1", "private"),
    ("169.254.1.1", "link_local"), ("fe80::1", "link_local"), ("febf::1", "link_local"),
    ("100.64.0.1", "cgnat"), ("100.127.255.254", "cgnat"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"), ("ff0e::1", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "broadcast"), ("5f00::1", "reserved"), ("4000::1", "reserved"),
    ("169.254.169.254", "metadata"), ("169.254.170.2", "metadata"), ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"), ("192.0.0.192", "metadata"),
    ("198.18.0.1", "benchmark"), ("198.19.255.254", "benchmark"), ("2001:2::1", "benchmark"),
    ("192.0.2.1", "documentation"), ("198.51.100.7", "documentation"), ("203.0.113.9", "documentation"),
    ("2001:db8::1", "documentation"), ("3fff::1", "documentation"),
    ("192.0.0.8", "ietf_protocol"), ("192.88.99.1", "6to4_relay"), ("100::1", "discard"), ("fec0::1", "site_local"),
    ("::ffff:127.0.0.1", "ipv4_mapped"), ("::ffff:8.8.8.8", "ipv4_mapped"), ("::ffff:169.254.169.254", "ipv4_mapped"),
    ("::127.0.0.1", "ipv4_compatible"),
    ("2002:7f00:1::1", "embedded_loopback"), ("2002:a9fe:a9fe::", "embedded_metadata"),
    ("2002:0a00:0001::1", "embedded_private"), ("2002:c0a8:0101::", "embedded_private"),
    ("64:ff9b::7f00:1", "embedded_loopback"), ("64:ff9b::a9fe:a9fe", "embedded_metadata"),
    ("64:ff9b::10.1.2.3", "embedded_private"), ("64:ff9b:1::1", "nat64_local"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"), ("2001::1", "teredo"),
    ("fe80::1%eth0", "scoped"), ("not-an-ip", "unparseable"),
]
PUBLIC_ADDRESSES = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e",
                    "2002:0808:0808::1", "64:ff9b::8.8.8.8"]


@pytest.mark.parametrize("address, name", REFUSED_ADDRESSES)
def test_refused_ranges(address, name):
    policy = Policy()
    assert policy.address_refusal(address) == name
    verdict = policy.vet("http://images.example/a.jpg", lambda host: [address])
    assert isinstance(verdict, Refusal) and verdict.reason == "refused_address"


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_pass(address):
    target, addresses = Policy().vet("https://images.example/a.jpg", lambda host: [address])
    assert target.host == "images.example" and target.port == 443 and len(addresses) == 1


@pytest.mark.parametrize("url, detail", [
    ("http://2130706433/", "127.0.0.1: loopback"), ("http://0x7f.1/", "127.0.0.1: loopback"),
    ("http://0x7f000001/", "127.0.0.1: loopback"), ("http://0177.0.0.1/", "127.0.0.1: loopback"),
    ("http://017700000001/", "127.0.0.1: loopback"), ("http://127.1/", "127.0.0.1: loopback"),
    ("http://127.0.1/", "127.0.0.1: loopback"), ("http://0x7F.0.0.0x1/", "127.0.0.1: loopback"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1: ipv4_mapped"), ("http://[::ffff:7f00:1]/", "::ffff:7f00:1: ipv4_mapped"),
    ("http://[::127.0.0.1]/", "::7f00:1: ipv4_compatible"), ("http://[::1]/", "::1: loopback"),
    ("http://[2002:7f00:1::]/", "2002:7f00:1::: embedded_loopback"),
    ("http://[64:ff9b::169.254.169.254]/", "64:ff9b::a9fe:a9fe: embedded_metadata"),
    ("http://0/", "0.0.0.0: unspecified"), ("http://0.0.0.0/", "0.0.0.0: unspecified"), ("http://[::]/", "::: unspecified"),
    ("http://0xa9fea9fe/", "169.254.169.254: metadata"), ("http://2852039166/", "169.254.169.254: metadata"),
    ("http://169.254.169.254./latest/meta-data/", "169.254.169.254: metadata"),
    ("http://[fd00:ec2::254]/", "fd00:ec2::254: metadata"), ("http://100.100.100.200/", "100.100.100.200: metadata"),
    ("http://012.0.0.1/", "10.0.0.1: private"), ("http://[fe80::1%25eth0]/", "fe80::1%25eth0: scoped"),
    ("http://example.com:22/", "port 22"), ("http://example.com:8080/", "port 8080"),
    ("https://example.com:80/", None), ("http://example.com:443/", None),
])
def test_url_literals_and_ports(url, detail):
    verdict = Policy().check_url(url)
    if detail is None:
        assert not isinstance(verdict, Refusal)
    else:
        assert verdict == Refusal("refused_address", detail)


@pytest.mark.parametrize("url", [
    "ftp://example.com/a.jpg", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)",
    "data:image/png;base64,iVBORw0KGgo=", "//example.com/a.jpg", "/a.jpg", "", "http://", "http:///x",
    "http://user:pw@example.com/", "http://user@example.com/", "http://:pw@example.com/",
    "http://evil.com\\@127.0.0.1/", "http://exa mple.com/", "http://%31%32%37.0.0.1/", "http://ex_ample..com/",
    "http://1.2.3.4.5/", "http://256.0.0.1/", "http://0x100000000/", "http://1.2.3.09/", "http://foo.123/",
    "http://example.com:99999/", "http://[::1/", "http://" + "a" * 300 + ".com/", "http://x.com/" + "a" * 9000,
])
def test_bad_urls(url):
    verdict = Policy().check_url(url)
    assert isinstance(verdict, Refusal) and verdict.reason == "bad_url", verdict


def test_whatwg_ipv4():
    assert whatwg_ipv4("example.com") is None and whatwg_ipv4("1.2.3.foo") is None
    assert whatwg_ipv4("1.2.3.4") == 0x01020304 and whatwg_ipv4("0x7f.1") == 0x7F000001
    assert whatwg_ipv4("0300.0250.0.1") == 0xC0A80001 and whatwg_ipv4("3232235521") == 0xC0A80001
    assert whatwg_ipv4("192.168.1") == 0xC0A80001 and whatwg_ipv4("1.2.3.4.") == 0x01020304
    assert whatwg_ipv4("0x") == 0 and whatwg_ipv4("00") == 0
    for bad in ("1.2.3.4.5", "1.2.3.256", "256.1.1.1", "1.2.65536", "4294967296", "08", "a.0x1"):
        with pytest.raises(ValueError):
            whatwg_ipv4(bad)


def test_multi_address_answers():
    policy = Policy()
    # any refused address refuses the name (DNS rebinding, probing): whatever the answer order
    for answer in (["93.184.215.14", "10.0.0.1"], ["127.0.0.1", "93.184.215.14"], ["2606:4700::1", "fd00:ec2::254"]):
        verdict = policy.vet("http://example.com/", lambda host, a=answer: a)
        assert isinstance(verdict, Refusal) and verdict.reason == "refused_address"
    _, addresses = policy.vet("http://example.com/", lambda host: ["93.184.215.14", "2606:4700::1", "93.184.215.14"])
    assert addresses == ("93.184.215.14", "2606:4700::1")
    assert policy.vet("http://example.com/", lambda host: []) == Refusal("dns", "no addresses")

    def fail(host):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    assert policy.vet("http://example.com/", fail).reason == "dns"


def test_allow_and_deny_lists():
    policy = Policy(PolicyConfig(allow_networks=["127.0.0.1/32", "169.254.0.0/16", "10.0.0.0/8"],
                                 deny_networks=["10.9.0.0/16", "93.184.0.0/16"], extra_ports=[8080]))
    assert policy.address_refusal("127.0.0.1") is None and policy.address_refusal("127.0.0.2") == "loopback"
    assert policy.address_refusal("169.254.1.1") is None
    assert policy.address_refusal("169.254.169.254") == "metadata"  # never unlocked
    assert policy.address_refusal("10.1.1.1") is None and policy.address_refusal("10.9.1.1") == "denied"
    assert policy.address_refusal("93.184.215.14") == "denied"
    assert policy.address_refusal("::ffff:127.0.0.1") == "ipv4_mapped"  # the allow list names 127.0.0.1 only
    assert policy.address_refusal("64:ff9b::7f00:1") == "embedded_loopback"  # embedded: no allow list
    assert not isinstance(policy.check_url("http://127.0.0.1:8080/x"), Refusal)
    assert policy.check_url("http://2130706433:8080/x").url.host == "127.0.0.1"  # rewritten to the dotted quad


def test_opt_out_header_forms():
    directives = ["noai", "noimageai", "noindex", "noimageindex", "none"]
    yes = [["noai"], ["NoImageAI"], ["noindex, nofollow"], ["none"], ["weft: noai"], ["WEFT: noindex"],
           ["googlebot: nofollow", "noai"], ["googlebot: nofollow, weft: noimageai"], ["noimageindex"]]
    no = [[], ["nofollow"], ["noarchive, nosnippet"], ["otherbot: noai"], ["otherbot: noai, noindex"],
          ["unavailable_after: 25 Jun 2010 15:00:00 PST"], ["max-image-preview: large"], ["all"]]
    for values in yes:
        assert opted_out(values, "weft", directives), values
    for values in no:
        assert not opted_out(values, "weft", directives), values


def test_sniff_image():
    for rel, fmt in [("pillow-edge/hopper.jpg", "jpeg"), ("pillow-edge/hopper.png", "png"),
                     ("pillow-edge/hopper.gif", "gif"), ("pillow-edge/hopper.webp", "webp"),
                     ("pillow-edge/hopper.bmp", "bmp"), ("pillow-edge/hopper.tif", "tiff"),
                     ("pillow-edge/hopper.ico", "ico"), ("pillow-edge/hopper.avif", "avif"),
                     ("skimage/multipage_rgb.tif", "tiff")]:
        assert sniff_image((IMAGES / rel).read_bytes()[:1024]) == fmt, rel
    assert sniff_image(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>') == "svg"
    for head in (b"", b"<!doctype html><html>", b"{\"error\": 1}", b"\x1f\x8b\x08\x00", b"GIF8"):
        assert sniff_image(head) is None


def test_config_from_yaml():
    cfg = FetchConfig()
    assert cfg.concurrency == 256 and cfg.timeout_s == 10.0 and cfg.policy.ports == [80, 443]
    images = load_config(overrides=["images.fetch.concurrency=8", "images.policy.extra_ports=[8080]"])["images"]
    cfg = FetchConfig.from_section(images)
    assert cfg.concurrency == 8 and cfg.policy.extra_ports == [8080]
    with pytest.raises(ConfigError):
        load_config(overrides=["images.fetch.no_such_key=1"])
    with pytest.raises(ConfigError):
        FetchConfig.from_section({"fetch": {"no_such_key": 1}})


# -- downloader ------------------------------------------------------------------------------------------------


class Guard:
    """connector_factory for the tests: a socket for any address but 127.0.0.1 is a violation (and refused)."""

    def __init__(self):
        self.seen: list[str] = []
        self.violations: list[str] = []

    def __call__(self, **kwargs):
        inner = kwargs["socket_factory"]

        def socket_factory(addr_info):
            address = addr_info[4][0]
            self.seen.append(address)
            if address != "127.0.0.1":
                self.violations.append(address)
                raise OSError(f"test guard: {address}")
            return inner(addr_info)

        kwargs["socket_factory"] = socket_factory
        return aiohttp.TCPConnector(**kwargs)


class Resolver:
    ANSWERS = {"images.test": ["127.0.0.1"], "other.test": ["127.0.0.1"], "meta.test": ["169.254.169.254"],
               "private.test": ["10.0.0.1"], "mixed.test": ["127.0.0.1", "10.0.0.1"],
               "v6meta.test": ["fd00:ec2::254"], "nat64.test": ["64:ff9b::a9fe:a9fe"], "loop6.test": ["::1"]}

    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, host):
        self.calls.append(host)
        if host not in self.ANSWERS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.ANSWERS[host]


@pytest.fixture(scope="module")
def server():
    srv = ImageServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def guard():
    g = Guard()
    yield g
    assert g.violations == [], f"sockets opened for refused addresses: {g.violations}"
    assert set(g.seen) <= {"127.0.0.1"}


def config(server, **changes) -> FetchConfig:
    base = dataclasses.replace(
        FetchConfig(), policy=PolicyConfig(allow_networks=["127.0.0.1/32"], extra_ports=[server.port]),
        per_host_rate=0, per_host_concurrency=8, timeout_s=3.0, connect_timeout_s=1.0, max_bytes=2 << 20,
        backoff_base_s=0.05, backoff_max_s=0.2, retry_after_max_s=2.0, retries=1)
    return dataclasses.replace(base, **changes)


def fetch(server, guard, paths, host="images.test", resolver=None, **changes):
    urls = [f"http://{host}:{server.port}{p}" if isinstance(p, str) and p.startswith("/") else p for p in paths]
    return fetch_all(urls, config(server, **changes), resolver=resolver or Resolver(), connector_factory=guard)


def test_real_images_in_order(server, guard):
    files = ["pillow-edge/hopper.jpg", "skimage/astronaut.png", "pillow-edge/hopper.webp", "skimage/rocket.jpg",
             "pillow-edge/flower.webp", "skimage/no_time_for_that_tiny.gif", "pillow-edge/hopper.avif",
             "skimage/multipage_rgb.tif", "pillow-edge/truncated_jpeg.jpg"]
    paths = [f"/img/{rel}" for rel in files]
    paths.insert(3, "/nope")
    resolver = Resolver()
    results = fetch(server, guard, paths, resolver=resolver)
    assert [r.url.split(str(server.port), 1)[1] for r in results] == paths
    assert results[3].reason == "status_4xx" and results[3].status == 404 and results[3].content is None
    for r in results[:3] + results[4:]:
        rel = r.url.split("/img/", 1)[1]
        assert r.ok and r.reason is None and r.status == 200 and r.attempts == 1
        assert r.content == (IMAGES / rel).read_bytes(), rel
    assert results[0].content_type == "image/jpeg"
    assert resolver.calls == ["images.test"]                   # one lookup per name per call, none by aiohttp
    assert f"images.test:{server.port}" in server.hosts        # Host header keeps the name
    assert FetchConfig().user_agent in server.user_agents


def test_hostile_responses(server, guard):
    cases = [
        ("/html", "not_an_image"), ("/html-as-image", "not_an_image"), ("/gzip/pillow-edge/hopper.bmp", "not_an_image"),
        ("/as/text_html/pillow-edge/hopper.png", None),         # a lying Content-Type: the bytes decide
        ("/as/application_octet-stream/skimage/rocket.jpg", None),
        ("/as/image_png/pillow-edge/decompression_bomb.gif", None),  # fetched as is: decoding is not ours
        ("/img/pillow-edge/truncated_image.png", None),
        ("/cl-short", None), ("/cl-long", "truncated"), ("/cl-huge", "too_large"),
        ("/loop/a", "redirect_loop"), ("/chain/0", "too_many_redirects"),
        ("/redirect?to=/img/pillow-edge/hopper.gif", None),
        ("/always/404", "status_4xx"), ("/always/403", "status_4xx"), ("/always/503", "status_5xx"),
        ("/always/500", "status_5xx"), ("/always/204", "not_an_image"), ("/always/304", "status_3xx"),
        ("/retry-after/3600", "status_4xx"),
        ("/xrobots?v=noai", "opted_out"), ("/xrobots?v=noimageai", "opted_out"), ("/xrobots?v=noindex", "opted_out"),
        ("/xrobots?v=none", "opted_out"), ("/xrobots?v=weft:+noai", "opted_out"),
        ("/xrobots?v=nofollow&v=noai", "opted_out"), ("/xrobots?v=otherbot:+noai", None),
        ("/xrobots?v=nofollow", None), ("/private/pillow-edge/hopper.jpg", "opted_out"),   # robots.txt
    ]
    robots_before = server.hits["/robots.txt"]
    results = fetch(server, guard, [p for p, _ in cases])
    assert [(p, r.reason) for (p, _), r in zip(cases, results)] == cases
    by_path = {p: r for (p, _), r in zip(cases, results)}
    assert by_path["/cl-short"].content == (IMAGES / "pillow-edge/hopper.jpg").read_bytes()[:100]
    assert by_path["/as/image_png/pillow-edge/decompression_bomb.gif"].content == \
        (IMAGES / "pillow-edge/decompression_bomb.gif").read_bytes()
    assert by_path["/always/503"].status == 503 and by_path["/always/503"].attempts == 2   # retries=1
    assert by_path["/always/404"].attempts == 1                                             # 4xx: no retry
    assert by_path["/cl-long"].attempts == 2                                                # cut body: retried
    assert by_path["/retry-after/3600"].attempts == 1 and by_path["/retry-after/3600"].status == 429
    assert by_path["/chain/0"].attempts == 6 and by_path["/chain/0"].final_url.endswith("/chain/5")
    assert by_path["/redirect?to=/img/pillow-edge/hopper.gif"].final_url.endswith("/img/pillow-edge/hopper.gif")
    assert server.hits["/robots.txt"] == robots_before + 1                                 # cached per host
    assert server.hits["/private/pillow-edge/hopper.jpg"] == 0                             # never requested


def test_refused_redirects_never_connect(server, guard):
    targets = ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", f"http://meta.test:{server.port}/x",
               f"http://private.test:{server.port}/x", f"http://mixed.test:{server.port}/x",
               f"http://v6meta.test:{server.port}/x", f"http://nat64.test:{server.port}/x",
               f"http://loop6.test:{server.port}/x", f"http://[::ffff:127.0.0.1]:{server.port}/x",
               "http://[fd00:ec2::254]/", f"http://images.test:{server.port + 1 if server.port < 65535 else 1}/x",
               "file:///etc/passwd", "gopher://images.test/", f"http://u:p@images.test:{server.port}/x",
               "http://no-such-name.test/x"]
    expected = ["refused_address"] * 11 + ["bad_url"] * 3 + ["dns"]
    hits = server.hits["/redirect"]
    results = fetch(server, guard, [f"/redirect?to={t}" for t in targets])
    assert [r.reason for r in results] == expected
    assert server.hits["/redirect"] == hits + len(targets)
    assert results[0].final_url == "http://169.254.169.254/latest/meta-data/"


def test_strict_policy_never_connects(server):
    """Default policy (no allow list): every loopback form is refused before any socket exists."""
    calls = []

    def no_connector(**kwargs):
        inner = kwargs["socket_factory"]
        kwargs["socket_factory"] = lambda info: (calls.append(info), inner(info))[1]
        return aiohttp.TCPConnector(**kwargs)

    p = server.port
    urls = [f"http://127.0.0.1:{p}/img/pillow-edge/hopper.jpg", "http://2130706433/", "http://0x7f.1/",
            "http://0177.0.0.1/", "http://127.1/", "http://[::ffff:127.0.0.1]/", "http://[::1]/", "http://0/",
            "http://localhost.test/", "http://169.254.169.254/", "http://[64:ff9b::7f00:1]/"]
    results = fetch_all(urls, FetchConfig(), resolver=lambda host: ["127.0.0.1"], connector_factory=no_connector)
    assert [r.reason for r in results] == ["refused_address"] * len(urls)
    assert calls == []


def test_slow_drip_is_time_bounded(server, guard):
    start = time.monotonic()
    [result] = fetch(server, guard, ["/slow"], timeout_s=1.0)
    elapsed = time.monotonic() - start
    assert result.reason == "timeout" and result.attempts == 1      # timeouts are not retried
    assert elapsed < 2.5, elapsed


def test_endless_body_is_memory_bounded(server, guard):
    cap = 1 << 20
    sent_before = server.sent
    tracemalloc.start()
    try:
        [result] = fetch(server, guard, ["/endless"], max_bytes=cap)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.reason == "too_large" and result.content is None
    assert peak < 6 * cap, peak                        # the cap plus a read buffer, not the stream
    deadline = time.monotonic() + 2
    while server.sent == sent_before and time.monotonic() < deadline:
        time.sleep(0.05)                               # the server thread notices the closed socket
    assert server.sent - sent_before < 64 * cap        # the client stopped reading (socket buffers aside)


def test_retries_honour_retry_after(server, guard):
    key = uuid.uuid4().hex
    start = time.monotonic()
    r429, r503 = fetch(server, guard, [f"/once/429/{key}", f"/once/503/{key}"])
    elapsed = time.monotonic() - start
    assert r429.ok and r429.attempts == 2 and r429.status == 200
    assert r503.ok and r503.attempts == 2
    assert elapsed >= 0.95, elapsed                    # Retry-After: 1 was honoured


def test_per_host_limits(server, guard):
    server.max_busy = 0
    fetch(server, guard, [f"/busy/{i}" for i in range(6)], per_host_concurrency=2, robots_txt=False)
    assert server.max_busy == 2
    start = time.monotonic()
    results = fetch(server, guard, [f"/img/pillow-edge/hopper.jpg?{i}" for i in range(6)], host="other.test",
                    per_host_rate=20.0, robots_txt=False)
    assert all(r.ok for r in results)
    assert time.monotonic() - start >= 5 / 20 * 0.9


def test_bad_inputs_never_raise(server, guard):
    urls = [None, 123, b"http://images.test/", "", "not a url", "http://", f"http://nowhere.test:{server.port}/a"]
    results = fetch(server, guard, urls)
    assert [r.reason for r in results] == ["bad_url"] * 6 + ["dns"]
    assert fetch_all([], config(server)) == []


def test_fetch_all_inside_running_loop(server, guard):
    async def main():
        return fetch(server, guard, ["/img/pillow-edge/hopper.png"])

    [result] = asyncio.run(main())
    assert result.ok and result.content == (IMAGES / "pillow-edge/hopper.png").read_bytes()
