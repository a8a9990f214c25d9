"""benchmarks.warcgen's crawl for the end-to-end benchmark: every image a page names is fetchable, either as an
image capture in the WARC (its absolute URL) or from the loopback ImageHost, so the image stage of `make bench-e2e`
decodes images instead of failing every URL."""
from __future__ import annotations

import html
import urllib.error
import urllib.request

import pytest
from warcio.archiveiterator import ArchiveIterator

from benchmarks.standalone import free_port
from benchmarks.warcgen import IMG_SRC, ImageHost, shared_images, write_crawl


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    if not shared_images():
        pytest.skip("../shared/data/images is absent")
    port = free_port()
    out = tmp_path_factory.mktemp("crawl")
    counts = write_crawl(out, 300, 1, seed=3, loopback=port)
    captured, named = set(), []
    for f in out.glob("*.warc.gz"):
        with open(f, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type != "response":
                    continue
                body = rec.content_stream().read()
                if rec.http_headers.get_header("Content-Type", "").startswith("image/"):
                    captured.add(rec.rec_headers.get_header("WARC-Target-URI"))
                else:
                    named += [html.unescape(m.decode("utf-8", "replace")) for m in IMG_SRC.findall(body)]
    return counts, port, captured, named


def test_image_sources_are_absolute_and_the_captures_are_among_them(crawl):
    counts, port, captured, named = crawl
    assert counts["loopback_port"] == port and counts["image"] == len(captured) > 0
    web = [u for u in named if not u.startswith("data:")]
    assert web and all(u.startswith(("http://", "https://")) for u in web), [u for u in web if "://" not in u][:3]
    # captures come from every fixture page's sources; a small crawl does not write every fixture page
    assert len(captured & set(web)) >= 0.8 * len(captured), sorted(captured - set(web))[:3]
    on_loopback = [u for u in web if u.startswith(f"http://127.0.0.1:{port}/")]
    assert 0.2 < len(on_loopback) / len(web) < 0.8, "about half the sources move to the loopback host"
    assert not captured & set(on_loopback), "a loopback image is never also a WARC capture"
    # content images are one page's own (dedup's frequent-image-URL pass would drop a template's shared ones)
    own = [u for u in web if "weftimg=" in u]
    assert 0.2 < len(own) / len(web) < 0.8 and len(set(own)) > 0.7 * len(own)
    assert any("weftimg=" in u for u in captured), "some captures are pages' own images"


def test_image_host_serves_the_same_photo_for_a_url_and_no_robots_txt(crawl):
    _, port, _, named = crawl
    url = next(u for u in named if u.startswith(f"http://127.0.0.1:{port}/"))
    photos = {img.payload for img in shared_images()}
    with ImageHost(port):
        first = urllib.request.urlopen(url, timeout=10)
        body = first.read()
        again = urllib.request.urlopen(url, timeout=10).read()
        with pytest.raises(urllib.error.HTTPError) as robots:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=10)
    assert again == body and any(body.startswith(p) for p in photos) and body not in photos, "a photo made distinct"
    assert first.headers["Content-Type"].startswith("image/")
    assert robots.value.code == 404
