"""Which column holds which field: recognised from the headers in any language the schema
knows, or chosen by the user (on the preview page, or ``--map FIELD=COLUMN``)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .errors import REASON_HEADER, MappingError
from .schema import Schema, normal_header

EXACT, WEAK, PARTIAL = 3, 2, 1  # how well a header names a field


def header_scores(schema: Schema, headers: list) -> dict[tuple[str, int], int]:
    """{(field name, column): score} for every header that names a field: exactly (3), by a
    weak synonym (2), or by containing a synonym as whole words ("Дата обращения (дд.мм)")."""
    names = {f.name: f.header_names() for f in schema.fields}
    # Whole words: " дата " is in " дата обращения дд мм ", " дат " is not.
    padded_names = {
        name: tuple(f" {s} " for s in strong if len(s) > 2) for name, (strong, _w) in names.items()
    }
    scores = {}
    for index, header in enumerate(headers):
        text = normal_header(header)
        if not text:
            continue
        padded = f" {text} "
        for name, (strong, weak) in names.items():
            if text in strong:
                score = EXACT
            elif text in weak:
                score = WEAK
            elif any(s in padded for s in padded_names[name]):
                score = PARTIAL
            else:
                continue
            scores[name, index] = score
    return scores


@dataclass
class Mapping:
    """{field name: column index}; ``chosen``: set by the user rather than guessed."""

    columns: dict[str, int] = field(default_factory=dict)
    chosen: bool = False

    def missing(self, schema: Schema) -> list:
        """The required fields without a column."""
        return [f for f in schema.required if f.name not in self.columns]

    def unused(self, headers: list) -> list[tuple[int, str]]:
        """The columns no field takes, as (index, header): listed so nothing is dropped
        silently. The reason column of a file of rejected rows is passed over."""
        used = set(self.columns.values())
        reasons = _reason_headers()
        return [
            (index, str(header if header is not None else ""))
            for index, header in enumerate(headers)
            if index not in used and normal_header(header) not in reasons
        ]


def _reason_headers() -> set[str]:
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(normal_header(str(REASON_HEADER)))
    return names


def guess_mapping(schema: Schema, headers: list) -> Mapping:
    """Each column to the field its header names best. Required fields choose first among
    the columns that name them (so "Кому" is the organisation when nothing else names one),
    then the others, best matches first; a column holds one field."""
    scores = header_scores(schema, headers)
    columns: dict[str, int] = {}
    taken: set[int] = set()

    def take(candidates):
        for (name, index), _score in sorted(candidates, key=lambda item: (-item[1], item[0][1])):
            if name not in columns and index not in taken:
                columns[name] = index
                taken.add(index)

    required = {f.name for f in schema.required}
    # A required field takes a column only where no other field names it better ...
    take(
        item
        for item in scores.items()
        if item[0][0] in required
        and not any(
            other_score > item[1]
            for (other, index), other_score in scores.items()
            if index == item[0][1] and other != item[0][0]
        )
    )
    # ... unless that leaves it without any column at all.
    for name in required - set(columns):
        take(item for item in scores.items() if item[0][0] == name)
    take(scores.items())
    # Shown in the schema's order.
    return Mapping({f.name: columns[f.name] for f in schema.fields if f.name in columns})


def column_index(headers: list, column) -> int:
    """A column named as the user names it: its header ("Куда"), its letter ("C") or its
    number from 1 ("3"). Raises MappingError."""
    text = str(column).strip()
    normal = normal_header(text)
    for index, header in enumerate(headers):
        if normal and normal_header(header) == normal:
            return index
    if text.isdigit() and 1 <= int(text) <= len(headers):
        return int(text) - 1
    if text.isalpha() and text.isascii() and len(text) <= 2:
        index = 0
        for letter in text.upper():
            index = index * 26 + ord(letter) - ord("A") + 1
        if 1 <= index <= len(headers):
            return index - 1
    raise MappingError(
        _("The file has no column “%(column)s”; its columns are: %(headers)s.")
        % {
            "column": text[:40],
            "headers": ", ".join(str(h) for h in headers if str(h or "").strip())[:300],
        }
    )


def mapping_from_choice(schema: Schema, headers: list, choice: dict[str, int | None]) -> Mapping:
    """The user's own choice of columns ({field name: column index, or None for none}),
    checked: a column holds one field, and it must exist. Required fields left without a
    column are allowed here (the preview says so) and refused when importing."""
    known = {f.name for f in schema.fields}
    unknown = set(choice) - known
    if unknown:
        raise MappingError(
            _("There is no field “%(name)s”; the fields are: %(fields)s.")
            % {"name": sorted(unknown)[0][:40], "fields": ", ".join(f.name for f in schema.fields)}
        )
    columns = {name: index for name, index in choice.items() if index is not None}
    if any(not 0 <= index < len(headers) for index in columns.values()):
        raise MappingError(_("That column does not exist in the file."))
    used = list(columns.values())
    if len(used) != len(set(used)):
        twice = next(index for index in used if used.count(index) > 1)
        names = [str(schema.field(n).label) for n, index in columns.items() if index == twice]
        raise MappingError(
            _("The column “%(column)s” is chosen for %(fields)s; a column can hold one field.")
            % {"column": str(headers[twice])[:40], "fields": " & ".join(names)}
        )
    return Mapping({f.name: columns[f.name] for f in schema.fields if f.name in columns}, True)


def mapping_with(schema: Schema, headers: list, base: Mapping, overrides: dict) -> Mapping:
    """``base`` with some fields moved ({field: column index or None}): a column taken for a
    field is released from whichever field held it before (the command line's ``--map``)."""
    columns = dict(base.columns)
    for name, index in overrides.items():
        for other, held in list(columns.items()):
            if held == index:
                del columns[other]
        columns[name] = index
    return mapping_from_choice(schema, headers, columns)
