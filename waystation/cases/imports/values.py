"""What a cell of a list of people becomes: a codename, a status, an urgency, needs, family
members. Each parser takes a cell as the import engine gives it (never empty) and returns the
value, or raises ``CellError`` with the reason shown for its row. The engine calls each parser
once per distinct cell of a file, so the lists below are looked up, not optimised.

Family cells must say who, not name anyone: "жена, 2 детей (5 и 8 лет)", "wife and son 7",
"3". A word that is neither a relation, a count nor an age refuses the row, without quoting
it (it may be a name): names belong in the identity vault, not in the family list.
"""

import re
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from waystation.core.spreadsheets.errors import CellError
from waystation.core.spreadsheets.values import cell_text

from .. import codenames
from ..models import NeedKind, Status, Urgency
from .vocabulary import (
    FILLER_WORDS,
    NEED_WORDS,
    NO_FAMILY,
    NUMBER_WORDS,
    RELATION_PAIRS,
    RELATION_PLURALS,
    RELATION_WORDS,
    STATUS_WORDS,
    URGENCY_WORDS,
    normal,
)

MAX_FAMILY = 20
MAX_AGE = 120

# The relation written into the case, in the importer's language (FamilyMember.relation is
# the free text a member would type).
RELATION_LABELS = {
    "wife": pgettext_lazy("family relation", "wife"),
    "husband": pgettext_lazy("family relation", "husband"),
    "spouse": pgettext_lazy("family relation", "partner"),
    "son": pgettext_lazy("family relation", "son"),
    "daughter": pgettext_lazy("family relation", "daughter"),
    "child": pgettext_lazy("family relation", "child"),
    "mother": pgettext_lazy("family relation", "mother"),
    "father": pgettext_lazy("family relation", "father"),
    "brother": pgettext_lazy("family relation", "brother"),
    "sister": pgettext_lazy("family relation", "sister"),
    "grandmother": pgettext_lazy("family relation", "grandmother"),
    "grandfather": pgettext_lazy("family relation", "grandfather"),
    "relative": pgettext_lazy("family relation", "family member"),
}


def _choice_words(choices, words: dict) -> dict[str, object]:
    """normal(word) -> value: the words above, the values themselves ("in_transit", 3) and the
    model's labels in every language of the site."""
    lookup: dict[str, object] = {}
    for value, label in choices.choices:
        lookup[normal(value)] = value
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                lookup[normal(str(label))] = value
    for value, names in words.items():
        for name in names:
            lookup[normal(name)] = value
    lookup.pop("", None)
    return lookup


@cache
def _statuses() -> dict[str, object]:
    return _choice_words(Status, STATUS_WORDS)


@cache
def _urgencies() -> dict[str, object]:
    return _choice_words(Urgency, URGENCY_WORDS)


@cache
def _needs() -> dict[str, object]:
    return _choice_words(NeedKind, NEED_WORDS)


@cache
def _relations() -> tuple[dict[str, str], frozenset[str]]:
    """normal(word) -> relation key, and which of those words are plurals."""
    plurals = {normal(word): key for key, words in RELATION_PLURALS.items() for word in words}
    singular = {normal(word): key for key, words in RELATION_WORDS.items() for word in words}
    return {**plurals, **singular}, frozenset(plurals.keys() - singular.keys())


_NO_FAMILY = frozenset(normal(word) for word in NO_FAMILY)
_FILLERS = frozenset(normal(word) for word in FILLER_WORDS) | {"х", "x"}
_NUMBERS = {normal(word): number for word, number in NUMBER_WORDS.items()}
_NOTHING = frozenset(("", "-", "no", "none", "нет", "nein", "keine", "ні", "немає", "n a"))


def _lookup(table: dict, text: str):
    """The value of the longest known phrase the text starts with ("задержан 12 марта" is
    detained), or None."""
    key = normal(text)
    if key in table:
        return table[key]
    words = key.split()
    for end in range(len(words) - 1, 0, -1):
        value = table.get(" ".join(words[:end]))
        if value is not None:
            return value
    return None


def _choices_said(choices) -> str:
    return ", ".join(str(label) for _value, label in choices.choices)


def codename(value) -> str:
    text = codenames.normalise(cell_text(value))
    if not codenames.CODENAME.match(text) or len(text) > 40:
        raise CellError(
            _(
                "“%(text)s” is not a codename: Latin letters in words joined by hyphens, "
                "usually ending in a number, for example amber-falcon-27"
            )
            % {"text": cell_text(value)[:40]}
        )
    return text


def status(value) -> str:
    found = _lookup(_statuses(), cell_text(value))
    if found is None:
        raise CellError(
            _("“%(text)s” is not a status; use one of: %(choices)s")
            % {"text": cell_text(value)[:40], "choices": _choices_said(Status)}
        )
    return found


def urgency(value) -> int:
    found = _lookup(_urgencies(), cell_text(value))
    if found is None:
        raise CellError(
            _("“%(text)s” is not an urgency; use one of: %(choices)s, or 1 to 4")
            % {"text": cell_text(value)[:40], "choices": _choices_said(Urgency)}
        )
    return found


