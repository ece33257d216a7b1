import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from waystation.cases.codenames import normalise
from waystation.cases.models import Case
from waystation.core import signing
from waystation.evidence import export
from waystation.evidence.models import AcquiredHow, Recipient
from waystation.evidence.services import EvidenceError
from waystation.evidence.verify import verify_all

EXPORT_HELP = """\
Write an evidence package for an investigator: a BagIt bag with the case's items, the
testimonies whose witness consented to this recipient, their events and every item's chain
of custody, signed with this instance's key (`evidence public-key`).

The recipient is a kind, as consent is recorded:
  --recipient court --body "International Criminal Court"   a court or investigative body,
                                                           named as in the witness's consent
  --recipient un | ngo | media                             UN mechanisms, human rights
                                                           organisations, media

By default every item of the case goes, and every testimony whose consent allows the
recipient; the others are listed as left out. --testimony ID picks testimonies: then a
testimony whose consent does not allow the recipient stops the whole export (nothing is
written). --age-recipient age1... writes one encrypted file (a tar of the bag) instead of
a directory: only the holder of that age key can open it.

examples:
  waystation evidence export --case amber-falcon-27 --recipient un --out /media/usb/un-2025
  waystation evidence export --case amber-falcon-27 --recipient court \\
      --body "International Criminal Court" --age-recipient age1... --out icc.tar.age
"""

VERIFY_EXPORT_HELP = """\
Check a package (a bag directory; decrypt and unpack an encrypted one first): every file
against the manifests (as `bagit.py --validate` does), the Ed25519 signature, and each
item's chain of custody recomputed. Prints OK, or each problem and exits with status 1.

Without --key the signature is checked against the key printed in the package itself: that
proves nothing changed since it was signed, not who signed it. Pass the key the sender gave
you through another channel (`waystation evidence public-key` on their instance).
"""


