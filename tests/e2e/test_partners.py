"""Two groups' coordinators, in Chromium with JavaScript off: in Almaty a coordinator sends a
referral from the case page (the exit gate's list shown first), the package is imported at
the Bishkek group (`inbox import`'s service, as the operator would from the USB stick), whose
coordinator opens it in the inbox and accepts it on the page; the receipt, imported back in
Almaty, shows the answer on the case.

Both instances are served by the one live server, one after the other: each has its own data
directory, key ring (card, field and session keys) and blob store (``instances`` of the
partners tests), switched around each step, and its own browser context and members. They
share the test database and its key, as two instances never do."""

import pyotp
import pytest

from waystation.accounts.policy import Perm, system_actor
from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import PASSWORD, UserFactory
from waystation.cases.services import case_create
from waystation.core.keyring import KEYRING, Purpose
from waystation.evidence import services as evidence
from waystation.evidence.models import ItemOrigin
from waystation.partners.card import this_card
from waystation.partners.inbox import import_package
from waystation.partners.models import Decision, Outbound
from waystation.partners.services import partner_add
from waystation.partners.tests.conftest import _instance

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OPERATOR = system_actor("test.e2e.partners", Perm.PARTNERS_MANAGE)


@pytest.fixture
def groups(tmp_path, settings, restore_keyring, monkeypatch):
    database_key = KEYRING.subkey(Purpose.DATABASE)
    subkey = KEYRING.subkey
    # The one test database, whichever instance's keys are in the ring.
    monkeypatch.setattr(
        KEYRING,
        "subkey",
        lambda purpose: database_key if purpose == Purpose.DATABASE else subkey(purpose),
    )
    almaty = _instance(tmp_path, "almaty", settings)
    bishkek = _instance(tmp_path, "bishkek", settings)
    cards = {}
    for instance in (almaty, bishkek):
        with instance:
            cards[instance.name] = this_card().to_text()
    for instance, other, called in (
        (almaty, "bishkek", "Bishkek group"),
        (bishkek, "almaty", "Almaty group"),
    ):
        with instance:
            partner_add(
                actor=OPERATOR, card_text=cards[other], name=called, fingerprint_compared=True
            )
    return almaty, bishkek


def _coordinator(username: str, page):
    user = UserFactory(
        username=username, roles=[Role.COORDINATOR], totp_secret=pyotp.random_base32()
    )
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.fill("#id_code", pyotp.TOTP(user.totp_secret).now())
    page.click("button.primary")
    return user


def test_a_referral_sent_on_the_page_is_accepted_on_the_page(
    groups, page_for, screenshots, tmp_path
):
    almaty, bishkek = groups
    with almaty:
        page_a = page_for()
        anna = _coordinator("anna", page_a)
        case = case_create(actor=anna, codename="amber-falcon-27", city="Almaty")
        evidence.testimony_record(
            actor=anna, case=case, statement="I saw the column leave.", language="ru",
            consent_scope=["court"], consent_body="ICC OTP",
        )
        (tmp_path / "report.txt").write_bytes(b"open report: the column left at night\n")
        with open(tmp_path / "report.txt", "rb") as source:
            evidence.item_ingest_stream(
                actor=anna, case=case, source=source, original_name="report.txt",
                kind="document", origin=ItemOrigin.OPEN,
            )
        page_a.goto(f"/cases/{case.pk}/")
        page_a.click("text=Send to a partner")
        page_a.select_option("#id_partner", "Bishkek group")
        page_a.select_option("#id_kind", "referral")
        page_a.fill("#id_message", "He needs a lawyer in Bishkek.")
        page_a.check("#id_care")
        page_a.click("button[value=preview]")
        listed = page_a.locator("#release").inner_text()
        assert "report.txt" in listed and "goes" in listed
        assert "held back" in listed and "court ICC OTP" in listed  # the testimony stays
        page_a.screenshot(path=screenshots / "partners-send.png", full_page=True)
        with page_a.expect_download() as info:
            page_a.click("button[value=send]")
        package = tmp_path / "amber-falcon-27.waystation"
        info.value.save_as(package)
        assert b"He needs a lawyer" not in package.read_bytes()
        page_a.reload()
        assert "Waiting for their answer" in page_a.locator("#packages").inner_text()

    with bishkek:
        inbound = import_package(actor=OPERATOR, source=package)
        page_b = page_for()
        _coordinator("bakyt", page_b)
        page_b.goto("/partners/inbox/")
        page_b.click(f"a[href='/partners/inbox/{inbound.pk}/']")
        text = page_b.locator("main").inner_text()
        assert "He needs a lawyer in Bishkek." in text and "report.txt" in text
        page_b.screenshot(path=screenshots / "partners-package.png", full_page=True)
        with page_b.expect_download() as info:
            page_b.click("button[value=accept]")
        receipt = tmp_path / "receipt.waystation"
        info.value.save_as(receipt)
        page_b.reload()
        made = Decision.objects.get().case
        assert "Accepted" in page_b.locator("main").inner_text()
        page_b.click(f"text={made.codename}")
        assert "Almaty group" in page_b.locator("main").inner_text()

    with almaty:
        import_package(actor=OPERATOR, source=receipt)
        assert Outbound.objects.get().answer == "accepted"
        page_a.goto(f"/partners/cases/{case.pk}/send/")
        assert "Accepted" in page_a.locator("#packages").inner_text()
        assert made.codename in page_a.locator("#packages").inner_text()
