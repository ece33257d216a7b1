"""What a member types in a case is sealed on PostgreSQL (issue 27), and still works: the
notes' search over the blind index, the city search, lists and pages. On the embedded database
the same tests check that nothing changed there (its file is encrypted whole)."""

import base64

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count

from waystation.accounts.tests.factories import UserFactory
from waystation.cases import selectors, services
from waystation.cases.models import Case, Note, RiskEvent
from waystation.cases.selectors import CaseFilters
from waystation.core import crypto
from waystation.core.fields import (
    BlindIndex,
    SealedOnServer,
    ServerSealedTextField,
    search_words,
)
from waystation.core.keyring import Purpose

from .factories import make_case

BEFORE = [("cases", "0011_case_list_indexes")]


def _found(viewer, query: str) -> list[str]:
    return [case.codename for case in selectors.cases_for(viewer, CaseFilters(query=query))]


def _stored(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_search_finds_word_beginnings_follows_corrections_and_leaves_out_withdrawn(cast):
    boss = cast["coordinator"]
    held = make_case(codename="held-1", city="Almaty")
    moved = make_case(codename="moved-2", city="Tbilisi Old Town")
    first = services.note_add(actor=boss, case=held, text="Задержан на границе, адвокат в пути")
    services.note_add(actor=boss, case=moved, text="Ёлка и café: встреча в посольстве")
    assert _found(boss, "задерж") == ["held-1"]
    assert _found(boss, "ГРАНИЦ адвокат") == ["held-1"]
    assert _found(boss, "ёлка cafe") == ["moved-2"]  # Latin accents ignored, as FTS5 does
    assert _found(boss, "елка") == []  # Cyrillic letters are kept as they are, as there
    assert sorted(_found(boss, "в")) == ["held-1", "moved-2"]
    assert _found(boss, "задержанный") == []
    assert _found(boss, "ALMA") == ["held-1"]  # the city
    assert _found(boss, "old") == ["moved-2"]
    services.note_correct(actor=boss, note=first, text="Освобождён утром", legal=False, reason="r")
    assert _found(boss, "задерж") == []
    assert _found(boss, "освобожд") == ["held-1"]
    services.note_withdraw(actor=boss, note=first, reason="wrong case")
    assert _found(boss, "освобожд") == []
    # The case's edit keeps the city's index in step.
    services.case_update(
        actor=boss, case=held, urgency=2, languages="", city="Bishkek", summary="", tags=()
    )
    assert _found(boss, "alma") == []
    assert _found(boss, "bishk") == ["held-1"]


def test_a_blind_index_has_every_beginning_of_three_to_sixteen_letters():
    assert search_words("Задержан, ЁЖИК café_2") == ["задержан", "ёжик", "cafe", "2"]
    index = BlindIndex(Purpose.NOTE_SEARCH)
    assert index.of_text("abcdef") == sorted(
        {index.token(p) for p in ("abc", "abcd", "abcde", "abcdef")}
    )
    assert index.of_text("в ab") == sorted({index.token("в"), index.token("ab")})
    long = "a" * 20
    assert index.of_text(long) == sorted({index.token("a" * k) for k in range(3, 17)})
    assert index.of_query([long]) == [index.token("a" * 16)]
    other = BlindIndex(Purpose.CITY_SEARCH)  # another purpose, other digests
    assert other.token("abc") != index.token("abc")


@pytest.mark.postgresql
def test_postgresql_holds_ciphertext_and_refuses_to_compare_or_sort_it(cast):
    boss = cast["coordinator"]
    case = make_case(codename="sealed-1", city="Zq7City", summary="Zq7Summary", languages="Zq7")
    note = services.note_add(actor=boss, case=case, text="Zq7Note about the hearing")
    event = services.risk_record(actor=boss, case=case, kind="hearing", on=case.status_since)
    RiskEvent.objects.filter(pk=event.pk).update(place="Zq7Court")
    for table, column, pk in [
        ("cases_case", "city", case.pk),
        ("cases_case", "summary", case.pk),
        ("cases_case", "languages", case.pk),
        ("cases_note", "text", note.pk),
        ("cases_riskevent", "place", event.pk),
    ]:
        assert "Zq7" not in _stored(table, column, pk), (table, column)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case WHERE city::text LIKE '%%Zq7%%'")
        assert cursor.fetchone()[0] == 0
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.city, fresh.summary, fresh.languages) == ("Zq7City", "Zq7Summary", "Zq7")
    assert Note.objects.values_list("text", flat=True).get(pk=note.pk) == note.text
    assert RiskEvent.objects.get(pk=event.pk).place == "Zq7Court"
    # Matching or sorting ciphertext would be silently wrong: refused, or impossible.
    with pytest.raises(SealedOnServer):
        list(Case.objects.filter(city="Zq7City"))
    with pytest.raises(SealedOnServer):
        list(Note.objects.filter(text__icontains="hearing"))
    assert Case.objects.exclude(summary="").count() == 1  # the empty text, nothing to hide
    assert Case.objects.filter(city__isnull=True).count() == 0
    for sorted_or_grouped in (
        Case.objects.order_by("city"),
        Case.objects.values("city").distinct(),
        Case.objects.values("city").annotate(n=Count("id")),
    ):
        # (in a savepoint: the test's transaction goes on)
        with pytest.raises(DatabaseError, match=r"equality|ordering"), transaction.atomic():
            list(sorted_or_grouped)
    # Counting cases with their notes groups by the id alone: it still works.
    assert Case.objects.annotate(n=Count("notes")).get(pk=case.pk).n == 1


