"""`waystation case send …`: the `case` command lives in cases, which may not know partner
groups (layers), so the command line routes `case send` here (waystation/cli.py ROUTES)."""

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.policy import Perm, Side, system_actor
from waystation.cases.selectors import case_by_codename
from waystation.cases.services import RevealReason
from waystation.core.refusals import Refusal
from waystation.partners import exchange_selectors, sending

# The operator at the server's command line, who unsealed the instance: a coordinator's say.
SEND_ACTOR = system_actor(
    "command.case.send",
    Perm.PARTNERS_SEND,
    Perm.CASES_VIEW,
    Perm.CASES_MANAGE,
    Perm.EVIDENCE_VIEW,
    sides=tuple(Side),
)

HELP = """\
Send a case, or parts of it, to a partner group as one file: signed by this instance and
encrypted to the partner (give it to them over any channel). A referral asks them for help and
the case stays here; a transfer hands it over, and the case is closed here when their receipt
(`waystation inbox import RECEIPT`) says they accepted it. Items and testimonies go only where
their consent allows partner groups: one that may not go refuses the whole package. Each item's
chain of custody records that it was sent.

examples:
  waystation case send amber-falcon-27 --to "Bishkek group" --kind referral --care \\
      --message "He needs a lawyer in Bishkek" --out amber-falcon-27.waystation
  waystation case send amber-falcon-27 --to "Bishkek group" --kind transfer --care --legal \\
      --identity --reason legal --item 1c9e… --testimony 7f20… --out transfer.waystation
"""


class Command(BaseCommand):
    help = "Send a case to a partner group: `case send CODENAME --to NAME --kind KIND --out FILE`."

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, "case send", **kwargs)
        parser.description = HELP
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("codename", metavar="CODENAME")
        parser.add_argument("--to", required=True, metavar="NAME", help="the partner group")
        parser.add_argument("--kind", required=True, choices=("referral", "transfer"))
        parser.add_argument("--message", default="", metavar="TEXT", help="a message to them")
        parser.add_argument("--care", action="store_true", help="send the care side")
        parser.add_argument("--legal", action="store_true", help="send the legal side")
        parser.add_argument(
            "--identity", action="store_true", help="send the identity (audited like a reveal)"
        )
        parser.add_argument(
            "--reason",
            default="",
            choices=sorted(RevealReason.CODES),
            help="with --identity: why it goes",
        )
        parser.add_argument("--item", nargs="+", default=[], metavar="ID", help="items to send")
        parser.add_argument(
            "--testimony", nargs="+", default=[], metavar="ID", help="testimonies to send"
        )
        parser.add_argument("--out", required=True, metavar="FILE", help="the package to write")

    def handle(self, *args, codename, **options):
        if options["identity"] and not options["reason"]:
            raise CommandError("--identity needs --reason: why the identity goes")
        case = case_by_codename(SEND_ACTOR, codename)
        if case is None:
            raise CommandError(f"no case has the codename {codename!r}")
        partner = exchange_selectors.partner_to_send_to(options["to"])
        if partner is None:
            raise CommandError(
                f"no partner group is called {options['to']!r}; `waystation partner list`"
            )
        out = Path(options["out"])
        try:
            outbound = sending.case_send(
                actor=SEND_ACTOR,
                case=case,
                partner=partner,
                choice=sending.Choice(
                    kind=options["kind"],
                    message=options["message"],
                    care=options["care"],
                    legal=options["legal"],
                    identity_reason=options["reason"] if options["identity"] else "",
                    item_ids=tuple(options["item"]),
                    testimony_ids=tuple(options["testimony"]),
                ),
                out=out,
            )
        except Refusal as refusal:
            raise CommandError(str(refusal)) from None
        went = ", ".join(part["kind"] for part in outbound.parts)
        self.stdout.write(
            f"Wrote the {outbound.kind} {outbound.package_id} for {partner.name} to {out} "
            f"({went}). Give them the file over any channel."
        )
