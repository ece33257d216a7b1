"""The import engine: one way for every kind of record to come in from the spreadsheets people
really keep (CSV in any common encoding and delimiter, XLSX, ODS), and the writer for tables
going out. No database here: a feature app describes its record and writes it.

How a record kind plugs in
--------------------------

1. Describe the record as a ``Schema`` of ``Field``s, in the order the preview shows them::

       from waystation.core import spreadsheets as sheets

       SCHEMA = sheets.Schema(
           fields=[
               sheets.Field("date", gettext_lazy("Date"), required=True,
                            synonyms={"en": ["date", "sent"], "ru": ["дата", "когда"],
                                      "de": ["datum"], "uk": ["дата"]},
                            parser=sheets.Dates()),
               sheets.Field("organisation", gettext_lazy("Organisation"), required=True,
                            synonyms=["организация", "куда", "organisation", "wohin"],
                            weak_synonyms=["кому"]),
               sheets.Field("full_name", gettext_lazy("Full name"), sensitive=True,
                            synonyms=["фио", "full name", "name"]),
               sheets.Field("family", gettext_lazy("Family members"),
                            parser=sheets.Integer(minimum=0, maximum=30)),
           ],
           row_check=lambda values: [...],  # reasons the whole row is refused, [] if none
       )

   A field's label in every language of the site is one of its synonyms by itself.
   ``weak_synonyms`` name the field only where no column names it better. ``parser`` is a
   ``Parser`` (``Text``, ``Dates``, ``Integer``, or your own subclass with ``parse(value)`` and,
   if it needs the whole column first, ``column(values)``), or a plain function; it raises
   ``CellError(message, safe=…)`` for a value it cannot use. An empty cell never reaches it: a
   required field is then refused ("“Organisation” is empty"), another gets ``parser.empty``.
   A ``sensitive`` field (it names a person) is never shown beyond "filled": not in samples,
   flags or reasons (``CellError.safe`` is used, without the cell's text).

2. Read, locate, map, check::

       grid = sheets.read_grid(data, encoding=None, delimiter=None)  # SpreadsheetError
       table = sheets.locate_table(grid, SCHEMA, header_row=None)    # SpreadsheetError
       mapping = sheets.guess_mapping(SCHEMA, table.headers)
       # or the user's: sheets.mapping_from_choice(SCHEMA, table.headers, {"date": 0, …})
       # or sheets.mapping_with(SCHEMA, table.headers, mapping, {"organisation": 2})
       plan = sheets.check(table, SCHEMA, mapping)

   ``read_table(data, SCHEMA, options)`` does the first two with ``ReadOptions(encoding,
   delimiter, header_row)``. ``grid`` says what was detected (``kind``, ``encoding``,
   ``delimiter``, ``sheet``, ``passed_over`` hidden sheets); ``table`` where the list is
   (``header_line`` as the user numbers rows, ``headers``, ``rows`` of ``RawRow(line,
   cells)``, ``above`` titles passed over, ``below`` totals and notes left out);
   ``mapping.columns`` is {field name: column index}, ``mapping.missing(SCHEMA)`` the required
   fields without a column, ``mapping.unused(headers)`` the columns no field takes.

   ``plan.records`` are ``Record(line, values)`` with ``values`` {field name: parsed value}
   for every field; ``plan.rejected`` are ``Rejected(line, reasons, cells)`` with every
   problem of the row; ``plan.flags`` formula-looking cells taken as text; ``plan.notes``
   how columns were read ("Date: dates with slashes are read day first, as 13/02/2023
   shows"). Checks against the database come after: ``plan.reject({line: [reason, …]})``.
   ``reason_text(line, reasons)`` is "line 33: 31.02.2023 is not a date; …".

3. Write, in the feature's service (permission check, ``transaction.atomic``, audit row)::

       plan.refuse_unless_importable(mode)   # ImportRefused: missing columns, refused rows
                                             # with mode ALL_OR_NOTHING, or no rows at all
       ... write plan.records ...
       if mode == GOOD_ROWS and plan.rejected:
           content, extension, content_type = sheets.rejected_file(plan)

   ``rejected_file`` gives the refused rows back in the format they came in, with a last
   column saying why; an import passes over that column when the fixed file comes back.

Limits (``MAX_INPUT_BYTES``, ``MAX_ROWS``, ``MAX_COLUMNS``) are said with the numbers
("The file is 31 MB; the limit is 20 MB."): ``too_large(size)`` for a check before reading.
``ENCODINGS`` and ``DELIMITERS`` are the choices offered on a preview, with their labels.
For the web pages, ``waystation.core.spreadsheets.web`` keeps the upload in the encrypted
blob store between preview and confirmation and builds the preview's context.
"""

from .bulk import collector_paused
from .checking import (
    ALL_OR_NOTHING,
    GOOD_ROWS,
    Flag,
    Plan,
    Record,
    Rejected,
    check,
    reason_text,
)
from .dates import Dates, ParsedDate, month_year
from .errors import CellError, ImportRefused, MappingError, SpreadsheetError
from .mapping import Mapping, column_index, guess_mapping, mapping_from_choice, mapping_with
from .reading import (
    DELIMITERS,
    ENCODINGS,
    MAX_COLUMNS,
    MAX_INPUT_BYTES,
    MAX_ROWS,
    Grid,
    RawRow,
    read_grid,
    size_text,
    too_large,
)
from .schema import Field, Schema, normal_header
from .table import Table, locate_table
from .values import ColumnParser, Function, Integer, Parser, Text, cell_text
from .writing import CONTENT_TYPES, REASON_HEADER, rejected_file, safe_cell, write_table

__all__ = [
    "ALL_OR_NOTHING",
    "CONTENT_TYPES",
    "DELIMITERS",
    "ENCODINGS",
    "GOOD_ROWS",
    "MAX_COLUMNS",
    "MAX_INPUT_BYTES",
    "MAX_ROWS",
    "REASON_HEADER",
    "CellError",
    "ColumnParser",
    "Dates",
    "Field",
    "Flag",
    "Function",
    "Grid",
    "ImportRefused",
    "Integer",
    "Mapping",
    "MappingError",
    "ParsedDate",
    "Parser",
    "Plan",
    "RawRow",
    "ReadOptions",
    "Record",
    "Rejected",
    "Schema",
    "SpreadsheetError",
    "Table",
    "Text",
    "cell_text",
    "check",
    "collector_paused",
    "column_index",
    "guess_mapping",
    "locate_table",
    "mapping_from_choice",
    "mapping_with",
    "month_year",
    "normal_header",
    "read_grid",
    "read_table",
    "reason_text",
    "rejected_file",
    "safe_cell",
    "size_text",
    "too_large",
    "write_table",
]

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadOptions:
    """What the user corrected on the preview or gave on the command line; None: detected."""

    encoding: str | None = None  # a key of ENCODINGS
    delimiter: str | None = None  # a key of DELIMITERS
    header_row: int | None = None  # the header's row number, as the user sees it


def read_table(data: bytes, schema: Schema, options: ReadOptions = ReadOptions()) -> Table:
    """``read_grid`` then ``locate_table``."""
    grid = read_grid(data, encoding=options.encoding, delimiter=options.delimiter)
    return locate_table(grid, schema, header_row=options.header_row)
