from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waystation.pathways.catalogue import CATALOGUE_DIR, load_catalogue, translation_gaps


class Command(BaseCommand):
    help = (
        "The pathway catalogue. `pathways check` validates every file against the schema and "
        "prints one line per problem (file:line: reason); it exits non-zero if there is any. "
        "It also lists entries whose review is overdue and texts not yet translated into every "
        "language (en, ru, de, uk), without failing."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        check = actions.add_parser("check", help="validate the catalogue files")
        check.add_argument(
            "--dir",
            type=Path,
            default=CATALOGUE_DIR,
            help="the folder of YAML files (default: the shipped catalogue)",
        )

    def handle(self, *args, **options):
        found = load_catalogue(options["dir"])
        for problem in found.problems:
            self.stderr.write(str(problem))
        if found.problems:
            count = len(found.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} in the pathway catalogue: "
                "fix the lines above and run the check again"
            )
        max_days = settings.PATHWAYS_REVIEW_MAX_DAYS
        for pathway in found.pathways:
            if pathway.is_stale(max_days):
                self.stdout.write(
                    f"review overdue: {pathway.file} last reviewed {pathway.last_reviewed} "
                    f"({pathway.age_days()} days ago, limit {max_days})"
                )
        for pathway in found.pathways:
            for gap in translation_gaps(options["dir"] / Path(pathway.file).name):
                self.stdout.write(f"not yet translated: {gap}")
        self.stdout.write(f"OK: {len(found.pathways)} pathways, every file valid")
