import re
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from waystation.audit import anchor as anchors
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
        "anchor (row number and fingerprint) to note outside the instance; `audit anchor "
        "--out FILE` writes the chain head (row count and MAC) to a file signed with this "
        "instance's key and, when time-stamping authorities are configured, timestamped by "
        "them, to keep elsewhere or send to a partner; `audit verify --anchor N:FINGERPRINT` "
        "or `--anchor FILE` also checks that the log still holds that row unchanged, so a log "
        "cut short, rewound or wiped, which the chain alone cannot show, is found."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "anchor"])
        parser.add_argument(
            "--anchor",
            metavar="N:FINGERPRINT|FILE",
            help="an anchor an earlier `audit verify` printed, or a file `audit anchor` wrote: "
            "the log must still hold it",
        )
        parser.add_argument("--out", metavar="FILE", help="where `audit anchor` writes the anchor")

    def handle(self, *args, action="verify", anchor=None, out=None, **options):
        if action == "anchor":
            return self._anchor(out)
        expected = _ANCHOR.match(anchor or "")
        anchored = self._read_anchor(anchor) if anchor and expected is None else None
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"audit log broken at row {result.broken_seq}: {result.reason} "
                f"({result.checked} rows before it are intact)"
            )
        if expected is not None:
            self._check_anchor(int(expected[1]), expected[2], result.checked)
        if anchored is not None:
            try:
                anchors.check(anchored, result.checked)
            except anchors.AnchorError as error:
                raise CommandError(str(error)) from None
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
    def _read_anchor(anchor: str) -> anchors.Anchor:
        path = Path(anchor)
        if not path.is_file():
            raise CommandError(
                "an anchor looks like 1234:0123456789abcdef (as verify prints it) or is a file "
                "`audit anchor --out FILE` wrote"
            )
        try:
            return anchors.read(path.read_bytes())
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        except anchors.AnchorError as error:
            raise CommandError(f"{path}: {error}") from None

    def _anchor(self, out: str | None) -> None:
        if not out:
            raise CommandError("say where to write the anchor: `audit anchor --out FILE`")
        path = Path(out)
        if path.exists():
            raise CommandError(f"{path} exists already; choose a new name")
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"audit log broken at row {result.broken_seq}: {result.reason}; an anchor "
                "of a broken log would vouch for it: restore it from a backup first"
            )
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "mac").first()
        if head is None:
            raise CommandError("the audit log is empty: there is nothing to anchor yet")
        data, problems = anchors.make(*head)
        try:
            with path.open("xb") as target:
                target.write(data)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror}") from None
        with transaction.atomic():
            record(Event.AUDIT_VERIFIED, data={"rows": result.checked, "anchor": True})
        self.stdout.write(
            f"anchor of row {head[0]} written to {path}: keep it outside the instance; "
            f"`waystation audit verify --anchor {path}` shows whether the log was cut short "
            "or rewritten since"
        )
        for problem in problems:
            self.stderr.write(f"not timestamped by {problem}")

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
