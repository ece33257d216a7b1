"""PostgreSQL keeps each case's union of its standing notes' digests (``NoteDigests``) by
triggers, so that a one-word search reads one row per case (issue 21). After every kind of
write to the notes the kept unions equal the full recomputation from the notes, the search
lists what it listed before, and who may not read a note still never finds its case through
it. On the embedded database the table stays empty and the same searches give the same cases."""

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from waystation.accounts.tests.factories import UserFactory
from waystation.cases import search, selectors, services
from waystation.cases.models import Case, Note, NoteDigests
from waystation.cases.selectors import CaseFilters
from waystation.core.fields import BlindIndex
from waystation.core.keyring import Purpose

from .factories import make_case

BEFORE = [("cases", "0012_sealed_on_server")]


def _found(viewer, query: str) -> list[str]:
    return sorted(case.codename for case in selectors.cases_for(viewer, CaseFilters(query=query)))


def _kept() -> dict:
    return {row.case_id: list(row.search) for row in NoteDigests.objects.all()}


def _recomputed() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(search.NOTE_DIGESTS_FROM_NOTES)
        return {case_id: list(found) for case_id, found in cursor.fetchall()}


def _assert_in_step():
    if connection.vendor == "postgresql":
        assert _kept() == _recomputed()
    else:
        assert not NoteDigests.objects.exists()


def _digest(word: str) -> int:
    return BlindIndex(Purpose.NOTE_SEARCH).token(word)


def test_the_kept_unions_follow_every_write_to_the_notes(cast):
    boss = cast["coordinator"]
    first = make_case(codename="first-1")
    second = make_case(codename="second-2")
    empty = make_case(codename="empty-3")
    _assert_in_step()
    note = services.note_add(actor=boss, case=first, text="embassy letter")
    services.note_add(actor=boss, case=first, text="embassy visit and parcel")
    sent = services.note_add(actor=boss, case=second, text="parcel sent")
    _assert_in_step()
    if connection.vendor == "postgresql":
        assert set(_kept()) == {first.pk, second.pk}  # no row for a case without notes
        assert _digest("emb") in _kept()[first.pk] and _digest("emb") not in _kept()[second.pk]
    assert _found(boss, "embassy") == ["first-1"]
    assert _found(boss, "parcel") == ["first-1", "second-2"]
    # Several notes in one statement (an import, the benchmark's writer).
    Note.objects.bulk_create(
        [Note(case=empty, text="hearing in May"), Note(case=second, text="hearing moved")]
    )
    _assert_in_step()
    assert _found(boss, "hearing") == ["empty-3", "second-2"]
    # A correction takes the old words out, a withdrawal every word of the note alone.
    services.note_correct(actor=boss, note=note, text="consulate letter", legal=False, reason="r")
    _assert_in_step()
    assert _found(boss, "embassy") == ["first-1"]  # still in the other note
    assert _found(boss, "letter") == ["first-1"]
    assert _found(boss, "consul") == ["first-1"]
    services.note_withdraw(actor=boss, note=note, reason="wrong case")
    _assert_in_step()
    assert _found(boss, "consul") == [] and _found(boss, "letter") == []
    assert _found(boss, "embassy") == ["first-1"]
    # A queryset update of the text, a change that is not the text, a deletion.
    Note.objects.filter(pk=sent.pk).update(text="parcel lost")
    Note.objects.filter(case=second).update(legal=True)
    _assert_in_step()
    assert _found(boss, "lost") == ["second-2"]
    Note.all_objects.filter(case=empty).delete()
    _assert_in_step()
    assert _found(boss, "hearing") == ["second-2"]
    # A case's deletion takes its notes, and its row with them.
    Case.objects.filter(pk=second.pk).delete()
    _assert_in_step()
    assert _found(boss, "parcel") == ["first-1"]
    if connection.vendor == "postgresql":
        assert set(_kept()) == {first.pk}


