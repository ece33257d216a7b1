import re

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.audit.services import record
from waystation.audit.verify import verify_chain

_ANCHOR = re.compile(r"\A(\d+):([0-9a-f]{16})\Z")


def anchor_of(seq: int, mac: str) -> str:
    """What to note outside the instance: a row number and the start of that row's MAC (a keyed
    hash: it says nothing about the row, and nobody without the keys can forge it)."""
    return f"{seq}:{mac[:16]}"


class Command(BaseCommand):
    help = (
        "Work with the audit log. `audit verify` checks every link of the chain and prints an "
        "anchor (row number and fingerprint) to note outside the instance; `audit verify "
        "--anchor N:FINGERPRINT` also checks that the log still holds that row unchanged, so a "
        "log cut short or wiped, which the chain alone cannot show, is found."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])
        parser.add_argument(
            "--anchor",
            metavar="N:FINGERPRINT",
            help="an anchor an earlier `audit verify` printed: the log must still hold it",
        )

    def handle(self, *args, anchor=None, **options):
        expected = _ANCHOR.match(anchor or "")
        if anchor and expected is None:
            raise CommandError("an anchor looks like 1234:0123456789abcdef (as verify prints it)")
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"audit log broken at row {result.broken_seq}: {result.reason} "
                f"({result.checked} rows before it are intact)"
            )
        if expected is not None:
            self._check_anchor(int(expected[1]), expected[2], result.checked)
        if result.checked == 0 and get_user_model().objects.exists():
            # Creating the first member wrote a row; every sign-in writes one.
            raise CommandError(
                "the audit log is empty, but this instance has members: a log in use is never "
                "empty, so it was most likely wiped (with its chain head). Check it against an "
                "anchor noted earlier (`audit verify --anchor N:FINGERPRINT`) and restore the "
                "database from a backup made before"
            )
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "mac").first()
        with transaction.atomic():
            record(Event.AUDIT_VERIFIED, data={"rows": result.checked})
        self.stdout.write(f"audit log intact: {result.checked} rows verified")
        if last is not None:
            self.stdout.write(
                f"anchor {anchor_of(*last)}: note it outside the instance; a later "
                f"`waystation audit verify --anchor {anchor_of(*last)}` shows whether the log "
                "was cut short or wiped since"
            )

    @staticmethod
    def _check_anchor(seq: int, fingerprint: str, rows: int) -> None:
        mac = AuditEvent.objects.filter(seq=seq).values_list("mac", flat=True).first()
        if mac is None:
            raise CommandError(
                f"the audit log holds {rows} rows, but the anchor names row {seq}: rows were "
                "cut off or the log was wiped since the anchor was noted"
            )
        if not mac.startswith(fingerprint):
            raise CommandError(
                f"row {seq} is not the one anchored: the log was rewritten since the anchor "
                "was noted"
            )
