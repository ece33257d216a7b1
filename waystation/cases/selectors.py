"""Reads of cases, each narrowed by the one policy to what the viewer may see. Query counts
stay fixed however many cases, notes or events there are (asserted in tests)."""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from waystation.accounts.policy import Perm, Side, can, case_sides, get_for, visible
from waystation.accounts.roles import Role
from waystation.core import corrections
from waystation.core.paging import PAGE_SIZE
from waystation.core.prepared import prepared_rows

from . import search
from .codenames import normalise
from .models import (
    PRESSING_KINDS,
    Case,
    Need,
    Note,
    RiskEvent,
    Status,
    StatusChange,
    Tag,
    Task,
)

PRESSING_DAYS = 7
NOTES_SHOWN = 100

SORTS = {
    "urgency": ("-urgency", "-updated_at", "-id"),
    "updated": ("-updated_at", "-id"),
    "codename": ("codename",),
    "status": ("status", "-urgency", "-updated_at", "-id"),
}


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    urgency: int | None = None
    risk: str = ""
    assignee: int | None = None
    unassigned: bool = False
    needs_open: bool = False
    tasks_overdue: bool = False
    mine: bool = False
    query: str = ""
    sort: str = "urgency"


def _pressing_window():
    today = timezone.localdate()
    return today, today + timedelta(days=PRESSING_DAYS)


def cases_for(viewer, filters: CaseFilters = CaseFilters()):
    """The case list: visible cases, filtered, sorted, with what the list shows per row."""
    return _listed(_chosen(viewer, filters), filters)


def case_list_for(viewer, filters: CaseFilters = CaseFilters()):
    """What the case list pages through (``core.paging.page_of``): ``cases_for``, or for a
    search its ``Found`` cases, the same cases in the same order."""
    query = filters.query.strip()
    if not query:
        return cases_for(viewer, filters)
    order = SORTS.get(filters.sort, SORTS["urgency"])
    cases = visible(viewer, Case.objects.all(), Perm.CASES_VIEW)
    rows = _listed(cases, filters)
    if _counted_in_matches(cases, filters):
        # A constant text, naming the set FoundInMatches gathers.
        matches = RawSQL(FoundInMatches.MATCHES, [])  # noqa: S611
        in_matches = _chosen(viewer, filters, matches=matches)
        ids = in_matches.order_by(*order).values_list("pk", flat=True)
        return FoundInMatches(_found_ids(viewer, query), ids, rows)
    return Found(_chosen(viewer, filters).order_by(*order).values_list("pk", flat=True), rows)


def _counted_in_matches(cases, filters: CaseFilters) -> bool:
    """Whether every case of the search's set of matching ids (``_found_ids``) is in the list:
    PostgreSQL, a viewer of every case (``cases``, what the policy leaves of them), no filter
    besides the words (``FoundInMatches``)."""
    if filters != CaseFilters(query=filters.query, sort=filters.sort):
        return False
    if not _policy_kept_every_row(cases, Case.objects.all()):
        return False
    return connections[cases.db].vendor == "postgresql"


def _policy_kept_every_row(seen, every) -> bool:
    """Whether ``seen`` (``visible(viewer, every, …)``) is ``every`` with no condition added by
    the policy: the viewer reads every row the manager gives (withdrawn notes, say, are the
    manager's own condition). Then a search may take its matches as they are, without testing
    each against the viewer's rows."""
    return not seen.query.is_empty() and seen.query.where == every.query.where


class Found:
    """A search's cases for the pager, from one query: the ids of every matching case in the
    list's order, counted and sliced here, then the rows of the page shown alone, read by id
    (still through the policy). Counting and paging the search as two queries ran it twice:
    every part (notes, codenames, cities, tags) gathered again, each test of every case again,
    for the same answer."""

    def __init__(self, ids, rows):
        self._query, self._rows, self._ids = ids, rows, None

    def _found(self) -> list[int]:
        if self._ids is None:
            # Fetched whole from the cursor: the queryset's iteration, a hundred rows a fetch
            # through its converters, cost more than the query for tens of thousands of ids.
            sql, params = self._query.query.sql_with_params()
            with connections[self._query.db].cursor() as cursor:
                cursor.execute(sql, params)
                self._ids = [row[0] for row in cursor.fetchall()]
        return self._ids

    def count(self) -> int:
        return len(self._found())

    def __len__(self) -> int:
        return self.count()

    def _ids_of(self, key: slice) -> list[int]:
        return self._found()[key]

    def __getitem__(self, key: slice) -> list[Case]:
        ids = self._ids_of(key)
        # Read by id, in no order of the database's (the ids hold the list's order): a page
        # sorted there could be read by walking the list's index past every other case.
        rows = {case.pk: case for case in self._rows.filter(pk__in=ids).order_by()}
        # A case gone (or no longer visible) since its id was read is left out.
        return [rows[pk] for pk in ids if pk in rows]