def test_who_may_not_read_a_note_never_finds_its_case_through_it(cast):
    boss, caseworker, lawyer = cast["coordinator"], cast["caseworker"], cast["lawyer"]
    theirs = make_case(codename="theirs-1", caseworker=caseworker, lawyer=lawyer)
    other = make_case(codename="other-2")
    services.note_add(actor=boss, case=theirs, text="zq7word for the caseworker only")
    services.note_add(actor=boss, case=other, text="zq7word elsewhere")
    services.note_add(actor=boss, case=theirs, text="zq7legal", legal=True)
    _assert_in_step()
    assert _found(boss, "zq7word") == ["other-2", "theirs-1"]
    assert _found(caseworker, "zq7word") == ["theirs-1"]
    assert _found(lawyer, "zq7word") == []  # the case's union holds it; the lawyer's notes do not
    assert _found(lawyer, "zq7legal") == ["theirs-1"]
    assert _found(UserFactory(username="outsider", roles=["caseworker"]), "zq7word") == []


@pytest.mark.postgresql
def test_a_one_word_search_reads_the_unions_and_several_words_the_note_slots(cast, monkeypatch):
    monkeypatch.setattr(search, "_notes_estimate", lambda: search.SLOTS_FROM_NOTES)
    boss = cast["coordinator"]
    case = make_case(codename="both-1")
    services.note_add(actor=boss, case=case, text="embassy letter")
    services.note_add(actor=boss, case=case, text="parcel sent")
    one = str(selectors.cases_for(boss, CaseFilters(query="embassy")).query)
    assert "cases_notedigests" in one and "FROM cases_note " not in one
    two = str(selectors.cases_for(boss, CaseFilters(query="embassy letter")).query)
    assert "cases_noteslots" in two and "FROM cases_note " not in two  # test_note_slots.py
    # A codename part, in any case (codenames are stored in lower case).
    assert _found(boss, "BOTH") == ["both-1"]
    assert _found(boss, "oth-1") == ["both-1"]
    # Two words in two different notes of the case: the union holds both, no note does.
    assert _found(boss, "embassy parcel") == []
    assert _found(boss, "embassy letter") == ["both-1"]


@pytest.mark.postgresql
def test_a_trigger_failure_leaves_no_note_behind(cast):
    """The union is written in the note's own transaction: a note whose case's union cannot
    be written is not written either (here: a constraint that refuses every new row)."""
    boss = cast["coordinator"]
    case = make_case(codename="atomic-1")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE cases_notedigests ADD CONSTRAINT never CHECK (false) NOT VALID")
    try:
        with pytest.raises(Exception, match="never"), transaction.atomic():
            services.note_add(actor=boss, case=case, text="embassy letter")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE cases_notedigests DROP CONSTRAINT never")
    assert not Note.all_objects.filter(case=case).exists()


@pytest.fixture
def upgraded(transactional_db):
    """An instance of the release before (cases at 0012) with notes, upgraded."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    caseworker = UserFactory(username="caseworker-old", roles=["caseworker"])
    cases = old.get_model("cases", "Case").objects
    notes = old.get_model("cases", "Note").objects
    held = cases.create(codename="old-heron-12", caseworker_id=caseworker.pk)
    bare = cases.create(codename="old-crane-13")
    notes.create(case=held, text="Задержан на границе", author_id=caseworker.pk)
    notes.create(case=held, text="Адвокат в пути", author_id=caseworker.pk)
    notes.create(case=bare, text="Withdrawn text", withdrawn_at="2026-12-01T10:00:00Z")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    return {"held": held.pk, "bare": bare.pk, "caseworker": caseworker}


def test_an_instance_of_the_previous_release_gets_its_unions(upgraded, cast):
    boss = cast["coordinator"]
    _assert_in_step()
    if connection.vendor == "postgresql":
        assert set(_kept()) == {upgraded["held"]}  # the withdrawn note's case has none
    assert _found(boss, "задерж") == ["old-heron-12"]
    assert _found(boss, "адвокат") == ["old-heron-12"]
    assert _found(boss, "withdrawn") == []
    assert _found(upgraded["caseworker"], "адвокат") == ["old-heron-12"]
    # The triggers are in place: a new note is found, and kept in step.
    services.note_add(actor=boss, case=Case.objects.get(pk=upgraded["bare"]), text="Передача")
    _assert_in_step()
    assert _found(boss, "передач") == ["old-crane-13"]
