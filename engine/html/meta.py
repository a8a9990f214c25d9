"""Page metadata for extraction: base URL for relative links, title, publication date (ISO 8601), <html lang>."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from engine.html.urls import page_base, resolve

_TITLE_META = ('meta[property="og:title"]', 'meta[name="twitter:title"]', 'meta[name="title"]')
_DATE_META = ('meta[property="article:published_time"]', 'meta[name="article:published_time"]',
              'meta[itemprop="datePublished"]', 'meta[name="date"]', 'meta[name="pubdate"]',
              'meta[name="publishdate"]', 'meta[name="DC.date.issued"]', 'meta[name="dc.date"]',
              'meta[property="og:published_time"]', 'meta[name="sailthru.date"]', 'meta[name="parsely-pub-date"]')
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?")
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')


@dataclass(slots=True)
class PageMeta:
    base: str | None
    title: str | None
    date: str | None
    lang: str | None


def iso_date(value: str | None) -> str | None:
    """The first ISO-like date in `value`, normalised to YYYY-MM-DD[THH:MM:SS[+HH:MM]]; None when invalid."""
    if not value:
        return None
    m = _ISO.search(value)
    if not m:
        return None
    y, mo, d, h, mi, s, tz = m.groups()
    try:
        datetime(int(y), int(mo), int(d))
    except ValueError:
        return None
    if h is None:
        return f"{y}-{mo}-{d}"
    if not (int(h) < 24 and int(mi) < 60 and int(s or 0) < 60):
        return f"{y}-{mo}-{d}"
    out = f"{y}-{mo}-{d}T{h}:{mi}:{s or '00'}"
    if tz:
        out += "Z" if tz == "Z" else f"{tz[:3]}:{tz[-2:]}"
    return out


def _attr(tree, selector: str, name: str) -> str | None:
    node = tree.css_first(selector)
    value = node.attributes.get(name) if node is not None else None
    return value.strip() if value and value.strip() else None


def page_metadata(tree, url: str | None, budget=None) -> PageMeta:
    html = tree.css_first("html")
    lang = (html.attributes.get("lang") or "").strip() or None if html is not None else None
    if url is None:  # no page URL given: the page's own canonical / og:url is the best base we have
        for sel, attr in (('link[rel="canonical"]', "href"), ('meta[property="og:url"]', "content")):
            candidate = _attr(tree, sel, attr)
            if resolve(candidate, None):
                url = candidate
                break
    base = page_base(url, _attr(tree, "base[href]", "href"))

    title = None
    for sel in _TITLE_META:
        title = _attr(tree, sel, "content")
        if title:
            break
    if not title:
        node = tree.css_first("title") or tree.css_first("h1")
        title = " ".join(node.text().split()) if node is not None else None
    title = " ".join(title.split()) if title else None

    date = None
    for sel in _DATE_META:
        date = iso_date(_attr(tree, sel, "content"))
        if date:
            break
    if not date:
        date = iso_date(_attr(tree, "time[datetime]", "datetime"))
    if not date:
        for script in tree.css('script[type="application/ld+json"]'):
            if budget is not None:
                budget.tick("meta")
            m = _JSONLD_DATE.search(script.text() or "")
            if m and (date := iso_date(m.group(1))):
                break
    return PageMeta(base=base, title=title or None, date=date, lang=lang)
