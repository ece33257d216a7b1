"""A partner's receipt, imported at the sender: the answer to a referral or a transfer.
An accepted transfer closes the case here (a "closed" status step saying to whom and
when); a referral keeps the case open and shows the answer and the partner's message."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, check
from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record
from waystation.cases.models import Status
from waystation.cases.services import case_mark_transferred, status_record
from waystation.core.refusals import Refusal

from .accepting import RECEIPT
from .models import Answer, Kind, Outbound


class ReceiptError(Refusal):
    """The receipt answers nothing this instance sent to its sender; nothing was changed."""


def apply_receipt(*, actor, opened) -> Outbound:
    """Record the answer a receipt carries on the package it answers."""
    check(actor, Perm.PARTNERS_MANAGE)
    if opened.kind != RECEIPT:
        raise ReceiptError(_("This is not a receipt."))
    manifest = opened.manifest
    sender = getattr(opened.sender, "name", None) or str(opened.sender)
    answer = manifest.get("decision")
    if answer not in (Answer.ACCEPTED, Answer.DECLINED):
        raise ReceiptError(_("The receipt carries no answer this instance understands."))
    with transaction.atomic():
        outbound = (
            Outbound.objects.select_for_update()
            .filter(package_id=str(manifest.get("answers", "")), partner=sender)
            .first()
        )
        if outbound is None:
            raise ReceiptError(
                _("This receipt answers no package this instance sent to %(partner)s.")
                % {"partner": sender}
            )
        if outbound.answer != Answer.PENDING:
            raise ReceiptError(_("This package has its answer already."))
        outbound.answer = answer
        outbound.answer_message = str(manifest.get("message", ""))[:4000]
        outbound.new_codename = str(manifest.get("new_codename", ""))[:40]
        outbound.answered_at = timezone.now()
        outbound.save()
        if outbound.closes_case:
            status_record(
                actor=actor,
                case=outbound.case,
                status=Status.CLOSED,
                on=timezone.localdate(),
                note=(_("Transferred to partner %(partner)s") % {"partner": sender})[:300],
            )
            case_mark_transferred(actor=actor, case=outbound.case, partner=sender)
        record(
            AuditEvent.PARTNER_ANSWER_RECORDED,
            actor=actor,
            obj=outbound.case,
            data={"package": outbound.package_id, "kind": outbound.kind, "answer": answer},
        )
    return outbound


def transferred(case) -> Outbound | None:
    """The accepted transfer that closed ``case``, if any (the case page says so)."""
    return Outbound.objects.filter(
        case=case, kind=Kind.TRANSFER, answer=Answer.ACCEPTED
    ).first()