class Command(BaseCommand):
    help = (
        "Evidence from the command line. `evidence ingest FILE... --case CODENAME` takes files "
        "in bit for bit, `evidence export` writes a signed package for an "
        "investigator, `evidence verify-export DIR` checks one, `evidence public-key` prints "
        "the key packages are signed with, `evidence verify` re-hashes every stored item and "
        "checks every chain of custody. `evidence ACTION --help` for more."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        formatted = {"formatter_class": argparse.RawDescriptionHelpFormatter}

        made = actions.add_parser(
            "export",
            help="write a package for an investigator",
            description=EXPORT_HELP,
            **formatted,
        )
        made.add_argument(
            "--case", required=True, metavar="CODENAME", help="the case, e.g. amber-falcon-27"
        )
        made.add_argument(
            "--recipient",
            required=True,
            choices=Recipient.values,
            help="who receives it: court (with --body), un, ngo or media",
        )
        made.add_argument(
            "--body",
            default="",
            metavar="NAME",
            help="with --recipient court: the court or investigative body, as consent names it",
        )
        made.add_argument(
            "--out",
            required=True,
            metavar="PATH",
            help="the directory to create (or, with --age-recipient, the file); must not exist",
        )
        made.add_argument(
            "--item",
            action="append",
            dest="items",
            metavar="ID",
            help="only this item (repeat for more; default: every item of the case)",
        )
        made.add_argument("--no-items", action="store_true", help="testimonies only, no items")
        made.add_argument(
            "--testimony",
            action="append",
            dest="testimonies",
            metavar="ID",
            help="exactly this testimony (repeat for more); refused if consent does not allow",
        )
        made.add_argument(
            "--no-testimonies", action="store_true", help="items only, no testimonies"
        )
        made.add_argument(
            "--age-recipient",
            metavar="AGE_KEY",
            help="encrypt to this age public key (age1...): one file, no plain copy on disk",
        )

        check = actions.add_parser(
            "verify-export",
            help="check a package: files, signature, chain of custody",
            description=VERIFY_EXPORT_HELP,
            **formatted,
        )
        check.add_argument("package", metavar="DIR")
        check.add_argument(
            "--key",
            metavar="ed25519:...",
            help="the sender's public key, as they gave it to you (default: the one in the bag)",
        )

        taken = actions.add_parser(
            "ingest",
            help="ingest files bit for bit as items of a case; prints each id and SHA-256",
        )
        taken.add_argument("files", nargs="+", metavar="FILE")
        taken.add_argument("--case", required=True, metavar="CODENAME")
        taken.add_argument(
            "--how",
            default=AcquiredHow.IN_PERSON,
            choices=AcquiredHow.values,
            help="how the files were acquired (default: in_person)",
        )
        taken.add_argument(
            "--from",
            dest="acquired_from",
            default="",
            metavar="WHO",
            help="who handed them over: a codename or a role, never a name",
        )
        taken.add_argument(
            "--by",
            default="",
            metavar="USERNAME",
            help="the member who received them, for the chain of custody (default: none, "
            "shown as the command line)",
        )

        actions.add_parser("public-key", help="print the key packages are signed with")
        actions.add_parser("verify", help="re-hash every stored item, check every custody chain")

    def handle(self, *args, action, **options):
        if action == "export":
            self._export(options)
        elif action == "verify-export":
            self._verify_export(Path(options["package"]), options["key"])
        elif action == "ingest":
            self._ingest(options)
        elif action == "public-key":
            self.stdout.write(signing.public_key_text())
        elif action == "verify":
            self._verify()

    def _export(self, options) -> None:
        recipient, body = options["recipient"], options["body"].strip()
        if recipient == Recipient.COURT and not body:
            raise CommandError(
                '--recipient court needs --body "NAME": the court or investigative body, '
                "as the witness's consent names it"
            )
        if body and recipient != Recipient.COURT:
            raise CommandError("--body names a court or investigative body: use --recipient court")
        if options["items"] and options["no_items"]:
            raise CommandError("--item and --no-items exclude each other")
        if options["testimonies"] and options["no_testimonies"]:
            raise CommandError("--testimony and --no-testimonies exclude each other")
        try:
            case = Case.objects.get(codename=normalise(options["case"]))
        except Case.DoesNotExist:
            raise CommandError(f"no case has the codename {options['case']!r}") from None
        try:
            result = export.build_package(
                actor=None,
                case=case,
                recipient_kind=recipient,
                recipient_body=body,
                out=Path(options["out"]),
                item_ids=[] if options["no_items"] else options["items"],
                testimony_ids=[] if options["no_testimonies"] else options["testimonies"],
                age_recipient=options["age_recipient"],
            )
        except EvidenceError as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(
            f"exported package {result.package_id} to {result.path}: {len(result.items)} "
            f"items, {len(result.testimonies)} testimonies, {result.bytes} bytes of payload"
        )
        for testimony, why in result.left_out.items():
            self.stdout.write(f"left out testimony {testimony}: {why}")
        self.stdout.write(
            f"signed with {signing.public_key_text()}: give the recipient this key through "
            "another channel than the package"
        )

    def _ingest(self, options) -> None:
        from django.contrib.auth import get_user_model

        from waystation.evidence.bulk import ingest_files

        actor = None
        if options["by"]:
            actor = get_user_model().objects.filter(username=options["by"], is_active=True).first()
            if actor is None:
                raise CommandError(f"--by: no active member is called {options['by']!r}")
        ingest_files(
            options["files"],
            codename=options["case"],
            acquired_how=options["how"],
            acquired_from=options["acquired_from"],
            actor=actor,
            say=self.stdout.write,
        )

    def _verify_export(self, package: Path, key: str | None) -> None:
        problems = export.verify_package(package, expected_key=key)
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(
                f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found: "
                "do not rely on this package"
            )
        self.stdout.write(f"OK: {package} is complete, unchanged and signed")
        if not key:
            self.stdout.write(
                "warning: checked against the key printed in the package, which proves it is "
                "unchanged, not who made it; pass --key with the key the sender gave you"
            )

    def _verify(self) -> None:
        checked, problems = 0, 0
        for problem in verify_all():
            if problem is None:
                checked += 1
            else:
                problems += 1
                self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                f"{problems} problem{'s' if problems != 1 else ''} in {checked} items checked"
            )
        self.stdout.write(f"{checked} items checked, no problems")
