from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from waystation.outreach import services
from waystation.outreach.spreadsheet.mapping import guess_mapping
from waystation.outreach.spreadsheet.reading import MAX_INPUT_BYTES, SpreadsheetError, read_table
from waystation.outreach.spreadsheet.rows import parse_rows


class Command(BaseCommand):
    help = (
        "Import an outreach spreadsheet (CSV, XLSX or ODS): `outreach import FILE [--dry-run]` "
        "prints what would be (or was) created and every rejected row with its line and reason. "
        "`outreach export --format csv|xlsx|ods --out FILE` writes the log."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import", "export"])
        parser.add_argument("file", nargs="?", help="the spreadsheet to import")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument("--format", choices=["csv", "xlsx", "ods"], default="xlsx")
        parser.add_argument("--out", help="the file to export to (must not exist)")

    def handle(self, *args, action, file, dry_run, format, out, **options):
        if action == "export":
            return self._export(format, out)
        if not file:
            raise CommandError("`outreach import` needs the FILE to import")
        path = Path(file)
        try:
            if path.stat().st_size > MAX_INPUT_BYTES:
                raise CommandError(f"{file} is larger than {MAX_INPUT_BYTES >> 20} MB; split it")
            table = read_table(path.read_bytes(), path.name)
        except OSError as problem:
            raise CommandError(f"cannot read {file}: {problem.strerror}") from None
        except SpreadsheetError as problem:
            raise CommandError(str(problem)) from None
        mapping = guess_mapping(table.headers)
        if mapping.missing:
            raise CommandError(
                "cannot tell which columns hold "
                + ", ".join(mapping.missing)
                + "; rename the headers (e.g. Date, Organisation) or import on the web page"
            )
        plan = services.plan_check_cases(parse_rows(table, mapping))
        for rejected in plan.rejected:
            self.stderr.write(f"line {rejected.line}: {rejected.reason}")
        verb = "would import" if dry_run or plan.rejected else "imported"
        if not dry_run and not plan.rejected:
            result = services.outreach_import(actor=None, plan=plan, filename=path.name)
            self.stdout.write(
                f"{verb} {result.approaches} approaches, {result.responses} responses, "
                f"{result.new_organisations} new organisations; "
                f"{result.already_logged} rows were in the log already"
            )
            return
        organisations = len({row.organisation_key for row in plan.rows})
        self.stdout.write(
            f"{verb} {len(plan.rows)} approaches for {organisations} organisations; "
            f"{len(plan.rejected)} rows rejected"
        )
        if plan.rejected:
            raise CommandError(f"{len(plan.rejected)} rows rejected; nothing was written")

    def _export(self, fmt, out):
        if not out:
            raise CommandError("`outreach export` needs --out FILE")
        target = Path(out)
        if target.exists():
            raise CommandError(f"{out} exists already; choose a new file name")
        target.write_bytes(services.outreach_export(actor=None, fmt=fmt))
        self.stdout.write(f"exported the outreach log to {out} ({fmt})")
