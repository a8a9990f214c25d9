"""`weft report`: the run report opened in headless Chromium (Debian's `chromium`, driven by playwright with
`executable_path`; no browser download).

The whole pipeline runs once on the bundled WARCs that carry their pages' images (books.toscrape: a page and its
20 covers; ukwa flashfrozen: two captures of one Mona Lisa page, so dedup has a cluster), with stage JSON logs
(tests/test_progress.py reads them; tests/test_sql.py queries the same output). Dedup reads the filter stage's kept
*and* rejected documents, so pages with images reach the image stage whatever the filter thresholds are.

Checks: every section title, every chart drawn with a non-zero size, the funnel's numbers equal to
stats/<stage>.json, a threshold line for every rule of the run's recorded config whose score has values,
thumbnails decoded, no console error and no request but the file itself; a screenshot is saved (a copy at
/tmp/weft/report.png when that folder exists). A second report, of a hand-made output with hostile page text and
only some stages, shows the text as text and runs no script.
"""
from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA

WARCS = [DATA / "warc/resiliparse/warcfile.warc.gz", DATA / "warc/ukwa/flashfrozen-jwat-recompressed.warc.gz",
         DATA / "warc/node-warc/books.toscrape.warc"]
STAGES = ("extract", "filter", "dedup", "images", "degrade")
SECTIONS = ["Funnel", "Throughput", "Languages", "Filter scores", "Images", "Duplicates", "Documents"]


def pipeline_output(tmp_path_factory) -> Path:
    """Run every stage once per test session (cached under the session's base temp dir); returns OUT. The stages'
    JSON lines are in OUT/../log.jsonl."""
    from jobs import dedup, degrade, extract, filter, images

    root = tmp_path_factory.getbasetemp() / "weft-report-run"
    out, log = root / "out", root / "log.jsonl"
    if (out / "stats" / "degrade.json").exists():
        return out
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    common = ["--output", str(out), "--master", "local[2]", "--log-format", "json"]
    steps = [(extract, ["--input", *map(str, WARCS)]),
             (filter, ["--input", str(out / "extract")]),
             # two roots: pyarrow reads them (Spark's reader wants one root per partitioned dataset)
             (dedup, ["--input", str(out / "filter/kept"), str(out / "filter/rejected"), "--io", "arrow"]),
             (images, ["--input", str(out / "dedup/kept"), "--set", "images.job.download=false"]),
             (degrade, ["--input", str(out / "docs")])]
    with open(log, "w") as f, contextlib.redirect_stdout(f):  # the JSON lines; human output goes to stderr
        for module, argv in steps:
            assert module.main([*argv, *common]) == 0, module.__name__
    return out


@pytest.fixture(scope="module")
def out(spark, tmp_path_factory) -> Path:
    return pipeline_output(tmp_path_factory)


