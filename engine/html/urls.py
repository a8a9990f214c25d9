"""Image URL choice and resolution for extraction: which attribute holds the real image of an <img> (lazy-load
attributes, srcset, <picture><source>), and how it becomes an absolute URL (<base href>, page URL).

Kept apart from the DOM walk so the rules are testable on plain attribute dicts."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

# Lazy-loading libraries park the real URL in one of these while `src` holds a placeholder.
LAZY_SRC_ATTRS = (
    "data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src",
    "data-full-src", "data-large-src", "data-echo", "data-img-src", "data-orig-src", "data-actualsrc",
    "data-original-src", "data-pagespeed-lazy-src", "data-lazyload",
)
LAZY_SRCSET_ATTRS = ("data-srcset", "data-lazy-srcset", "data-original-srcset")

# `src` values that are placeholders, not the picture: empty gifs, spacers, loading spinners.
_PLACEHOLDER = re.compile(r"(?:^data:|blank\.(?:gif|png)|spacer\.gif|pixel\.gif|placeholder|lazy[-_]?load|"
                          r"loading\.(?:gif|svg)|(?:^|[/_-])(?:pre)?loader\w*\.(?:gif|svg|png)|"
                          r"transparent\.(?:gif|png)|1x1\.(?:gif|png)|grey\.gif|empty\.gif)", re.I)
_SRCSET_URL = re.compile(r"[\s,]*(\S*)")


def parse_srcset(srcset: str) -> list[tuple[str, float]]:
    """srcset -> [(url, weight)] following the HTML parsing rules (a URL runs to whitespace, so URLs may hold
    commas; a URL ending in a comma has no descriptors); weight is the width for `w`, 1000*x for `x` (so
    widths win ties), 1000 when absent."""
    out = []
    s, pos, n = srcset or "", 0, len(srcset or "")
    while pos < n:
        m = _SRCSET_URL.match(s, pos)
        url = m.group(1)
        pos = m.end()
        descriptors = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            end = s.find(",", pos)
            end = n if end < 0 else end
            descriptors, pos = s[pos:end], end + 1
        if not url:
            continue
        weight = 1000.0
        for d in descriptors.split():
            try:
                if d.endswith("w"):
                    weight = float(d[:-1])
                elif d.endswith("x"):
                    weight = float(d[:-1]) * 1000.0
            except ValueError:
                weight = 0.0
        out.append((url, weight))
    return out


def best_srcset(srcset: str) -> str | None:
    """The largest candidate of a srcset (the one a wide screen would load)."""
    items = [(u, w) for u, w in parse_srcset(srcset) if not u.startswith("data:")]
    return max(items, key=lambda t: t[1])[0] if items else None


def is_placeholder(src: str | None) -> bool:
    return not src or bool(_PLACEHOLDER.search(src))


def choose_img_src(attrs: dict[str, str | None], sources: list[dict[str, str | None]] = ()) -> str | None:
    """The real image URL (unresolved) of an <img> with attributes `attrs`, inside a <picture> whose <source>
    elements have `sources`. Prefers the plain `src` when it is a real image: it is what the page shows and
    what other tools (Readability, OmniCorpus) record; falls back to lazy attributes, srcset, <source>."""
    src = (attrs.get("src") or "").strip()
    if src and not is_placeholder(src):
        return src
    for name in LAZY_SRC_ATTRS:
        v = (attrs.get(name) or "").strip()
        if v and not v.startswith("data:"):
            return v
    for name in ("srcset", *LAZY_SRCSET_ATTRS):
        best = best_srcset(attrs.get(name) or "")
        if best:
            return best
    for source in sources:
        best = best_srcset(source.get("srcset") or source.get("data-srcset") or "")
        if best:
            return best
    return None


def resolve(url: str | None, base: str | None) -> str | None:
    """Absolute http(s) URL, or None for data:, javascript:, unparsable or unresolvable values."""
    if not url:
        return None
    url = url.strip()
    if not url or url.startswith(("data:", "javascript:", "about:", "blob:")):
        return None
    try:
        absolute = urljoin(base, url) if base else url
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def page_base(url: str | None, base_href: str | None) -> str | None:
    """The base for relative links: <base href> resolved against the page URL (HTML spec)."""
    if base_href:
        try:
            joined = urljoin(url, base_href.strip()) if url else base_href.strip()
        except ValueError:
            joined = None
        if joined and urlsplit(joined).scheme in ("http", "https"):
            return joined
    return url


def normalise(url: str) -> str:
    """Comparison key for image URLs: lower-case scheme and host, no fragment, no default port."""
    p = urlsplit(url)
    host = (p.hostname or "").lower()
    if p.port and not (p.scheme == "http" and p.port == 80 or p.scheme == "https" and p.port == 443):
        host = f"{host}:{p.port}"
    return urlunsplit((p.scheme.lower(), host, p.path or "/", p.query, ""))


_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|bmp|tiff?|svg)$", re.I)
_MEDIA_PAGE = re.compile(r"(?:^|/)(?:File|Image|Datei|Fichier|Archivo|Bestand|Plik):|[?&]attachment_id=|/attachment/",
                         re.I)


# a story URL: a dated path (/2019/04/) or a headline slug of three or more hyphenated words
_STORY_PATH = re.compile(r"/(?:19|20)\d\d/[01]?\d/|(?:^|[/-])[a-z]{2,}-[a-z]{2,}-[a-z]{2,}(?:[-./]|$)", re.I)


def links_to_story(href: str | None, img_url: str | None, base: str | None) -> bool:
    """True when a link around an image leads to another article (a story URL), not to the picture itself:
    not an image file, a wiki File: page or an attachment page, not the page itself, not a larger version of
    the same picture (a URL sharing a long path segment with the image's)."""
    target = resolve(href, base)
    if not target:
        return False
    parts = urlsplit(target)
    if _IMAGE_FILE.search(parts.path) or _MEDIA_PAGE.search(f"{parts.path}?{parts.query}"):
        return False
    if not _STORY_PATH.search(parts.path):
        return False
    if base and normalise(target) == normalise(base):
        return False
    if img_url:
        segments = {seg.rsplit(".", 1)[0] for seg in urlsplit(img_url).path.split("/") if len(seg) >= 8}
        if any(seg in parts.path for seg in segments):
            return False
    return True
