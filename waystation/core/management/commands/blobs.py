import argparse

from django.core.management.base import BaseCommand, CommandError

from waystation.core.blobstore import blob_store, reconcile

HELP = """\
Compare the stored files with the rows that name them. `blobs check` lists the rows whose
file is not in the store (by table and row id) and the stored objects no row names (by
object name: a keyed digest, nothing personal), and exits with status 1 when a file is
missing. --remove-orphans then deletes the objects no row names that are older than an hour
(an upload still coming has no row yet).

Run it after a restore (a backup without --with-files relies on the store's own copy), and
from time to time: docs/operator.md, "Backups and the file store".

examples:
  waystation blobs check
  waystation blobs check --remove-orphans
"""

_LISTED = 20  # ids or names printed per line before "… and N more"


def _some(items) -> str:
    shown = ", ".join(str(i) for i in items[:_LISTED])
    return shown + (f" … and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check"])
        parser.add_argument(
            "--remove-orphans",
            action="store_true",
            help="delete the stored objects no row names, when older than an hour",
        )

    def handle(self, *args, action, remove_orphans: bool, **options):
        store = blob_store()
        report = reconcile.reconcile(store)
        self.stdout.write(
            f"{report.objects} object(s) in the store, {report.references} named by rows."
        )
        for label, ids in sorted(report.missing.items()):
            self.stdout.write(f"Missing: {len(ids)} row(s) of {label} without their file: "
                              f"ids {_some(ids)}")
        if report.orphans:
            self.stdout.write(
                f"Orphans: {len(report.orphans)} object(s) no row names: "
                f"{_some([o.name for o in report.orphans])}"
            )
        if remove_orphans:
            removed = reconcile.remove_orphans(store, report)
            kept = len(report.orphans) - len(removed)
            self.stdout.write(
                f"Removed {len(removed)} orphan(s)"
                + (f"; kept {kept} younger than an hour or named meanwhile." if kept else ".")
            )
        if report.missing:
            raise CommandError(
                f"{report.missing_count} row(s) name a file the store does not hold: restore "
                "them from the store's copy (docs/operator.md, \"Backups and the file store\")."
            )
        if not report.orphans:
            self.stdout.write("Every row's file is there, and every object is named by a row.")
