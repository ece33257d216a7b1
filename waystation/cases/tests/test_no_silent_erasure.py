"""Posts that would erase by accident (issue 18, finding 7): a bare post does not blank the
identity vault, unassign a case or convert a request; a write that changes nothing writes
nothing; blanking a filled vault needs an explicit choice; every change keeps the previous
identity, encrypted, for a coordinator to bring back."""

import pytest
from django.db import connection
from django.urls import reverse

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases import services
from waystation.cases.models import Case, Identity, IdentityVersion
from waystation.intake import services as intake
from waystation.intake.models import IntakeRequest, RequestState
from waystation.intake.services import PORTAL

from .factories import make_case

pytestmark = pytest.mark.django_db

FILLED = {
    "legal_name": "Иван Петрович Сидоров",
    "transliteration": "Ivan Sidorov",
    "callsign": "",
    "birth_date": "1993-04-02",
    "phone": "+7 700 123 45 67",
    "document_numbers": "",
    "address": "",
}
BLANK = dict.fromkeys(FILLED, "")


@pytest.fixture
def case(cast):
    found = make_case(caseworker=cast["caseworker"], lawyer=cast["lawyer"])
    services.identity_save(actor=cast["coordinator"], case=found, **FILLED)
    return found


def _changes(case):
    return AuditEvent.objects.filter(event=Event.IDENTITY_CHANGED, object_id=str(case.pk)).count()


def _identity(case):
    return Identity.objects.get(case=case).values()


def _save(client, case, data):
    client.post(reverse("cases:reveal", args=[case.pk]), {"reason": "record"})
    return client.post(reverse("cases:identity_save", args=[case.pk]), data)


def test_a_bare_post_does_not_blank_the_vault(client_for, case):
    before = _changes(case)
    client = client_for("caseworker")
    response = _save(client, case, {})
    assert response.status_code == 302
    assert _identity(case) == FILLED and _changes(case) == before
    page = client.get(response["Location"]).content.decode()
    assert "The form arrived incomplete, so nothing was changed." in page


def test_blanking_every_field_needs_the_explicit_choice(client_for, case):
    client = client_for("caseworker")
    refused = _save(client, case, BLANK)
    assert refused.status_code == 400
    assert "This would erase the whole identity. Nothing was changed." in refused.content.decode()
    assert _identity(case) == FILLED
    erased = _save(client, case, {**BLANK, "erase_all": "on"})
    assert erased.status_code == 302 and _identity(case) == BLANK


def test_a_save_that_changes_nothing_writes_nothing(client_for, case):
    before = (_changes(case), IdentityVersion.objects.count())
    client = client_for("caseworker")
    response = _save(client, case, FILLED)
    assert response.status_code == 302
    assert (_changes(case), IdentityVersion.objects.count()) == before
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was changed: the identity is as it was." in page


def test_a_coordinator_brings_back_an_erased_identity(client_for, cast, case):
    _save(client_for("caseworker"), case, {**BLANK, "erase_all": "on"})
    assert _identity(case) == BLANK
    coordinator = client_for("coordinator")
    page = coordinator.post(
        reverse("cases:reveal", args=[case.pk]), {"reason": "record"}
    ).content.decode()
    assert "Earlier versions" in page and "Set back to this version" in page
    newest = IdentityVersion.objects.filter(case=case).first()
    assert newest.replaced_by == cast["caseworker"]
    restore = reverse("cases:identity_restore", args=[case.pk, newest.number])
    assert coordinator.post(restore)["Location"] == reverse("cases:case", args=[case.pk])
    assert _identity(case) == FILLED
    row = AuditEvent.objects.filter(event=Event.IDENTITY_CHANGED).latest("seq")
    assert row.actor == cast["coordinator"]
    assert row.data["restored_revision"] == newest.number
    # The restore kept the erased state too: it can be undone in turn.
    assert IdentityVersion.objects.filter(case=case).count() == newest.number + 1


def test_only_a_coordinator_may_set_an_identity_back(client_for, case):
    _save(client_for("caseworker"), case, {**FILLED, "phone": "+7 700 999 99 99"})
    version = IdentityVersion.objects.filter(case=case).first()
    lawyer = client_for("lawyer")
    page = lawyer.post(reverse("cases:reveal", args=[case.pk]), {"reason": "legal"})
    assert "Earlier versions" not in page.content.decode()
    restore = reverse("cases:identity_restore", args=[case.pk, version.number])
    assert lawyer.post(restore).status_code == 404
    assert client_for("caseworker").post(restore).status_code == 404
    assert _identity(case)["phone"] == "+7 700 999 99 99"


def test_kept_versions_are_encrypted(client_for, case):
    _save(client_for("caseworker"), case, {**FILLED, "legal_name": "Другое Имя"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT number, contents FROM cases_identityversion")
        rows = cursor.fetchall()
    assert rows
    raw = b"".join(bytes(row[1]) for row in rows)
    assert "Сидоров".encode() not in raw and b"Sidorov" not in raw and b"legal_name" not in raw


def test_a_bare_post_does_not_unassign_a_case(client_for, cast, case):
    before = AuditEvent.objects.filter(event=Event.CASE_ASSIGNED).count()
    response = client_for("coordinator").post(reverse("cases:assign", args=[case.pk]), {})
    assert response.status_code == 400
    assert "The form arrived incomplete" in response.content.decode()
    case.refresh_from_db()
    assert (case.caseworker, case.lawyer) == (cast["caseworker"], cast["lawyer"])
    same = client_for("coordinator").post(
        reverse("cases:assign", args=[case.pk]),
        {"caseworker": cast["caseworker"].pk, "lawyer": cast["lawyer"].pk},
    )
    assert same.status_code == 302
    assert AuditEvent.objects.filter(event=Event.CASE_ASSIGNED).count() == before
    # Choosing nobody on purpose still works.
    client_for("coordinator").post(
        reverse("cases:assign", args=[case.pk]), {"caseworker": "", "lawyer": ""}
    )
    case.refresh_from_db()
    assert (case.caseworker, case.lawyer) == (None, None)


def test_a_bare_post_does_not_convert_a_request(client_for, cast):
    item, _codename = intake.request_submit(actor=PORTAL, urgency="stable", text="Помогите")
    response = client_for("coordinator").post(reverse("triage:convert", args=[item.pk]), {})
    assert response.status_code == 400
    assert "The form arrived incomplete" in response.content.decode()
    item.refresh_from_db()
    assert item.state == RequestState.NEW and item.case is None and not Case.objects.exists()
    assert IntakeRequest.objects.count() == 1
