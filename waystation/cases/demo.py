"""Synthetic cases for the demo and the benchmarks: realistic in shape (a status timeline, risk
events, family, documents, needs, services, tasks, notes, an identity vault), invented in every
detail. No name here is a real person's; no note holds a route. The texts are written in one
language (the demo's) or, for the benchmarks, in Russian and English mixed as a group writes.

Written in bulk, not through the services one case at a time, so that 100,000 cases and a
million notes take minutes; the rows are the same as the services would write (the identity
fields are encrypted bound to their row, the notes reach the full-text index through its
triggers). One audit row records the whole generation.
"""

import functools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_skeleton
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone, translation

from waystation.accounts.roles import Role
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.bulk import insert_rows
from waystation.core.fields import BlindIndex
from waystation.core.keyring import Purpose

from . import codenames
from . import demo_text as text
from .demo_text import FIRST_NAMES, PATRONYMICS, SURNAME_ENDINGS, SYLLABLES, transliterate
from .models import (
    Case,
    Document,
    DocumentKind,
    DocumentState,
    FamilyMember,
    Identity,
    Need,
    NeedKind,
    Note,
    RiskEvent,
    RiskKind,
    Service,
    Status,
    StatusChange,
    Tag,
    Task,
    Urgency,
)

CHUNK = 2000  # cases per transaction: memory stays flat, a crash loses one chunk at most
NOTES_PER_CASE = 3  # on average, unless a total is asked for

_O, _C, _T, _D = Status.IN_ORIGIN, Status.CROSSED, Status.IN_TRANSIT, Status.DETAINED
# (how common, timeline, urgencies it may have): the usual paths, never the route itself.
PATHS = (
    (8, (_O,), (Urgency.URGENT, Urgency.CRITICAL)),
    (10, (_O, _C), (Urgency.WATCH, Urgency.URGENT)),
    (20, (_O, _C, _T), (Urgency.WATCH, Urgency.STABLE)),
    (15, (_O, _C, _T), (Urgency.WATCH, Urgency.URGENT)),
    (5, (_O, _C, _D), (Urgency.CRITICAL, Urgency.URGENT)),
    (5, (_O, _C, _T, _D), (Urgency.CRITICAL,)),
    (10, (_O, _C, _T, _D, Status.RELEASED), (Urgency.URGENT, Urgency.WATCH)),
    (15, (_O, _C, _T, Status.RELOCATED), (Urgency.STABLE,)),
    (2, (_O, _C, _D, Status.EXTRADITED), (Urgency.CRITICAL,)),
    (10, (_O, _C, Status.RELOCATED, Status.CLOSED), (Urgency.STABLE,)),
)
_PATH_WEIGHTS = [weight for weight, _path, _urgencies in PATHS]


# Languages of the texts and how often each is drawn, unless one is asked for: Russian and
# English, the way a Russian-speaking group writes (the search benchmark looks for words of both).
MIXED = (("ru", 65), ("en", 35))
_BABEL_LOCALES = {"en": "en_GB"}  # a day and month as the British write them, not the American


@dataclass
class Generated:
    cases: int
    notes: int


@dataclass(frozen=True)
class _Bank:
    """The synthetic texts in one language (see demo_text), read once."""

    language: str
    cities: tuple[str, ...]
    languages: tuple[str, ...]
    tags: tuple[str, ...]
    places: tuple[str, ...]
    summaries: tuple[str, ...]
    notes: tuple[str, ...]
    tasks: tuple[str, ...]
    relations: tuple[str, ...]
    need_notes: tuple[str, ...]
    streets: tuple[str, ...]
    home_city: str
    wanted_by: str
    visits: str
    passport: str
    hours: dict[int, str]  # a number of hours with its word, in this language's plural form
    weeks: dict[int, str]

    @classmethod
    def read(cls, language: str) -> "_Bank":
        def each(texts):
            return tuple(str(t) for t in texts)

        with translation.override(language):
            return cls(
                language=language,
                cities=each(text.CITIES),
                languages=each(text.LANGUAGES),
                tags=each(text.TAGS),
                places=each(text.PLACES),
                summaries=each(text.SUMMARIES),
                notes=each(text.NOTES),
                tasks=each(text.TASKS),
                relations=each(text.RELATIONS),
                need_notes=each(text.NEED_NOTES),
                streets=each(text.STREETS),
                home_city=str(text.HOME_CITY),
                wanted_by=str(text.WANTED_BY),
                visits=str(text.VISITS),
                passport=str(text.PASSPORT),
                hours={n: text.hours(n) for n in text.HOURS},
                weeks={n: text.weeks(n) for n in text.WEEKS},
            )


