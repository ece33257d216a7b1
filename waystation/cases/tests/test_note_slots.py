"""A search of several words finds a case only when one standing note holds them all. On
PostgreSQL it reads the notes' digests told apart by note (``NoteSlots``, kept by triggers,
issue 21) instead of the notes: after any sequence of additions (one by one and in bulk, past
32 notes a case), corrections, withdrawals, moves and deletions the kept rows equal a full
recomputation, and the search lists exactly the cases of the notes that hold every word, as
the plain query over the notes does. An instance of the previous release gets its rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waystation.cases import search, selectors, services
from waystation.cases.models import Case, Note, NoteSlots
from waystation.cases.selectors import CaseFilters

from .factories import make_case

BEFORE = [("cases", "0015_city_index_sqlite")]
WORDS = ["alder", "birch", "cedar", "damson", "elder"]
# Two and three words, whole and as beginnings.
QUERIES = ["alder birch", "ald bir", "birch cedar", "cedar damson elder", "elder alder", "dam eld"]


def _found(viewer, query: str) -> list[int]:
    return sorted(case.pk for case in selectors.cases_for(viewer, CaseFilters(query=query)))


def _expected(query: str) -> list[int]:
    """The cases with a standing note holding a word that begins with each query word."""
    wanted = search.words(query)
    cases = set()
    for note in Note.objects.all():
        held = search.words(note.text)
        if all(any(word.startswith(w) for word in held) for w in wanted):
            cases.add(note.case_id)
    return sorted(cases)


def _kept() -> dict:
    return {(row.case_id, row.part): list(row.search) for row in NoteSlots.objects.all()}


def _recomputed() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(search.NOTE_SLOTS_FROM_NOTES)
        return {(case_id, part): list(found) for case_id, part, found in cursor.fetchall()}


def _in_one_note(query: str) -> list[int]:
    """PostgreSQL: the fast path alone, and the plain query over the notes it replaces."""
    wanted = search.digests(query)
    fast = search._in_one_note(wanted)
    with connection.cursor() as cursor:
        cursor.execute(fast.sql, fast.params)
        slots = sorted({row[0] for row in cursor.fetchall()})
        cursor.execute(
            "SELECT DISTINCT case_id FROM cases_note "
            "WHERE search @> %s::bigint[] AND withdrawn_at IS NULL ORDER BY case_id",
            [wanted],
        )
        assert [row[0] for row in cursor.fetchall()] == slots
    return slots


def _assert_agrees(viewer):
    if connection.vendor == "postgresql":
        assert _kept() == _recomputed()
    else:
        assert not NoteSlots.objects.exists()
    for query in QUERIES:
        expected = _expected(query)
        assert _found(viewer, query) == expected, query
        if connection.vendor == "postgresql":
            assert _in_one_note(query) == expected, query


_TEXT = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
_STEP = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 2), _TEXT),
    # Many notes in one statement: past 32, a case's notes take a second row.
    st.tuples(st.just("bulk"), st.integers(0, 2), st.lists(_TEXT, min_size=1, max_size=40)),
    st.tuples(st.just("correct"), st.integers(0, 99), _TEXT),
    st.tuples(st.just("withdraw"), st.integers(0, 99), st.just("")),
    st.tuples(st.just("delete"), st.integers(0, 99), st.just("")),
    st.tuples(st.just("move"), st.integers(0, 99), st.integers(0, 2)),
)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(_STEP, min_size=1, max_size=8))
def test_any_sequence_of_writes_finds_what_the_notes_hold(cast, steps):
    boss = cast["coordinator"]
    cases = [make_case() for _ in range(3)]
    for action, which, what in steps:
        standing = list(Note.objects.filter(case__in=cases).order_by("pk"))
        if action == "add":
            services.note_add(actor=boss, case=cases[which], text=what)
        elif action == "bulk":
            Note.objects.bulk_create([Note(case=cases[which], text=text) for text in what])
        elif standing and action == "correct":
            note = standing[which % len(standing)]
            if note.text != what:
                services.note_correct(actor=boss, note=note, text=what, legal=False, reason="r")
        elif standing and action == "withdraw":
            services.note_withdraw(actor=boss, note=standing[which % len(standing)], reason="r")
        elif standing and action == "delete":
            Note.all_objects.filter(pk=standing[which % len(standing)].pk).delete()
        elif standing and action == "move":
            Note.all_objects.filter(pk=standing[which % len(standing)].pk).update(
                case=cases[what]
            )
    _assert_agrees(boss)
    Note.all_objects.filter(case__in=cases).delete()
    Case.objects.filter(pk__in=[case.pk for case in cases]).delete()


@pytest.mark.postgresql
@pytest.mark.parametrize("large", [True, False])
def test_several_words_read_the_slots_on_a_large_instance_and_the_notes_on_a_small_one(
    cast, monkeypatch, large
):
    # How many notes the planner believes there are decides (search.SLOTS_FROM_NOTES); the
    # answers are the same either way.
    monkeypatch.setattr(search, "_notes_estimate", lambda: 10**6 if large else 10)
    boss = cast["coordinator"]
    case = make_case(codename="slots-1")
    services.note_add(actor=boss, case=case, text="alder birch")
    services.note_add(actor=boss, case=case, text="cedar")
    query = str(selectors.cases_for(boss, CaseFilters(query="alder cedar")).query)
    if large:
        assert "cases_noteslots" in query and "FROM cases_note " not in query
    else:
        assert "FROM cases_note " in query and "cases_noteslots" not in query
    assert _found(boss, "alder cedar") == []  # in two notes of the case, in no one note
    assert _found(boss, "birch alder") == [case.pk]


@pytest.mark.postgresql
def test_the_notes_estimate_is_postgresqls_own(cast):
    boss = cast["coordinator"]
    case = make_case(codename="counted-1")
    for number in range(30):
        services.note_add(actor=boss, case=case, text=f"note {number}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_note")
    assert search._notes_estimate() == Note.all_objects.count()


@pytest.fixture
def upgraded(transactional_db):
    """An instance of the release before (cases at 0015) with notes, upgraded."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    cases = old.get_model("cases", "Case").objects
    notes = old.get_model("cases", "Note").objects
    many = cases.create(codename="old-heron-12")
    few = cases.create(codename="old-crane-13")
    for k in range(40):
        notes.create(case=many, text="alder" if k % 2 else f"birch cedar {k}")
    notes.create(case=many, text="damson elder")
    notes.create(case=few, text="alder birch", withdrawn_at="2026-12-01T10:00:00Z")
    notes.create(case=few, text="alder damson")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    return {"many": many.pk, "few": few.pk}


def test_an_instance_of_the_previous_release_gets_its_slots(upgraded, cast):
    boss = cast["coordinator"]
    if connection.vendor == "postgresql":
        assert {case for case, _ in _kept()} == {upgraded["many"], upgraded["few"]}
        assert (upgraded["many"], 1) in _kept()  # 41 notes: two rows
    _assert_agrees(boss)
    assert _found(boss, "alder birch") == []  # only in the withdrawn note
    assert _found(boss, "birch cedar") == [upgraded["many"]]
    assert _found(boss, "damson elder") == [upgraded["many"]]
    # The triggers are in place: a new note is found, and kept in step.
    services.note_add(actor=boss, case=Case.objects.get(pk=upgraded["few"]), text="cedar elder")
    _assert_agrees(boss)
    assert _found(boss, "cedar elder") == [upgraded["few"]]
