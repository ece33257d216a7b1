"""Packages for investigators: a BagIt bag (RFC 8493) with a case's evidence items, the
testimonies whose witness consented to share them with the recipient, the events they
describe and every item's chain of custody, signed with the instance's Ed25519 key.

The bag::

    bagit.txt
    bag-info.txt                 Source-Organization, Bagging-Date, Payload-Oxum,
                                 External-Identifier (the package id), Waystation-Signing-Key
    README.txt                   how the investigator checks it
    manifest-sha256.txt          every payload file
    tagmanifest-sha256.txt       bagit.txt, bag-info.txt, README.txt, manifest-sha256.txt
    tagmanifest-sha256.txt.sig   Ed25519 signature, 64 raw bytes, over tagmanifest-sha256.txt
    data/items/<item id>/<file name>
    data/items.json  items.csv  testimonies.json  testimonies.csv
    data/events.json  events.csv  custody.json  custody.csv

The signature cannot be listed in the manifest it signs. bagit-python checks only the tag
files a tag manifest lists (an unlisted one does not make a bag invalid), and when it rewrites
manifests it skips names starting with "tagmanifest-": hence the name of the signature file.
``verify_package`` is stricter than bagit: any file outside data/ that the signed tag manifest
does not cover is a problem.

Memory stays flat for any size: items are streamed from the blob store chunk by chunk and
hashed as they are written (the payload manifest comes from those hashes, checked against the
SHA-256 taken at ingest); the JSON and CSV tables are made in memory first, small next to the
files. The same stream of files feeds three outputs: a directory, an age-encrypted tar (the
plain bag never touches the disk) and a ZIP for a web download.
"""

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record

from .. import custody
from ..models import CustodyAction, Item, Recipient, Testimony
from ..services import EvidenceError
from .bag import bag_files, bag_root_name, write_directory, write_encrypted, zip_stream
from .check import verify_package
from .contents import Contents, Selection, make_contents

__all__ = [
    "ExportRefused",
    "PackageResult",
    "build_package",
    "consent_problem",
    "stream_package_zip",
    "verify_package",
]


class ExportRefused(EvidenceError):
    """The export would give a testimony to a recipient its witness did not consent to, or
    the evidence of a person with exclusion concerns that no coordinator has cleared."""


@dataclass(frozen=True)
class PackageResult:
    path: Path  # the bag directory, the encrypted file, or the ZIP's file name
    package_id: str  # uuid4, the bag's External-Identifier
    items: tuple[str, ...]
    testimonies: tuple[str, ...]
    left_out: dict[str, str]  # testimony id -> why its consent does not allow this recipient
    bytes: int  # payload size (Payload-Oxum): the items and the tables under data/


def consent_problem(testimony: Testimony, kind: str, body: str = "") -> str | None:
    """Why ``testimony`` may not go to this recipient, or None when its consent allows it."""
    if testimony.consent_allows(kind, body):
        return None
    if testimony.consent_withdrawn:
        return f"consent was withdrawn on {testimony.consent_withdrawn_on.isoformat()}"
    if kind not in testimony.consent_scope:
        return f"the witness did not consent to recipients of the kind {kind!r}"
    return "the witness consented to a different court or investigative body"


def _ids(values, what: str) -> list[str]:
    ids = []
    for value in values:
        try:
            ids.append(str(uuid.UUID(str(value).strip())))
        except ValueError:
            raise EvidenceError(f"{value!r} is not a valid {what} id") from None
    return sorted(set(ids))


def _pick(queryset, ids, case, what: str) -> list:
    if ids is None:
        return list(queryset)
    wanted = _ids(ids, what)
    rows = list(queryset.filter(pk__in=wanted))
    missing = set(wanted) - {str(row.pk) for row in rows}
    if missing:
        raise EvidenceError(
            f"no {what} of case {case.codename} has the id {', '.join(sorted(missing))}"
        )
    return rows


def _clean_body(body: str) -> str:
    return " ".join("".join(c for c in body if c.isprintable() or c.isspace()).split())


def _check_screening(*, actor, case, kind) -> None:
    """A witness can also be a perpetrator: with exclusion concerns recorded in his screening,
    his evidence goes out only after a coordinator has confirmed it there (a recorded, audited
    act of a signed-in coordinator; the command line has no way to prove who types, so it
    follows that confirmation too). Refused and audited otherwise, nothing written."""
    from waystation.screening.selectors import export_clearance_problem

    problem = export_clearance_problem(case)
    if problem:
        record(
            AuditEvent.EVIDENCE_EXPORT_REFUSED,
            actor=actor,
            obj=case,
            data={"case": case.pk, "recipient": kind, "screening": "concerns_not_cleared"},
        )
        raise ExportRefused(problem)