class _Writer:
    """Builds the rows of one chunk of cases at a time, with one random source."""

    def __init__(self, rng: random.Random, caseworkers: list, lawyers: list, languages):
        self.rng = rng
        self.caseworkers = caseworkers
        self.lawyers = lawyers
        self.banks = [_Bank.read(language) for language, _weight in languages]
        self.weights = [weight for _language, weight in languages]
        self.tags = {
            bank.language: [Tag.objects.get_or_create(name=name)[0] for name in bank.tags]
            for bank in self.banks
        }
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.taken = set(Case.objects.values_list("codename", flat=True))
        self.caseworker_turn = self.lawyer_turn = 0  # round-robin positions
        self._note_index = None  # PostgreSQL: one blind index for every note written here

    def write_notes(self, notes: list) -> None:
        """The notes as the services would store them. PostgreSQL: sealed and indexed here with
        the cipher and the digests of each word made once (the synthetic texts repeat their
        words), and written by COPY: Django's insert of a million notes took most of an hour."""
        if connection.vendor != "postgresql":
            Note.objects.bulk_create(notes)
            return
        if self._note_index is None:
            self._note_index = BlindIndex(Purpose.NOTE_SEARCH)
        seal, index = Note._meta.get_field("text").sealer(connection), self._note_index.of_text
        standing = (None, None, None)  # neither corrected nor withdrawn
        rows = []
        for note in notes:
            text, found = seal(note.text), _array(index(note.text))
            rows.append((note.case_id, text, note.legal, note.author_id, note.created_at, found))
        rows = [(*row, *standing) for row in rows]
        insert_rows(Note, _NOTE_COLUMNS, rows)

    def codename(self) -> str:
        choice, rng = self.rng.choice, self.rng
        while True:
            name = (
                f"{choice(codenames.ADJECTIVES)}-{choice(codenames.NOUNS)}-{rng.randrange(1, 1000)}"
            )
            if name not in self.taken:
                self.taken.add(name)
                return name

    def _when(self, day: date) -> datetime:
        moment = datetime.combine(day, datetime.min.time(), tzinfo=self.now.tzinfo)
        return min(self.now, moment + timedelta(seconds=self.rng.randrange(8 * 3600, 20 * 3600)))

    def _day_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange(max(1, (end - start).days + 1)))

    def bank(self) -> _Bank:
        return self.rng.choices(self.banks, self.weights)[0]

    def _fill(self, template: str, bank: _Bank) -> str:
        if "{" not in template:
            return template
        rng = self.rng
        day = self.today + timedelta(days=rng.randrange(-20, 40))
        return template.format(
            city=rng.choice(bank.cities),
            day=_day_text(day, _BABEL_LOCALES.get(bank.language, bank.language)),
            amount=rng.randrange(3, 30) * 100,
            hours=bank.hours[rng.choice(text.HOURS)],
            weeks=bank.weeks[rng.choice(text.WEEKS)],
        )

    def note_text(self) -> str:
        bank = self.bank()
        count = self.rng.choice((1, 1, 2, 2, 3))
        return " ".join(self._fill(t, bank) for t in self.rng.sample(bank.notes, count))

    def chunk(self, size: int, notes: int) -> None:
        rng = self.rng
        cases, plans = [], []
        for _ in range(size):
            _weight, path, urgencies = rng.choices(PATHS, _PATH_WEIGHTS)[0]
            bank = self.bank()
            start = self.today - timedelta(days=rng.randrange(20, 900))
            days = sorted(self._day_between(start, self.today) for _ in path[1:])
            steps = list(zip(path, [start, *days], strict=True))
            caseworker = lawyer = None
            if self.caseworkers and rng.random() < 0.93:
                caseworker = self.caseworkers[self.caseworker_turn % len(self.caseworkers)]
                self.caseworker_turn += 1
                if self.lawyers and (Status.DETAINED in path or rng.random() < 0.3):
                    lawyer = self.lawyers[self.lawyer_turn % len(self.lawyers)]
                    self.lawyer_turn += 1
            created = self._when(start)
            cases.append(
                Case(
                    codename=self.codename(),
                    status=steps[-1][0],
                    status_since=steps[-1][1],
                    urgency=rng.choice(urgencies),
                    languages=rng.choice(bank.languages),
                    city=rng.choice(bank.cities) if len(path) > 1 else "",  # still at home: none
                    summary=rng.choice(bank.summaries),
                    caseworker=caseworker,
                    lawyer=lawyer,
                    created_at=created,
                    updated_at=created + (self.now - created) * (1 - rng.random() ** 3),
                )
            )
            plans.append((steps, bank))
        Case.objects.bulk_create(cases)
        rows: dict[type, list] = {model: [] for model in _ROW_MODELS}
        for case, (steps, bank) in zip(cases, plans, strict=True):
            self._case_rows(case, steps, bank, rows)
        for _ in range(notes):  # each note to a case drawn at random: some get many, some none
            rows[Note].append(self._note(cases[rng.randrange(size)]))
        for model in _ROW_MODELS:
            if model is Note:
                self.write_notes(rows[model])
            else:
                model.objects.bulk_create(rows[model])

    def _note(self, case: Case) -> Note:
        legal = case.lawyer_id is not None and self.rng.random() < 0.3
        author = case.lawyer_id if legal and self.rng.random() < 0.5 else case.caseworker_id
        when = case.created_at + (self.now - case.created_at) * self.rng.random()
        return Note(
            case=case, text=self.note_text(), legal=legal, author_id=author, created_at=when
        )

    def _case_rows(self, case: Case, steps, bank: _Bank, rows) -> None:
        rng, today, worker = self.rng, self.today, case.caseworker_id
        for status, on in steps:
            rows[StatusChange].append(
                StatusChange(
                    case=case,
                    status=status,
                    on=on,
                    recorded_by_id=worker,
                    recorded_at=self._when(on),
                )
            )
        statuses = dict(steps)
        if Status.DETAINED in statuses:
            detained = statuses[Status.DETAINED]
            place = rng.choice(bank.places)
            rows[RiskEvent].append(
                RiskEvent(case=case, kind=RiskKind.DETENTION, on=detained, place=place)
            )
            if case.status == Status.DETAINED or rng.random() < 0.3:
                hearing = today + timedelta(days=rng.randrange(-60, 60))
                rows[RiskEvent].append(
                    RiskEvent(
                        case=case,
                        kind=RiskKind.HEARING,
                        on=hearing,
                        place=place,
                        visits=bank.visits if rng.random() < 0.5 else "",
                    )
                )
            if Status.RELEASED in statuses:
                rows[RiskEvent].append(
                    RiskEvent(case=case, kind=RiskKind.RELEASE, on=statuses[Status.RELEASED])
                )
        if rng.random() < 0.25:
            rows[RiskEvent].append(
                RiskEvent(case=case, kind=RiskKind.WANTED, on=steps[0][1], place=bank.wanted_by)
            )
        if rng.random() < 0.01:  # someone free who has a hearing in the coming days
            rows[RiskEvent].append(
                RiskEvent(
                    case=case,
                    kind=RiskKind.HEARING,
                    on=today + timedelta(days=rng.randrange(0, 8)),
                    place=rng.choice(bank.places),
                )
            )
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            rows[FamilyMember].append(
                FamilyMember(
                    case=case,
                    relation=rng.choice(bank.relations),
                    age=rng.randrange(1, 75),
                    with_them=rng.random() < 0.7,
                )
            )
        for kind in rng.sample(DocumentKind.values, rng.randrange(1, 4)):
            rows[Document].append(
                Document(case=case, kind=kind, state=rng.choice(DocumentState.values))
            )
        for kind in rng.sample(NeedKind.values, rng.randrange(0, 4)):
            noted = self._day_between(steps[0][1], today)
            met = self._day_between(noted, today) if rng.random() < 0.4 else None
            rows[Need].append(
                Need(
                    case=case,
                    kind=kind,
                    noted_on=noted,
                    met_on=met,
                    note=rng.choice(bank.need_notes),
                )
            )
            if met is not None:
                rows[Service].append(
                    Service(case=case, kind=kind, delivered_on=met, delivered_by_id=worker)
                )
        for title in rng.sample(bank.tasks, rng.randrange(0, 4)):
            due = today + timedelta(days=rng.randrange(-15, 30)) if rng.random() < 0.8 else None
            done = rng.random() < 0.4
            rows[Task].append(
                Task(
                    case=case,
                    title=title,
                    due_on=due,
                    assignee_id=worker,
                    done_at=self.now - timedelta(days=rng.randrange(1, 10)) if done else None,
                    created_by_id=worker,
                    created_at=case.created_at,
                )
            )
        for tag in rng.sample(self.tags[bank.language], rng.choice((0, 1, 1, 2, 3))):
            rows[Case.tags.through].append(Case.tags.through(case=case, tag=tag))
        rows[Identity].append(self._identity(case, bank))

    def _identity(self, case: Case, bank: _Bank) -> Identity:
        rng = self.rng
        first, patronymic = rng.choice(FIRST_NAMES), rng.choice(PATRONYMICS)
        ending = rng.choice(tuple(SURNAME_ENDINGS))
        if first.endswith(("а", "я")):  # a woman's name: the feminine forms
            ending = SURNAME_ENDINGS[ending]
            patronymic = patronymic.removesuffix("ич") + "на"
        surname = "".join(rng.sample(SYLLABLES, 2)).capitalize() + ending
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
        city = case.city or bank.home_city
        # The row id is the case id: the encrypted fields are bound to it (see core.fields).
        return Identity(
            case=case,
            legal_name=f"{surname} {first} {patronymic}",
            transliteration=transliterate(f"{first} {surname}"),
            birth_date=born.isoformat(),
            phone=f"+995 555 {rng.randrange(10**6):06d}",
            document_numbers=bank.passport.format(
                number=f"{rng.randrange(10, 99)} {rng.randrange(10**6):06d}"
            ),
            address=f"{rng.choice(bank.streets)} {rng.randrange(1, 120)}-{rng.randrange(1, 90)}"
            f", {city}",
            updated_at=case.created_at,
        )


