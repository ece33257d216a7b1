"""Making a dossier: the policy checked (again, after the view), then the exit gate
(``evidence.gate``) decides on the chosen items and testimonies for the recipient — one that
may not go refuses the whole dossier, audited —, then one transaction that records the
release (the audit row: who, which case, which items and testimonies, identity or not, never
content; and each exported file's custody entry) and reads what the dossier holds. The PDF is
made from that; a ZIP streams the released files from the blob store after it, never whole
in memory."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, Side, can, case_sides
from waystation.cases.models import Case, Identity
from waystation.core.streaming import zip_stream
from waystation.evidence import gate

from .. import catalogue
from . import contents as gather
from .contents import LANGUAGE_CODES, Choices, Contents
from .pdf import render

IDENTITY_REASON = "documents"  # RevealReason.DOCUMENTS: for a document or visa application


class DossierError(Exception):
    """A choice that cannot be honoured, with a message for the user; nothing was written."""


class DossierRefused(DossierError):
    """The user may not make a dossier of this case. Views answer 404, as for a missing case."""


@dataclass(frozen=True)
class Built:
    dossier_id: str
    file_name: str
    content_type: str
    chunks: Iterator[bytes]
    identity: bool


def may_build(user, case: Case) -> bool:
    """A dossier shows the legal side of a case (timeline, risks, documents)."""
    return can(user, Perm.DOSSIER_BUILD) and Side.LEGAL in case_sides(user, case)


def may_include_identity(user, case: Case) -> bool:
    return (
        may_build(user, case)
        and can(user, Perm.DOSSIER_IDENTITY)
        and Side.IDENTITY in case_sides(user, case)
    )


def _check(actor, case: Case, choices: Choices) -> tuple:
    if not may_build(actor, case):
        raise DossierRefused(case.pk)
    if choices.language not in LANGUAGE_CODES or choices.output not in ("pdf", "zip"):
        raise DossierError(_("Choose the language and the format from the list."))
    if choices.identity and not may_include_identity(actor, case):
        raise DossierRefused(case.pk)
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


def dossier_build(*, actor, case: Case, choices: Choices) -> Built:
    """The dossier as chosen: a PDF, or a ZIP of the PDF, the chosen files and a manifest."""
    pathway, release = _check(actor, case, choices)
    dossier_id = release.id.replace("-", "")[:16]
    files = choices.output == "zip"
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
                prepared_by=actor.get_username(),
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
    if not files:
        return Built(dossier_id, root + ".pdf", "application/pdf", iter((pdf,)), choices.identity)
    return Built(
        dossier_id,
        root + ".zip",
        "application/zip",
        zip_stream(_zip_files(release, pdf, labelled_items), root),
        choices.identity,
    )


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
