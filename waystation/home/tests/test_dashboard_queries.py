"""The dashboard's queries do not grow with the data (no query per case, task, event or audit
row), for every role; and the SQL compiled once per shape (core/prepared.py) returns what the
ORM returns."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.cases import selectors
from waystation.cases.demo import generate_cases
from waystation.cases.models import Case, RiskEvent, RiskKind, Task
from waystation.core import prepared
from waystation.home import selectors as home_selectors


def _more_rows(cast, cases: int, seed: int):
    generate_cases(cases, seed=seed, notes=cases)
    for member in cast.values():
        record(Event.CASE_CREATED, actor=member, data={"generated": 0, "notes": 0})
    # Tasks for the caseworker and the lawyer, and pressing events, on every case.
    for task in Task.objects.filter(done_at__isnull=True)[: cases * 2]:
        task.assignee = cast["caseworker" if task.pk % 2 else "lawyer"]
        task.save(update_fields=["assignee"])
    for case in Case.objects.all()[:cases]:
        case.caseworker, case.lawyer = cast["caseworker"], cast["lawyer"]
        case.save(update_fields=["caseworker", "lawyer"])
        on = date.today() + timedelta(days=2)
        RiskEvent.objects.create(case=case, kind=RiskKind.HEARING, on=on)


def _dashboard_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.decode()


def test_each_roles_dashboard_makes_as_many_queries_with_30_cases_as_with_5(
    cast, client_for, django_assert_max_num_queries
):
    # One member holding every role: each panel at once, the queries of each counted once.
    cast["everything"] = UserFactory(
        username="everything", roles=list(Role), totp_secret=cast["coordinator"].totp_secret
    )
    names = ["coordinator", "caseworker", "lawyer", "documentation_officer", "screener"]
    clients = {name: client_for(name) for name in [*names, "treasurer", "everything"]}
    _more_rows(cast, 5, seed=1)
    # …with cases and an open task of its own from the start, as the caseworker and the lawyer.
    Case.objects.filter(pk=Case.objects.order_by("-pk")[0].pk).update(lawyer=cast["everything"])
    task = Task.objects.filter(done_at__isnull=True).order_by("-pk")[0]
    Task.objects.filter(pk=task.pk).update(assignee=cast["everything"])
    few = {}
    for name, client in clients.items():
        client.get("/")  # the first request of a shape compiles its SQL
        few[name], _ = _dashboard_queries(client)
    _more_rows(cast, 25, seed=2)
    for name, client in clients.items():
        with django_assert_max_num_queries(few[name]):
            response = client.get("/")
        assert response.status_code == 200
        assert "Overview" in response.content.decode()
    # The lists show the rows that are there: the hearings and the caseworker's tasks.
    _, page = _dashboard_queries(clients["caseworker"])
    assert "Court hearing" in page
    assert "All my tasks" in page


@pytest.mark.parametrize("name", ["coordinator", "caseworker", "lawyer", "screener"])
def test_prepared_sql_returns_what_the_orm_returns(cast, name):
    _more_rows(cast, 12, seed=5)
    viewer = cast[name]
    for _ in range(2):  # the first call compiles and checks, the second reuses the SQL
        pressing = selectors.pressing_for(viewer)
        tasks = selectors.tasks_for(viewer, limit=8, brief=True)
        count = selectors.my_case_count(viewer)
    start, end = selectors._pressing_window()
    expected_ongoing = list(selectors._ongoing(viewer, start=start, limit=30))
    expected_coming = list(
        selectors._coming(viewer, start=start, end=end, limit=30 - len(expected_ongoing))
    )
    assert [(e.pk, e.case.codename, e.on) for e in pressing] == [
        (e.pk, e.case.codename, e.on) for e in expected_ongoing + expected_coming
    ]
    assert [(t.pk, t.title, t.due_on, t.case_id, t.codename) for t in tasks] == [
        (t.pk, t.title, t.due_on, t.case_id, t.case.codename)
        for t in selectors._tasks(viewer, include_done=False, limit=8)
    ]
    assert count == selectors._my_cases(viewer).count()
    recent = home_selectors.recent_events_for(viewer, limit=8)
    expected_recent = list(home_selectors._recent_events(viewer, limit=8))
    assert [(e.seq, e.event, e.actor_id) for e in recent] == [
        (e.seq, e.event, e.actor_id) for e in expected_recent
    ]
    if name == "coordinator":
        assert len(recent) == 8 and recent[0].actor is not None
    # …and from the SQL compiled once, not the ORM's fallback (on both databases); a screener
    # sees no case: an empty queryset is never compiled, the ORM answers without a query.
    shapes = {key[0] for key in prepared._entries() if key[1] == viewer.roles}
    if name != "screener":
        assert {("pressing-ongoing", 30), ("tasks", False, 8, True), "my-cases"} <= shapes
    if name == "coordinator":
        assert ("recent-events", 8) in shapes
    if name in ("coordinator", "caseworker", "lawyer"):
        assert pressing  # the hearings in two days are there


def test_prepared_sql_is_reused_for_another_viewer_of_the_same_roles(cast):
    _more_rows(cast, 6, seed=9)
    other = UserFactory(username="second_caseworker", roles=[Role.CASEWORKER])
    first = selectors.tasks_for(cast["caseworker"], limit=8)
    with CaptureQueriesContext(connection) as queries:
        second = selectors.tasks_for(other, limit=8)
    assert len(queries.captured_queries) == 1
    assert first and not second  # the other caseworker's own tasks: none
    assert {t.assignee_id for t in first} == {cast["caseworker"].pk}


def test_a_value_the_mapping_does_not_know_falls_back_to_the_orm(cast):
    from waystation.cases.models import Case

    def build(viewer, *, codename):
        return Case.objects.filter(codename=codename)

    rows = prepared.prepared_rows("by-codename", build, cast["coordinator"], codename="x-y-1")
    assert rows == []
    assert not any(key[0] == "by-codename" for key in prepared._entries())


def test_the_coordinators_counts_from_prepared_sql_are_the_orms(cast):
    from waystation.accounts import selectors as accounts_selectors
    from waystation.accounts.models import User
    from waystation.demo import demo_populate
    from waystation.intake import selectors as intake_selectors
    from waystation.ledger import selectors as ledger_selectors
    from waystation.outreach import selectors as outreach_selectors
    from waystation.outreach import services as outreach_services
    from waystation.screening import selectors as screening_selectors

    demo_populate(cases=6)
    viewer = cast["coordinator"]
    embassy = outreach_services.organisation_create(actor=viewer, name="Embassy of Canada")
    for days_ago in (60, 45, 2):  # two waiting for an answer, one too young
        outreach_services.approach_create(
            actor=viewer,
            organisation=embassy,
            date=date.today() - timedelta(days=days_ago),
            channel="email",
            subject="Visa for a family",
        )
    for _ in range(2):  # the first call compiles and checks, the second reuses the SQL
        follow_ups = outreach_selectors.follow_ups_for(viewer, limit=10)
        unread = intake_selectors.unread_count(viewer)
        disagreements = screening_selectors.open_disagreement_count(viewer)
        pending = ledger_selectors.pending_counts_for(viewer)
        team = accounts_selectors.team_summary_for(viewer)
    due = outreach_selectors.follow_up_due_date()
    expected = list(outreach_selectors._follow_ups(viewer, due=due, limit=10))
    assert len(expected) >= 2 and [(a.pk, a.organisation.name) for a in follow_ups] == [
        (a.pk, a.organisation.name) for a in expected
    ]
    assert unread == intake_selectors._unread(viewer).count()
    assert disagreements == screening_selectors._open_disagreements(viewer).count()
    everyone_pending = ledger_selectors.pending_for(viewer)
    assert pending == {  # a coordinator approves; recording is the treasurer's
        "to_approve": everyone_pending.exclude(created_by=viewer).count(),
        "own": None,
    }
    active = User.objects.filter(is_active=True)
    assert team["active"] == active.count() > 1
    assert team["without_totp"] == active.filter(totp_secret=b"").count()
    # Another coordinator gets his own counts, not the first one's.
    other = UserFactory(username="second-coordinator", roles=[Role.COORDINATOR, Role.TREASURER])
    assert ledger_selectors.pending_counts_for(other) == {
        "to_approve": everyone_pending.exclude(created_by=other).count(),
        "own": 0,
    }
