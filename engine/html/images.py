"""Which images of the chosen body are content, and what text goes with them.

An image is kept where it stands unless it is page furniture: a tracking pixel or icon by declared size, a bullet
or button set inline on a line of text, an author/profile/share/badge picture by its own or its close ancestors'
class/id, or a file from an icon/logo/avatar folder, a vector icon or a shop button by URL. Its alt text is its
own alt/title, else its figure's caption: captions describe the image and are not body text (article-body
references leave them out), so a caption travels with its picture instead of being rendered.
"""
from __future__ import annotations

import re

from engine.html.blocks import BlockWriter
from engine.html.types import ExtractConfig
from engine.html.urls import best_srcset, choose_img_src, resolve

# folders that hold site furniture, whatever the file type
_FURNITURE_URL = re.compile(r"/(?:icons?|logos?|sprites?|avatars?|emoji|emoticons?|smilies|badges?|achievements?)/",
                            re.I)
# class/id of an image or its close ancestors that mark it as page furniture, never content
_NOT_PICTURE = re.compile(r"author|avatar|byline|profile|gravatar|headshot|bio(?:graphy)?(?:$|[\s_-])|"
                          r"user-?(?:info|pic|photo)|achievement|badge|logo|icon|emoji|smiley|share|social|"
                          r"sponsor|advert|banner", re.I)
# file names of shop and form controls (add-to-cart and basket buttons, "btn_" images), whatever the folder
_CONTROL_FILE = re.compile(r"(?:^|[^a-z])(?:btns?|buttons?)(?:[^a-z]|$)|(?:cart|basket|wishlist)(?:[^a-z]|$)", re.I)
# legacy align values that sit an image on a line of text: bullets, dividers, badges, buttons beside a label
_INLINE_ALIGN = frozenset("absmiddle middle texttop absbottom baseline".split())
_ICON = re.compile(r"\.svg(?:$|\?)|/(?:icons?|logos?|sprites?|avatars?|emoji|emoticons?|smilies)/|"
                   r"(?:^|[/_-])(?:icon|logo|sprite|spacer|pixel|avatar)s?[._-]", re.I)


def _keep_image(img, cfg: ExtractConfig) -> bool:
    """Not a tracking pixel, icon, avatar or logo: by declared size, by a legacy inline `align` (an image set on
    a line of text: a bullet, a divider, a button) and by the image's and its close ancestors' class/id
    (author boxes, profile cards, share bars, badges)."""
    attrs = img.attributes
    if (attrs.get("align") or "").strip().lower() in _INLINE_ALIGN:
        return False
    dims = []
    for dim in ("width", "height"):
        value = (attrs.get(dim) or "").strip().removesuffix("px")
        if value.isdigit():
            if int(value) <= cfg.max_tiny_image_px:
                return False
            dims.append(int(value))
    if len(dims) == 2 and max(dims) < cfg.min_image_px:
        return False
    node, level = img, 0
    while node is not None and level < 4:
        a = node.attributes
        if _NOT_PICTURE.search(f"{a.get('class') or ''} {a.get('id') or ''}"):
            return False
        node, level = node.parent, level + 1
    return True


def _is_furniture_url(url: str) -> bool:
    """Vector icons, images from icon/logo/avatar folders and button images (cart, basket, "btn") are never
    picture content."""
    path = url.split("?")[0]
    return bool(_FURNITURE_URL.search(path) or (_ICON.search(url) and path.lower().endswith(".svg"))
                or _CONTROL_FILE.search(path.rsplit("/", 1)[-1]))


def has_picture(node) -> bool:
    """`node` holds an image that may be content. A tag icon before a list of tag links or a clock before a
    date is furniture (judged by URL as `write_image` judges it): it does not make a link list or a metadata line
    worth keeping."""
    for img in node.css("img, picture"):
        url = choose_img_src(img.attributes) if img.tag == "img" else None
        if not url or not _is_furniture_url(url):
            return True
    return False


def is_picture(img, cfg: ExtractConfig) -> bool:
    """An <img> that `write_image` would keep as a picture of the story (not furniture by URL, size or class)."""
    url = choose_img_src(img.attributes)
    return bool(url) and not _is_furniture_url(url) and _keep_image(img, cfg)


def write_image(node, w: BlockWriter, base: str | None, cfg: ExtractConfig) -> None:
    if node.tag == "picture":
        img = node.css_first("img")
        sources = [s.attributes for s in node.css("source")]
        if img is None:
            url = next((best_srcset(s.get("srcset") or s.get("data-srcset") or "") for s in sources), None)
            w.image(resolve(url, base), None)
            return
    else:
        img, sources = node, []
    if not _keep_image(img, cfg):
        return
    attrs = img.attributes
    url = resolve(choose_img_src(attrs, sources), base)
    if url and _is_furniture_url(url):
        return
    w.image(url, attrs.get("alt") or attrs.get("title") or _figure_caption(img))


def _figure_caption(img) -> str | None:
    """The <figcaption> of the image's <figure>: the caption travels with the image as its alt text (it is
    not body text: article-body references leave captions out)."""
    node, level = img.parent, 0
    while node is not None and level < 4:
        if node.tag == "figure":
            cap = node.css_first("figcaption")
            return " ".join(cap.text().split()) or None if cap is not None else None
        node, level = node.parent, level + 1
    return None


def caption_to_alt(caption, container) -> None:
    """A caption beside its picture (a "photo" box of one image and a caption span) becomes the picture's alt
    text where it has none, as a <figcaption> does: captions are not body text, but they describe the image."""
    node, level = caption.parent, 0
    while node is not None and level < 3 and node.mem_id != container.mem_id:
        imgs = node.css("img")
        if imgs:
            if len(imgs) == 1 and not (imgs[0].attributes.get("alt") or "").strip():
                imgs[0].attrs["alt"] = " ".join(caption.text().split())
            return
        node, level = node.parent, level + 1
