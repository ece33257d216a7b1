"""A case from first contact to a hearing, in Chromium with JavaScript off: a coordinator opens
a case, a detention is recorded, the caseworker reveals the identity (audited) and finds the
case again by searching a note."""

from datetime import timedelta

import pytest
from django.utils import timezone

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases.models import Case, RiskEvent

from .test_browser import _sign_in, _sign_in_with_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_case_is_opened_detention_recorded_identity_revealed_and_found(page_for, screenshots):
    import pyotp

    coordinator = UserFactory(
        username="anna",
        display_name="Анна",
        roles=[Role.COORDINATOR],
        totp_secret=pyotp.random_base32(),
    )
    UserFactory(username="ilya", display_name="Илья Т.", roles=[Role.CASEWORKER])
    UserFactory(username="vera", display_name="Вера, адвокат", roles=[Role.LAWYER])
    page = page_for()
    _sign_in_with_code(page, coordinator)

    page.click(".main-nav >> text=Cases")
    assert "No cases yet." in page.locator("main").inner_text()
    page.click("text=Open a case")
    # A codename in Cyrillic is refused, and what was typed stays.
    page.fill("#id_codename", "Сокол 1")
    page.fill("#id_city", "Astana")
    page.select_option("#id_urgency", "3")
    page.fill("#id_summary", "Arrived in October, mobilised in September")
    page.click("button.primary")
    assert "Latin letters" in page.locator(".has-error").inner_text()
    assert page.input_value("#id_city") == "Astana"
    assert "mobilised in September" in page.input_value("#id_summary")
    page.fill("#id_codename", "")
    page.fill("#id_tags", "mobilisation, family")
    page.select_option("#id_caseworker", label="Илья Т.")
    page.select_option("#id_lawyer", label="Вера, адвокат")
    page.click("button.primary")
    case = Case.objects.get()
    assert page.locator("h1 .codename").inner_text() == case.codename

    # A detention, starting today: the case goes to the top of the dashboard.
    today = timezone.localdate()
    page.click("#risk summary")
    page.select_option("#id_risk-kind", "detention")
    page.fill("#id_risk-on", today.isoformat())
    page.fill("#id_risk-place", "Temporary detention centre, Astana")
    page.fill("#id_risk-visits", "Parcels on Tuesdays; lawyer visits with a warrant")
    page.click("#risk button.primary")
    assert "Risk event recorded." in page.locator(".messages").inner_text()
    assert RiskEvent.objects.get().place == "Temporary detention centre, Astana"
    page.click("#status summary")
    page.select_option("#id_status-status", "detained")
    page.fill("#id_status-on", today.isoformat())
    page.click("#status button.primary")
    page.click("#note summary")
    page.fill("#id_note-text", "Задержан по запросу об экстрадиции; нужен адвокат и передачи")
    page.check("#id_note-legal")
    page.click("#note button.primary")
    page.click("#task summary")
    page.fill("#id_task-title", "Bring warm clothes to the detention centre")
    page.fill("#id_task-due_on", (today + timedelta(days=2)).isoformat())
    page.click("#task button.primary")
    page.screenshot(path=screenshots / "case.png", full_page=True)

    page.goto("/")
    pressing = page.locator(".pressing").inner_text()
    assert case.codename in pressing and "Detention" in pressing
    page.screenshot(path=screenshots / "dashboard-pressing.png", full_page=True)

    # The coordinator fills in the identity vault.
    page.goto(f"/cases/{case.pk}/")
    assert "Иванов" not in page.content()
    page.select_option("#id_reason", "record")
    page.click("#identity button")
    page.click("text=Change the identity")
    page.fill("#id_legal_name", "Иван Сергеевич Иванов")
    page.fill("#id_transliteration", "Ivan Ivanov")
    page.fill("#id_phone", "+7 700 123 45 67")
    page.click("text=Save and hide")
    assert "hidden again" in page.locator(".messages").inner_text()
    assert "Иванов" not in page.content()

    # The caseworker finds the case by a word from the note and reveals the identity.
    page.click("text=Sign out")
    _sign_in(page, "ilya")
    page.click(".main-nav >> text=Cases")
    page.fill("#id_q", "экстрадиц")
    page.click("form.filters button")
    page.screenshot(path=screenshots / "case-list.png", full_page=True)
    page.click(f"text={case.codename}")
    assert "Иванов" not in page.content()
    page.select_option("#id_reason", "contact")
    page.click("#identity button")
    assert "Иван Сергеевич Иванов" in page.locator("dl.identity").inner_text()
    page.screenshot(path=screenshots / "identity-revealed.png", full_page=True)
    reveals = AuditEvent.objects.filter(event=Event.IDENTITY_REVEALED).order_by("seq")
    assert [(row.actor.username, row.data["reason"]) for row in reveals] == [
        ("anna", "record"),
        ("ilya", "contact"),
    ]

    # A phone-sized screen shows the same case page without sideways scrolling.
    phone = page_for(width=390, height=844)
    _sign_in(phone, "ilya")
    phone.goto(f"/cases/{case.pk}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
