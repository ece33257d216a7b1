import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.policy import Perm, system_actor
from waystation.core.refusals import Refusal
from waystation.partners.inbox import import_package
from waystation.partners.models import Inbound, PackageKind

# The operator at the server's command line: imports packages from partners into the inbox.
IMPORT_ACTOR = system_actor("command.inbox", Perm.PARTNERS_MANAGE)

IMPORT_HELP = """\
Check a package from a partner group and put it in the inbox: it must be encrypted to this
instance, signed by a partner added here (and not revoked), unchanged in every byte, and not
imported before; otherwise it is refused with the reason and nothing is kept. A receipt (a
partner's answer to a package sent from here) is recorded at once.

examples:
  waystation inbox import /media/usb/amber-falcon-27-referral.waystation
"""


class Command(BaseCommand):
    help = (
        "Packages received from partner groups. `inbox import FILE` checks one and queues it, "
        "`inbox list` shows the inbox, `inbox accept ID` / `inbox decline ID --reason R` "
        "decide (each writing the receipt for the sender with --out)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        formatted = {"formatter_class": argparse.RawDescriptionHelpFormatter}
        imported = actions.add_parser(
            "import", help="check a package and queue it", description=IMPORT_HELP, **formatted
        )
        imported.add_argument("file", metavar="FILE")
        actions.add_parser("list", help="the received packages and their status")
        # -- accept / decline: filled in by the case side (partners-cases) -----------------------
        accept = actions.add_parser("accept", help="accept a package, write the receipt")
        accept.add_argument("id", metavar="ID")
        accept.add_argument("--out", metavar="FILE", required=True, help="the receipt to write")
        decline = actions.add_parser("decline", help="decline a package, write the receipt")
        decline.add_argument("id", metavar="ID")
        decline.add_argument("--reason", required=True, metavar="R")
        decline.add_argument("--out", metavar="FILE", required=True, help="the receipt to write")
        # -- end of accept / decline -------------------------------------------------------------

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except Refusal as refusal:
            raise CommandError(str(refusal)) from None

    def _import(self, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        inbound = import_package(actor=IMPORT_ACTOR, source=path)
        sender = inbound.sender.name
        if inbound.kind == PackageKind.RECEIPT:
            self.stdout.write(f"Recorded the answer of {sender}.")
            return
        files = len(inbound.files)
        self.stdout.write(
            f"Imported the {inbound.get_kind_display().lower()} {inbound.pk} from {sender} "
            f"({files} file{'' if files == 1 else 's'}); it waits for `inbox accept` or "
            "`inbox decline`."
        )

    def _list(self, **options):
        packages = list(Inbound.objects.select_related("sender").order_by("-received_at"))
        if not packages:
            self.stdout.write("The inbox is empty.")
        for inbound in packages:
            self.stdout.write(
                f"{inbound.pk}\t{inbound.received_at:%Y-%m-%d %H:%M}\t{inbound.sender.name}\t"
                f"{inbound.kind}\t{inbound.status}"
            )

    # -- accept / decline: partners-cases replaces these two with its services ---------------

    def _accept(self, id, out, **options):
        raise CommandError("accepting from the command line is not available yet")

    def _decline(self, id, reason, out, **options):
        raise CommandError("declining from the command line is not available yet")
