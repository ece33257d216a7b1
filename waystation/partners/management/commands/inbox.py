import argparse
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.policy import Perm, Side, can, system_actor
from waystation.core.refusals import Refusal
from waystation.partners.accepting import package_accept, package_decline
from waystation.partners.inbox import import_package
from waystation.partners.models import Inbound, PackageKind

# The operator at the server's command line: imports packages from partners into the inbox.
# A receipt closing a transferred case records its "closed" status step: the legal side.
IMPORT_ACTOR = system_actor(
    "command.inbox", Perm.PARTNERS_MANAGE, Perm.CASES_VIEW, sides=(Side.LEGAL,)
)

IMPORT_HELP = """\
Check a package from a partner group and put it in the inbox: it must be encrypted to this
instance, signed by a partner added here (and not revoked), unchanged in every byte, and not
imported before; otherwise it is refused with the reason and nothing is kept. A receipt (a
partner's answer to a package sent from here) is recorded at once.

examples:
  waystation inbox import /media/usb/amber-falcon-27-referral.waystation
"""


ACCEPT_HELP = """\
Accept a received referral or transfer: a new case opens (the sender's codename when it is
free here), with the identity in the vault, the testimonies with their consent and the items
with their chains of custody, each saying it came from the partner. The receipt written to
--out is the answer to give back to the sender.

examples:
  waystation inbox accept 5b0c… --by coordinator --out receipt.waystation
"""
BY_HELP = "the coordinator deciding (the new case and the audit name this member)"


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
        accept = actions.add_parser(
            "accept",
            help="accept a package into a new case, write the receipt",
            description=ACCEPT_HELP,
            **formatted,
        )
        accept.add_argument("id", metavar="ID")
        accept.add_argument("--out", metavar="FILE", required=True, help="the receipt to write")
        accept.add_argument("--by", required=True, metavar="USERNAME", help=BY_HELP)
        decline = actions.add_parser("decline", help="decline a package, write the receipt")
        decline.add_argument("id", metavar="ID")
        decline.add_argument("--reason", required=True, metavar="R")
        decline.add_argument("--out", metavar="FILE", required=True, help="the receipt to write")
        decline.add_argument("--by", required=True, metavar="USERNAME", help=BY_HELP)
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

    def _accept(self, id, out, by, **options):
        inbound, coordinator, path = _queued(id), _coordinator(by), _new_file(out)
        decision = package_accept(actor=coordinator, inbound=inbound, out=path)
        self.stdout.write(
            f"Accepted: the new case is {decision.case.codename}. Give the receipt {path} to "
            f"{inbound.sender.name}."
        )

    def _decline(self, id, reason, out, by, **options):
        inbound, coordinator, path = _queued(id), _coordinator(by), _new_file(out)
        package_decline(actor=coordinator, inbound=inbound, reason=reason, out=path)
        self.stdout.write(f"Declined. Give the receipt {path} to {inbound.sender.name}.")


def _queued(pk) -> Inbound:
    try:
        inbound = Inbound.objects.select_related("sender").filter(pk=pk).first()
    except (ValueError, ValidationError):
        inbound = None
    if inbound is None or inbound.kind == PackageKind.RECEIPT:
        raise CommandError(f"no received package has the id {pk!r}; `inbox list` shows them")
    return inbound


def _coordinator(username: str):
    """Accepting opens a case in a member's name: a coordinator's, as on the page."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not can(user, Perm.PARTNERS_MANAGE) or not can(user, Perm.CASES_MANAGE):
        raise CommandError(f"--by: {username!r} is not an active coordinator")
    return user


def _new_file(out: str) -> Path:
    path = Path(out)
    if path.exists():
        raise CommandError(f"{path} exists already; choose a new file name")
    if not path.parent.is_dir():
        raise CommandError(f"{path.parent} is not a folder")
    return path
