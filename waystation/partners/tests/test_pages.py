"""The partners page: the card, adding a partner in two steps, revoking, importing."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from waystation.accounts.policy import Perm, system_actor
from waystation.partners.card import this_card
from waystation.partners.models import Inbound, Partner
from waystation.partners.package import write_package
from waystation.partners.services import partner_add

ACTOR = system_actor("command.partners.test", Perm.PARTNERS_MANAGE)


def _card_text(instance) -> str:
    with instance:
        return this_card().to_text()


def test_only_coordinators_open_the_partners_page(client_for):
    for name in ("caseworker", "lawyer", "documentation_officer", "screener", "treasurer"):
        assert client_for(name).get(reverse("partners:index")).status_code == 403
    page = client_for("coordinator").get(reverse("partners:index")).content.decode()
    assert this_card().fingerprint in page
    assert reverse("partners:index") in page  # the navigation entry
    assert "No partner group yet" in page


def test_the_card_downloads_as_text(client_for):
    response = client_for("coordinator").get(reverse("partners:card"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert response.content.decode() == this_card().to_text()


def test_adding_a_partner_shows_the_fingerprint_and_asks_for_confirmation(
    client_for, cast, instances
):
    there = _card_text(instances.there)
    fingerprint = there.split("fingerprint: ")[1].strip()
    coordinator = client_for("coordinator")
    upload = SimpleUploadedFile("card.txt", there.encode(), content_type="text/plain")
    step = coordinator.post(reverse("partners:add"), {"add-card": upload, "add-name": "Tbilisi"})
    page = step.content.decode()
    assert step.status_code == 200 and fingerprint in page and "Compare the fingerprint" in page
    assert not Partner.objects.exists()  # nothing before the confirmation
    unconfirmed = coordinator.post(
        reverse("partners:confirm"), {"card_text": there, "name": "Tbilisi"}
    )
    assert unconfirmed.status_code == 400 and fingerprint in unconfirmed.content.decode()
    assert not Partner.objects.exists()
    done = coordinator.post(
        reverse("partners:confirm"), {"card_text": there, "name": "Tbilisi", "compared": "on"}
    )
    assert done.status_code == 302
    listing = coordinator.get(reverse("partners:index")).content.decode()
    assert "Tbilisi was added as a partner." in listing and fingerprint in listing
    partner = Partner.objects.get()
    assert partner.added_by == cast["coordinator"]
    revoke_page = coordinator.get(reverse("partners:revoke", args=[partner.pk])).content.decode()
    assert "every package this group sends is refused" in revoke_page
    assert coordinator.post(reverse("partners:revoke", args=[partner.pk])).status_code == 400
    coordinator.post(reverse("partners:revoke", args=[partner.pk]), {"confirm": "on"})
    partner.refresh_from_db()
    assert partner.revoked
    assert "revoked on" in coordinator.get(reverse("partners:index")).content.decode()


def test_a_card_that_is_not_one_is_refused_next_to_the_field(client_for):
    upload = SimpleUploadedFile("card.txt", b"hello", content_type="text/plain")
    response = client_for("coordinator").post(
        reverse("partners:add"), {"add-card": upload, "add-name": "X"}
    )
    assert response.status_code == 400
    assert "This is not a Waystation partner card." in response.content.decode()


def test_importing_a_package_from_the_page(client_for, instances):
    """The suite's own instance receives (its members' accounts are under its keys)."""
    here = this_card().to_text()
    with instances.there:
        to_here = partner_add(
            actor=ACTOR, card_text=here, name="Bishkek", fingerprint_compared=True
        )
        buffer = io.BytesIO()
        write_package(buffer, partner=to_here, kind="referral", manifest={"case": "x"})

    def upload():
        return {"import-package": SimpleUploadedFile("p.waystation", buffer.getvalue())}

    coordinator = client_for("coordinator")
    refused = coordinator.post(reverse("partners:import"), upload())
    assert refused.status_code == 400 and "not a known partner" in refused.content.decode()
    partner_add(
        actor=ACTOR,
        card_text=_card_text(instances.there),
        name="Tbilisi",
        fingerprint_compared=True,
    )
    done = coordinator.post(reverse("partners:import"), upload())
    inbound = Inbound.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("partners:package", args=[inbound.pk])
    again = coordinator.post(reverse("partners:import"), upload())
    assert again.status_code == 400 and "already imported on" in again.content.decode()
