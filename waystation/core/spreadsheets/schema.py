"""A kind of record, as the import engine sees it: its fields, how each is recognised among a
file's headers and read from a cell, and the checks that need the whole row."""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation

from .values import Text, as_parser


def normal_header(text) -> str:
    """A header as it is compared: case, punctuation, "ё" and spacing do not count."""
    text = str(text or "").casefold().replace("ё", "е")
    return re.sub(r"[\W_]+", " ", text).strip()


@dataclass(frozen=True)
class Field:
    """One field of a record.

    ``synonyms``: the headers this field goes by, in any language (a flat list, or a dict of
    lists by language code, only for readability); the field's label in every language of the
    site counts too. ``weak_synonyms``: headers that name this field only when no column
    names it better ("Кому" is the organisation when there is no "Куда" or "Организация",
    otherwise the contact person). ``parser``: a ``values.Parser`` or a plain function.
    ``sensitive``: the value names a person; it is never printed, previewed (only "filled")
    or quoted in a reason. ``name_in_reasons``: a reason about this field starts with its
    label ("Response date: 31.02.2023 is not a date"), for fields that could be mistaken for
    another of the same kind."""

    name: str
    label: Any  # a lazy translation
    synonyms: Iterable[str] | Mapping[str, Iterable[str]] = ()
    weak_synonyms: Iterable[str] = ()
    required: bool = False
    parser: Any = field(default_factory=Text)
    sensitive: bool = False
    name_in_reasons: bool = False

    def __post_init__(self):
        object.__setattr__(self, "parser", as_parser(self.parser))

    def header_names(self) -> tuple[frozenset[str], frozenset[str]]:
        """(strong, weak) normalised header names of this field. Worked out once: the header
        row is looked for among 30 rows, each compared with every field's names, and the
        labels in every language made this a third of reading a 10,000-row file."""
        found = self.__dict__.get("_header_names")
        if found is None:
            found = self._header_names_now()
            object.__setattr__(self, "_header_names", found)
        return found

    def _header_names_now(self) -> tuple[frozenset[str], frozenset[str]]:
        synonyms = self.synonyms
        if isinstance(synonyms, Mapping):
            synonyms = [name for names in synonyms.values() for name in names]
        strong = {normal_header(name) for name in synonyms}
        strong.add(normal_header(self.name))
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                strong.add(normal_header(str(self.label)))
        weak = {normal_header(name) for name in self.weak_synonyms} - strong
        strong.discard("")
        return frozenset(strong), frozenset(weak)


@dataclass(frozen=True)
class Schema:
    """A kind of record: its fields in the order they are shown, and ``row_check``, which
    gets one row's parsed values (``{field name: value}``; a field whose cell was empty has
    its parser's empty value, "" or None; a field whose cell was refused is absent) and
    returns the reasons the row as a whole is refused ([] when none), e.g. "the response date
    is before the approach date".

    ``private``: the file is about people, so any column no field has recognised may name
    someone. The preview then shows values only of the columns taken by a field that is not
    sensitive; every other column, and the rows left out below the table, read "filled" or
    by their row number alone."""

    fields: tuple[Field, ...]
    row_check: Callable[[dict], list[str]] | None = None
    private: bool = False

    def __post_init__(self):
        object.__setattr__(self, "fields", tuple(self.fields))
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("two fields share a name")

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def required(self) -> list[Field]:
        return [f for f in self.fields if f.required]