def chromium_page():
    """(playwright context manager, launch function) or a skip naming what is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium binary: apt-get install -y chromium (Debian's package)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download)")
    return sync_api.sync_playwright, chromium


@contextlib.contextmanager
def open_report(path: Path):
    """A Chromium page with `path` loaded; yields (page, console messages, page errors, requested URLs)."""
    sync_playwright, chromium = chromium_page()
    with sync_playwright() as p:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        console, errors, requests, dialogs = [], [], [], []
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri(), wait_until="load")
        try:
            yield page, console, errors + dialogs, requests
        finally:
            browser.close()


def chart_boxes(page) -> list[list[float]]:
    return page.eval_on_selector_all(
        "svg.chart", "els => els.map(e => { const r = e.getBoundingClientRect(); "
                     "return [r.width, r.height, e.querySelectorAll('rect, line').length]; })")


@pytest.mark.slow
def test_report_renders_in_chromium(out, tmp_path):
    import pyarrow.parquet as pq
    import yaml

    from jobs.report import main, thresholds

    assert main([str(out)]) == 0
    report = out / "report.html"
    stats = {s: json.loads((out / "stats" / f"{s}.json").read_text()) for s in STAGES}
    with open_report(report) as (page, console, errors, requests):
        assert page.locator("h2").all_inner_texts() == SECTIONS
        boxes = chart_boxes(page)
        assert len(boxes) >= 40 and all(w > 0 and h > 0 and marks > 0 for w, h, marks in boxes), boxes
        for stage, s in stats.items():
            for field in ("records_in", "kept", "dropped_total", "failed_total"):
                cell = page.locator(f'td[data-stage="{stage}"][data-field="{field}"]')
                assert int(cell.inner_text().replace(",", "")) == s[field], (stage, field)
        # a threshold line for every rule bound of the recorded config whose score has a value in the output
        recorded = yaml.safe_load((out / "_config" / "filter.yaml").read_text())
        assert recorded["code_version"] and recorded["config_set"] == []
        rows = [r for side in ("kept", "rejected") for f in (out / "filter" / side).rglob("*.parquet")
                for r in pq.read_table(f, columns=["general_metadata"]).column(0).to_pylist()]
        expected = {label for score, marks in thresholds(recorded).items() for _, label in marks
                    if any((r["scores"] or {}).get(score) is not None for r in rows)}
        drawn = set(page.eval_on_selector_all("line.threshold > title", "els => els.map(e => e.textContent)"))
        assert expected and expected <= drawn, expected - drawn
        # thumbnails: decoded images of the documents shown, as many as their image positions
        thumbs = page.eval_on_selector_all("img.thumb", "els => els.map(e => [e.complete, e.naturalWidth])")
        assert thumbs and all(done and width > 0 for done, width in thumbs)
        docs = [r for f in (out / "docs").rglob("*.parquet") for r in pq.read_table(f).to_pylist()]
        shown = page.locator("article.doc h3").all_inner_texts()
        assert shown and set(shown) <= {d["general_metadata"]["title"] or "(no title)" for d in docs}
        dup_rows = sum(pq.read_metadata(f).num_rows for f in (out / "dedup" / "duplicates").rglob("*.parquet"))
        assert dup_rows > 0 and f"{dup_rows} duplicates" in page.locator("#duplicates").inner_text()
        assert not [m for m in console if m[0] in ("error", "warning")] and not errors, (console, errors)
        assert requests == [report.as_uri()], requests
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    if Path("/tmp/weft").is_dir():
        shutil.copy(shot, "/tmp/weft/report.png")


HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)"> & <b>bold</b>'


def test_report_escapes_hostile_text_and_tolerates_missing_stages(tmp_path):
    """No Spark: an output with only extract stats and a documents table (no filter, dedup or image stage)."""
    import pyarrow.parquet as pq

    from engine.document import Document, to_batch
    from engine.stats import StageStats
    from jobs.base import write_stats
    from jobs.report import main

    out = tmp_path / "out"
    doc = Document(id="evil", url='http://x.test/"><script>alert(3)</script>',
                   meta={"crawl_id": "unknown", "language": "en", "fetch_date": None, "title": HOSTILE})
    doc.add_text(HOSTILE)
    doc.add_image("javascript:alert(4)", alt='"><script>alert(5)</script>')
    doc.add_text("after the image")
    (out / "extract" / "crawl=unknown").mkdir(parents=True)
    pq.write_table(__import__("pyarrow").Table.from_batches([to_batch([doc])]),
                   out / "extract" / "crawl=unknown" / "part.parquet")
    stats = StageStats("extract", records_in=5, kept=1)
    stats.drop("not_html:text", 4)
    write_stats(str(out), stats)
    assert main([str(out)]) == 0
    with open_report(out / "report.html") as (page, console, errors, requests):
        assert page.locator("h2").all_inner_texts() == SECTIONS
        assert page.locator("script").count() == 0 and page.locator("b").count() == 0
        assert page.locator("article.doc h3").inner_text() == HOSTILE
        assert HOSTILE in page.locator("article.doc").inner_text()
        assert "image not in the store" in page.locator("article.doc").inner_text()
        assert "not run: filter, dedup, images, degrade" in page.locator("body").inner_text()
        assert int(page.locator('td[data-stage="extract"][data-field="dropped_total"]').inner_text()) == 4
        assert all(w > 0 and h > 0 for w, h, _ in chart_boxes(page))
        assert not errors and not [m for m in console if m[0] == "error"] and requests == [
            (out / "report.html").as_uri()]
