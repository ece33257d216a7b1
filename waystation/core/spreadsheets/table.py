"""Where the table starts and ends in a sheet: title rows, merged title cells, blank rows and
notes above the header are passed over; totals and notes below the data are left out, and
both are said on the preview."""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .errors import SpreadsheetError
from .mapping import header_scores
from .reading import Grid, RawRow
from .schema import Schema
from .values import cell_text

# The header is looked for among the first rows only: nobody writes 30 lines of title.
HEADER_SEARCH_ROWS = 30
_TOTALS = re.compile(
    r"^\s*(итого|итог|всего|разом|усього|всього|підсумок|total|totals|grand total|sum|summe|"
    r"gesamt|insgesamt|gesamtsumme)\b",
    re.IGNORECASE,
)


@dataclass
class Table:
    """The part of a sheet that is the list: its header row and the data rows below it."""

    grid: Grid
    header_line: int  # the row number of the header, as the user sees it
    headers: list[str]
    rows: list[RawRow]
    header_guessed: bool = True  # False: the user chose the header row
    above: list[RawRow] = field(default_factory=list)  # titles and notes passed over
    below: list[RawRow] = field(default_factory=list)  # totals and notes left out

    @property
    def kind(self) -> str:
        return self.grid.kind


def _header_text(cell) -> str:
    return "" if cell is None else cell_text(cell).strip()


def _score(schema: Schema, cells: list) -> tuple[int, int]:
    """How much a row looks like this schema's header: the best score of each field among
    its cells, summed; then how many cells are text (a header is words, not numbers)."""
    best: dict[str, int] = {}
    for (name, _index), score in header_scores(schema, [_header_text(c) for c in cells]).items():
        best[name] = max(best.get(name, 0), score)
    words = sum(
        1 for c in cells if isinstance(c, str) and c.strip() and not c.strip()[0].isdigit()
    )
    return sum(best.values()), words


def find_header(grid: Grid, schema: Schema) -> int:
    """The index in ``grid.rows`` of the row that names the most fields. Where no row names
    any, the first row at least half as wide as the widest: a title is one merged cell."""
    candidates = grid.rows[:HEADER_SEARCH_ROWS]
    best_index, best_score = None, (0, 0)
    for index, row in enumerate(candidates):
        score = _score(schema, row.cells)
        if score[0] > best_score[0]:
            best_index, best_score = index, score
    if best_index is not None:
        return best_index
    widest = max(sum(1 for c in row.cells if _header_text(c)) for row in candidates)
    for index, row in enumerate(candidates):
        if sum(1 for c in row.cells if _header_text(c)) * 2 >= widest:
            return index
    return 0


def _trailing(rows: list[RawRow], width: int) -> int:
    """How many rows at the end are totals or notes: rows starting with a totals word
    ("Итого: 12", "Summe"), and rows of a single cell in a block set off from the data by a
    blank row ("Примечание: …"). Only the last few rows are looked at."""
    cut = 0
    for position in range(len(rows) - 1, max(0, len(rows) - 11), -1):
        row = rows[position]
        filled = [c for c in row.cells if _header_text(c)]
        if filled and _TOTALS.match(_header_text(filled[0])):
            cut = len(rows) - position
            continue
        if len(filled) == 1 and width >= 3:
            if row.line - rows[position - 1].line > 1:  # a blank row above: a block of notes
                cut = len(rows) - position
            continue
        break
    return cut


def locate_table(grid: Grid, schema: Schema, *, header_row: int | None = None) -> Table:
    """The table in ``grid``: the header row found by its names (or given as the row number
    the user sees), the data rows below it, and the totals or notes at the end left out."""
    if header_row is None:
        at = find_header(grid, schema)
    else:
        at = next((i for i, row in enumerate(grid.rows) if row.line == header_row), None)
        if at is None:
            raise SpreadsheetError(
                _("Row %(line)d is empty or not in the file; choose another header row.")
                % {"line": header_row}
            )
    header = grid.rows[at]
    body = grid.rows[at + 1 :]
    if not body:
        raise SpreadsheetError(
            _("The file has a header row (row %(line)d) but no data rows below it.")
            % {"line": header.line}
        )
    headers = [_header_text(c) for c in header.cells]
    width = max(len(headers), 1)
    cut = _trailing(body, width)
    rows, below = (body[: len(body) - cut], body[len(body) - cut :]) if cut else (body, [])
    if not rows:
        rows, below = body, []
    return Table(
        grid=grid,
        header_line=header.line,
        headers=headers,
        rows=rows,
        header_guessed=header_row is None,
        above=grid.rows[:at],
        below=below,
    )
