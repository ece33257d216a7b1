"""What a member sees on one page, read with the standard library's HTML parser: the visible
text (with the attributes a reader sees or hears: placeholders, titles, alternative text,
labels of buttons), the links, the forms and the values of the date inputs.

Text inside an element marked as another language (``lang="de"`` on a German button of the
language switcher, a Russian guidance page read in the English interface), marked not to be
translated (``translate="no"``) or marked as computer text (``<code>``, ``<kbd>``, ``<samp>``:
a command, a key, a file name) is kept apart: it is foreign by declaration, not by mistake."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements whose content is not shown.
_HIDDEN = {"script", "style", "template", "head", "title", "noscript"}
# Elements whose content is computer text, in no human language.
_CODE = {"code", "kbd", "samp"}
# Attributes shown or read out to the member.
_SHOWN_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
# Fields a member fills in (a form of buttons alone is an action, not a form to get wrong).
FILLED_IN = {
    "text", "textarea", "select", "date", "datetime-local", "number", "email", "file",
    "password", "url", "search", "tel", "month", "time",
}  # fmt: skip


@dataclass
class Form:
    method: str
    action: str
    fields: list[dict] = field(default_factory=list)  # each: tag, type, name, value

    @property
    def filled_in(self) -> bool:
        return any(f["type"] in FILLED_IN for f in self.fields)


@dataclass
class Page:
    lang: str = ""
    texts: list[str] = field(default_factory=list)
    set_apart: list[str] = field(default_factory=list)  # another language, code, translate=no
    links: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    date_values: list[tuple[str, str]] = field(default_factory=list)  # (name, value)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        # Open elements: (tag, hides its content, language it declares or "", sets it apart).
        self.stack: list[tuple[str, bool, str, bool]] = []
        self.form: Form | None = None

    @property
    def _hidden(self) -> bool:
        return any(hides for _tag, hides, _lang, _apart in self.stack)

    @property
    def _apart(self) -> bool:
        if any(apart for _tag, _hides, _lang, apart in self.stack):
            return True
        for _tag, _hides, lang, _apart in reversed(self.stack):
            if lang:
                return lang.split("-")[0] != self.page.lang.split("-")[0]
        return False

    def _shown(self, text: str) -> None:
        text = " ".join(text.split())
        if text:
            (self.page.set_apart if self._apart else self.page.texts).append(text)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.page.lang = attributes.get("lang", "")
        if tag not in _VOID:
            hides = tag in _HIDDEN or "hidden" in attributes
            lang = attributes.get("lang", "") if tag != "html" else ""
            apart = tag in _CODE or attributes.get("translate") == "no"
            self.stack.append((tag, hides, lang, apart))
        if self._hidden:
            return
        for name in _SHOWN_ATTRIBUTES:
            self._shown(attributes.get(name, ""))
        if tag == "a" and attributes.get("href"):
            self.page.links.append(attributes["href"])
        elif tag == "form":
            method = attributes.get("method", "get").lower()
            self.form = Form(method=method, action=attributes.get("action", ""))
            self.page.forms.append(self.form)
        elif tag in {"input", "select", "textarea", "button"}:
            self._field(tag, attributes)

    def _field(self, tag, attributes):
        if tag == "input":
            kind = attributes.get("type", "text").lower()
        elif tag == "button":
            kind = attributes.get("type", "submit").lower()
        else:
            kind = tag
        if tag == "input" and kind in {"submit", "button", "reset"}:
            self._shown(attributes.get("value", ""))
        if kind == "date":
            self.page.date_values.append((attributes.get("name", ""), attributes.get("value", "")))
        if self.form is not None and attributes.get("name"):
            self.form.fields.append(
                {
                    "tag": tag,
                    "type": kind,
                    "name": attributes["name"],
                    "value": attributes.get("value", ""),
                }
            )

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if all(entry[0] != tag for entry in self.stack):
            return  # a stray end tag
        while self.stack:
            top = self.stack.pop()[0]
            if top == "form":
                self.form = None
            if top == tag:
                break

    def handle_data(self, data):
        if not self._hidden:
            self._shown(data)


def read(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page
