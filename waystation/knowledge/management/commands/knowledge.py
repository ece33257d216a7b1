import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.policy import Perm, system_actor
from waystation.knowledge import export
from waystation.knowledge.defaults import DefaultsError, load_defaults
from waystation.knowledge.models import Language, Page
from waystation.knowledge.services import export_record

# The operator at the server's command line: adds the shipped pages; writes the offline copy.
DEFAULTS_ACTOR = system_actor("command.knowledge.load-defaults", Perm.KNOWLEDGE_EDIT)
EXPORT_ACTOR = system_actor("command.knowledge.export-html", Perm.KNOWLEDGE_VIEW)

EXPORT_HELP = """\
Write the safety pages as a folder of static HTML that opens without a server: index.html,
style.css and one file per page per language (en/if-detained.html …). Links are relative and
no page holds a script, so the folder works from a USB stick or a phone's file manager.

Members-only pages are included unless --public-only is given: the folder then holds only
what the request portal shows to anyone. The export is written to the audit log.

examples:
  waystation knowledge export-html /media/usb/safety
  waystation knowledge export-html --public-only --language ru --language en ./guide
"""


class Command(BaseCommand):
    help = (
        "Safety knowledge from the command line. `knowledge load-defaults` adds the pages that "
        "come with Waystation (EN and RU; pages that exist are left alone), `knowledge "
        "export-html DIR` writes the offline copy. `knowledge ACTION --help` for more."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser(
            "load-defaults",
            help="add the shipped pages that are missing (idempotent)",
            description="Add the safety pages that come with Waystation, unreviewed. A page "
            "that exists already (same address and language) is left as the group made it.",
        )
        made = actions.add_parser(
            "export-html",
            help="write the offline copy: a folder of static HTML",
            description=EXPORT_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        made.add_argument("directory", metavar="DIR", help="a new or empty directory")
        made.add_argument("--public-only", action="store_true", help="only the pages marked public")
        made.add_argument(
            "--language",
            action="append",
            choices=Language.values,
            dest="languages",
            help="only this language (repeat for several); default: all",
        )

    def handle(self, *args, action, **options):
        if action == "load-defaults":
            try:
                created, kept = load_defaults(actor=DEFAULTS_ACTOR)
            except DefaultsError as problem:
                raise CommandError(str(problem)) from None
            self.stdout.write(f"added {created} pages; {kept} were there already")
            return
        target = Path(options["directory"])
        pages = Page.objects.exclude(current=None).select_related("current")
        if options["public_only"]:
            pages = pages.filter(is_public=True)
        if options["languages"]:
            pages = pages.filter(language__in=options["languages"])
        pages = list(pages)
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise CommandError(f"{target} exists and is not an empty directory: choose a new one")
        export_record(
            actor=EXPORT_ACTOR, pages=pages, public_only=options["public_only"], form="folder"
        )
        count = export.write_directory(pages, target)
        self.stdout.write(
            f"wrote {len(pages)} pages ({count} files) to {target}; open {target / 'index.html'}"
        )
