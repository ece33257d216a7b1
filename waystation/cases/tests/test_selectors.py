"""The selectors' shortcuts give what the plain queries give: the dashboard's pressing events
and the search through the full-text index, kept in step with the notes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from waystation.cases import search, selectors, services
from waystation.cases.models import Case, Note, RiskEvent, RiskKind, Urgency
from waystation.cases.selectors import CaseFilters
from waystation.core.paging import page_of

from .factories import make_case


def _found(viewer, query: str) -> list[str]:
    return [case.codename for case in selectors.cases_for(viewer, CaseFilters(query=query))]


def test_pressing_events_are_the_first_of_all_in_the_window_for_any_limit(cast):
    today = timezone.localdate()
    boss = cast["coordinator"]
    for index in range(24):
        case = make_case(
            codename=f"window-{index:02d}",
            urgency=1 + index % 4,
            caseworker=cast["caseworker"] if index % 3 else None,
        )
        kind = "hearing" if index % 2 else "detention"
        for days in {index % 9, (index * 5) % 11 - 1}:  # some before, some after the week
            services.risk_record(actor=boss, case=case, kind=kind, on=today + timedelta(days=days))
        services.risk_record(actor=boss, case=case, kind="wanted", on=today)
    for viewer in (boss, cast["caseworker"], cast["lawyer"]):
        window = [
            event
            for event in RiskEvent.objects.select_related("case")
            if event.kind in ("hearing", "detention")
            and today <= event.on <= today + timedelta(days=7)
            and (viewer is boss or event.case.caseworker_id == viewer.pk)
        ]
        window.sort(key=lambda e: (e.on, -e.case.urgency, e.case.codename))
        for limit in (1, 2, 5, 9, 10, 17, 30, len(window), len(window) + 3):
            pressing = selectors.pressing_for(viewer, limit=limit)
            assert [e.pk for e in pressing] == [e.pk for e in window[:limit]], (viewer, limit)


def test_search_follows_notes_written_changed_moved_and_deleted(cast):
    boss = cast["coordinator"]
    first = make_case(codename="first-case-1")
    second = make_case(codename="second-case-2")
    note = services.note_add(actor=boss, case=first, text="Встреча с адвокатом в четверг")
    assert _found(boss, "адвокат") == ["first-case-1"]
    Note.objects.filter(pk=note.pk).update(text="Meeting the embassy on Thursday")
    assert _found(boss, "адвокат") == []
    assert _found(boss, "embassy") == ["first-case-1"]
    Note.objects.filter(pk=note.pk).update(case=second)
    assert _found(boss, "embassy") == ["second-case-2"]
    Note.objects.filter(pk=note.pk).delete()
    assert _found(boss, "embassy") == []
    services.note_add(actor=boss, case=second, text="embassy again")
    Case.objects.filter(pk=second.pk).delete()
    assert _found(boss, "embassy") == []


def test_search_order_and_count_are_those_of_the_list(cast):
    boss = cast["coordinator"]
    for index in range(12):
        case = make_case(codename=f"listed-{index:02d}", urgency=1 + index % 4)
        if index % 3:
            services.note_add(actor=boss, case=case, text=f"parcel number {index}")
    listed = [case.codename for case in selectors.cases_for(boss, CaseFilters())]
    found = _found(boss, "parcel")
    assert found == [name for name in listed if int(name[-2:]) % 3]
    assert selectors.cases_for(boss, CaseFilters(query="parcel")).count() == 8


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("coordinator", {"legal-note-1", "care-note-2", "elsewhere-3"}),
        ("caseworker", {"legal-note-1", "care-note-2"}),
        ("lawyer", {"legal-note-1"}),
    ],
)
def test_search_through_notes_follows_the_note_policy(cast, name, expected):
    boss = cast["coordinator"]
    assigned = {"caseworker": cast["caseworker"], "lawyer": cast["lawyer"]}
    legal = make_case(codename="legal-note-1", **assigned)
    care = make_case(codename="care-note-2", **assigned)
    elsewhere = make_case(codename="elsewhere-3")
    services.note_add(actor=boss, case=legal, text="hearing moved", legal=True)
    services.note_add(actor=boss, case=care, text="hearing nerves, sleeps badly")
    services.note_add(actor=boss, case=elsewhere, text="hearing in May")
    assert set(_found(cast[name], "hearing")) == expected


def test_a_reader_of_every_note_searches_the_index_alone_and_never_a_withdrawn_note(cast):
    """A coordinator reads every standing note: the cases come from the full-text index, whose
    query leaves out withdrawn notes itself, and no note row is read (issue 21: testing every
    note against the matches read the whole notes table, a million rows, for each search). A
    caseworker's search still tests each note of their cases through the policy."""
    boss = cast["coordinator"]
    kept = make_case(codename="kept-1", caseworker=cast["caseworker"])
    gone = make_case(codename="gone-2", caseworker=cast["caseworker"])
    services.note_add(actor=boss, case=kept, text="embassy letter")
    note = services.note_add(actor=boss, case=gone, text="embassy call")
    services.note_withdraw(actor=boss, note=note, reason="wrong case")
    for name in ("coordinator", "caseworker"):
        assert _found(cast[name], "embassy") == ["kept-1"], name
    boss_sql = str(selectors.cases_for(boss, CaseFilters(query="embassy")).query)
    assert '"cases_note"' not in boss_sql  # only the index's own query (raw SQL) reads notes
    own_sql = str(selectors.cases_for(cast["caseworker"], CaseFilters(query="embassy")).query)
    assert '"cases_note"' in own_sql