@pytest.mark.postgresql
def test_a_wrong_key_or_an_altered_value_fails_loudly(cast, monkeypatch):
    case = make_case(codename="tamper-1", city="Almaty", summary="Needs a lawyer")
    stored = _stored("cases_case", "city", case.pk)
    field = Case._meta.get_field("city")
    assert field.open(stored) == "Almaty"
    # Flip one byte of the ciphertext in the database: reading the case fails, never "".
    raw = bytearray(base64.b64decode(stored.strip('"')))
    raw[-1] ^= 1
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET city = %s::json WHERE id = %s",
            ['"' + base64.b64encode(bytes(raw)).decode() + '"', case.pk],
        )
    with pytest.raises(crypto.DecryptionError):
        Case.objects.get(pk=case.pk)
    # A value moved into another column does not open there either.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET city = summary WHERE id = %s", [case.pk])
    with pytest.raises(crypto.DecryptionError):
        Case.objects.get(pk=case.pk)
    # Under another key (another instance's), nothing opens.
    summary = _stored("cases_case", "summary", case.pk)
    monkeypatch.setattr(ServerSealedTextField, "_key", staticmethod(lambda: b"\x01" * 32))
    with pytest.raises(crypto.DecryptionError):
        Case._meta.get_field("summary").open(summary)


@pytest.fixture
def upgraded(transactional_db):
    """An instance of the release before (cases at 0011) with cases and notes, upgraded."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    caseworker = UserFactory(username="caseworker-old", roles=["caseworker"])
    case = old.get_model("cases", "Case").objects.create(
        codename="old-heron-12",
        status="detained",
        city="Zq7Almaty",
        summary="Zq7Summary: needs a lawyer",
        languages="русский",
        caseworker_id=caseworker.pk,
    )
    old.get_model("cases", "RiskEvent").objects.create(
        case=case, kind="detention", on="2026-03-02", place="Zq7СИЗО-1", visits="по средам"
    )
    old.get_model("cases", "Task").objects.create(case=case, title="Zq7 call the lawyer")
    notes = [
        old.get_model("cases", "Note").objects.create(
            case=case, text=f"Zq7Note {n}: задержан на границе", author_id=caseworker.pk
        )
        for n in range(3)
    ]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    return {"case": case.pk, "caseworker": caseworker, "notes": [n.pk for n in notes]}


def test_an_instance_with_notes_upgrades_to_sealed_columns(upgraded):
    case = Case.objects.get(pk=upgraded["case"])
    caseworker = upgraded["caseworker"]
    assert (case.city, case.summary, case.languages) == (
        "Zq7Almaty",
        "Zq7Summary: needs a lawyer",
        "русский",
    )
    assert [n.text for n in Note.objects.order_by("pk")] == [
        f"Zq7Note {n}: задержан на границе" for n in range(3)
    ]
    assert RiskEvent.objects.get(case=case).place == "Zq7СИЗО-1"
    assert case.tasks.get().title == "Zq7 call the lawyer"
    if connection.vendor == "postgresql":
        for table, column, pk in [
            ("cases_case", "city", case.pk),
            ("cases_case", "summary", case.pk),
            *(("cases_note", "text", pk) for pk in upgraded["notes"]),
        ]:
            assert "Zq7" not in _stored(table, column, pk)
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'cases_note'")
            names = {row[0] for row in cursor.fetchall()}
        assert "cases_note_text_fts" not in names and "cases_note_search" in names
    # Old notes are found through the index filled by the upgrade, and new ones too.
    assert _found(caseworker, "задерж границ") == ["old-heron-12"]
    assert _found(caseworker, "zq7alm") == ["old-heron-12"]  # the city's index, filled too
    services.note_add(actor=caseworker, case=case, text="Передача в четверг")
    assert _found(caseworker, "передач") == ["old-heron-12"]
