"""Diceware codenames for requesters: seven words from the EFF large word list (7,776 words),
about 90 bits, drawn with ``secrets``. The requester types it to read replies; only a slow hash
of it is stored (core.keys.slow_digest), as SecureDrop does."""

import secrets
from functools import cache
from pathlib import Path

from waystation.core.keys import Purpose, slow_digest

WORDS_PER_CODENAME = 7
_WORDLIST = Path(__file__).parent / "data" / "eff_large_wordlist.txt"


@cache
def wordlist() -> tuple[str, ...]:
    words = tuple(_WORDLIST.read_text(encoding="ascii").split())
    if len(words) != 7776 or len(set(words)) != 7776:
        raise RuntimeError(f"{_WORDLIST} is damaged: expected 7,776 distinct words")
    return words


def generate() -> str:
    words = wordlist()
    return " ".join(secrets.choice(words) for _ in range(WORDS_PER_CODENAME))


def normalise(typed: str) -> str:
    """What was typed, in any case and spacing, as the canonical codename."""
    return " ".join(typed.lower().split())


def lookup(typed: str) -> str:
    return slow_digest(Purpose.INTAKE_CODENAMES, normalise(typed))
