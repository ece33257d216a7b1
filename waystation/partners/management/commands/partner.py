import argparse
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.policy import Perm, system_actor
from waystation.core.refusals import Refusal
from waystation.partners.card import Card, this_card
from waystation.partners.models import Partner
from waystation.partners.services import partner_add, partner_revoke

# The operator at the server's command line: manages the partner groups this instance trusts.
ACTOR = system_actor("command.partner", Perm.PARTNERS_MANAGE)

ADD_HELP = """\
Trust another group's Waystation: read its card, print the fingerprint, and add it once you
compared the fingerprint with the partner's coordinator (by phone on a number you already
know, or in person). On a terminal the command asks; --yes says you compared it already.

examples:
  waystation partner add tbilisi-card.txt --name "Tbilisi group"
  waystation partner add tbilisi-card.txt --name "Tbilisi group" --yes
"""


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise CommandError(f"cannot read {path}: {getattr(problem, 'strerror', problem)}") from None


class Command(BaseCommand):
    help = (
        "Partner groups (other Waystation instances). `partner card --out FILE` writes this "
        "instance's card, `partner add FILE --name NAME` trusts another's after comparing the "
        "fingerprint, `partner list`, `partner revoke NAME`."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        formatted = {"formatter_class": argparse.RawDescriptionHelpFormatter}
        card = actions.add_parser("card", help="write this instance's card, print its fingerprint")
        card.add_argument("--out", metavar="FILE", help="the file to write (default: print it)")
        add = actions.add_parser(
            "add", help="trust a partner from its card", description=ADD_HELP, **formatted
        )
        add.add_argument("file", metavar="FILE", help="the partner's card")
        add.add_argument("--name", required=True, help="how the partner is named here")
        add.add_argument(
            "--yes", action="store_true", help="the fingerprint was compared and matched"
        )
        actions.add_parser("list", help="the partners, trusted and revoked")
        revoke = actions.add_parser("revoke", help="refuse everything a partner sends from now on")
        revoke.add_argument("name", metavar="NAME")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except Refusal as refusal:
            raise CommandError(str(refusal)) from None

    def _card(self, out, **options):
        mine = this_card()
        if out:
            path = Path(out)
            try:
                with open(path, "x", encoding="utf-8") as handle:
                    handle.write(mine.to_text())
            except FileExistsError:
                raise CommandError(f"{path} exists already; nothing was written") from None
            self.stdout.write(f"Wrote the card to {path}.")
        else:
            self.stdout.write(mine.to_text(), ending="")
        self.stdout.write(f"Fingerprint to read to the partner: {mine.fingerprint}")

    def _add(self, file, name, yes, **options):
        card = Card.parse(_read(file))
        self.stdout.write(f"Card of: {card.name} ({card.instance_id})")
        self.stdout.write(f"Fingerprint: {card.fingerprint}")
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError(
                    "compare the fingerprint with the partner first, then run again with --yes; "
                    "nothing was added"
                )
            answer = input("Did the partner read you exactly this fingerprint? [yes/no] ")
            if answer.strip().lower() not in {"yes", "y"}:
                raise CommandError("not confirmed; nothing was added")
        partner = partner_add(
            actor=ACTOR, card_text=card.to_text(), name=name, fingerprint_compared=True
        )
        self.stdout.write(f"Added {partner.name} as a partner.")

    def _list(self, **options):
        partners = list(Partner.objects.order_by("name"))
        if not partners:
            self.stdout.write("No partners yet.")
        for partner in partners:
            status = f"revoked {partner.revoked_at:%Y-%m-%d}" if partner.revoked else "trusted"
            self.stdout.write(
                f"{partner.name}\t{status}\t{partner.fingerprint}\t{partner.instance_id}"
            )

    def _revoke(self, name, **options):
        partner = Partner.objects.filter(name=name, revoked_at__isnull=True).first()
        if partner is None:
            raise CommandError(f"no trusted partner named {name!r} (see `partner list`)")
        partner_revoke(actor=ACTOR, partner=partner)
        self.stdout.write(f"Revoked {partner.name}: its packages are refused from now on.")
