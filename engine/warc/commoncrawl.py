"""Common Crawl's labels inside a WARC: the crawl id (CC-MAIN-YYYY-WW, from the path or the warcinfo record) and the
CLD2 languages of its metadata records. Plain parsers over bytes and strings; engine.warc.ingest applies them."""
from __future__ import annotations

import json
import re

__all__ = ["crawl_id_from", "warcinfo_fields", "parse_cc_languages"]

_CRAWL_ID = re.compile(r"CC-MAIN-\d{4}-\d{2}(?!\d)")


def crawl_id_from(path_or_url: str, warcinfo: dict | None = None) -> str | None:
    """CC-MAIN-YYYY-WW from a path or URL, else from a warcinfo record's isPartOf (its value as is if not CC)."""
    m = _CRAWL_ID.search(path_or_url or "")
    if m:
        return m.group(0)
    for k, v in (warcinfo or {}).items():
        if k.lower() == "ispartof" and v:
            m = _CRAWL_ID.search(v)
            return m.group(0) if m else v.strip()
    return None


def warcinfo_fields(payload: bytes | None) -> dict:
    """warcinfo and metadata payloads are 'key: value' lines (isPartOf: CC-MAIN-2020-34, ...); keys lowercased."""
    fields = {}
    for line in (payload or b"").decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    return fields


def parse_cc_languages(payload: bytes) -> tuple[str | None, float | None]:
    """Top language of a Common Crawl metadata record ('languages-cld2: {...}'): (ISO 639-1 or -3, coverage)."""
    for line in payload.splitlines():
        if not line.startswith(b"languages-cld2:"):
            continue
        try:
            langs = json.loads(line.split(b":", 1)[1]).get("languages") or []
        except (ValueError, AttributeError):
            return None, None
        langs = [entry for entry in langs if isinstance(entry, dict)]
        if not langs:
            return None, None
        top = max(langs, key=lambda entry: entry.get("text-covered") or 0)
        code = top.get("code") or top.get("code-iso-639-3")
        if code in ("un", "xx", "xxx", "und"):
            code = None
        covered = top.get("text-covered")
        return code, float(covered) if covered is not None else None
    return None, None
