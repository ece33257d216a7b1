"""The URL × role walk of the pages (core/tests/test_walk.py), extended to every API route
with every role's token: no server error anywhere, and an object the role may not see answers
exactly what a missing one answers (404, same body)."""

import re

import pytest

from waystation.api.v1 import api
from waystation.cases.models import Case, Note, RiskEvent, Task
from waystation.cases.services import note_add, risk_record, task_add
from waystation.evidence.models import Event, Item, Testimony
from waystation.intake.models import IntakeRequest
from waystation.intake.services import PORTAL, request_submit
from waystation.ledger.models import Transaction
from waystation.outreach.models import Approach, Organisation
from waystation.outreach.services import approach_create

from .conftest import ROLES

pytestmark = pytest.mark.django_db

MISSING_INT, MISSING_UUID = 987654, "00000000-0000-4000-8000-00000000abcd"
_PARAM = re.compile(r"\{(\w+)\}")
_UUID_ROUTES: set[str] = set()


@pytest.fixture
def world(request, db):
    """The demo's data; one case handed to the caseworker and lawyer of the cast, one to
    nobody (every role but the coordinator's must find it missing)."""
    from waystation.demo import demo_populate

    assert demo_populate(cases=3)
    cast = request.getfixturevalue("cast")
    ours, theirs = Case.objects.order_by("pk")[:2]
    Case.objects.update(caseworker=None, lawyer=None)
    Case.objects.filter(pk=ours.pk).update(caseworker=cast["caseworker"], lawyer=cast["lawyer"])
    coordinator = cast["coordinator"]
    for case in (ours, theirs):
        case.refresh_from_db()
        task_add(actor=coordinator, case=case, title="Call the lawyer")
        note_add(actor=coordinator, case=case, text="A note on the care side")
        risk_record(actor=coordinator, case=case, kind="hearing", on=case.status_since)
    request_submit(actor=PORTAL, urgency="transit", text="Помогите")
    org = Organisation.objects.first()
    approach_create(actor=coordinator, organisation=org, date=ours.status_since, channel="email")
    return {"ours": ours, "theirs": theirs}


def _hidden_sample(path: str, world) -> str:
    """An object on this route that exists but that a role without the case may not see."""
    theirs = world["theirs"]
    if path.startswith("/api/v1/cases/tasks/"):
        return str(Task.objects.filter(case=theirs).first().pk)
    if path.startswith("/api/v1/cases/"):
        return str(theirs.pk)
    if path.startswith("/api/v1/outreach/approaches/"):
        return str(Approach.objects.first().pk)
    if path.startswith("/api/v1/outreach/"):
        return str(Organisation.objects.first().pk)
    if path.startswith("/api/v1/requests/"):
        return str(IntakeRequest.objects.first().pk)
    if path.startswith("/api/v1/ledger/"):
        return str(Transaction.objects.first().pk)
    for segment, model in (("items", Item), ("testimonies", Testimony), ("events", Event)):
        if path.startswith(f"/api/v1/evidence/{segment}/"):
            found = model.objects.first()
            return str(found.pk) if found is not None else _missing_for(path)
    return _missing_for(path)


def _routes():
    """(method, path template) of every operation in the description."""
    schema = api.get_openapi_schema()
    _UUID_ROUTES.update(
        path
        for path, methods in schema["paths"].items()
        for operation in methods.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["schema"].get("format") == "uuid"
    )
    return [
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method in methods
    ]


def _fill(path, value):
    return _PARAM.sub(value, path)


def _missing_for(path):
    return MISSING_UUID if path in _UUID_ROUTES else str(MISSING_INT)


def test_every_route_with_every_roles_token(world, api_for):
    routes = _routes()
    assert len(routes) >= 20, routes
    problems, compared = [], 0
    for role in ROLES:
        client = api_for(role)
        for method, template in routes:
            if method not in ("GET", "POST"):
                continue
            call = client.get if method == "GET" else client.post
            extra = {} if method == "GET" else {"data": {}, "content_type": "application/json"}
            if "{" not in template:
                answer = call(template, **extra)
                if answer.status_code >= 500:
                    problems.append(f"{role} {method} {template} {answer.status_code}")
                continue
            hidden = call(_fill(template, _hidden_sample(template, world)), **extra)
            missing = call(_fill(template, _missing_for(template)), **extra)
            for answer in (hidden, missing):
                if answer.status_code >= 500:
                    problems.append(f"{role} {method} {template} {answer.status_code}")
            if hidden.status_code == 404 or missing.status_code != 404:
                compared += 1
                if (hidden.status_code, hidden.content) != (missing.status_code, missing.content):
                    problems.append(
                        f"{role} {method} {template}: hidden {hidden.status_code} "
                        f"{hidden.content[:80]!r} but missing {missing.status_code}"
                    )
    assert not problems, "\n".join(problems)
    assert compared > 50


