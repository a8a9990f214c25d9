"""`weft extract-html` end to end on a small folder: .html and .html.gz, --url-map, a rejected page."""
import gzip
import json
import shutil
from pathlib import Path

from jobs.cli import main as weft

DATA = Path(__file__).parent / "data" / "extraction"


def test_extract_html_cli_end_to_end(tmp_path):
    src = tmp_path / "pages"
    src.mkdir()
    demo = DATA / "omnicorpus-demo"
    shutil.copy(demo / "demo_origin_page.html", src / "demo.html")
    shutil.copy(DATA / "readability" / "nytimes-1" / "source.html.gz", src / "nyt.html.gz")
    (src / "sub").mkdir()
    (src / "sub" / "huge.html.gz").write_bytes(gzip.compress(b"<p>" + b"x" * 3_000_000 + b"</p>"))
    (src / "notes.txt").write_text("not html")
    url_map = tmp_path / "urls.json"
    url_map.write_text(json.dumps({"demo.html": (demo / "demo_url.txt").read_text().strip(),
                                   "nyt.html.gz": "http://fakehost/test/page.html"}))
    out = tmp_path / "out.jsonl"
    rc = weft(["extract-html", "--input", str(src), "--url-map", str(url_map), "--output", str(out),
               "--max-html-bytes", "2000000"])
    assert rc == 0
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(rows) == {"demo.html", "nyt.html.gz", "sub/huge.html.gz"}
    assert rows["sub/huge.html.gz"]["rejected"] == "html_too_large"
    for name in ("demo.html", "nyt.html.gz"):
        r = rows[name]
        assert len(r["texts"]) == len(r["images"]) == len(r["alts"]) > 0
        assert all((t is None) != (i is None) for t, i in zip(r["texts"], r["images"]))
    assert rows["demo.html"]["url"].startswith("https://roundtablegauteng.co.za/")
    # nyt's lead image is an absolute URL in the page; its position is before the first paragraph
    nyt = rows["nyt.html.gz"]
    first_image = next(i for i, u in enumerate(nyt["images"]) if u)
    assert nyt["images"][first_image].startswith("https://static01.nyt.com/")
    assert first_image < next(i for i, t in enumerate(nyt["texts"]) if t and "Sudan" in t)


def test_extract_html_single_file_and_missing_input(tmp_path, capsys):
    out = tmp_path / "one.jsonl"
    page = DATA / "readability" / "base-url-base-element-relative" / "source.html.gz"
    assert weft(["extract-html", "--input", str(page), "--output", str(out)]) == 0
    (row,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert row["id"] == "source.html.gz" and row["url"] is None
    assert weft(["extract-html", "--input", str(tmp_path / "nope"), "--output", str(out)]) == 2
