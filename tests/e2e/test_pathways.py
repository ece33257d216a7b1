"""A caseworker, in Chromium with JavaScript off, compares the pathways for his case, chooses
one, turns a gap into a task and downloads a dossier in Russian: the PDF holds the codename,
the Cyrillic headings and the chronology, and no identity (a caseworker may not send it)."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.cases import services as cases
from waystation.cases.models import Task
from waystation.cases.tests.factories import make_case

from .test_browser import _sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LEGAL_NAME = "Сергей Петрович Волков"


def test_readiness_gap_task_and_a_dossier(page_for, screenshots):
    caseworker = UserFactory(username="ilya", display_name="Илья Т.", roles=[Role.CASEWORKER])
    case = make_case(codename="amber-falcon-27", caseworker=caseworker)
    cases.document_record(actor=caseworker, case=case, kind="military_id", state="held")
    cases.document_record(actor=caseworker, case=case, kind="foreign_passport", state="expired")
    cases.risk_record(
        actor=caseworker, case=case, kind="wanted", on=date(2025, 2, 3), place="Екатеринбург"
    )
    cases.identity_save(actor=caseworker, case=case, legal_name=LEGAL_NAME)

    page = page_for()
    _sign_in(page, caseworker.username)
    page.goto(f"/cases/{case.pk}/")
    page.click("main >> text=Pathways")
    assert "No pathway chosen yet." in page.locator("main").inner_text()
    page.select_option("#id_choose-pathway", "de-aufenthg-22")
    page.click("text=Choose for this case")
    page.goto(f"/pathways/case/{case.pk}/")
    page.screenshot(path=screenshots / "pathways-comparison.png", full_page=True)

    page.goto(f"/pathways/case/{case.pk}/de-aufenthg-22/")
    table = page.locator("table").inner_text()
    assert "Met" in table and "Missing" in table
    page.screenshot(path=screenshots / "pathways-readiness.png", full_page=True)
    page.locator("button", has_text="Make a task of it").first.click()
    assert "Open task:" in page.locator("table").inner_text()
    assert Task.objects.filter(case=case, done_at__isnull=True).count() == 1

    page.goto(f"/dossiers/{case.pk}/")
    assert page.locator("#id_identity").count() == 0  # a caseworker sends the codename only
    page.select_option("#id_language", "ru")
    page.select_option("#id_pathway", "de-aufenthg-22")
    page.screenshot(path=screenshots / "dossier.png", full_page=True)
    with page.expect_download() as download:
        page.click("text=Make the dossier")
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "amber-falcon-27" in text
    assert "Хронология" in text and "Екатеринбург" in text
    # The criteria of § 22 in Russian, the embassy's first demand first, each with its state.
    assert "Критерии варианта защиты" in text
    assert "1. Документальные доказательства активной деятельности человека против войны" in text
    assert "Состояние Отсутствует" in text and "Состояние Выполнено" in text
    assert LEGAL_NAME not in text
