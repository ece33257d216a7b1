"""Approaches made on behalf of one person: linked by codename, shown only to those who may
open the case, carried through export and import."""

from datetime import date

import pytest
from django.urls import reverse

from waystation.accounts.policy import Perm, system_actor
from waystation.cases.tests.factories import make_case
from waystation.outreach import planning, services
from waystation.outreach.models import Approach

pytestmark = pytest.mark.django_db

# Writes in these tests are made as an operator's command would make them.
EDITOR = system_actor("test.outreach", Perm.OUTREACH_EDIT)


@pytest.fixture
def embassy():
    return services.organisation_create(actor=EDITOR, name="Embassy of Canada, Astana")


def test_approach_for_a_case_by_codename(client_for, cast, embassy):
    case = make_case(codename="amber-falcon-27", caseworker=cast["caseworker"])
    client = client_for("coordinator")
    url = reverse("outreach:approach_new", args=[embassy.pk])
    typo = client.post(
        url, {"date": "2026-11-02", "channel": "email", "subject": "Visa", "case": "amber-falcn-27"}
    )
    assert typo.status_code == 400
    body = typo.content.decode()
    assert "No case you may open has this codename." in body and 'value="Visa"' in body
    assert not Approach.objects.exists()

    client.post(url, {"date": "2026-11-02", "channel": "email", "case": "Amber Falcon 27"})
    approach = Approach.objects.get()
    assert approach.case == case

    # The case page lists it; the organisation page names the case to those who may open it.
    page = client_for("caseworker").get(reverse("cases:case", args=[case.pk])).content.decode()
    assert "Embassy of Canada, Astana" in page
    org_page = client_for("caseworker").get(reverse("outreach:organisation", args=[embassy.pk]))
    assert "amber-falcon-27" in org_page.content.decode()
    lawyer_view = client_for("lawyer").get(reverse("outreach:organisation", args=[embassy.pk]))
    assert "amber-falcon-27" not in lawyer_view.content.decode()
    assert "for a case" in lawyer_view.content.decode()


def test_import_rejects_unknown_codenames_with_their_line(cast):
    make_case(codename="quiet-river-3")
    csv = (
        "Дата;Организация;Кодовое имя\n"
        "01.02.2024;UNHCR;quiet-river-3\n"
        "02.02.2024;UNHCR;no-such-case-1\n"
        "03.02.2024;UNHCR;\n"
    ).encode()
    plan = planning.outreach_plan(csv)
    assert [(row.line, row.reasons) for row in plan.rejected] == [
        (3, ("no case has the codename “no-such-case-1”",))
    ]
    with pytest.raises(services.OutreachError):
        services.outreach_import(actor=EDITOR, plan=plan, filename="log.csv")
    assert not Approach.objects.exists()

    plan = planning.outreach_plan(csv.replace(b"no-such-case-1", b"Quiet River 3"))
    services.outreach_import(actor=EDITOR, plan=plan, filename="log.csv")
    linked = Approach.objects.exclude(case=None).values_list("date", "case__codename")
    assert sorted(linked) == [
        (date(2024, 2, 1), "quiet-river-3"),
        (date(2024, 2, 2), "quiet-river-3"),
    ]