_LIST_SEPARATORS = re.compile(r"[,;/+\n|•]+|\s(?:и|and|und|та|і|й|plus)\s", re.IGNORECASE)


def needs(value) -> tuple[tuple[str, str], ...]:
    """Needs as (kind, note): a word the lists do not know is kept as "other" with the word
    as its note, so nothing written in the cell is lost."""
    found: dict[str, str] = {}
    for part in _LIST_SEPARATORS.split(cell_text(value)):
        part = " ".join(part.split()).strip(" .-–—")
        if normal(part) in _NOTHING:
            continue
        kind = _lookup(_needs(), part)
        if kind is None:
            found.setdefault(NeedKind.OTHER, "")
            other = found[NeedKind.OTHER]
            found[NeedKind.OTHER] = f"{other}, {part}"[:300] if other else part[:300]
        else:
            found.setdefault(kind, "")
    return tuple(found.items())


_COUNT_X = re.compile(r"^(\d+)(?:x|х)$")  # "2х детей", "2x kids"
_PARENTHESES = re.compile(r"\(([^()]*)\)")
# Between the people of a family cell; "и"/"and" also join ages ("5 и 8 лет"), which the
# parsing below gives to the group before them.
_FAMILY_SEPARATORS = re.compile(
    r"[,;+/|\n•]+|\s(?:и|and|und|та|і|й|plus|with|mit|с|со|з|із)\s", re.IGNORECASE
)
_SEP, _NUM, _AGE, _REL = range(4)


def _family_error() -> CellError:
    reason = _(
        "the family column may hold only relations, counts and ages, for example "
        "“wife, 2 children (5 and 8)”; names belong in the identity columns"
    )
    return CellError(reason, safe=reason)


def _family_tokens(text: str) -> list[tuple]:
    """(kind, value) tokens: separators, numbers (with whether written as a word), ages given
    in parentheses, and relations (with whether the word is a plural)."""
    relations, plurals = _relations()
    tokens: list[tuple] = []
    pieces = _PARENTHESES.split(text)  # outside, inside, outside, …
    for position, piece in enumerate(pieces):
        inside = position % 2 == 1
        for number, part in enumerate(_FAMILY_SEPARATORS.split(piece)):
            if number and not inside:
                tokens.append((_SEP, None))
            for word in normal(part).split():
                if word in _FILLERS:
                    continue
                if inside:
                    if not word.isdigit():
                        raise _family_error()
                    tokens.append((_AGE, int(word)))
                elif (count := _number(word)) is not None:
                    tokens.append((_NUM, (count, not word[0].isdigit())))
                elif word in relations:
                    tokens.append((_REL, (relations[word], word in plurals)))
                else:
                    raise _family_error()
    return tokens


def family(value) -> tuple[tuple[str, int | None], ...]:
    """Family members as (relation key, age or None), from "жена и двое детей (5, 8 лет)",
    "сын 5, дочь", "2 детей 5 и 8", "3". A number before a relation is a count when it starts
    a part of the cell, is written as a word, comes before a plural, or the group before it
    has its ages; otherwise it is the age of the last relation named ("сын 5 дочь 3")."""
    text = normal(cell_text(value))
    if text in _NO_FAMILY:
        return ()
    if text.isdigit():
        count = int(text)
        if count > MAX_FAMILY:
            raise _family_too_large()
        return (("relative", None),) * count
    tokens = _family_tokens(cell_text(value))
    members: list[list] = []
    group: list[list] = []  # the members of the last relation named: ages after it are theirs
    count = None
    starts = True  # at the start of the cell or after a separator

    def unaged():
        return [member for member in group if member[1] is None]

    for index, (kind, token) in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else (None, None)
        if kind == _SEP:
            if count is not None:
                raise _family_error()
            starts = True
            continue
        if kind == _NUM:
            number, as_word = token
            if following[0] == _REL and (
                starts or as_word or following[1][1] or not unaged()
            ):
                count = number
            elif not as_word and unaged() and number <= MAX_AGE:
                unaged()[0][1] = number
            else:
                raise _family_error()
        elif kind == _AGE:
            if not unaged() or token > MAX_AGE:
                raise _family_error()
            unaged()[0][1] = token
        else:
            key, _plural = token
            group = [
                [relation, None]
                for _each in range(1 if count is None else count)
                for relation in RELATION_PAIRS.get(key, (key,))
            ]
            members.extend(group)
            count = None
            if len(members) > MAX_FAMILY:
                raise _family_too_large()
        starts = False
    if count is not None:
        raise _family_error()
    return tuple((relation, age) for relation, age in members)


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    match = _COUNT_X.match(token)
    if match:
        return int(match.group(1))
    return _NUMBERS.get(token)


def _family_too_large() -> CellError:
    reason = _("more than %(n)d family members in one row") % {"n": MAX_FAMILY}
    return CellError(reason, safe=reason)
