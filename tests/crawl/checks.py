"""The checks run on every page the crawler reads: English words on Russian and Ukrainian pages
(beside the proper names of the allow-list), English text of the catalogue shown untranslated,
and date inputs whose value a browser cannot read."""

import re
from functools import cache
from pathlib import Path

import polib

from .allowlist import ALLOWED
from .page import Page

LOCALE = Path(__file__).resolve().parents[2] / "locale"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EDGE_PUNCTUATION = ".,:;!?()[]{}«»\"“”„'’‘…—–-/*·•|<>+"
# A token with a digit, an underscore, an @, a slash, or a dot or colon inside is technical (a
# file name, an address, a hash, a codename with its number, a link in Markdown), not a word;
# so is a letter in brackets that numbers a point of a law ("1F(a), (b)").
_TECHNICAL = re.compile(r"[0-9_@/\\]|\w[.:]\w|\]\(|\([a-z]\)")
_WORD = re.compile(r"\w+")
# The start of an id or a hash as the pages show it (eight hexadecimal digits, "ceabadad") can
# happen to hold letters only; no English text of the catalogue is such a word.
_HEX_ID = re.compile(r"[0-9a-f]{8,}")
# Lower-case words joined by hyphens: an address or a name in code (if-detained, de-asylum).
_SLUG = re.compile(r"[a-z]+(?:-[a-z]+)+")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
# Common English words that are not German: one of them on a German page is untranslated text.
ENGLISH_NOT_GERMAN = {
    "the", "and", "with", "is", "are", "you", "your", "to", "for", "this", "that", "has",
    "have", "from", "or", "be", "been", "were", "which", "when", "what", "who", "not", "no",
    "yet", "here", "there", "there's", "it", "its", "by", "at", "on",
}  # fmt: skip


def english_words(text: str) -> set[str]:
    """Words in Latin letters that are neither technical tokens nor allowed proper names."""
    found = set()
    for chunk in text.split():
        if _TECHNICAL.search(chunk):  # before the punctuation goes: "/intake/" is a path
            continue
        chunk = chunk.strip(_EDGE_PUNCTUATION)
        if not chunk or chunk in ALLOWED or _SLUG.fullmatch(chunk) or _HEX_ID.fullmatch(chunk):
            continue
        for part in re.split(r"[-–=:,;()\[\]\"«»]", chunk):
            part = part.strip(_EDGE_PUNCTUATION)
            if part and _LATIN_WORD.fullmatch(part) and part not in ALLOWED:
                found.add(part)
    return found


def english_on_a_german_page(text: str) -> set[str]:
    words = {w.strip(_EDGE_PUNCTUATION) for w in text.split()}
    return words & ENGLISH_NOT_GERMAN


@cache
def untranslated_catalogue(language: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """English texts of the catalogue that must not be shown as they are on a page in
    ``language``: those with no translation, fuzzy ones, and those translated differently.
    Returns the short ones (matched against whole text pieces) and the long ones (matched
    inside the text)."""
    whole, inside = set(), set()
    for entry in polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po")):
        if entry.obsolete:
            continue
        texts = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        translations = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        translated = entry.translated() and "fuzzy" not in entry.flags
        for text in texts:
            if translated and text in translations:
                continue  # the same in both languages ("OK", "Status" in German)
            for piece in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>", text):
                piece = " ".join(piece.split()).strip(" .,:;")
                if len(piece.split()) >= 3 and not any(c in piece for c in "{}%"):
                    inside.add(piece)
                elif piece and piece == " ".join(text.split()).strip(" .,:;"):
                    whole.add(piece)
    return frozenset(whole), tuple(sorted(inside, key=len, reverse=True))


def untranslated(page: Page, language: str) -> set[str]:
    whole, inside = untranslated_catalogue(language)
    found = {text for text in page.texts if text.strip(" .,:;") in whole}
    joined = " ".join(page.texts)
    words = set(_WORD.findall(joined))
    # A long text can only be on the page if its first word is: most are ruled out at once.
    found.update(piece for piece in inside if _WORD.search(piece)[0] in words and piece in joined)
    return found


def problems_of(page: Page, language: str) -> list[str]:
    problems = []
    if page.lang != language:
        problems.append(f'<html lang="{page.lang}">')
    if language != "en" and (found := untranslated(page, language)):
        problems.append("untranslated: " + " | ".join(sorted(found)))
    text = " ".join(page.texts)
    if language in {"ru", "uk"} and (found := english_words(text)):
        problems.append("English words: " + " ".join(sorted(found)))
    if language == "de" and (found := english_on_a_german_page(text)):
        problems.append("English words: " + " ".join(sorted(found)))
    if bad := [
        f"{name}={value!r}"
        for name, value in page.date_values
        if value and not ISO_DATE.fullmatch(value)
    ]:
        problems.append("date inputs not in ISO form: " + ", ".join(bad))
    return problems
