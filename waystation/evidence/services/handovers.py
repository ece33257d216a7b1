"""A physical medium (a phone, a memory card) handed out of the group's hands and received
back: written into the item's chain of custody, with whom and how kept encrypted beside it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record

from .. import custody
from ..models import CustodyAction, Handover, Item
from ..rules import EvidenceError, required


def item_transfer(*, actor, item: Item, with_whom: str, how: str) -> Handover:
    """The physical medium of ``item`` (a phone, a memory card) leaves the group's hands:
    with whom and how, encrypted; the custody entry "transferred" names the handover, never
    the person. Refused while it is out already (receive it back first)."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    with_whom = required(with_whom, _("Say who received it."))
    how = required(how, _("Say how it was handed over."))
    with transaction.atomic():
        Item.objects.select_for_update().filter(pk=item.pk).values_list("pk").get()
        if item.handovers.filter(returned_at__isnull=True).exists():
            raise EvidenceError(_("It is out of our hands already: record it received back first."))
        handover = Handover.objects.create(
            item=item, with_whom=with_whom, how=how, transferred_by=custody.member(actor)
        )
        custody.append(
            item=item,
            action=CustodyAction.TRANSFERRED,
            actor=actor,
            details={"handover": str(handover.pk)},
        )
        record(
            AuditEvent.EVIDENCE_TRANSFERRED,
            actor=actor,
            obj=item,
            data={"case": item.case_id, "handover": str(handover.pk)},
        )
    return handover


def item_receive_back(*, actor, item: Item, note: str = "") -> Handover:
    """The medium handed out (``item_transfer``) is back in the group's hands."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    with transaction.atomic():
        Item.objects.select_for_update().filter(pk=item.pk).values_list("pk").get()
        handover = item.handovers.filter(returned_at__isnull=True).first()
        if handover is None:
            raise EvidenceError(_("It is not out of our hands: nothing to receive back."))
        handover.returned_at = timezone.now()
        handover.returned_by = custody.member(actor)
        handover.returned_note = note.strip()
        handover.save(update_fields=["returned_at", "returned_by", "returned_note"])
        custody.append(
            item=item,
            action=CustodyAction.RECEIVED_BACK,
            actor=actor,
            details={"handover": str(handover.pk)},
        )
        record(
            AuditEvent.EVIDENCE_RECEIVED_BACK,
            actor=actor,
            obj=item,
            data={"case": item.case_id, "handover": str(handover.pk)},
        )
    return handover
