"""`waystation dossier build`: a case's dossier from the command line, through the same service
and exit gate as the dossier page, acting as an explicit system actor."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.policy import Perm, Side, system_actor
from waystation.cases.selectors import case_by_codename
from waystation.core import signing
from waystation.core.refusals import Refusal
from waystation.evidence.models import Recipient

from ... import catalogue
from ...dossier import services
from ...dossier.contents import LANGUAGE_CODES, Choices


def _one_line(problem) -> str:
    return " ".join(str(problem).split())


class Command(BaseCommand):
    help = (
        "A case's dossier for an application. `dossier build CODENAME --pathway SLUG --out FILE` "
        "writes the PDF (or with --format zip the PDF, the chosen evidence files and a SHA-256 "
        "manifest) through the exit gate, like the dossier page; audited. The codename only, "
        "unless --with-identity. With --age-recipient the file is encrypted to that age key."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        build = actions.add_parser("build", help="write one dossier", description=self.help)
        build.add_argument("codename", help="the case, e.g. amber-falcon-27")
        build.add_argument(
            "--pathway", required=True, help="the pathway applied for, e.g. de-aufenthg-22"
        )
        build.add_argument("--format", choices=("pdf", "zip"), default="pdf", dest="output")
        build.add_argument("--language", choices=LANGUAGE_CODES, default="en")
        build.add_argument(
            "--out", required=True, type=Path, help="the file to write; must not exist"
        )
        build.add_argument(
            "--age-recipient",
            default="",
            metavar="AGE1…",
            help="encrypt the file to this age public key (give --out a name ending in .age)",
        )
        build.add_argument(
            "--with-identity",
            action="store_true",
            help="include the identity (legal name, Latin spelling, birth date, document "
            "numbers; never phone or address); the audit log records it",
        )
        build.add_argument(
            "--recipient",
            choices=Recipient.values,
            default="",
            help="who receives it: needed for --item and --testimony (the exit gate decides "
            "on each by its consent or terms)",
        )
        build.add_argument(
            "--body", default="", help="the court or partner, for --recipient court or partner"
        )
        build.add_argument(
            "--item",
            action="append",
            default=[],
            dest="items",
            metavar="ID",
            help="an evidence item to include (repeat)",
        )
        build.add_argument(
            "--testimony",
            action="append",
            default=[],
            dest="testimonies",
            metavar="ID",
            help="a testimony to include (repeat)",
        )

    def handle(self, *args, **options):
        out: Path = options["out"]
        # Everything that can be refused without the case first, before anything is made.
        if out.exists() or out.is_symlink():
            raise CommandError(f"{out} exists already; choose a new name")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent} is not a directory")
        key = options["age_recipient"].strip()
        if key:
            try:
                signing.age_recipient(key)
            except ValueError:
                raise CommandError(
                    f"--age-recipient: not an age public key ({key[:12]}…): it starts with "
                    "age1 and has 62 characters"
                ) from None
        perms = [Perm.DOSSIER_BUILD, Perm.CASES_VIEW, Perm.EVIDENCE_VIEW]
        sides = [Side.LEGAL]
        if options["with_identity"]:
            perms.append(Perm.DOSSIER_IDENTITY)
            sides.append(Side.IDENTITY)
        actor = system_actor("command.dossier", *perms, sides=sides)
        case = case_by_codename(actor, options["codename"])
        if case is None:
            raise CommandError(f"no case has the codename {options['codename']!r}")
        if catalogue.current().get(options["pathway"]) is None:
            known = ", ".join(p.id for p in catalogue.current().pathways)
            raise CommandError(f"unknown pathway {options['pathway']!r}: one of {known}")
        choices = Choices(
            language=options["language"],
            pathway_id=options["pathway"],
            identity=options["with_identity"],
            recipient=options["recipient"],
            recipient_body=options["body"],
            item_ids=tuple(options["items"]),
            testimony_ids=tuple(options["testimonies"]),
            output=options["output"],
            age_recipient=key,
        )
        try:
            built = services.dossier_build(actor=actor, case=case, choices=choices)
            self._write(built, out)
        except Refusal as problem:
            raise CommandError(_one_line(problem)) from None
        encrypted = f", encrypted to {key[:12]}…" if key else ""
        self.stdout.write(
            f"dossier {built.dossier_id} of {case.codename} written to {out}{encrypted}"
        )

    def _write(self, built: services.Built, out: Path) -> None:
        """Under a temporary name beside ``out`` (readable by its owner only), then linked to
        ``out``, which never replaces a file that appeared meanwhile."""
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.partial-")
        partial = Path(name)
        try:
            with os.fdopen(fd, "wb") as target:
                built.write_to(target)
                target.flush()
                os.fsync(target.fileno())
            try:
                os.link(partial, out)
            except FileExistsError:
                raise CommandError(
                    f"{out} appeared while the dossier was made; try again"
                ) from None
        finally:
            partial.unlink(missing_ok=True)