class FoundInMatches(Found):
    """PostgreSQL, where every matching case is in the list (``_counted_in_matches``): the
    count and one page's ids from one query, the set of matching ids gathered once
    (``MATCHES``, materialised): the count is that of the set itself, and the page is the
    list's index walked until it holds a page of matches, not every id of the list fetched.
    For a common word among a million notes (27,000 of 100,000 cases) that is the difference
    between walking 100,000 cases and fetching 27,000 ids, and walking a few hundred
    (docs/performance.md). The pager tells it the page to come (``expect_page``) before it
    counts; any other page it asks for is read on its own."""

    MATCHES = "SELECT found FROM matches"

    def __init__(self, matches: RawSQL, ids, rows):
        super().__init__(ids, rows)
        self._matches = matches
        self._window, self._count, self._window_ids = (0, PAGE_SIZE), None, None

    def expect_page(self, number, size: int) -> None:
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        self._window = ((number - 1) * size, number * size)

    def count(self) -> int:
        if self._count is None:
            self._count, self._window_ids = self._read(*self._window)
        return self._count

    def _ids_of(self, key: slice) -> list[int]:
        start, stop = key.start or 0, key.stop
        if self._window_ids is not None and start == self._window[0] and stop <= self._window[1]:
            return self._window_ids[: stop - start]  # the last page may be shorter
        return self._read(start, stop)[1]

    def _read(self, start: int, stop: int) -> tuple[int, list[int]]:
        page_sql, page_params = self._query[start:stop].query.sql_with_params()
        # Compiled query texts only (any_of and the ORM's): every value travels in params.
        sql = (
            f"WITH matches (found) AS MATERIALIZED ({self._matches.sql}) "  # noqa: S608
            f"SELECT (SELECT count(DISTINCT found) FROM matches), ARRAY({page_sql})"
        )
        with connections[self._query.db].cursor() as cursor:
            cursor.execute(sql, [*self._matches.params, *page_params])
            return cursor.fetchone()


def _chosen(viewer, filters: CaseFilters, *, matches=None):
    """The visible cases that the filters and the search words choose (``matches``: a subquery
    of the matching ids to test them against instead of ``_found_ids``)."""
    today = timezone.localdate()
    cases = visible(viewer, Case.objects.all(), Perm.CASES_VIEW)
    if filters.mine:
        cases = cases.filter(Q(caseworker=viewer) | Q(lawyer=viewer))
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.urgency:
        cases = cases.filter(urgency=filters.urgency)
    if filters.risk:
        cases = cases.filter(
            Exists(RiskEvent.objects.filter(case=OuterRef("pk"), kind=filters.risk))
        )
    if filters.unassigned:
        cases = cases.filter(caseworker__isnull=True)
    elif filters.assignee:
        cases = cases.filter(Q(caseworker_id=filters.assignee) | Q(lawyer_id=filters.assignee))
    if filters.needs_open:
        cases = cases.filter(Exists(_open_needs()))
    if filters.tasks_overdue:
        cases = cases.filter(Exists(_overdue(today)))
    if filters.query.strip():
        cases = _matching(viewer, cases, filters.query.strip(), matches=matches)
    return cases


def _open_needs():
    return Need.objects.filter(case=OuterRef("pk"), met_on__isnull=True)


def _overdue(today):
    return Task.objects.filter(case=OuterRef("pk"), done_at__isnull=True, due_on__lt=today)


def _listed(cases, filters: CaseFilters):
    """The cases sorted, with what the list shows per row."""
    today, end = _pressing_window()
    next_pressing = (
        RiskEvent.objects.filter(
            case=OuterRef("pk"), kind__in=PRESSING_KINDS, on__range=(today, end)
        )
        .order_by()
        .values("case")
        .annotate(first=Min("on"))
        .values("first")
    )
    return (
        cases.annotate(
            has_open_needs=_any(_open_needs()),
            has_overdue_tasks=_any(_overdue(today)),
            next_pressing=Subquery(next_pressing[:1]),
        )
        .select_related("caseworker", "lawyer")
        .prefetch_related("tags")
        .order_by(*SORTS.get(filters.sort, SORTS["urgency"]))
    )