def _select(*, actor, case, kind, body, item_ids, testimony_ids) -> Selection:
    kind = str(kind)  # a Recipient member prints as its name in messages
    if kind not in Recipient.values:
        raise EvidenceError(f"unknown recipient {kind!r}: one of {', '.join(Recipient.values)}")
    body = _clean_body(body) if kind == Recipient.COURT else ""
    if kind == Recipient.COURT and not body:
        raise EvidenceError("name the court or investigative body that receives the package")
    _check_screening(actor=actor, case=case, kind=kind)
    items = _pick(
        Item.objects.filter(case=case)
        .select_related("verified_by")
        .prefetch_related("events")
        .order_by("ingested_at", "pk"),
        item_ids,
        case,
        "item",
    )
    testimonies = _pick(
        Testimony.objects.filter(case=case)
        .select_related("interviewer")
        .prefetch_related("event_links")
        .order_by("interviewed_on", "recorded_at", "pk"),
        testimony_ids,
        case,
        "testimony",
    )
    problems = {str(t.pk): consent_problem(t, kind, body) for t in testimonies}
    refused = {pk: why for pk, why in problems.items() if why}
    if refused and testimony_ids is not None:
        record(
            AuditEvent.EVIDENCE_EXPORT_REFUSED,
            actor=actor,
            obj=case,
            data={"case": case.pk, "recipient": kind, "testimonies": sorted(refused)},
        )
        raise ExportRefused(
            "refused, nothing was exported: "
            + "; ".join(f"testimony {pk}: {why}" for pk, why in sorted(refused.items()))
        )
    allowed = [t for t in testimonies if str(t.pk) not in refused]
    if not items and not allowed:
        raise EvidenceError(
            f"nothing to export: no item, and no testimony this recipient may receive, "
            f"in case {case.codename}"
        )
    return Selection(case, kind, body, items, allowed, refused)


def _record_export(*, actor, selection: Selection, package_id: str, form: str) -> None:
    """The export in each item's chain of custody and in the audit log: ids and kinds only,
    never the name of a court or a person. Call inside a transaction."""
    for item in selection.items:
        custody.append(
            item=item,
            action=CustodyAction.EXPORTED,
            actor=actor,
            details={"package": package_id, "recipient": selection.kind},
        )
    record(
        AuditEvent.EVIDENCE_EXPORTED,
        actor=actor,
        obj=selection.case,
        data={
            "case": selection.case.pk,
            "package": package_id,
            "recipient": selection.kind,
            "form": form,
            "items": len(selection.items),
            "testimonies": sorted(str(t.pk) for t in selection.testimonies),
            "left_out": len(selection.left_out),
        },
    )


def _result(path: Path, contents: Contents) -> PackageResult:
    selection = contents.selection
    return PackageResult(
        path=path,
        package_id=contents.package_id,
        items=tuple(str(item.pk) for item in selection.items),
        testimonies=tuple(str(t.pk) for t in selection.testimonies),
        left_out=dict(sorted(selection.left_out.items())),
        bytes=contents.payload_bytes,
    )


def build_package(
    *,
    actor,
    case,
    recipient_kind: str,
    recipient_body: str = "",
    out: Path,
    item_ids=None,
    testimony_ids=None,
    age_recipient: str | None = None,
) -> PackageResult:
    """Write the package for a recipient of ``recipient_kind`` (a ``Recipient``; for a court,
    ``recipient_body`` names it) to ``out``, which must not exist: a bag directory, or with
    ``age_recipient`` ("age1…") one file, a tar of the bag encrypted to that key.

    Items: all of the case's, or those of ``item_ids``. Testimonies: with ``testimony_ids``
    exactly those, and ``ExportRefused`` (audited, nothing written) if consent does not allow
    one; without, every testimony of the case whose consent allows the recipient, the others
    reported in ``left_out``. The package is made under a temporary name beside ``out`` and
    renamed when complete, in the transaction that records the export."""
    out = Path(out)
    if out.exists() or out.is_symlink():
        raise EvidenceError(f"{out} exists already; choose a new name")
    if not out.parent.is_dir():
        raise EvidenceError(f"{out.parent} is not a directory")
    selection = _select(
        actor=actor,
        case=case,
        kind=recipient_kind,
        body=recipient_body,
        item_ids=item_ids,
        testimony_ids=testimony_ids,
    )
    contents = make_contents(selection, str(uuid.uuid4()))
    files = bag_files(contents)
    with contextlib.ExitStack() as cleanup:
        if age_recipient:
            fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.partial-")
            partial = Path(name)
            cleanup.callback(partial.unlink, missing_ok=True)
            with os.fdopen(fd, "wb") as target:
                write_encrypted(files, target, bag_root_name(out), age_recipient)
        else:
            partial = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
            cleanup.callback(shutil.rmtree, partial, ignore_errors=True)
            write_directory(files, partial)
        with transaction.atomic():
            _record_export(
                actor=actor,
                selection=selection,
                package_id=contents.package_id,
                form="age" if age_recipient else "bag",
            )
            if out.exists():
                raise EvidenceError(f"{out} appeared while the package was made; try again")
            os.rename(partial, out)
    return _result(out, contents)


def stream_package_zip(
    *,
    actor,
    case,
    recipient_kind: str,
    recipient_body: str = "",
    item_ids=None,
    testimony_ids=None,
) -> tuple[PackageResult, Iterator[bytes]]:
    """The package as a ZIP made while it is sent (a web download): the result (its ``path``
    is the file name to offer) and the ZIP's bytes. Refusals are raised here, before the
    first byte. The export is recorded here too, before the first byte leaves: a download
    broken off half-way has still handed over part of the evidence."""
    selection = _select(
        actor=actor,
        case=case,
        kind=recipient_kind,
        body=recipient_body,
        item_ids=item_ids,
        testimony_ids=testimony_ids,
    )
    contents = make_contents(selection, str(uuid.uuid4()))
    with transaction.atomic():
        _record_export(actor=actor, selection=selection, package_id=contents.package_id, form="zip")
    root = f"evidence-{case.codename}-{contents.package_id[:8]}"
    return _result(Path(root + ".zip"), contents), zip_stream(bag_files(contents), root)
