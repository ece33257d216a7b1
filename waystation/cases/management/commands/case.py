import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.policy import Perm, Side, system_actor
from waystation.cases import services
from waystation.cases.imports import planning
from waystation.cases.imports import services as imports
from waystation.cases.imports.schema import IDENTITY_NAMES, PEOPLE
from waystation.core import spreadsheets as sheets
from waystation.core.spreadsheets.web import DELIMITER_NAMES

# By name or as the character itself: "semicolon" or ";", "tab" or "\t".
_DELIMITERS = {
    **{delimiter: delimiter for delimiter in sheets.DELIMITERS},
    **{name: delimiter for delimiter, name in DELIMITER_NAMES.items()},
    "\\t": "\t",
    "pipe": "|",
}

# The operator at the server's command line: opens cases; an import also fills the identity
# vault of the new cases (the columns that name people), as a coordinator's import does.
NEW_ACTOR = system_actor("command.case.new", Perm.CASES_MANAGE)
IMPORT_ACTOR = system_actor(
    "command.case.import", Perm.CASES_MANAGE, Perm.CASES_VIEW, sides=[Side.IDENTITY]
)

IMPORT_HELP = (
    "Import a list of people (CSV, XLSX or ODS) as new cases: `case import FILE [--dry-run]`. "
    "Prints how the file was read, which column holds what, every refused row with its line "
    "and reasons, and `would import N cases; K rows rejected`. Columns that name a person "
    "(full name, callsign, phone, passport, address…) go into the encrypted identity vault; "
    "their values are never printed. Options may come before or after the file."
)


