"""Diceware codenames for requesters: seven words drawn with ``secrets`` from a list of 7,776
words in the language the requester chose (English, Russian or Ukrainian; data/README.md),
12.9 bits a word, about 90 bits whatever the language. The requester types it to read replies;
only a slow hash of it is stored (core.keys.slow_digest), as SecureDrop does.

Signing in does not need to know the language: the words typed are normalised (case, spacing,
ё as е) and hashed, so codenames given before Russian and Ukrainian lists existed open their
requests as before.
"""

import secrets
from functools import cache
from pathlib import Path

from waystation.core.keys import Purpose, slow_digest

WORDS_PER_CODENAME = 7
WORDLIST_SIZE = 7776
_DATA = Path(__file__).parent / "data"
_WORDLISTS = {
    "en": "eff_large_wordlist.txt",
    "ru": "ru_wordlist.txt",
    "uk": "uk_wordlist.txt",
}
# Each language in its own name: the requester may not read the page's language.
LANGUAGES = (("ru", "Русский"), ("uk", "Українська"), ("en", "English"))
DEFAULT_LANGUAGE = "en"


@cache
def wordlist(language: str = DEFAULT_LANGUAGE) -> tuple[str, ...]:
    path = _DATA / _WORDLISTS[language]
    words = tuple(path.read_text(encoding="utf-8").split())
    if len(words) != WORDLIST_SIZE or len(set(words)) != WORDLIST_SIZE:
        raise RuntimeError(f"{path} is damaged: expected 7,776 distinct words")
    return words


def language_for(requested: str | None) -> str:
    """The list for a language code (a form's choice, or the page's language); English where
    there is no list in that language."""
    code = (requested or "").split("-")[0].lower()
    return code if code in _WORDLISTS else DEFAULT_LANGUAGE


def generate(language: str = DEFAULT_LANGUAGE) -> str:
    words = wordlist(language_for(language))
    return " ".join(secrets.choice(words) for _ in range(WORDS_PER_CODENAME))


def normalise(typed: str) -> str:
    """What was typed, in any case and spacing, with ё as е, as the canonical codename. English
    codenames normalise exactly as they always did."""
    return " ".join(typed.lower().replace("ё", "е").split())


def lookup(typed: str) -> str:
    return slow_digest(Purpose.INTAKE_CODENAMES, normalise(typed))
