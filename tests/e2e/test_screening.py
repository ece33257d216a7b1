"""Two screeners, in Chromium with JavaScript off: the first records the interview and an
exclusion concern and proposes a decision (it is not final, and she cannot confirm it
herself); the second confirms it. A caseworker sees only the state on the case page."""

import pytest

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.cases.tests.factories import make_case
from waystation.screening.models import Stage
from waystation.screening.selectors import status_of

from .test_browser import _sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SAW = "Prisoners led behind the school at dawn on 14 March."


def test_two_screeners_decide_and_a_caseworker_sees_the_state(page_for, screenshots):
    first = UserFactory(username="timur", display_name="Тимур", roles=[Role.SCREENER])
    second = UserFactory(username="lena", display_name="Лена", roles=[Role.SCREENER])
    caseworker = UserFactory(username="ilya", roles=[Role.CASEWORKER])
    case = make_case(codename="quiet-heron-41", caseworker=caseworker)

    page = page_for()
    _sign_in(page, first.username)
    page.click(".main-nav >> text=Screening")
    page.click("text=quiet-heron-41")
    page.fill("#id_interview-unit", "Motor rifle brigade, supply company")
    page.fill("#id_interview-saw", SAW)
    page.fill("#id_interview-did", "Drove the supply truck.")
    page.click("text=Save the interview")
    assert "Interview saved." in page.locator(".messages").inner_text()

    page.click("text=Record a concern")
    page.select_option("#id_concern-ground", "war_crime")
    page.fill("#id_concern-description", "His company guarded the prisoners that night.")
    page.click("text=Record the concern")
    assert "cannot be exported until a coordinator confirms" in page.locator("main").inner_text()

    page.click("text=Propose a decision")
    page.check("#id_propose-outcome_0")
    page.fill("#id_propose-reasons", "Consistent account; the concern is not borne out.")
    page.click("#decision button.primary")
    # No declaration of conflict of interest: refused, and what was typed is kept.
    assert "Declare that you have no conflict of interest" in page.locator("#decision").inner_text()
    assert page.input_value("#id_propose-reasons").startswith("Consistent account")
    page.check("#id_propose-no_conflict")
    page.click("#decision button.primary")
    assert "You proposed this decision" in page.locator("#decision").inner_text()
    assert status_of(case.screening).stage == Stage.AWAITING_CONFIRMATION

    page = page_for()
    _sign_in(page, second.username)
    page.click(".main-nav >> text=Screening")
    page.screenshot(path=screenshots / "screening-queue.png", full_page=True)
    page.click("#awaiting >> text=quiet-heron-41")
    page.check("#id_review-verdict_0")
    page.fill("#id_review-reasons", "Agree after reading the interview.")
    page.check("#id_review-no_conflict")
    page.click("#decision button.primary")
    assert "Decided" in page.locator("#decision").inner_text()
    page.screenshot(path=screenshots / "screening.png", full_page=True)
    assert status_of(case.screening).stage == Stage.DECIDED

    page = page_for()
    _sign_in(page, caseworker.username)
    page.goto(f"/cases/{case.pk}/")
    text = page.locator("main").inner_text()
    assert "Screening decided" in text and SAW not in text
    assert page.goto(f"/screening/cases/{case.pk}/").status in (403, 404)