def _write_private(path: Path, content: bytes) -> None:
    """A new file only its owner can read (it names people), never one that exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CommandError(f"{path} exists already; choose a new file name") from None
    with os.fdopen(fd, "wb") as target:
        target.write(content)


class Command(BaseCommand):
    help = (
        "Cases from the command line. `case new [--codename NAME]` opens a case (a codename is "
        "generated unless given) and prints only its codename, for scripts. "
        "`case import FILE [--dry-run]` imports a list of people. "
        "`case send CODENAME --to PARTNER …` sends it to a partner group (see "
        "`waystation case send --help`)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        new = actions.add_parser(
            "new", help="open a case and print its codename", description=self.help
        )
        new.add_argument(
            "--codename", default="", help="e.g. amber-falcon-27 (default: a free one generated)"
        )
        take = actions.add_parser(
            "import", help="import a list of people as cases", description=IMPORT_HELP
        )
        take.add_argument("file", help="the spreadsheet: CSV, XLSX or ODS")
        take.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        take.add_argument(
            "--encoding", choices=sorted(sheets.ENCODINGS), help="of a CSV file (default: detected)"
        )
        take.add_argument(
            "--delimiter",
            help="of a CSV file: comma, semicolon, tab or bar (, ; \\t |); default: detected",
        )
        take.add_argument(
            "--header-row", type=int, metavar="N", help="the row with the headers, from 1"
        )
        take.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help=(
                "which column holds a field: its header, letter or number; FIELD= for none. "
                f"Fields: {', '.join(f.name for f in PEOPLE.fields)}"
            ),
        )
        take.add_argument(
            "--good-rows",
            metavar="REJECTED_FILE",
            help=(
                "import the good rows even if others are refused, and write the refused ones, "
                "with the reasons, to this new file to fix and import again"
            ),
        )

    def handle(self, *args, action, **options):
        if action == "new":
            self._new(options["codename"])
        else:
            self._import(options)

    def _new(self, codename: str) -> None:
        try:
            case = services.case_create(actor=NEW_ACTOR, codename=codename or None)
        except services.CaseError as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(case.codename)

    def _import(self, options) -> None:
        path = Path(options["file"])
        rejected_to = Path(options["good_rows"]) if options["good_rows"] else None
        if rejected_to is not None and rejected_to.exists():
            raise CommandError(f"{rejected_to} exists already; choose a new file name")
        delimiter = options["delimiter"]
        if delimiter is not None:
            delimiter = _DELIMITERS.get(delimiter.strip().lower() or delimiter)
            if delimiter is None:
                raise CommandError("--delimiter: use comma, semicolon, tab or bar (, ; \\t |)")
        try:
            size = path.stat().st_size
            if size > sheets.MAX_INPUT_BYTES:
                raise CommandError(sheets.too_large(size))
            table = sheets.read_table(
                path.read_bytes(),
                PEOPLE,
                sheets.ReadOptions(options["encoding"], delimiter, options["header_row"]),
            )
            mapping = self._mapping(table, options["map"])
        except OSError as problem:
            raise CommandError(f"cannot read {path}: {problem.strerror}") from None
        except (sheets.SpreadsheetError, sheets.MappingError) as problem:
            raise CommandError(str(problem)) from None
        plan = planning.people_plan(table, mapping)
        self._describe(plan)
        for rejected in plan.rejected:
            self.stderr.write(sheets.reason_text(rejected.line, rejected.reasons))
        summary = f"{len(plan.records)} cases; {len(plan.rejected)} rows rejected"
        if options["dry_run"]:
            self.stdout.write(f"would import {summary}")
            return
        mode = imports.GOOD_ROWS if rejected_to is not None else imports.ALL_OR_NOTHING
        try:
            result = imports.cases_import(
                actor=IMPORT_ACTOR, plan=plan, filename=path.name, mode=mode
            )
        except (services.CaseError, sheets.ImportRefused) as problem:
            self.stdout.write(f"would import {summary}")
            raise CommandError(f"{problem} Nothing was written.") from None
        done = f"imported {result.cases} cases ({result.identities} with identity details)"
        if mode == imports.GOOD_ROWS and plan.rejected:
            _write_private(rejected_to, sheets.rejected_file(plan)[0])
            self.stderr.write(
                f"{rejected_to} names the people of those rows as the list did: only your "
                "account can read it; delete it once they are imported"
            )
            done += f"; {result.rejected} rows rejected, written to {rejected_to} with the reasons"
        self.stdout.write(done)

    @staticmethod
    def _mapping(table, choices: list[str]) -> sheets.Mapping:
        mapping = sheets.guess_mapping(PEOPLE, table.headers)
        overrides = {}
        for choice in choices:
            field, sep, column = choice.partition("=")
            if not sep:
                raise CommandError(f"--map {choice}: write FIELD=COLUMN, e.g. city=Город")
            overrides[field.strip()] = (
                sheets.column_index(table.headers, column) if column.strip() else None
            )
        if overrides:
            mapping = sheets.mapping_with(PEOPLE, table.headers, mapping, overrides)
        return mapping

    def _describe(self, plan) -> None:
        """How the file was read and which column holds what — header names only, never a
        cell's value. A table whose header row names no field may have taken a row of data
        for its headers: then the columns are named by letter alone."""
        table, mapping = plan.table, plan.mapping
        grid = table.grid
        read = [grid.kind.upper()]
        if grid.kind == "csv":
            delimiter = "tab" if grid.delimiter == "\t" else grid.delimiter
            read += [grid.encoding, f"delimiter {delimiter}"]
        read.append(f"headers on row {table.header_line}")
        self.stdout.write("read: " + ", ".join(str(part) for part in read if part))
        trusted = bool(mapping.columns)

        def column(index: int) -> str:
            letter = _letter(index)
            header = str(table.headers[index] or "").strip() if index < len(table.headers) else ""
            return f"{letter} “{header}”" if trusted and header else letter

        used = [
            f"{column(index)} → {name}" + (" (identity vault)" if name in IDENTITY_NAMES else "")
            for name, index in mapping.columns.items()
        ]
        self.stdout.write("columns: " + ("; ".join(used) if used else "none recognised"))
        unused = [index for index, _header in mapping.unused(table.headers)]
        if unused:
            self.stdout.write("unused columns: " + ", ".join(column(index) for index in unused))
        for note in plan.notes:
            self.stdout.write(str(note))
        for flag in plan.flags:
            self.stderr.write(f"line {flag.line}: {flag.field} looks like a formula; taken as text")


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
