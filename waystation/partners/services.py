"""Adding and revoking partner groups. A partner is added from its card only after a member
compared the card's fingerprint with the partner's people by another channel (by phone, in
person): the form and the command ask for that confirmation, and the service refuses without
it. Both changes are audited."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.accounts.policy import Perm, check, member
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.refusals import Refusal

from .card import NAME_MAX, Card, this_card
from .models import Partner


class PartnerError(Refusal):
    """A partner that cannot be added or revoked as asked."""


def partner_add(*, actor, card_text: str, name: str, fingerprint_compared: bool) -> Partner:
    """Trust the instance on ``card_text`` under ``name``."""
    check(actor, Perm.PARTNERS_MANAGE)
    if not fingerprint_compared:
        raise PartnerError(
            _("Compare the fingerprint with the partner first, then confirm that it matched.")
        )
    card = Card.parse(card_text)
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise PartnerError(
            _("Give the partner a name of at most %(max)d characters."), max=NAME_MAX
        )
    if card.instance_id == this_card().instance_id:
        raise PartnerError(_("This is this instance's own card."))
    if Partner.objects.filter(name__iexact=name).exists():
        raise PartnerError(_("There is already a partner named %(name)s."), name=name)
    active = Partner.objects.filter(instance_id=card.instance_id, revoked_at__isnull=True).first()
    if active is not None:
        raise PartnerError(_("This card is already the card of %(name)s."), name=active.name)
    try:
        with transaction.atomic():
            partner = Partner.objects.create(
                name=name,
                card=card.to_text(),
                signing_key=card.signing_key,
                age_recipient=card.age_recipient,
                instance_id=card.instance_id,
                fingerprint=card.fingerprint,
                added_by=member(actor),
            )
            record(Event.PARTNER_ADDED, actor=actor, obj=partner)
    except IntegrityError:
        raise PartnerError(_("This partner was added meanwhile.")) from None
    return partner


def partner_revoke(*, actor, partner: Partner) -> Partner:
    """Refuse every package ``partner`` sends from now on, and send it nothing more."""
    check(actor, Perm.PARTNERS_MANAGE)
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if partner.revoked:
            raise PartnerError(_("%(name)s was already revoked."), name=partner.name)
        partner.revoked_at, partner.revoked_by = timezone.now(), member(actor)
        partner.save(update_fields=["revoked_at", "revoked_by"])
        record(Event.PARTNER_REVOKED, actor=actor, obj=partner)
    return partner