def _any(rows):
    """Whether the correlated subquery finds a row, as a scalar subquery (``LIMIT 1``) rather
    than ``EXISTS``: PostgreSQL plans an ``EXISTS`` in the select list for every case the list
    could hold and runs it as a hashed subplan over the whole table (every open need, every
    overdue task: 190 ms a page at 100,000 cases), where a scalar subquery runs for the rows
    kept only, by index, as SQLite does for both."""
    found = rows.order_by().annotate(found=Value(True)).values("found")[:1]
    return Coalesce(Subquery(found), Value(False), output_field=BooleanField())


def _matching(viewer, cases, query: str, *, matches=None):
    """The cases with a codename, city or tag containing the text, or a note the viewer may
    read containing every word of it. Notes the viewer may not read never make a case match.

    Each part is a set of case ids, gathered once per query from its own index, and the cases
    are tested against the sets by id alone (``_id_for_search``): the database then reads the list's
    index in order and fetches only the cases shown, instead of fetching every match (tens of
    thousands for a common word) to sort them, or every case to compare its codename. The parts
    make one set (``UNION ALL``), so each case is looked up once, not once per part."""
    among = Q(search_id__in=_found_ids(viewer, query) if matches is None else matches)
    if connections[cases.db].vendor == "postgresql":
        # A test that is never true beside the IN keeps PostgreSQL from turning it into a join:
        # it then walks the list's index in order, testing each case against the set hashed
        # once, instead of gathering the set in parallel workers, joining it to every case and
        # sorting the matches (44,000 for a common word at 100,000 cases: 75 - 115 ms against
        # 43 ms for the ids of the whole list).
        among |= Q(pk__isnull=True)
    return cases.alias(search_id=_id_for_search()).filter(among)


def _found_ids(viewer, query: str):
    """The ids of the cases ``_matching`` finds, one subquery: a case may come more than once."""
    tags = Tag.objects.filter(name__icontains=query).values("pk")
    parts = [
        search.case_ids_by_codename(query),
        search.case_ids_by_city(query),
        Tag.cases.through.objects.filter(tag__in=tags).values("case_id"),
        _cases_with_notes_matching(viewer, query),
    ]
    return search.any_of([ids for ids in parts if ids is not None])


# An id as an expression, which no index can serve. SQLite would otherwise look up every case
# of a set by its id (reading each row) and sort them all before taking one page, or look for
# every matching note in each of the viewer's cases.
def _id_for_search():
    return ExpressionWrapper(F("pk") + 0, output_field=IntegerField())


def _cases_with_notes_matching(viewer, query: str):
    readable = visible(viewer, Note.objects.all(), Perm.CASES_VIEW)
    if readable.query.is_empty():
        return None
    if _policy_kept_every_row(readable, Note.objects.all()):
        # The viewer may read every standing note: the cases come from the full-text index
        # alone, which leaves out the withdrawn notes itself. Testing each note instead read
        # every note row.
        return search.case_ids_matching(query)
    note_ids = search.note_ids_matching(query)
    if note_ids is None:
        return None
    # The notes of the viewer's cases are tested against the matches, each through the policy.
    return (
        readable.alias(search_id=_id_for_search()).filter(search_id__in=note_ids).values("case_id")
    )


def case_for(viewer, pk) -> Case:
    """One case, or 404 — the same for a missing case and one the viewer may not open."""
    return get_for(viewer, Case.objects.select_related("caseworker", "lawyer"), pk, Perm.CASES_VIEW)


def case_by_codename(viewer, text: str) -> Case | None:
    """The case with this codename ("Amber Falcon 27" or "amber-falcon-27"), if the viewer may
    open it; None for both a missing and a forbidden one."""
    return (
        visible(viewer, Case.objects.all(), Perm.CASES_VIEW)
        .filter(codename=normalise(text))
        .first()
    )


def codename_reference(text: str) -> Case | None:
    """The case a codename names, holding only its id and codename, for features that refer
    to a case by codename without opening it (the ledger: treasurers see no case, yet record
    what was spent for one). None when no case has this codename."""
    text = (text or "").strip()
    if not text:
        return None
    return Case.objects.filter(codename=normalise(text)).only("pk", "codename").first()


def case_detail(viewer, case: Case) -> dict:
    """Everything on a case page, by side: a lawyer gets the legal side only."""
    sides = case_sides(viewer, case)
    detail = {"sides": sides, "tags": list(case.tags.all())}
    if Side.LEGAL in sides:
        detail["timeline"] = list(case.status_changes.select_related("recorded_by"))
        detail["risks"] = list(case.risk_events.all())
        detail["documents"] = list(case.documents.all())
        detail["tasks"] = list(case.tasks.select_related("assignee"))
    if Side.CARE in sides:
        detail["family"] = list(case.family.all())
        detail["needs"] = list(case.needs.all())
        detail["services"] = list(case.services.select_related("delivered_by"))
        if can(viewer, Perm.OUTREACH_VIEW):
            # Approaches made for this person: the reverse relation, so cases need not import
            # the outreach app.
            detail["approaches"] = list(
                case.approaches.select_related("organisation").order_by("-date", "-pk")[:50]
            )
    notes = visible(viewer, Note.objects.filter(case=case), Perm.CASES_VIEW)
    detail["notes"] = list(notes.select_related("author")[:NOTES_SHOWN])
    detail["withdrawn"] = withdrawn_for(viewer, case, sides)
    return detail


