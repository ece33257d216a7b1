"""An item that came from a partner group's Waystation: its chain here is continued by a
"received from partner" entry naming the group, the package and the head of the sender's
chain (whose entries the receiving side keeps and can recompute)."""

from django.db import transaction

from waystation.accounts import policy
from waystation.accounts.policy import Perm

from .. import custody
from ..models import CustodyAction, Item


def item_note_from_partner(
    *, actor, item: Item, partner: str, package: str, sender_item: str, sender_chain_head: str
) -> None:
    """Inside the transaction that accepts the package."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    with transaction.atomic():
        custody.append(
            item=item,
            action=CustodyAction.FROM_PARTNER,
            actor=actor,
            details={
                "partner": partner,
                "package": package,
                "sender_item": sender_item,
                "sender_chain_head": sender_chain_head,
            },
        )
