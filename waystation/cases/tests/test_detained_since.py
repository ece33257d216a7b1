"""The day a case's ongoing detention began is kept by the database (``cases.detention``): it
agrees with the case's standing detentions and releases after any sequence of recordings,
corrections, withdrawals and deletions, whichever way they are written; a stale copy of the
case saved later does not undo it; an instance of the previous release gets it filled."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waystation.accounts.tests.factories import UserFactory
from waystation.cases import selectors, services
from waystation.cases.detention import recompute_all_sql
from waystation.cases.models import Case, RiskEvent, RiskKind, Status

from .factories import make_case


def _expected(case) -> date | None:
    """What the dashboard means by an ongoing detention, from the standing events."""
    events = list(RiskEvent.objects.filter(case=case).values_list("kind", "on"))
    detentions = [on for kind, on in events if kind == RiskKind.DETENTION]
    if not detentions:
        return None
    latest = max(detentions)
    released = any(kind == RiskKind.RELEASE and on >= latest for kind, on in events)
    return None if released else latest


def _kept(case) -> date | None:
    return Case.objects.values_list("detained_since", flat=True).get(pk=case.pk)


@pytest.mark.django_db
def test_recorded_released_corrected_withdrawn(cast):
    lawyer, today = cast["lawyer"], timezone.localdate()
    case = make_case(codename="grey-owl-4", lawyer=lawyer)
    assert _kept(case) is None
    first = services.risk_record(
        actor=lawyer, case=case, kind="detention", on=today - timedelta(days=20)
    )
    assert _kept(case) == today - timedelta(days=20)
    # A hearing changes nothing; a release ends it.
    services.risk_record(actor=lawyer, case=case, kind="hearing", on=today)
    assert _kept(case) == today - timedelta(days=20)
    release = services.risk_record(
        actor=lawyer, case=case, kind="release", on=today - timedelta(days=2)
    )
    assert _kept(case) is None
    # The release withdrawn (typed by mistake): detained again since the first day.
    services.risk_withdraw(actor=lawyer, event=release, reason="wrong case")
    assert _kept(case) == today - timedelta(days=20)
    # The detention's date corrected: the new day.
    services.risk_correct(
        actor=lawyer, event=first, kind="detention", on=today - timedelta(days=25), reason="date"
    )
    assert _kept(case) == today - timedelta(days=25)
    # A copy of the case read before all this and saved now does not put the old day back.
    stale = Case.objects.get(pk=case.pk)
    services.risk_record(actor=lawyer, case=case, kind="detention", on=today - timedelta(days=3))
    stale.summary = "saved from an old copy"
    stale.save()
    assert _kept(case) == today - timedelta(days=3)
    assert Case.objects.get(pk=case.pk).summary == "saved from an old copy"


@pytest.mark.django_db
def test_bulk_written_and_deleted_events_keep_it_too(cast):
    # Imports, hand-overs and the demo write events in bulk, past the services.
    day = date(2026, 5, 1)
    cases = [make_case(codename=f"bulk-crane-{i}") for i in range(3)]
    RiskEvent.objects.bulk_create(
        [
            RiskEvent(case=cases[0], kind=RiskKind.DETENTION, on=day),
            RiskEvent(case=cases[1], kind=RiskKind.DETENTION, on=day),
            RiskEvent(case=cases[1], kind=RiskKind.RELEASE, on=day),
            RiskEvent(case=cases[2], kind=RiskKind.WANTED, on=day),
        ]
    )
    assert [_kept(case) for case in cases] == [day, None, None]
    RiskEvent.objects.filter(case=cases[1], kind=RiskKind.RELEASE).delete()
    RiskEvent.objects.filter(case=cases[0]).update(case=cases[2])
    assert [_kept(case) for case in cases] == [None, day, day]


_DAYS = st.integers(min_value=-40, max_value=5)
_STEP = st.one_of(
    st.tuples(st.just("record"), st.sampled_from(["detention", "release", "hearing"]), _DAYS),
    st.tuples(st.just("withdraw"), st.integers(min_value=0, max_value=9), st.just(0)),
    st.tuples(
        st.just("correct"),
        st.integers(min_value=0, max_value=9),
        st.tuples(st.sampled_from(["detention", "release"]), _DAYS),
    ),
)


@pytest.mark.django_db
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(_STEP, min_size=1, max_size=8))
def test_any_sequence_agrees_with_a_full_recomputation(cast, steps):
    lawyer, today = cast["lawyer"], timezone.localdate()
    case = make_case(lawyer=lawyer)
    for action, what, days in steps:
        standing = list(RiskEvent.objects.filter(case=case).order_by("pk"))
        if action == "record":
            services.risk_record(
                actor=lawyer, case=case, kind=what, on=today + timedelta(days=days)
            )
        elif standing and action == "withdraw":
            event = standing[what % len(standing)]
            services.risk_withdraw(actor=lawyer, event=event, reason="mistake")
        elif standing and action == "correct":
            event, (kind, day) = standing[what % len(standing)], days
            if (event.kind, event.on) != (kind, today + timedelta(days=day)):
                services.risk_correct(
                    actor=lawyer, event=event, kind=kind, on=today + timedelta(days=day), reason="r"
                )
        assert _kept(case) == _expected(case)
    # The triggers' answer and a recomputation of every case from scratch are the same.
    before = dict(Case.objects.values_list("pk", "detained_since"))
    with connection.cursor() as cursor:
        cursor.execute(recompute_all_sql(connection.vendor))
    assert dict(Case.objects.values_list("pk", "detained_since")) == before
    # And the dashboard lists the case exactly when it is detained since before yesterday.
    case.refresh_from_db()
    start, _ = selectors._pressing_window()
    pressing = selectors.pressing_for(cast["coordinator"])
    ongoing = [e for e in pressing if getattr(e, "ongoing", False)]
    listed = case.status == Status.DETAINED and (case.detained_since or start) < start
    assert [e.case_id for e in ongoing] == ([case.pk] if listed else [])
    case.delete()


BEFORE = [("cases", "0013_note_digests")]


def test_an_instance_of_the_previous_release_gets_its_detentions_filled(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldCase, OldEvent = old.get_model("cases", "Case"), old.get_model("cases", "RiskEvent")
    held = OldCase.objects.create(codename="old-stork-1", status="detained")
    freed = OldCase.objects.create(codename="old-stork-2", status="released")
    OldEvent.objects.create(case=held, kind="detention", on=date(2026, 3, 2), place="СИЗО-1")
    OldEvent.objects.create(case=freed, kind="detention", on=date(2026, 3, 2))
    OldEvent.objects.create(case=freed, kind="release", on=date(2026, 4, 9))
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert _kept(held) == date(2026, 3, 2) and _kept(freed) is None
    coordinator = UserFactory(username="coordinator-old", roles=["coordinator"])
    (event,) = selectors.pressing_for(coordinator)
    assert (event.case.codename, event.place, event.ongoing) == ("old-stork-1", "СИЗО-1", True)
    # The triggers came with the upgrade: a release recorded now ends it.
    services.risk_record(
        actor=coordinator, case=Case.objects.get(pk=held.pk), kind="release", on=date(2026, 5, 1)
    )
    assert _kept(held) is None and selectors.pressing_for(coordinator) == []
