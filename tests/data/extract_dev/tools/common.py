"""Shared chrome for hand-written dev pages: site header, nav, sidebars, footers as real sites lay them out."""
from html import escape as e

def page(title, body, lang="en", head_extra=""):
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{e(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{head_extra}'
            f'<link rel="stylesheet" href="/static/site.css"><script>window.dataLayer=[];</script></head>\n'
            f'<body>\n{body}\n<script src="/static/app.js"></script></body></html>\n')

def links(items, cls="menu"):
    return f'<ul class="{cls}">' + "".join(f'<li><a href="/{i}/{k}">{e(t)}</a></li>' for k, (i, t) in enumerate(items)) + "</ul>"

def nav(words, cls="nav"):
    return links([(w.lower().replace(" ", "-"), w) for w in words], cls)

def p(text):
    return f"<p>{e(text)}</p>"
