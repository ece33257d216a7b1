from django.core.management.base import BaseCommand, CommandError

from waystation.cases import services


class Command(BaseCommand):
    help = (
        "Cases from the command line. `case new [--codename NAME]` opens a case (a codename is "
        "generated unless given) and prints only its codename, for scripts."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        new = actions.add_parser(
            "new", help="open a case and print its codename", description=self.help
        )
        new.add_argument(
            "--codename", default="", help="e.g. amber-falcon-27 (default: a free one generated)"
        )

    def handle(self, *args, action, **options):
        if action == "new":
            self._new(options["codename"])

    def _new(self, codename: str) -> None:
        try:
            case = services.case_create(actor=None, codename=codename or None)
        except services.CaseError as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(case.codename)
