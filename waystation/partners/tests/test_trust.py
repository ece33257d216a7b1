"""This instance's card, adding partners from cards after comparing the fingerprint, revoking
them, and who may do that."""

import re

import pytest

from waystation.accounts.policy import PERMISSIONS, Perm, system_actor
from waystation.accounts.roles import Role
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.core.refusals import Forbidden
from waystation.partners.card import Card, CardError, this_card
from waystation.partners.models import Partner
from waystation.partners.services import PartnerError, partner_add, partner_revoke

ACTOR = system_actor("command.partners.test", Perm.PARTNERS_MANAGE)


def _card(instance) -> Card:
    with instance:
        return this_card()


def test_the_card_round_trips_and_its_fingerprint_is_read_aloud(instances):
    card = _card(instances.there)
    text = card.to_text()
    assert text.startswith("Waystation partner card\n")
    assert "age-recipient: age1" in text and "signing-key: ed25519:" in text
    assert Card.parse(text) == card
    assert re.fullmatch(r"\d{5}( \d{5}){5}", card.fingerprint)
    assert f"fingerprint: {card.fingerprint}" in text
    assert card.fingerprint != _card(instances.here).fingerprint


def test_the_card_is_the_same_after_a_restart_and_differs_between_instances(instances):
    first = _card(instances.here)
    assert _card(instances.here) == first  # derived from the master key, not stored
    assert _card(instances.there).instance_id != first.instance_id


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda t: t.replace("Waystation partner card", "Some card"), "not a Waystation"),
        (lambda t: re.sub(r"age-recipient: .*\n", "", t), "lacks: age-recipient"),
        (lambda t: re.sub(r"(signing-key: ed25519:)(.)", r"\1A", t, count=1), "changed"),
        (
            lambda t: re.sub(
                r"fingerprint: (\d)", lambda m: f"fingerprint: {(int(m[1]) + 1) % 10}", t
            ),
            "changed",
        ),
        (lambda t: t.replace("age-recipient: age1", "age-recipient: age2"), "not an age"),
        (lambda t: t + "route: via the border\n", "does not expect"),
    ],
)
def test_a_damaged_card_is_refused_saying_what_is_wrong(instances, change, says):
    text = _card(instances.there).to_text()
    changed = change(text)
    assert changed != text
    with pytest.raises(CardError, match=says):
        Card.parse(changed)


def test_adding_needs_the_fingerprint_compared_and_is_audited(db, instances):
    card = _card(instances.there)
    with instances.here:
        with pytest.raises(PartnerError, match="Compare the fingerprint"):
            partner_add(actor=ACTOR, card_text=card.to_text(), name="T", fingerprint_compared=False)
        assert not Partner.objects.exists()
        partner = partner_add(
            actor=ACTOR,
            card_text=card.to_text(),
            name="  Tbilisi   group ",
            fingerprint_compared=True,
        )
        assert partner.name == "Tbilisi group"
        assert (partner.fingerprint, partner.instance_id) == (card.fingerprint, card.instance_id)
        with pytest.raises(PartnerError, match="already the card of Tbilisi group"):
            partner_add(
                actor=ACTOR, card_text=card.to_text(), name="Other", fingerprint_compared=True
            )
        with pytest.raises(PartnerError, match="own card"):
            partner_add(
                actor=ACTOR, card_text=this_card().to_text(), name="Me", fingerprint_compared=True
            )
        revoked = partner_revoke(actor=ACTOR, partner=partner)
        assert revoked.revoked_at is not None
        with pytest.raises(PartnerError, match="already revoked"):
            partner_revoke(actor=ACTOR, partner=partner)
        # Trusted again only by adding the card again, under a new name.
        again = partner_add(
            actor=ACTOR, card_text=card.to_text(), name="Tbilisi (new)", fingerprint_compared=True
        )
        assert not again.revoked
        events = list(
            AuditEvent.objects.filter(event__startswith="partner.").values_list("event", "data")
        )
    assert events == [
        (Event.PARTNER_ADDED, {"system": "command.partners.test"}),
        (Event.PARTNER_REVOKED, {"system": "command.partners.test"}),
        (Event.PARTNER_ADDED, {"system": "command.partners.test"}),
    ]


def test_only_coordinators_manage_partners_and_send(cast, instances):
    assert {role for role, perms in PERMISSIONS.items() if Perm.PARTNERS_MANAGE in perms} == {
        Role.COORDINATOR
    }
    assert {role for role, perms in PERMISSIONS.items() if Perm.PARTNERS_SEND in perms} == {
        Role.COORDINATOR
    }
    text = _card(instances.there).to_text()
    for name in ("caseworker", "lawyer", "documentation_officer", "treasurer", "deactivated"):
        with pytest.raises(Forbidden):
            partner_add(actor=cast[name], card_text=text, name="X", fingerprint_compared=True)
    partner = partner_add(
        actor=cast["coordinator"], card_text=text, name="X", fingerprint_compared=True
    )
    assert partner.added_by == cast["coordinator"]
    with pytest.raises(Forbidden):
        partner_revoke(actor=cast["caseworker"], partner=partner)
