"""The page frame's two loops, written by Python: the header's links and the language switch.

In Django's templates they took 0.15 ms of every signed-in page (a dozen links, four buttons,
each a few variable lookups and an ``{% if %}``); here a few µs. The markup is the same as the
loops they replace (base.html).

``{% once %}…{% endonce %}``: markup that is the same on every page in a language (the
stylesheet links, the brand, the footer …), rendered once per language and then given as
text. Each ``{% translate %}``, ``{% url %}`` and ``{% static %}`` costs 7 – 20 µs a page in
Django's templates; the frame has a dozen."""

from functools import lru_cache

from django import template
from django.template.base import FilterExpression, TextNode
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

_CURRENT = ' aria-current="page"'
_PRESSED = ' aria-pressed="true" disabled'
# (language, ((address, current), ...)) -> the links; the current page's path is part of the
# key, so a bound keeps addresses with ids (one entry per page visited) from growing it.
_NAV_LINKS: dict = {}
_NAV_LINKS_KEPT = 2048


@register.simple_tag
def nav_links(items) -> str:
    """``<li>`` links of the header's navigation (home.navigation's items). Each address has
    one label, translated: the links are written once per language and set of (address,
    current) pairs."""
    key = (get_language(), tuple((item["url"], bool(item["active"])) for item in items))
    links = _NAV_LINKS.get(key)
    if links is None:
        esc = conditional_escape
        links = mark_safe(  # noqa: S308 (every value is escaped)
            "".join(
                f'<li><a href="{esc(item["url"])}"'
                f"{_CURRENT if item['active'] else ''}>{esc(item['label'])}</a></li>"
                for item in items
            )
        )
        if len(_NAV_LINKS) >= _NAV_LINKS_KEPT:
            _NAV_LINKS.clear()
        _NAV_LINKS[key] = links
    return links


@register.simple_tag
def language_buttons(choices, current) -> str:
    """The language switch's buttons, the current language's pressed and disabled."""
    return _language_buttons(tuple(choices), current)


@lru_cache(maxsize=64)
def _language_buttons(choices: tuple, current: str) -> str:
    esc = conditional_escape
    return mark_safe(  # noqa: S308 (every value is escaped)
        "".join(
            f'<button type="submit" name="language" value="{esc(code)}" lang="{esc(code)}"'
            f"{_PRESSED if code == current else ''}>{esc(name)}</button>"
            for code, name in choices
        )
    )


def _constant(expression) -> bool:
    if expression is None:
        return True
    if not isinstance(expression, FilterExpression) or expression.filters:
        return False
    return not expression.is_var or expression.var.literal is not None


def _fixed(node) -> bool:
    """Whether the node gives the same text on every page in a language: nothing of the
    context (no variable, no filter, no ``as``) can reach it."""
    if isinstance(node, TextNode):
        return True
    if isinstance(node, TranslateNode):
        return node.asvar is None and _constant(node.filter_expression) and _constant(
            node.message_context
        )
    if isinstance(node, URLNode):
        return (
            node.asvar is None
            and _constant(node.view_name)
            and all(_constant(arg) for arg in node.args)
            and all(_constant(arg) for arg in node.kwargs.values())
        )
    if isinstance(node, StaticNode):
        return node.varname is None and _constant(node.path)
    return False


class OnceNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist
        self._texts = {}  # (language, script prefix) -> the markup

    def render(self, context):
        key = (get_language(), get_script_prefix(), context.autoescape)
        text = self._texts.get(key)
        if text is None:
            # An empty context: _fixed() has made sure nothing would read it.
            text = self.nodelist.render(Context(autoescape=context.autoescape))
            if len(self._texts) < 64:
                self._texts[key] = text
        return text


@register.tag
def once(parser, token):
    """``{% once %}…{% endonce %}``: text, and ``translate``, ``url`` and ``static`` with
    constant arguments only; anything else is refused when the template is compiled, so that
    a page can never show another page's (or another member's) text."""
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    for node in nodelist:
        if not _fixed(node):
            raise template.TemplateSyntaxError(
                "{% once %} takes text, and translate, url and static with constant "
                f"arguments only, not {token.contents!r} … {node!r}"
            )
    return OnceNode(nodelist)
