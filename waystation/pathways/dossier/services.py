"""Making a dossier: the policy checked (again, after the view), the choices checked against
what the user may see and what each witness consented to, then one transaction that writes the
audit row — who, which case, which items and testimonies, identity or not, never content — and
each exported file's custody entry, and reads what the dossier holds. The PDF is made from
that; a ZIP streams the chosen files from the blob store after it, never whole in memory."""

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, Side, can, case_sides
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.cases.models import Case, Identity
from waystation.evidence import custody
from waystation.evidence.export import consent_problem
from waystation.evidence.export.bag import item_chunks, zip_stream
from waystation.evidence.models import CustodyAction, Recipient
from waystation.evidence.selectors import items_for, testimonies_for
from waystation.screening.selectors import export_clearance_problem

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


def _chosen(queryset, ids, what: str) -> list:
    wanted = {str(value) for value in ids}
    try:
        rows = list(queryset.filter(pk__in=[uuid.UUID(value) for value in wanted]))
    except ValueError:
        raise DossierError(_("Choose %(what)s from the list.") % {"what": what}) from None
    if {str(row.pk) for row in rows} != wanted:
        raise DossierError(_("Choose %(what)s from the list.") % {"what": what})
    return rows


def _check(actor, case: Case, choices: Choices):
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
    items = _chosen(items_for(actor, case=case), choices.item_ids, _("evidence items"))
    items.sort(key=lambda item: (item.acquired_on, item.ingested_at, str(item.pk)))
    testimonies = _chosen(
        testimonies_for(actor, case=case), choices.testimony_ids, _("testimonies")
    )
    testimonies.sort(key=lambda t: (t.interviewed_on, t.recorded_at, str(t.pk)))
    # As for an evidence export: a person with exclusion concerns may be a perpetrator as well
    # as a witness, so his evidence leaves only once a coordinator has confirmed it.
    if (items or testimonies) and (problem := export_clearance_problem(case)):
        with transaction.atomic():
            record(
                Event.EVIDENCE_EXPORT_REFUSED,
                actor=actor,
                obj=case,
                data={
                    "case": case.pk,
                    "format": "dossier",
                    "screening": "concerns_not_cleared",
                },
            )
        raise DossierError(problem)
    if testimonies:
        if choices.recipient not in Recipient.values:
            raise DossierError(
                _("Choose who receives the dossier, to check the witness's consent.")
            )
        if any(consent_problem(t, choices.recipient, choices.recipient_body) for t in testimonies):
            raise DossierError(
                _("A testimony you chose may not go to this recipient: no consent to it.")
            )
    return pathway, items, testimonies


def dossier_build(*, actor, case: Case, choices: Choices) -> Built:
    """The dossier as chosen: a PDF, or a ZIP of the PDF, the chosen files and a manifest."""
    pathway, items, testimonies = _check(actor, case, choices)
    dossier_id = uuid.uuid4().hex[:16]
    files = choices.output == "zip"
    with transaction.atomic():
        record(
            Event.CASE_EXPORTED,
            actor=actor,
            obj=case,
            data={
                "format": f"dossier_{choices.output}",
                "dossier": dossier_id,
                "identity": choices.identity,
                "reason": IDENTITY_REASON if choices.identity else None,
                "language": choices.language,
                "pathway": pathway.id if pathway else None,
                "recipient": choices.recipient or None,
                "items": sorted(str(item.pk) for item in items),
                "files": files,
                "testimonies": sorted(str(t.pk) for t in testimonies),
            },
        )
        if files:
            for item in items:
                custody.append(
                    item=item,
                    action=CustodyAction.EXPORTED,
                    actor=actor,
                    details={
                        "dossier": dossier_id,
                        "recipient": choices.recipient or "application",
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
        zip_stream(_zip_files(pdf, labelled_items), root),
        choices.identity,
    )


def _zip_files(pdf: bytes, items):
    """The ZIP's files as (path, size, chunks): the PDF, each item streamed from the blob
    store, and a manifest that ``sha256sum -c SHA256SUMS.txt`` checks."""
    manifest = {"dossier.pdf": hashlib.sha256(pdf).hexdigest()}
    yield "dossier.pdf", len(pdf), (pdf,)
    for label, item in items:
        path = f"files/{gather.safe_file_name(label, item)}"
        manifest[path] = item.sha256
        yield path, item.size, item_chunks(item)
    text = "".join(f"{digest}  {path}\n" for path, digest in manifest.items()).encode()
    yield "SHA256SUMS.txt", len(text), (text,)
