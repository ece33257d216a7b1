"""Format modules (settings.FORMAT_MODULE_PATH), looked up before Django's own per language.

An ``<input type="date">`` takes and gives ISO dates ("2026-12-06") whatever the language; the
browser shows them the reader's way. Django fills such an input with the language's first
input format, so Russian got "06.12.2026", which the browser rejects and shows as an empty
field. Here the first input format is ISO in every language; the language's own forms are still
accepted when typed into a plain text field. Dates shown as text come from CLDR (core/dates.py).
"""

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def iso_first(formats, first):
    first = (first,) if isinstance(first, str) else tuple(first)
    return [*first, *(f for f in formats if f not in first)]
