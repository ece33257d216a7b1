"""Markdown to safe HTML for guidance pages.

Two layers, each enough on its own for what it covers:

1. markdown-it-py (CommonMark and tables) with raw HTML off: ``<script>`` or ``<img onerror>``
   typed into a page become visible text. Its link check already refuses ``javascript:``,
   ``vbscript:``, ``file:`` and ``data:`` links (after decoding entities, so
   ``jav&#x61;script:`` too). On the tokens we then: drop every image whose address is not a
   path on this server (so nothing is ever loaded from elsewhere, which the CSP forbids
   anyway), turn links between pages (``[text](page:if-detained)``) into the address the
   caller gives, or plain text when the caller has none, make a ``#`` heading an ``h2`` (the
   page title is the only ``h1``), and turn table alignment into classes (the CSP refuses
   inline styles).
2. nh3 (ammonia) on the HTML: only the tags and attributes listed here survive; links may
   point to http, https, mailto or a relative address, and carry
   ``rel="noopener noreferrer nofollow"``; an image source must be a local path.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

PAGE_LINK = "page:"
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}

TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
CLASSES = {"th": ALIGN_CLASSES, "td": ALIGN_CLASSES}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"

_parser = MarkdownIt("commonmark", {"html": False}).enable("table")


def is_local_path(src: str) -> bool:
    """A path on this server (``/static/…``, ``pictures/map.png``): no scheme, no host, no
    ``//`` or backslash that a browser could read as another host, nothing invisible."""
    if not src or src.startswith("//") or "\\" in src or "%5c" in src.lower():
        return False
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in src):
        return False
    parts = urlsplit(src)
    return not parts.scheme and not parts.netloc and ":" not in src.split("/", 1)[0]


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not is_local_path(value):
        return None
    return value


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _inline(children: list[Token], link_for_topic, images: bool) -> list[Token]:
    out: list[Token] = []
    dropping_link = False
    for token in children:
        if token.type == "image":
            src = str(token.attrGet("src") or "")
            if images and is_local_path(src):
                out.append(token)
            elif token.content:
                out.append(_text(f"[{token.content}]"))
            continue
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if href.startswith(PAGE_LINK):
                target = link_for_topic(href[len(PAGE_LINK) :]) if link_for_topic else None
                if target is None:
                    dropping_link = True
                    continue
                token.attrSet("href", target)
        elif token.type == "link_close" and dropping_link:
            dropping_link = False  # links do not nest in CommonMark
            continue
        out.append(token)
    return out


def _adjust(tokens: list[Token], link_for_topic, images: bool) -> list[Token]:
    for token in tokens:
        if token.type in {"heading_open", "heading_close"} and token.tag == "h1":
            token.tag = "h2"
        elif token.type in {"th_open", "td_open"}:
            style = str(token.attrGet("style") or "")
            token.attrs.pop("style", None)
            if style.startswith("text-align:"):
                token.attrSet("class", "align-" + style.removeprefix("text-align:"))
        elif token.type == "inline" and token.children:
            token.children = _inline(token.children, link_for_topic, images)
    return tokens


def render_markdown(
    text: str,
    *,
    link_for_topic: Callable[[str], str | None] | None = None,
    images: bool = True,
) -> SafeString:
    """The page text as HTML that is safe to put into any page.

    ``link_for_topic(topic)`` gives the address of another page for ``[…](page:topic)``, or
    None where the reader may not open it (the link then stays plain text). ``images=False``
    keeps only the images' descriptions (the offline export has no server to load them from).
    """
    tokens = _adjust(_parser.parse(text or ""), link_for_topic, images)
    html = _parser.renderer.render(tokens, _parser.options, {})
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        allowed_classes=CLASSES,
        attribute_filter=_keep_attribute,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 with the allow-list above


def plain_text(text: str) -> str:
    """The words of a page without its Markdown: for search results."""
    blocks = []
    for token in _parser.parse(text or ""):
        if token.type == "inline" and token.children:
            blocks.append(
                "".join(
                    child.content if child.type in {"text", "code_inline"} else " "
                    for child in token.children
                    if child.type in {"text", "code_inline", "softbreak", "hardbreak"}
                )
            )
        elif token.type in {"code_block", "fence"}:
            blocks.append(token.content)
    return " ".join(" ".join(blocks).split())