def _array(numbers: list[int]) -> str:
    """A bigint[] as COPY's text takes it: psycopg's own adaptation of the list cost more than
    the rest of writing the note."""
    return "{" + ",".join(map(str, numbers)) + "}"


_NOTE_COLUMNS = (
    "case",
    "text",
    "legal",
    "author",
    "created_at",
    "search",
    "corrected_at",
    "withdrawn_at",
    "withdrawn_by",
)
_ROW_MODELS = (
    StatusChange,
    RiskEvent,
    FamilyMember,
    Document,
    Need,
    Service,
    Task,
    Note,
    Case.tags.through,
    Identity,
)


@functools.cache
def _day_text(day: date, locale: str) -> str:
    return format_skeleton("MMMMd", day, locale=locale)  # babel's parsing is most of a note's cost


def _writer(seed, language: str | None = None) -> _Writer:
    def active(role):
        users = get_user_model().objects.with_role(role).filter(is_active=True)
        return list(users.order_by("username"))

    return _Writer(
        random.Random(seed),  # noqa: S311 - invented data, reproducible from a seed; no secret
        caseworkers=active(Role.CASEWORKER),
        lawyers=active(Role.LAWYER),
        languages=MIXED if language is None else ((language, 1),),
    )


def generate_cases(
    n: int, *, seed=None, notes: int | None = None, actor=None, language: str | None = None
) -> Generated:
    """Write ``n`` synthetic cases with ``notes`` notes among them (about three a case unless
    given), assigned round-robin to the active caseworkers and lawyers, their texts in
    ``language`` (Russian and English mixed when none is given). One audit row."""
    notes = NOTES_PER_CASE * n if notes is None else notes
    writer = _writer(seed, language)
    done = written = 0
    while done < n:
        size = min(CHUNK, n - done)
        share = notes * (done + size) // n - written
        with transaction.atomic():
            writer.chunk(size, share)
        done, written = done + size, written + share
    if n:
        with transaction.atomic():
            record(Event.CASE_CREATED, actor=actor, data={"generated": n, "notes": notes})
    return Generated(cases=n, notes=notes)


def generate_notes(count: int, *, seed=None) -> int:
    """Add ``count`` synthetic notes spread over the existing cases (for the search benchmark).
    Notes are not audited, as when they are written one by one."""
    writer = _writer(seed)
    ids = list(Case.objects.values_list("pk", "lawyer_id", "caseworker_id", "created_at"))
    if not ids:
        return 0
    written = 0
    while written < count:
        size = min(CHUNK * NOTES_PER_CASE, count - written)
        batch = []
        for _ in range(size):
            pk, lawyer, caseworker, created = writer.rng.choice(ids)
            case = Case(pk=pk, lawyer_id=lawyer, caseworker_id=caseworker, created_at=created)
            batch.append(writer._note(case))
        with transaction.atomic():
            writer.write_notes(batch)
        written += size
    return written