@pytest.mark.parametrize("language", ["en", "ru"])
def test_labels_on_the_pressing_list_are_the_display_values(language):
    with translation.override(language):
        for kind in [*RiskKind.values, "unknown"]:
            event = RiskEvent(kind=kind)
            assert str(event.kind_label) == str(event.get_kind_display())
        for urgency in [*Urgency.values, 9]:
            case = Case(urgency=urgency)
            assert str(case.urgency_label) == str(case.get_urgency_display())


def test_a_search_is_counted_and_paged_from_one_query_in_the_lists_order(cast):
    """The case list pages a search from the ids of every match read once (count and pages
    from the same answer), and shows what cases_for lists, in its order, to each viewer."""
    boss, caseworker = cast["coordinator"], cast["caseworker"]
    for index in range(7):
        case = make_case(
            codename=f"order-{index}",
            urgency=1 + index % 4,
            caseworker=caseworker if index % 2 else None,
        )
        services.note_add(actor=boss, case=case, text="embassy letter")
    make_case(codename="other-1", caseworker=caseworker)
    for viewer, total in ((boss, 7), (caseworker, 3)):
        for sort in ("urgency", "codename"):
            filters = CaseFilters(query="embassy", sort=sort)
            listed = [case.codename for case in selectors.cases_for(viewer, filters)]
            with CaptureQueriesContext(connection) as queries:
                found = selectors.case_list_for(viewer, filters)
                page = page_of(found, QueryDict(), size=2, number=2)
                shown = [case.codename for case in page]
            assert page.paginator.count == len(listed) == total
            assert shown == listed[2:4]
            assert len([q for q in queries if "UNION ALL" in q["sql"]]) == 1


@pytest.mark.postgresql
def test_a_viewer_of_every_case_has_the_matches_counted_from_their_set_alone(cast):
    """PostgreSQL: for a viewer of every case with no filter besides the words, the count is
    that of the set of matching ids (each case once, however many of its parts or notes
    match), and the page asked for is read in the same query by walking the list until it is
    full, not from every id. With a filter, or for a viewer of some cases only, every id is
    read as before. Each gives what cases_for lists, in its order, for any page asked."""
    boss, caseworker = cast["coordinator"], cast["caseworker"]
    for index in range(9):
        # Some cases match more than once: by codename, tag and notes (over one row of note
        # slots, 32 notes, for one of them).
        case = make_case(
            codename=f"embassy-{index}" if index % 3 == 0 else f"order-{index}",
            urgency=1 + index % 4,
            caseworker=caseworker if index % 2 else None,
            tags=["embassy visit"] if index % 4 == 0 else (),
        )
        for _ in range(40 if index == 4 else 1):
            services.note_add(actor=boss, case=case, text="embassy letter")
    make_case(codename="other-1", caseworker=caseworker)
    for viewer, filters, in_matches in (
        (boss, CaseFilters(query="embassy"), True),
        (boss, CaseFilters(query="embassy letter", sort="codename"), True),
        (boss, CaseFilters(query="embassy", urgency=2), False),
        (caseworker, CaseFilters(query="embassy"), False),
    ):
        listed = [case.codename for case in selectors.cases_for(viewer, filters)]
        assert listed, filters
        for number in (1, 2, 3, "last", 99, "x"):
            with CaptureQueriesContext(connection) as queries:
                found = selectors.case_list_for(viewer, filters)
                page = page_of(found, QueryDict(), size=4, number=number)
                shown = [case.codename for case in page]
            assert page.paginator.count == len(listed), (viewer, filters)
            assert shown == listed[(page.number - 1) * 4 : page.number * 4], (viewer, number)
            searched = [q["sql"] for q in queries if "UNION ALL" in q["sql"]]
            # One query for the count and the page, unless the page asked for is past the last
            # (the pager then shows the last, read on its own; not a number: the first).
            assert len(searched) == (2 if in_matches and number == 99 else 1), number
            assert all(sql.startswith("WITH matches") == in_matches for sql in searched)


@pytest.mark.embedded
def test_sqlite_searches_the_cities_in_their_own_index(cast):
    make_case(codename="city-1", city="Batumi")
    sql, params = search.case_ids_by_city("batumi").order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "cases_case_city" in plan  # not every case row (migration 0015)
    assert _found(cast["coordinator"], "batumi") == ["city-1"]