def test_a_case_of_someone_else_is_the_same_404_as_a_missing_one(world, api_for):
    ours, theirs = world["ours"], world["theirs"]
    for role in ("caseworker", "lawyer"):
        client = api_for(role)
        assert client.get(f"/api/v1/cases/{ours.pk}/").status_code == 200
        for suffix in ("", "tasks/", "notes/", "risks/"):
            hidden = client.get(f"/api/v1/cases/{theirs.pk}/{suffix}")
            missing = client.get(f"/api/v1/cases/{MISSING_INT}/{suffix}")
            assert hidden.status_code == missing.status_code == 404
            assert hidden.json() == missing.json() == {"detail": "Not found."}
        wrote = client.post(f"/api/v1/cases/{theirs.pk}/notes/", {"text": "x"},
                            content_type="application/json")
        assert wrote.status_code == 404
    assert not [n for n in Note.objects.filter(case=theirs) if n.text == "x"]  # sealed on PG
    listed = api_for("caseworker").get("/api/v1/cases/").json()
    assert [row["codename"] for row in listed["results"]] == [ours.codename]
    assert listed["paging"]["count"] == 1
    everyone = api_for("coordinator").get("/api/v1/cases/").json()
    assert everyone["paging"]["count"] == Case.objects.count()


def test_the_lawyer_reads_the_legal_side_only(world, api_for, cast):
    ours = world["ours"]
    note_add(actor=cast["coordinator"], case=ours, text="For the lawyer", legal=True)
    case = api_for("lawyer").get(f"/api/v1/cases/{ours.pk}/").json()
    assert case["sides"] == ["identity", "legal"]
    texts = {n["text"] for n in case["notes"]}
    assert "For the lawyer" in texts and "A note on the care side" not in texts
    assert all(n["legal"] for n in case["notes"])
    assert case["risks"] and case["tasks"] is not None
    care = api_for("caseworker").get(f"/api/v1/cases/{ours.pk}/notes/").json()
    assert {n["text"] for n in care} >= {"For the lawyer", "A note on the care side"}


def test_writes_go_through_the_services(world, api_for):
    ours = world["ours"]
    client = api_for("caseworker")
    made = client.post(f"/api/v1/cases/{ours.pk}/tasks/", {"title": "Book the interpreter"},
                       content_type="application/json")
    assert made.status_code == 201 and made.json()["title"] == "Book the interpreter"
    risk = client.post(f"/api/v1/cases/{ours.pk}/risks/",
                       {"kind": "detention", "on": "2026-11-30", "place": "Centre"},
                       content_type="application/json")
    assert risk.status_code == 201
    assert RiskEvent.objects.filter(case=ours, kind="detention").exists()
    refused = client.post("/api/v1/cases/", {"codename": "x"}, content_type="application/json")
    assert refused.status_code == 403  # opening cases is the coordinators' (cases.manage)
    opened = api_for("coordinator").post("/api/v1/cases/", {"city": "Tbilisi"},
                                         content_type="application/json")
    assert opened.status_code == 201 and opened.json()["city"] == "Tbilisi"
    bad = client.post(f"/api/v1/cases/{ours.pk}/status/", {"status": "nonsense", "on": "x"},
                      content_type="application/json")
    assert bad.status_code == 422


def test_roles_reach_their_resources_only(world, api_for):
    expected = {
        "/api/v1/ledger/journal/": {"coordinator": 200, "treasurer": 200},
        "/api/v1/audit/": {"coordinator": 200},
        "/api/v1/requests/": {"coordinator": 200},
        "/api/v1/outreach/organisations/": {"coordinator": 200, "caseworker": 200, "lawyer": 200},
        "/api/v1/cases/": {"coordinator": 200, "caseworker": 200, "lawyer": 200},
    }
    for path, allowed in expected.items():
        for role in ROLES:
            answer = api_for(role).get(path)
            assert answer.status_code == allowed.get(role, 403), (role, path)
    audit = api_for("coordinator").get("/api/v1/audit/").json()
    assert any(row["event"] == "api.token_used" for row in audit["results"])
