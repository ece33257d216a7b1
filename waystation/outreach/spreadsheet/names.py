"""Normalised organisation names, so that "Pro Asyl", "PRO  ASYL" and "«Pro Asyl»" are one."""

import re
import unicodedata

_PUNCTUATION = re.compile(r"[\s\"'«»„“”‚‘’`.,;:!?()\[\]{}\-–—/\\]+")


def organisation_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold().replace("ё", "е")
    return _PUNCTUATION.sub(" ", text).strip()
