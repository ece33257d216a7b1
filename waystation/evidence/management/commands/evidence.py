import argparse
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.policy import Perm, system_actor
from waystation.cases.codenames import normalise
from waystation.cases.models import Case
from waystation.core import signing
from waystation.core.blobstore import blob_store
from waystation.evidence import export, gate, services
from waystation.evidence.bulk import ingest_files
from waystation.evidence.export import stamps
from waystation.evidence.models import AcquiredHow, ItemOrigin, Recipient
from waystation.evidence.services import EvidenceError
from waystation.evidence.verify import verify_all

# The operator at the server's command line: reads a case's evidence and makes a package of
# it (through the exit gate); ingests files when no member is named with --by.
EXPORT_ACTOR = system_actor("command.evidence.export", Perm.EVIDENCE_VIEW, Perm.EVIDENCE_EXPORT)
INGEST_ACTOR = system_actor("command.evidence.ingest", Perm.EVIDENCE_EDIT)
KEYS_ACTOR = system_actor("command.evidence.known-key", Perm.EVIDENCE_EDIT)

EXPORT_HELP = """\
Write an evidence package for an investigator: a BagIt bag with what may go to this
recipient — the items whose source consented to it (the person of the case, the witness
who gave the item, the terms of an organisation; open-source items go anywhere, items whose
source is not recorded go nowhere), the testimonies whose witness consented to it —, their
events and every item's chain of custody, signed with this instance's key (`evidence
public-key`).

The recipient is a kind, as consent is recorded:
  --recipient court --body "International Criminal Court"   a court or investigative body,
                                                           named as in the consent
  --recipient partner --body "NAME"                        another Waystation group
  --recipient un | ngo | media | authority                 UN mechanisms, human rights
                                                           organisations, media, authorities
                                                           deciding an application

Before anything is written, the command prints what goes and what is held back, each with
its reason (the same list as the export page); --dry-run prints only that. By default
everything of the case that may go, goes. --item ID and --testimony ID pick exactly those:
then one that may not go stops the whole export (nothing is written, the refusal is
audited). --age-recipient age1... writes one encrypted file (a tar of the bag) instead of
a directory: only the holder of that age key can open it.

examples:
  waystation evidence export --case amber-falcon-27 --recipient un --dry-run
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
            help="who receives it: court (with --body), partner (with --body), un, ngo, media "
            "or authority",
        )
        made.add_argument(
            "--body",
            default="",
            metavar="NAME",
            help="with --recipient court: the court or investigative body, as consent names "
            "it; with --recipient partner: the partner group",
        )
        made.add_argument(
            "--out",
            metavar="PATH",
            help="the directory to create (or, with --age-recipient, the file); must not exist",
        )
        made.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would go and what would be held back, and write nothing",
        )
        made.add_argument(
            "--item",
            action="append",
            dest="items",
            metavar="ID",
            help="exactly this item (repeat for more; default: every item that may go); "
            "refused if it may not go",
        )
        made.add_argument("--no-items", action="store_true", help="testimonies only, no items")
        made.add_argument(
            "--testimony",
            action="append",
            dest="testimonies",
            metavar="ID",
            help="exactly this testimony (repeat for more); refused if it may not go",
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
        check.add_argument(
            "--anchor",
            metavar="EARLIER",
            help="an earlier package of the same sender (or its data/timestamps/heads.txt): "
            "each item in both must still hold the custody entries anchored there",
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
            "--source",
            default=ItemOrigin.NOT_RECORDED,
            choices=ItemOrigin.values,
            help="where the files came from, which decides where they may go: person (the "
            "person of the case; his consent governs them), witness (with --testimony), open, "
            "organisation (with --organisation and --terms), not_recorded (default: they go "
            "nowhere until it is recorded)",
        )
        taken.add_argument(
            "--testimony",
            default="",
            metavar="ID",
            help="with --source witness: the testimony of the witness who gave them",
        )
        taken.add_argument(
            "--organisation",
            default="",
            metavar="NAME",
            help="with --source organisation: the organisation or partner they came from",
        )
        taken.add_argument(
            "--terms",
            default="",
            metavar="KINDS",
            help="with --source organisation: the recipient kinds its terms allow, "
            "comma-separated (court,un,ngo,media,partner,authority)",
        )
        taken.add_argument(
            "--court",
            action="append",
            default=[],
            metavar="NAME",
            help="with --terms court: a court or investigative body the terms name (repeat)",
        )
        taken.add_argument(
            "--by",
            default="",
            metavar="USERNAME",
            help="the member who received them, for the chain of custody (default: none, "
            "shown as the command line)",
        )

        actions.add_parser("public-key", help="print the key packages are signed with")
        known = actions.add_parser(
            "known-key",
            help="record an OpenPGP public key (a witness's phone running ProofMode) as known, "
            "for a case or the whole group: proof bundles are then checked against it",
        )
        known.add_argument("file", metavar="KEY.asc", help="the public key, ASCII-armored")
        known.add_argument(
            "--label", required=True, metavar="WHOSE", help="whose key it is (kept encrypted)"
        )
        known.add_argument(
            "--case", default="", metavar="CODENAME", help="its case (default: the whole group)"
        )
        actions.add_parser("verify", help="re-hash every stored item, check every custody chain")

    def handle(self, *args, action, **options):
        if action == "export":
            self._export(options)
        elif action == "verify-export":
            self._verify_export(Path(options["package"]), options["key"], options["anchor"])
        elif action == "ingest":
            self._ingest(options)
        elif action == "known-key":
            self._known_key(options)
        elif action == "public-key":
            self.stdout.write(signing.public_key_text())
        elif action == "verify":
            self._verify()

    def _export(self, options) -> None:
        recipient, body = options["recipient"], options["body"].strip()
        if recipient == Recipient.COURT and not body:
            raise CommandError(
                '--recipient court needs --body "NAME": the court or investigative body, '
                "as the consent names it"
            )
        if body and recipient not in gate.NAMED:
            raise CommandError(
                "--body names a court or a partner: use --recipient court or partner"
            )
        if not options["out"] and not options["dry_run"]:
            raise CommandError("give --out PATH, or --dry-run to see what would go")
        if options["items"] and options["no_items"]:
            raise CommandError("--item and --no-items exclude each other")
        if options["testimonies"] and options["no_testimonies"]:
            raise CommandError("--testimony and --no-testimonies exclude each other")
        try:
            case = Case.objects.get(codename=normalise(options["case"]))
        except Case.DoesNotExist:
            raise CommandError(f"no case has the codename {options['case']!r}") from None
        chosen = {
            "item_ids": [] if options["no_items"] else options["items"],
            "testimony_ids": [] if options["no_testimonies"] else options["testimonies"],
        }
        try:
            addressee = gate.Addressee.of(recipient, body)
            # The list first, before anything is made: the same rows as the export page.
            decision = gate.preview(actor=EXPORT_ACTOR, case=case, addressee=addressee, **chosen)
            for line in decision.text():
                self.stdout.write(line)
            if options["dry_run"]:
                return
            result = export.build_package(
                actor=EXPORT_ACTOR,
                case=case,
                addressee=addressee,
                out=Path(options["out"]),
                age_recipient=options["age_recipient"],
                **chosen,
            )
        except EvidenceError as problem:
            raise CommandError(" ".join(str(problem).split())) from None
        self.stdout.write(
            f"exported package {result.package_id} to {result.path}: {len(result.items)} "
            f"items, {len(result.testimonies)} testimonies, {result.bytes} bytes of payload; "
            f"{len(result.held)} held back"
        )
        self.stdout.write(
            f"signed with {signing.public_key_text()}: give the recipient this key through "
            "another channel than the package"
        )

    def _known_key(self, options) -> None:
        case = None
        if options["case"]:
            case = Case.objects.filter(codename=normalise(options["case"])).first()
            if case is None:
                raise CommandError(f"no case has the codename {options['case']!r}")
        try:
            armored = Path(options["file"]).read_text(encoding="ascii")
            known = services.known_key_record(
                actor=KEYS_ACTOR, armored=armored, label=options["label"], case=case
            )
        except (OSError, ValueError, EvidenceError) as error:
            raise CommandError(f"{options['file']}: {error}") from None
        self.stdout.write(f"recorded as known: {known.fingerprint}")

    def _ingest(self, options) -> None:
        actor = INGEST_ACTOR
        if options["by"]:
            actor = get_user_model().objects.filter(username=options["by"], is_active=True).first()
            if actor is None:
                raise CommandError(f"--by: no active member is called {options['by']!r}")
        terms = [kind.strip() for kind in options["terms"].split(",") if kind.strip()]
        ingest_files(
            options["files"],
            codename=options["case"],
            acquired_how=options["how"],
            acquired_from=options["acquired_from"],
            actor=actor,
            say=self.stdout.write,
            origin={
                "origin": options["source"],
                "origin_testimony": options["testimony"],
                "origin_organisation": options["organisation"],
                "terms_scope": terms,
                "terms_courts": options["court"],
            },
        )

    def _verify_export(self, package: Path, key: str | None, anchor: str | None) -> None:
        problems = export.verify_package(package, expected_key=key)
        if anchor:
            problems += stamps.anchor_problems(package, Path(anchor))
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
        leftovers = blob_store().remove_leftovers()
        if leftovers:
            self.stdout.write(
                f"Removed {leftovers} half-written file(s) that an interrupted upload or ingest "
                "left in the file store (encrypted; no item refers to them)."
            )
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