# The records a member can correct or withdraw (core.corrections), by the name in their URLs.
CORRECTABLE = {"note": Note, "risk": RiskEvent, "status": StatusChange}
# The side of the case each belongs to; notes follow their own object rule.
_CORRECTABLE_SIDE = {"note": None, "risk": Side.LEGAL, "status": Side.LEGAL}


def correctable_for(viewer, kind: str, pk):
    """A note, risk event or status step, withdrawn or not, if the viewer may read it; 404
    otherwise (the same for a missing one): its history follows the record's own rule."""
    model = CORRECTABLE.get(kind)
    if model is None:
        raise Http404
    found = get_for(viewer, model.all_objects.select_related("case"), pk, Perm.CASES_VIEW)
    side = _CORRECTABLE_SIDE[kind]
    if side is not None and side not in case_sides(viewer, found.case):
        raise Http404
    return found


def may_correct(viewer, record) -> bool:
    """Whether the page offers to correct or withdraw ``record`` (the services decide)."""
    if record.withdrawn_at is not None:
        return False
    if isinstance(record, Note):
        return record.author_id == viewer.pk or Side.MANAGE in case_sides(viewer, record.case)
    return Side.LEGAL in case_sides(viewer, record.case)


def history_for(viewer, record) -> list:
    """The versions of a record the viewer may read (``correctable_for``), newest first. A
    note's earlier version that was not for the lawyer keeps its text from a reader of the
    legal side only (``hidden``)."""
    versions = corrections.history(record)
    care = not isinstance(record, Note) or Side.CARE in case_sides(viewer, record.case)
    for version in versions:
        version.hidden = not care and not version.earlier.get("legal", True)
        if version.hidden:
            version.shown = []
    return versions


def case_history_for(viewer, case: Case) -> list:
    """The kept versions of a case's details, newest first, for whoever may edit them (the
    manage side); 404 for everyone else."""
    if Side.MANAGE not in case_sides(viewer, case):
        raise Http404
    return corrections.history(case)


def withdrawn_for(viewer, case: Case, sides=None) -> list:
    """The case's withdrawn entries the viewer may read, newest withdrawal first, each with
    ``kind`` (its name in ``CORRECTABLE``) for the link to its history."""
    sides = case_sides(viewer, case) if sides is None else sides
    notes = Note.all_objects.select_related("withdrawn_by").filter(case=case)
    found = list(visible(viewer, notes, Perm.CASES_VIEW).filter(withdrawn_at__isnull=False))
    for note in found:
        note.kind_name = "note"
    if Side.LEGAL in sides:
        for name in ("risk", "status"):
            rows = CORRECTABLE[name].all_objects.select_related("withdrawn_by").filter(
                case=case, withdrawn_at__isnull=False
            )
            for row in rows:
                row.kind_name = name
                found.append(row)
    return sorted(found, key=lambda row: row.withdrawn_at, reverse=True)


def pressing_for(viewer, *, limit: int = 30) -> list[RiskEvent]:
    """What puts a case on top of the dashboard: first the detentions still going on (the
    person is detained now, since a day before today), the most urgent case first, each marked
    ``ongoing``; then detentions and hearings dated from today to seven days ahead, soonest
    first, then the most urgent case."""
    if limit < 1:
        return []
    start, end = _pressing_window()
    # The ORM's building and compiling of these two queries took most of the dashboard's time
    # (the database answers in microseconds): their SQL is compiled once per shape.
    ongoing = prepared_rows(
        ("pressing-ongoing", limit), partial(_ongoing, limit=limit), viewer, start=start
    )
    for event in ongoing:
        event.ongoing = True
    rest = limit - len(ongoing)
    if rest < 1:
        return ongoing
    coming = prepared_rows(
        ("pressing-coming", rest), partial(_coming, limit=rest), viewer, start=start, end=end
    )
    return ongoing + coming


def _pressing_events(viewer):
    return visible(viewer, RiskEvent.objects.all(), Perm.CASES_VIEW)


