"""Who sees what: the screening record is for screeners and coordinators; everyone else who
may see the case sees the state and the outcome only. Notes are encrypted at rest, and every
read of the record is audited."""

import pytest
from django.urls import reverse

from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.screening.models import Concern, Outcome, Screening

from .factories import CONCERN, DID, SAW, decided, interviewed, second_screener, with_concern

pytestmark = pytest.mark.django_db

OTHERS = ["caseworker", "lawyer", "treasurer", "documentation_officer"]
SECRETS = [SAW, DID, CONCERN, "Agree after reading the interview."]


@pytest.fixture
def case(cast):
    return make_case(caseworker=cast["caseworker"], lawyer=cast["lawyer"])


@pytest.fixture
def screening(case, cast):
    screening = interviewed(case, cast["screener"])
    with_concern(screening, cast["screener"])
    decided(screening, cast["screener"], second_screener(), Outcome.PROCEED)
    return screening


def _pages(case):
    return [
        reverse("home:dashboard"),
        reverse("cases:case", args=[case.pk]),
        reverse("cases:list"),
        reverse("evidence:index"),
        reverse("screening:queue"),
        reverse("screening:disagreements"),
        reverse("screening:case", args=[case.pk]),
    ]


@pytest.mark.parametrize("name", OTHERS)
def test_others_see_only_the_state(client_for, case, screening, name):
    client = client_for(name)
    screening_page = client.get(reverse("screening:case", args=[case.pk]))
    assert screening_page.status_code in (403, 404)
    for url in _pages(case):
        response = client.get(url)
        text = response.content.decode()
        for secret in SECRETS:
            assert secret not in text, (name, url)
    assert not AuditEvent.objects.filter(event=Audit.SCREENING_READ).exists()
    if name in ("caseworker", "lawyer"):
        page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
        assert "Screening decided" in page and "Proceed" in page
        assert reverse("screening:case", args=[case.pk]) not in page


@pytest.mark.parametrize("name", ["screener", "coordinator"])
def test_screeners_and_coordinators_read_the_record_and_each_read_is_audited(
    client_for, case, screening, name
):
    response = client_for(name).get(reverse("screening:case", args=[case.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert SAW in text and CONCERN in text
    read = AuditEvent.objects.get(event=Audit.SCREENING_READ)
    assert read.object_id == str(screening.pk) and read.data == {"case": case.pk}
    assert SAW not in repr(read.data)


def test_coordinators_case_page_links_to_the_screening(client_for, case, screening):
    page = client_for("coordinator").get(reverse("cases:case", args=[case.pk])).content.decode()
    assert reverse("screening:case", args=[case.pk]) in page


def test_a_case_not_screened_says_so(client_for, cast):
    fresh = make_case(caseworker=cast["caseworker"])
    page = client_for("caseworker").get(reverse("cases:case", args=[fresh.pk])).content.decode()
    assert "Not screened" in page


def test_notes_are_encrypted_at_rest(screening):
    # values_list reads the column as stored, without the decrypting descriptor.
    saw, did = Screening.objects.filter(pk=screening.pk).values_list("saw", "did").get()
    description = Concern.objects.values_list("description", flat=True).get()
    for raw, plain in ((saw, SAW), (did, DID), (description, CONCERN)):
        raw = bytes(raw)
        assert raw and plain.encode() not in raw
        assert b"prisoners" not in raw
    assert Screening.objects.get(pk=screening.pk).saw == SAW


def test_writes_are_audited_without_their_text(screening):
    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {
        Audit.SCREENING_RECORDED,
        Audit.SCREENING_CONCERN,
        Audit.SCREENING_DECISION,
    } <= events
    for row in AuditEvent.objects.filter(event__startswith="screening."):
        for secret in SECRETS:
            assert secret not in repr(row.data)


@pytest.mark.parametrize("name", [*OTHERS, "deactivated"])
def test_others_cannot_open_the_queue_or_write(client_for, cast, case, screening, name):
    client = client_for("screener")
    client.force_login(cast[name])
    assert client.get(reverse("screening:queue")).status_code in (302, 403)
    before = AuditEvent.objects.count()
    for action in ("interview", "concern", "propose", "review", "reopen", "clearance"):
        response = client.post(
            reverse(f"screening:{action}", args=[case.pk]), {f"{action}-reasons": "x"}
        )
        assert response.status_code in (302, 403, 404), action
    assert AuditEvent.objects.count() == before


def test_the_audit_log_names_steps_not_what_the_screening_found(cast, screening):
    from datetime import date

    from waystation.screening import services
    from waystation.screening.models import AssessmentResult

    with_concern(screening, cast["screener"])
    services.assessment_record(
        actor=cast["screener"],
        screening=screening,
        assessed_on=date(2026, 3, 1),
        result=AssessmentResult.CONCERN,
        assessment="Signs of trauma; account shifts under stress.",
    )
    logged = str(list(AuditEvent.objects.values_list("data", flat=True)))
    for value in ("war_crime", "to_examine", AssessmentResult.CONCERN.value):
        assert f"'{value}'" not in logged  # as a value; "concerns" is a key elsewhere
    assert "trauma" not in logged and CONCERN not in logged
