"""The per-case export — JSON for another system, a printable page — with the evidence the
exit gate lets go to the recipient named (none when no recipient is named). The case's own
data comes from ``cases.export``; the gate, the audit row and the evidence are here, one
layer up, because the gate needs evidence and screening."""

from dataclasses import dataclass

from django.db import transaction

from waystation.cases.export import case_export_check, case_export_data
from waystation.core.uploads import display_name

from .. import gate


@dataclass(frozen=True)
class CaseFile:
    release: gate.Release
    fmt: str  # "json" or "html"
    data: dict


def case_export(
    *, actor, case, fmt: str, identity_reason: str = "", addressee: gate.Addressee | None = None
) -> CaseFile:
    """The case as plain data for ``fmt``, with ``data["evidence"]``: the items (listed,
    not their files) and testimonies the gate releases to ``addressee``. Refusals: the
    case's own (``CaseAccessDenied``, ``CaseError``) and the gate's (``gate.Refused``,
    audited). The release is recorded, with identity or not, in the transaction that reads
    what goes out."""
    case_export_check(actor=actor, case=case, fmt=fmt, identity_reason=identity_reason)
    release = gate.clear(
        actor=actor, case=case, addressee=addressee, way=f"case_{fmt}", allow_empty=True
    )
    with transaction.atomic():
        gate.record(
            release,
            actor=actor,
            files=False,
            extra={
                "format": fmt,
                "identity": bool(identity_reason),
                "reason": identity_reason or None,
            },
        )
        data = case_export_data(actor=actor, case=case, identity_reason=identity_reason)
        data["evidence"] = _evidence(release)
    return CaseFile(release, fmt, data)


def _evidence(release: gate.Release) -> dict:
    gate.admit(release, recorded=True)
    return {
        "recipient": str(release.addressee) if release.addressee else None,
        "items": [
            {
                "id": str(item.pk),
                "kind": item.kind,
                "sha256": item.sha256,
                "size": item.size,
                "media_type": item.media_type,
                "original_name": display_name(item.original_name),
                "acquired_on": item.acquired_on.isoformat(),
                "source": item.origin,
            }
            for item in release.items
        ],
        "testimonies": [
            {
                "id": str(t.pk),
                "interviewed_on": t.interviewed_on.isoformat(),
                "language": t.language,
                "statement": t.statement,
                "corrections": [
                    {
                        "number": addendum.number,
                        "text": addendum.text,
                        "reason": addendum.reason,
                        "added_at": addendum.added_at.isoformat(),
                    }
                    for addendum in t.addenda.order_by("number")
                ],
            }
            for t in release.testimonies
        ],
    }