def _ongoing(viewer, *, start, limit: int):
    # The case keeps its detention going on and the day it began (cases.detention): the first
    # `limit` such cases come from one walk of the index cases_case_detained, their events by
    # their keys. Worked out from the events, every past detention was read and sorted (0.4 s
    # at 100,000 cases).
    detained = (
        visible(viewer, Case.objects.all(), Perm.CASES_VIEW)
        .filter(status=Status.DETAINED, detained_since__lt=start)
        .order_by("-urgency", "detained_since", "codename")
        .values("ongoing_detention")[:limit]
    )
    # The events are those the cases visible to the viewer name, so the policy has spoken in
    # `detained`: asking it again of the events made SQLite walk every case of a caseworker
    # (by the index on caseworker) to test each against the 30 ids, 85 ms for one with 23,000
    # cases at 100,000, instead of taking the 30 events by their keys (0.3 ms).
    return (
        RiskEvent.objects.filter(pk__in=detained)
        .select_related("case")
        .only("on", "kind", "place", "case__codename", "case__urgency")
        .order_by("-case__urgency", "on", "case__codename")
    )


def _coming(viewer, *, start, end, limit: int):
    events = _pressing_events(viewer).filter(kind__in=PRESSING_KINDS)
    # The day of the limit-th event, from the (kind, on) index alone: only the events up to
    # that day are joined to their cases and sorted, not every one in the week (thousands
    # among 100,000 cases). Later days cannot reach the first `limit`; the whole last day is
    # kept, as urgency and codename order the events within a day.
    last_day = events.filter(on__range=(start, end)).order_by("on").values("on")[limit - 1 : limit]
    return (
        events.filter(on__gte=start, on__lte=Coalesce(Subquery(last_day), Value(end)))
        .select_related("case")
        # What the list shows (cases/_pressing.html); any other field would cost a query.
        .only("on", "kind", "place", "case__codename", "case__urgency")
        .order_by("on", "-case__urgency", "case__codename")[:limit]
    )


class BriefTask(NamedTuple):
    """What the dashboard's task rows show (home's task_rows), read as plain values: building
    a task and its case as model instances cost more than the query."""

    pk: int
    title: str
    due_on: date | None
    case_id: int
    codename: str


_BRIEF_TASK_FIELDS = ("pk", "title", "due_on", "case_id", "case__codename")


def tasks_for(
    viewer, *, include_done: bool = False, limit: int | None = None, brief: bool = False
):
    """The viewer's own tasks on cases they may open, the most pressing first. ``brief``: only
    the title, the due day and the case's codename, as ``BriefTask`` rows (the dashboard's
    list)."""
    if limit:
        # The dashboard's list: its SQL compiled once per shape (see core.prepared).
        build = partial(_tasks, include_done=include_done, limit=limit, brief=brief)
        tasks = prepared_rows(("tasks", include_done, limit, brief), build, viewer)
    else:
        tasks = _tasks(viewer, include_done=include_done, brief=brief)
    return [BriefTask(*row) for row in tasks] if brief else tasks


def _tasks(viewer, *, include_done: bool, limit: int | None = None, brief: bool = False):
    tasks = visible(viewer, Task.objects.all(), Perm.CASES_VIEW).filter(assignee=viewer)
    if not include_done:
        tasks = tasks.filter(done_at__isnull=True)
    tasks = tasks.select_related("case").order_by("done_at", "due_on", "pk")
    if brief:
        tasks = tasks.values_list(*_BRIEF_TASK_FIELDS)
    return tasks[:limit] if limit else tasks


def my_case_count(viewer) -> int:
    return prepared_rows("my-cases", _my_cases, viewer, count=True)


def _my_cases(viewer):
    return visible(viewer, Case.objects.all(), Perm.CASES_VIEW).filter(
        Q(caseworker=viewer) | Q(lawyer=viewer)
    )


def assignable(role: str):
    return get_user_model().objects.with_role(role).filter(is_active=True).order_by("username")


def team_for_tasks(case: Case) -> list:
    """Who a task on this case can go to: its caseworker and lawyer, and the coordinators."""
    people = {user.pk: user for user in assignable(Role.COORDINATOR)}
    for user in (case.caseworker, case.lawyer):
        if user is not None and user.is_active:
            people[user.pk] = user
    return sorted(people.values(), key=lambda user: user.username)


def identity_versions_for(viewer, case: Case) -> list:
    """The identity's kept versions, newest first, without their contents: for whoever may
    restore one (the case's manage side), empty for everyone else."""
    if Side.MANAGE not in case_sides(viewer, case):
        return []
    return list(case.identity_versions.select_related("replaced_by").defer("contents"))
