from engine.urlnorm import UrlNormConfig, normalize_url


def test_equivalent_urls_share_a_key():
    variants = [
        "http://www.Example.COM:80/a/./b/../c?b=2&utm_source=news&a=1#top",
        "HTTPS://example.com:443/a/c?a=1&b=2&fbclid=xyz",
        "https://example.com/a/%63?gclid=1&a=1&b=2",
    ]
    assert len({normalize_url(u) for u in variants}) == 1


def test_different_resources_differ():
    assert normalize_url("http://example.com/a?x=1") != normalize_url("http://example.com/a?x=2")
    assert normalize_url("http://example.com/A") != normalize_url("http://example.com/a")
    assert normalize_url("http://example.com:8080/") != normalize_url("http://example.com/")


def test_scheme_kept_when_configured_and_bad_urls_are_none():
    cfg = UrlNormConfig(ignore_scheme=False, strip_www=False)
    assert normalize_url("http://www.x.org", cfg) == "http://www.x.org/"
    assert normalize_url("https://x.org", cfg) == "https://x.org/"
    for bad in (None, "", "mailto:a@b.c", "javascript:void(0)", "http://[broken"):
        assert normalize_url(bad) is None


def test_idna_and_ipv6_hosts():
    assert normalize_url("http://bücher.de/") == normalize_url("http://xn--bcher-kva.de/")
    assert normalize_url("http://[::1]:8080/x") == "//[::1]:8080/x"
