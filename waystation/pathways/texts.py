"""The texts of the catalogue: each in up to four languages, shown in the reader's language or
in English with a note, with fragments in another language (the name of a law as its country
writes it) marked for browsers and screen readers."""

import re
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

FALLBACK_LANGUAGE = "en"
LANGUAGES = ("en", "ru", "de", "uk")  # every shipped text is in all four (a test checks)

Texts = dict[str, str]  # language code -> the text in that language; "en" always present


def texts(value) -> Texts | None:
    """A text field as the files may write it: plain text (English), or a mapping of languages.
    Always a mapping here, so that the pages need not care which."""
    if value is None:
        return None
    return {FALLBACK_LANGUAGE: value} if isinstance(value, str) else dict(value)


# A fragment in another language inside a text — the name of a law or a court case as it is
# written in its country: [[de:Aufenthaltsgesetz]]. Pages show it marked with its language
# (<span lang="de">), so that browsers and screen readers say it right, and a page that holds
# no foreign words can tell a name given on purpose from a translation forgotten.
FOREIGN = re.compile(r"\[\[([a-z]{2,3}(?:-[A-Za-z]{2,8})?):([^\[\]]+)\]\]")


def plain(text: str) -> str:
    """The text without the marks of foreign fragments: for titles, sorting and the PDF."""
    return FOREIGN.sub(lambda match: match.group(2), text)


@dataclass(frozen=True)
class Localized:
    """One text in the language asked for, or in English where it has none; ``lang`` says
    which, for the page's lang attribute, and ``fallback`` that the reader asked for another
    language: the page then says the text is not yet translated. ``text`` is plain; ``html``
    marks foreign fragments with their language and keeps the line breaks."""

    text: str
    lang: str
    fallback: bool = False
    # The text as the file writes it, with its foreign fragments marked.
    marked: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.text

    @property
    def html(self) -> str:
        source = self.marked or self.text
        parts, last = [], 0
        for match in FOREIGN.finditer(source):
            parts.append(escape(source[last : match.start()]))
            parts.append(format_html('<span lang="{}">{}</span>', *match.groups()))
            last = match.end()
        parts.append(escape(source[last:]))
        return mark_safe("".join(parts).replace("\n", "<br>"))  # noqa: S308 - escaped above


def reader_language(language: str | None = None) -> str:
    return (language or get_language() or FALLBACK_LANGUAGE).split("-")[0]


def localized(texts: Texts | None, language: str | None = None) -> Localized | None:
    if not texts:
        return None
    language = reader_language(language)
    if texts.get(language):
        return Localized(plain(texts[language]), language, marked=texts[language])
    english = texts[FALLBACK_LANGUAGE]
    return Localized(plain(english), FALLBACK_LANGUAGE, fallback=True, marked=english)
