from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.policy import Perm, system_actor
from waystation.core import spreadsheets as sheets
from waystation.outreach import planning, services
from waystation.outreach.spreadsheet.schema import SCHEMA, organisation_count

_DELIMITERS = {
    ",": ",", "comma": ",", ";": ";", "semicolon": ";", "\t": "\t", "\\t": "\t", "tab": "\t",
    "|": "|", "bar": "|", "pipe": "|",
}  # fmt: skip

# The operator at the server's command line: imports into and exports the outreach log.
ACTOR = system_actor("command.outreach", Perm.OUTREACH_EDIT)


class Command(BaseCommand):
    help = (
        "Import an outreach spreadsheet (CSV, XLSX or ODS): `outreach import [--dry-run] FILE` "
        "prints how the file was read, what would be (or was) created and every rejected row "
        "with its line and all its reasons. `outreach export --format csv|xlsx|ods --out FILE` "
        "writes the log."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="import|export")
        # Options may come before or after the file: each action has its own parser.
        from_terminal = parser.called_from_command_line
        importing = actions.add_parser(
            "import", help="import a spreadsheet", called_from_command_line=from_terminal
        )
        importing.add_argument("file", help="the spreadsheet to import")
        importing.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        importing.add_argument(
            "--encoding", choices=list(sheets.ENCODINGS), help="the text's encoding (CSV)"
        )
        importing.add_argument(
            "--delimiter", help="the CSV delimiter: comma, semicolon, tab or bar (, ; \\t |)"
        )
        importing.add_argument(
            "--header-row", type=int, metavar="N", help="the row that holds the headers"
        )
        importing.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="take FIELD from COLUMN (its header, letter or number); FIELD= for none. "
            "Fields: " + ", ".join(f.name for f in SCHEMA.fields),
        )
        importing.add_argument(
            "--good-rows",
            metavar="REJECTED_FILE",
            help="import the rows that can be imported, and write the others, with the reason, "
            "to REJECTED_FILE (in the format of the input)",
        )
        exporting = actions.add_parser(
            "export", help="export the log", called_from_command_line=from_terminal
        )
        exporting.add_argument("--format", choices=["csv", "xlsx", "ods"], default="xlsx")
        exporting.add_argument(
            "--out", required=True, help="the file to export to (must not exist)"
        )

    def handle(self, *args, action, **options):
        if action == "export":
            return self._export(options["format"], options["out"])
        return self._import(**options)

    def _import(self, *, file, dry_run, encoding, delimiter, header_row, map, good_rows, **_):
        path = Path(file)
        chosen_delimiter = None
        if delimiter is not None:
            chosen_delimiter = _DELIMITERS.get(delimiter.strip().lower() or delimiter)
            if chosen_delimiter is None:
                raise CommandError(f"--delimiter {delimiter!r}: use comma, semicolon, tab or bar")
        rejected_out = Path(good_rows) if good_rows else None
        if rejected_out is not None and rejected_out.exists():
            raise CommandError(f"{good_rows} exists already; choose a new file name")
        try:
            size = path.stat().st_size
            if size > sheets.MAX_INPUT_BYTES:
                raise CommandError(f"{file}: " + sheets.too_large(size))
            table = sheets.read_table(
                path.read_bytes(),
                SCHEMA,
                sheets.ReadOptions(encoding, chosen_delimiter, header_row),
            )
        except OSError as problem:
            raise CommandError(f"cannot read {file}: {problem.strerror}") from None
        except sheets.SpreadsheetError as problem:
            raise CommandError(f"{file}: {problem}") from None
        mapping = self._mapping(table, map)
        self._describe(table, mapping)
        missing = mapping.missing(SCHEMA)
        if missing:
            raise CommandError(
                "cannot tell which columns hold "
                + ", ".join(f.name for f in missing)
                + "; the headers on row "
                + str(table.header_line)
                + " are "
                + ", ".join(f"“{h}”" for h in table.headers if h)
                + "; name them with --map FIELD=COLUMN, or --header-row N"
            )
        plan = sheets.check(table, SCHEMA, mapping)
        planning.outreach_review(plan)
        for note in plan.notes:
            self.stdout.write(note)
        for flag in plan.flags:
            self.stdout.write(
                f"line {flag.line}: {flag.field} “{flag.text[:40]}” looks like a formula; "
                "imported as text"
            )
        for rejected in plan.rejected:
            self.stderr.write(sheets.reason_text(rejected.line, rejected.reasons))
        mode = sheets.GOOD_ROWS if rejected_out is not None else sheets.ALL_OR_NOTHING
        if dry_run or (plan.rejected and mode == sheets.ALL_OR_NOTHING):
            self.stdout.write(
                f"would import {len(plan.records)} approaches for "
                f"{organisation_count(plan.records)} organisations; "
                f"{len(plan.rejected)} rows rejected"
            )
            if plan.rejected and mode == sheets.ALL_OR_NOTHING:
                raise CommandError(
                    f"{len(plan.rejected)} rows rejected; nothing was written (fix them, or "
                    "import the others with --good-rows REJECTED_FILE)"
                )
            return
        try:
            result = services.outreach_import(
                actor=ACTOR, plan=plan, filename=path.name, mode=mode
            )
        except services.OutreachError as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(
            f"imported {result.approaches} approaches, {result.responses} responses, "
            f"{result.new_organisations} new organisations; "
            f"{result.already_logged} rows were in the log already; "
            f"{len(plan.rejected)} rows rejected"
        )
        if plan.rejected:
            content, _extension, _type = sheets.rejected_file(plan)
            rejected_out.write_bytes(content)
            self.stdout.write(f"the rejected rows, with the reason, are in {rejected_out}")

    def _mapping(self, table, pairs: list[str]) -> sheets.Mapping:
        mapping = sheets.guess_mapping(SCHEMA, table.headers)
        if not pairs:
            return mapping
        names = {f.name for f in SCHEMA.fields}
        overrides = {}
        for pair in pairs:
            name, equals, column = pair.partition("=")
            name = name.strip()
            if not equals or name not in names:
                raise CommandError(
                    f"--map {pair!r}: write FIELD=COLUMN, FIELD one of " + ", ".join(sorted(names))
                )
            try:
                overrides[name] = (
                    sheets.column_index(table.headers, column) if column.strip() else None
                )
            except sheets.MappingError as problem:
                raise CommandError(f"--map {pair}: {problem}") from None
        try:
            return sheets.mapping_with(SCHEMA, table.headers, mapping, overrides)
        except sheets.MappingError as problem:
            raise CommandError(f"--map: {problem}") from None

    def _describe(self, table, mapping) -> None:
        grid = table.grid
        if grid.kind == "csv":
            delimiter = {"\t": "tab"}.get(grid.delimiter, grid.delimiter)
            read = f"read as CSV, {grid.encoding}, delimiter {delimiter}"
        else:
            read = f"read sheet “{grid.sheet}”"
            if grid.passed_over:
                read += " (passed over " + ", ".join(f"“{n}”" for n in grid.passed_over) + ")"
        self.stdout.write(f"{read}; headers on row {table.header_line}")
        for f in SCHEMA.fields:
            index = mapping.columns.get(f.name)
            if index is not None:
                self.stdout.write(f"  {f.name} <- {table.headers[index] or '?'}")
        unused = mapping.unused(table.headers)
        if unused:
            self.stdout.write(
                "columns not imported: " + ", ".join(f"“{h}”" for _i, h in unused if h)
            )
        for row in table.below:
            self.stdout.write(f"row {row.line} below the table left out (totals or notes)")

    def _export(self, fmt, out):
        target = Path(out)
        if target.exists():
            raise CommandError(f"{out} exists already; choose a new file name")
        target.write_bytes(services.outreach_export(actor=ACTOR, fmt=fmt))
        self.stdout.write(f"exported the outreach log to {out} ({fmt})")
