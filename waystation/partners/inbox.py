"""Importing a package from a partner into the inbox.

The file is opened and verified completely first (``package.open_package``); a package seen
before is refused as a replay; only then is it kept: the encrypted file as it came goes into
the blob store (a second read of the same file, checked to hash alike), its manifest into an
encrypted field. A refusal writes nothing but an audit row saying why. A receipt (the answer
to a package this instance sent) is handed to ``answers.apply_receipt``.
"""

import json
from pathlib import Path
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from waystation.accounts.policy import Perm, check, member
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.blobstore import blob_store

from .models import Inbound, InboundStatus, PackageKind
from .package import OpenedPackage, PackageRefused, open_package, reader_of


def import_package(*, actor, source: BinaryIO | Path) -> Inbound:
    """Verify the package in ``source`` and queue it (a receipt: apply it), or raise
    ``PackageRefused`` with the reason; the refusal is audited, nothing else is written."""
    check(actor, Perm.PARTNERS_MANAGE)
    try:
        opened = open_package(source)
        _refuse_replay(opened.package_id)
        blob = _keep(source, opened)
        with transaction.atomic():
            inbound = _queue(actor, opened, blob)
            if opened.kind == PackageKind.RECEIPT:
                # Imported here: answers builds on accepting, which reads queued packages
                # through open_inbound below (a cycle at import time).
                from .answers import apply_receipt

                apply_receipt(actor=actor, opened=opened)
                inbound.status = InboundStatus.ACCEPTED
                inbound.decided_at, inbound.decided_by = timezone.now(), member(actor)
                inbound.save(update_fields=["status", "decided_at", "decided_by"])
    except PackageRefused as refusal:
        with transaction.atomic():
            record(Event.PARTNER_PACKAGE_REFUSED, actor=actor, data={"reason": refusal.reason})
        raise
    return inbound


def _refuse_replay(package_id: str) -> None:
    earlier = Inbound.objects.filter(package_id=package_id).first()
    if earlier is not None:
        raise PackageRefused(
            _("This package was already imported on %(date)s."),
            reason="replay",
            date=date_format(timezone.localtime(earlier.received_at), "DATE_FORMAT"),
        )


def _keep(source: BinaryIO | Path, opened: OpenedPackage) -> str:
    """The verified file, as it came, into the blob store; its name there."""
    if isinstance(source, Path):
        with open(source, "rb") as handle:
            stored = blob_store().put(handle)
    else:
        source.seek(0)
        stored = blob_store().put(source)
    if stored.sha256 != opened.raw_sha256:
        raise PackageRefused(
            _("The file changed while it was imported. Import it again."), reason="damaged"
        )
    return stored.name


def _queue(actor, opened: OpenedPackage, blob: str) -> Inbound:
    inbound = Inbound(
        package_id=opened.package_id,
        sender=opened.sender,
        kind=opened.kind,
        created_at=opened.created_at,
        manifest_json=json.dumps(opened.manifest, ensure_ascii=False),
        blob=blob,
        blob_sha256=opened.raw_sha256,
        size=opened.raw_size,
        files=opened.files,
        received_by=member(actor),
    )
    try:
        with transaction.atomic():
            inbound.save(force_insert=True)
    except IntegrityError:  # the same package imported at the same moment elsewhere
        _refuse_replay(opened.package_id)
        raise
    record(
        Event.PARTNER_PACKAGE_IMPORTED,
        actor=actor,
        obj=inbound,
        data={"partner": opened.sender.pk, "kind": opened.kind, "files": len(opened.files)},
    )
    return inbound


def open_inbound(inbound: Inbound) -> OpenedPackage:
    """A queued package as ``open_package`` gave it, its files read again (and checked
    against the signed hashes) from the stored encrypted copy. For the services that decide
    about it, which check their own permission."""
    return OpenedPackage(
        sender=inbound.sender,
        package_id=inbound.package_id,
        kind=inbound.kind,
        manifest=inbound.manifest,
        created_at=inbound.created_at,
        files=inbound.files,
        raw_size=inbound.size,
        raw_sha256=inbound.blob_sha256,
        _reopen=lambda: reader_of(blob_store().open(inbound.blob)),
    )
