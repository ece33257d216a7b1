"""Making a dossier: the policy checked (again, after the view), then the exit gate
(``evidence.gate``) decides on the chosen items and testimonies for the recipient — one that
may not go refuses the whole dossier, audited —, then one transaction that records the
release (the audit row: who, which case, which items and testimonies, identity or not, never
content; and each exported file's custody entry) and reads what the dossier holds. The PDF is
made from that; a ZIP streams the released files from the blob store after it, never whole
in memory. With an age recipient the file is encrypted to that key (as evidence packages
are); a key that is not one is refused before anything is made."""

import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waystation.accounts import policy
from waystation.accounts.policy import Perm, SystemActor
from waystation.cases.models import Case, Identity
from waystation.core import signing
from waystation.core.refusals import NotVisible
from waystation.core.streaming import zip_stream
from waystation.evidence import export, gate

from .. import catalogue
from ..services import PathwaysError
from . import contents as gather
from . import selectors
from .contents import AGE_RECIPIENT_INVALID, LANGUAGE_CODES, Choices, Contents
from .pdf import render

IDENTITY_REASON = "documents"  # RevealReason.DOCUMENTS: for a document or visa application
COMMAND_LINE = gettext_lazy("the command line, on the server")


class DossierError(PathwaysError):
    """A choice that cannot be honoured, with a message for the user; nothing was written."""


class DossierRefused(DossierError, NotVisible):
    """The user may not make a dossier of this case. Views answer 404, as for a missing case."""


@dataclass(frozen=True)
class Built:
    """A dossier made and recorded. Its bytes are read once: ``chunks`` for a download, or
    ``write_to`` a file; with an age recipient, both give the encrypted file."""

    dossier_id: str
    file_name: str
    content_type: str
    plain: Iterator[bytes] = field(repr=False)
    identity: bool
    age_recipient: str = ""

    @property
    def chunks(self) -> Iterator[bytes]:
        if not self.age_recipient:
            return self.plain
        return _sealed(self.plain, self.age_recipient)

    def write_to(self, target: BinaryIO) -> None:
        if self.age_recipient:
            export.encrypt_chunks_to_age(self.plain, target, self.age_recipient)
            return
        for chunk in self.plain:
            target.write(chunk)


def _sealed(plain: Iterator[bytes], age_recipient: str) -> Iterator[bytes]:
    """The dossier encrypted to ``age_recipient``, for a download: encrypted into a file that
    no name reaches (only ciphertext touches the disk), then sent from it."""
    with tempfile.TemporaryFile() as sealed:
        export.encrypt_chunks_to_age(plain, sealed, age_recipient)
        sealed.seek(0)
        yield from iter(lambda: sealed.read(1 << 20), b"")


def _check(actor, case: Case, choices: Choices) -> tuple:
    if not selectors.may_build(actor, case):
        raise DossierRefused(case.pk)
    if choices.language not in LANGUAGE_CODES or choices.output not in ("pdf", "zip"):
        raise DossierError(_("Choose the language and the format from the list."))
    if choices.identity and not selectors.may_include_identity(actor, case):
        raise DossierRefused(case.pk)
    if choices.age_recipient:
        try:
            signing.age_recipient(choices.age_recipient)
        except ValueError:
            raise DossierError(AGE_RECIPIENT_INVALID) from None
    pathway = None
    if choices.pathway_id:
        pathway = catalogue.current().get(choices.pathway_id)
        if pathway is None:
            raise DossierError(_("Choose the pathway from the catalogue."))
    addressee = None
    try:
        if choices.recipient:
            addressee = gate.Addressee.of(choices.recipient, choices.recipient_body)
        elif choices.item_ids or choices.testimony_ids:
            raise DossierError(
                _("Choose who receives the dossier: what may go depends on it.")
            )
        # Everything chosen is asked for by id: one that may not go refuses the dossier. A
        # dossier without evidence still passes the gate: screening holds every way out.
        release = gate.clear(
            actor=actor,
            case=case,
            addressee=addressee,
            way=f"dossier_{choices.output}",
            item_ids=choices.item_ids,
            testimony_ids=choices.testimony_ids,
            allow_empty=True,
        )
    except gate.GateError as problem:
        raise DossierError(str(problem)) from None
    return pathway, release


def _prepared_by(actor) -> str:
    return str(COMMAND_LINE) if isinstance(actor, SystemActor) else actor.get_username()


def dossier_build(*, actor, case: Case, choices: Choices) -> Built:
    """The dossier as chosen: a PDF, or a ZIP of the PDF, the chosen files and a manifest;
    with ``choices.age_recipient``, that file encrypted to the recipient's age key."""
    policy.check(actor, Perm.DOSSIER_BUILD)
    pathway, release = _check(actor, case, choices)
    dossier_id = release.id.replace("-", "")[:16]
    files = choices.output == "zip"
    age_recipient = choices.age_recipient.strip()
    items = sorted(
        release.items, key=lambda item: (item.acquired_on, item.ingested_at, str(item.pk))
    )
    testimonies = sorted(
        release.testimonies, key=lambda t: (t.interviewed_on, t.recorded_at, str(t.pk))
    )
    with transaction.atomic():
        gate.record(
            release,
            actor=actor,
            files=files,
            extra={
                "format": f"dossier_{choices.output}",
                "dossier": dossier_id,
                "identity": choices.identity,
                "reason": IDENTITY_REASON if choices.identity else None,
                "language": choices.language,
                "pathway": pathway.id if pathway else None,
                "files": files,
                "age": bool(age_recipient),
            },
        )
        identity = None
        if choices.identity:
            identity, _created = Identity.objects.get_or_create(case=case)
        with translation.override(choices.language):
            labelled_items = [(f"E{n}", item) for n, item in enumerate(items, 1)]
            labelled_testimonies = [(f"T{n}", t) for n, t in enumerate(testimonies, 1)]
            held = Contents(
                case=case,
                language=choices.language,
                prepared_by=_prepared_by(actor),
                prepared_on=timezone.localdate(),
                pathway=pathway,
                identity=gather.identity_block(identity) if identity is not None else None,
                documents=gather.documents(case),
                chronology=gather.chronology(case, labelled_items, labelled_testimonies),
                items=labelled_items,
                testimonies=labelled_testimonies,
            )
    with translation.override(choices.language):
        pdf = render(held)
    root = f"dossier-{case.codename}-{dossier_id[:8]}"
    if files:
        name, content_type = root + ".zip", "application/zip"
        plain = zip_stream(_zip_files(release, pdf, labelled_items), root)
    else:
        name, content_type, plain = root + ".pdf", "application/pdf", iter((pdf,))
    if age_recipient:
        name, content_type = name + ".age", "application/octet-stream"
    return Built(dossier_id, name, content_type, plain, choices.identity, age_recipient)


def _zip_files(release: gate.Release, pdf: bytes, items):
    """The ZIP's files as (path, size, chunks): the PDF, each released item streamed from
    the blob store, and a manifest that ``sha256sum -c SHA256SUMS.txt`` checks."""
    gate.admit(release, recorded=True)
    manifest = {"dossier.pdf": hashlib.sha256(pdf).hexdigest()}
    yield "dossier.pdf", len(pdf), (pdf,)
    for label, item in items:
        path = f"files/{gather.safe_file_name(label, item)}"
        manifest[path] = item.sha256
        yield path, item.size, release.open(item)
    text = "".join(f"{digest}  {path}\n" for path, digest in manifest.items()).encode()
    yield "SHA256SUMS.txt", len(text), (text,)
