"""Full-text search over case notes.

Embedded database: an FTS5 index (``cases_note_fts``, kept in step by triggers, see migrations
0002 and 0003) inside the encrypted SQLCipher file. PostgreSQL, where the notes are sealed
(``core.fields.ServerSealedTextField``): a blind index, ``Note.search``, a ``bigint[]`` of keyed
digests of every word of the note and of its beginnings (``core.fields.BlindIndex``: 3 to 16
letters), under a GIN index (migration 0012); a query looks up one digest per word. Both match
every word of the query as a prefix ("задерж" finds "задержан"), in any script, without
stemming; case and accents are ignored. On PostgreSQL a query word of one or two letters finds
only that whole word, and one longer than 16 letters is matched on its first 16.

The FTS5 index holds no copy of the text (contentless) and keys each note by its case and its
own id together: rowid = case id × 2³² + note id. A search thus gets the cases of its matches
from the index alone. Reading each matching note row to learn its case instead cost over a
second for a common word among a million notes.
"""

import re

from django.db import connection
from django.db.models.expressions import RawSQL

from waystation.core.fields import BlindIndex, search_words
from waystation.core.keyring import Purpose

from .models import Case

_WORD = re.compile(r"\w+", re.UNICODE)
# What a codename is made of (codenames.CODENAME): any text with another character is in none.
_CODENAME_TEXT = re.compile(r"[a-z0-9-]+")
MAX_WORDS = 8


def words(query: str) -> list[str]:
    return _WORD.findall(query.lower())[:MAX_WORDS]


def _match(found: list[str]) -> str:
    # FTS5 syntax: each word quoted (no operators smuggled in), * for a prefix match.
    return " ".join('"' + word.replace('"', "") + '"*' for word in found)


def digests(query: str, purpose: Purpose = Purpose.NOTE_SEARCH) -> list[int]:
    """PostgreSQL: the blind-index digests a row must all hold to match every word of
    ``query`` as a prefix (empty: no words)."""
    return BlindIndex(purpose).of_query(search_words(query)[:MAX_WORDS])


# Withdrawn notes (core.corrections) stay in the index, which knows nothing of them: each search
# leaves them out, by their own small partial index (cases_note_withdrawn).


def note_ids_matching(query: str) -> RawSQL | None:
    """A subquery of the ids of the notes containing every word of ``query`` (None: no words),
    withdrawn notes left out."""
    found = words(query)
    if not found:
        return None
    if connection.vendor == "postgresql":
        return RawSQL(
            "SELECT id FROM cases_note WHERE search @> %s::bigint[] AND withdrawn_at IS NULL",
            [digests(query)],
        )
    return RawSQL(
        "SELECT rowid & 4294967295 FROM cases_note_fts WHERE cases_note_fts MATCH %s "
        "AND (rowid & 4294967295) NOT IN "
        "(SELECT id FROM cases_note WHERE withdrawn_at IS NOT NULL)",
        [_match(found)],
    )


def case_ids_by_city(query: str):
    """A subquery of the ids of the cases whose city matches ``query``: on SQLite the city
    contains the text; on PostgreSQL, where the city is sealed, every word of the query begins
    a word of the city (its blind index, ``Case.city_search``). None: nothing to look for."""
    if connection.vendor != "postgresql":
        # From the index of the cities alone (CITY_SQLITE), not the cases' wide rows.
        return Case.objects.filter(city__icontains=query).values("pk")
    found = digests(query, Purpose.CITY_SEARCH)
    if not found:
        return None
    return RawSQL("SELECT id FROM cases_case WHERE city_search @> %s::bigint[]", [found])


def case_ids_by_codename(query: str):
    """A subquery of the ids of the cases whose codename contains ``query``, any case.

    PostgreSQL: codenames are lower case (``codenames.CODENAME``), so the lowered text is
    looked for as it is, in the index ``cases_case_codename_ids`` (codename with the id) alone,
    not with ``UPPER()`` of every codename in the cases' wide rows (migration 0013: 80 - 350 ms
    at 100,000 cases, now 10 - 20 ms).

    None for a text no codename can contain: codenames are Latin letters, digits and hyphens
    (``codenames.CODENAME``, checked wherever a case is opened or imported), so a search with a
    space or another script skips reading every codename (26 ms at 100,000 cases)."""
    if not _CODENAME_TEXT.fullmatch(query.lower()):
        return None
    if connection.vendor == "postgresql":
        return Case.objects.filter(codename__contains=query.lower()).values("pk")
    return Case.objects.filter(codename__icontains=query).values("pk")


def case_ids_matching(query: str) -> RawSQL | None:
    """A subquery of the ids of the cases with a note containing every word of ``query``, any
    note at all but the withdrawn ones: only for a reader of every note (None: no words).

    PostgreSQL: one word is looked up in the union of each case's standing notes' digests
    (``NoteDigests``, one row per case), not in the notes; several words, which must meet in
    one note, in the digests told apart by note (``NoteSlots``, ``_in_one_note``)."""
    found = words(query)
    if not found:
        return None
    if connection.vendor == "postgresql":
        wanted = digests(query)
        if len(wanted) == 1:
            return RawSQL(
                "SELECT case_id FROM cases_notedigests WHERE search @> %s::bigint[]", [wanted]
            )
        if _notes_estimate() < SLOTS_FROM_NOTES:
            return RawSQL(
                "SELECT case_id FROM cases_note WHERE search @> %s::bigint[] "
                "AND withdrawn_at IS NULL",
                [wanted],
            )
        return _in_one_note(wanted)
    return RawSQL(
        "SELECT rowid >> 32 FROM cases_note_fts WHERE cases_note_fts MATCH %s "
        "AND (rowid & 4294967295) NOT IN "
        "(SELECT id FROM cases_note WHERE withdrawn_at IS NOT NULL)",
        [_match(found)],
    )


def any_of(parts: list) -> RawSQL:
    """One subquery of the case ids of every part (querysets of one column, or ``RawSQL``),
    ``UNION ALL``: the list tests each case against one set instead of one set per part."""
    texts, params = [], []
    for part in parts:
        text, its_params = (
            (part.sql, part.params)
            if isinstance(part, RawSQL)
            else part.order_by().query.sql_with_params()
        )
        texts.append(text)
        params.extend(its_params)
    # Compiled query texts only: every value travels in params.
    return RawSQL(" UNION ALL ".join(texts), params)  # noqa: S611


# rowid = case id × 2³² + note id. A note id that would spill into the case bits is refused,
# never indexed wrongly.
FTS_SQLITE = [
    # contentless_delete: a row leaves the index by its rowid alone, without the old text.
    "CREATE VIRTUAL TABLE cases_note_fts USING fts5(text, content='', contentless_delete=1, "
    "tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO cases_note_fts(rowid, text) SELECT (case_id << 32) | id, text FROM cases_note",
    "CREATE TRIGGER cases_note_fts_insert AFTER INSERT ON cases_note BEGIN "
    "SELECT RAISE(ABORT, 'note id too large for the full-text index') WHERE new.id > 4294967295; "
    "INSERT INTO cases_note_fts(rowid, text) VALUES ((new.case_id << 32) | new.id, new.text); "
    "END",
    "CREATE TRIGGER cases_note_fts_delete AFTER DELETE ON cases_note BEGIN "
    "DELETE FROM cases_note_fts WHERE rowid = (old.case_id << 32) | old.id; END",
    "CREATE TRIGGER cases_note_fts_update AFTER UPDATE OF id, case_id, text ON cases_note BEGIN "
    "DELETE FROM cases_note_fts WHERE rowid = (old.case_id << 32) | old.id; "
    "SELECT RAISE(ABORT, 'note id too large for the full-text index') WHERE new.id > 4294967295; "
    "INSERT INTO cases_note_fts(rowid, text) VALUES ((new.case_id << 32) | new.id, new.text); "
    "END",
]
FTS_SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_note_fts_update",
    "DROP TRIGGER IF EXISTS cases_note_fts_delete",
    "DROP TRIGGER IF EXISTS cases_note_fts_insert",
    "DROP TABLE IF EXISTS cases_note_fts",
]


def _renewing_triggers(kept: str) -> list[str]:
    """PostgreSQL: the statement triggers on ``cases_note`` of a table kept from the cases'
    standing notes (``cases_note<kept>``: the unions, the slots), with the functions they share.
    A correction, a withdrawal or a deletion works the rows of the cases concerned out again
    with ``cases_note_<kept>_renew(case ids)``; what adding notes does is the table's own
    ``cases_note_<kept>_added()``, written beside it. ``kept`` is one of this module's names,
    never a request's value."""
    return [
        f"""CREATE FUNCTION cases_note_{kept}_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- The cases of the rows whose id, case, digests or standing changed (a note saved
        -- again as it was, or marked for the lawyer, changes nothing here).
        PERFORM cases_note_{kept}_renew(ARRAY(
            WITH was AS (SELECT id, case_id, search, withdrawn_at IS NULL FROM old_notes),
                 is_now AS (SELECT id, case_id, search, withdrawn_at IS NULL FROM new_notes)
            SELECT DISTINCT case_id FROM (
                (SELECT * FROM was EXCEPT ALL SELECT * FROM is_now)
                UNION ALL (SELECT * FROM is_now EXCEPT ALL SELECT * FROM was)
            ) AS changed
        ));
        RETURN NULL;
    END $$""",  # noqa: S608
        f"""CREATE FUNCTION cases_note_{kept}_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM cases_note_{kept}_renew(ARRAY(
            SELECT DISTINCT case_id FROM removed WHERE withdrawn_at IS NULL
        ));
        RETURN NULL;
    END $$""",  # noqa: S608
        f"CREATE TRIGGER cases_note_{kept}_insert AFTER INSERT ON cases_note "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        f"EXECUTE FUNCTION cases_note_{kept}_added()",
        f"CREATE TRIGGER cases_note_{kept}_update AFTER UPDATE ON cases_note "
        "REFERENCING OLD TABLE AS old_notes NEW TABLE AS new_notes FOR EACH STATEMENT "
        f"EXECUTE FUNCTION cases_note_{kept}_changed()",
        f"CREATE TRIGGER cases_note_{kept}_delete AFTER DELETE ON cases_note "
        "REFERENCING OLD TABLE AS removed FOR EACH STATEMENT "
        f"EXECUTE FUNCTION cases_note_{kept}_removed()",
    ]


def _renewing_reverse(kept: str) -> list[str]:
    """What ``_renewing_triggers(kept)``, the table's own functions and its index undo."""
    return [
        *(f"DROP TRIGGER IF EXISTS cases_note_{kept}_{on} ON cases_note"
          for on in ("delete", "update", "insert")),
        *(f"DROP FUNCTION IF EXISTS cases_note_{kept}_{what}()"
          for what in ("removed", "changed", "added")),
        f"DROP FUNCTION IF EXISTS cases_note_{kept}_renew(bigint[])",
        f"DROP INDEX IF EXISTS cases_note{kept}_search",
    ]


# PostgreSQL: the union of each case's standing notes' digests (models.NoteDigests), kept by
# triggers in the transaction of every write to cases_note, COPY included (statement triggers
# over the rows written). A row exists for a case with at least one standing indexed note.
# Adding notes merges their digests into the case's row; a correction, a withdrawal or a deletion
# works the case's row out again from its standing notes. Every writer first locks the cases
# concerned (their cases_case rows, FOR NO KEY UPDATE, which leaves the notes' foreign key checks
# free), so two writers of one case take turns, and the second reads the first's notes.
NOTE_DIGESTS = [
    # A union of more than 2 kB (most: 430 digests a case on average in the benchmark) goes out
    # of line uncompressed (digests do not compress): the table stays narrow, 16 MB for
    # 100,000 cases, and the index's matches are read from it without reading the unions.
    "ALTER TABLE cases_notedigests ALTER COLUMN search SET STORAGE EXTERNAL",
    # No statistics on the unions: knowing that a common word is in four cases out of ten, the
    # planner would read the narrow table whole and test every union, unpacking each from
    # out of line (1.4 s at 100,000 cases), rather than take the matches from the index
    # (15 - 45 ms): without them it always takes the index.
    "ALTER TABLE cases_notedigests ALTER COLUMN search SET STATISTICS 0",
    "CREATE INDEX cases_notedigests_search ON cases_notedigests USING gin (search)",
    """CREATE FUNCTION cases_note_digests_renew(changed bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        IF cardinality(changed) = 0 THEN
            RETURN;
        END IF;
        PERFORM 1 FROM cases_case WHERE id = ANY(changed) ORDER BY id FOR NO KEY UPDATE;
        DELETE FROM cases_notedigests WHERE case_id = ANY(changed);
        INSERT INTO cases_notedigests (case_id, search)
            SELECT n.case_id, array_agg(DISTINCT d ORDER BY d)
            FROM cases_note n, unnest(n.search) AS d
            WHERE n.case_id = ANY(changed) AND n.withdrawn_at IS NULL
            GROUP BY n.case_id;
    END $$""",
    """CREATE FUNCTION cases_note_digests_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM 1 FROM cases_case WHERE id IN (SELECT case_id FROM added)
            ORDER BY id FOR NO KEY UPDATE;
        INSERT INTO cases_notedigests AS kept (case_id, search)
            SELECT n.case_id, array_agg(DISTINCT d ORDER BY d)
            FROM added n, unnest(n.search) AS d
            WHERE n.withdrawn_at IS NULL
            GROUP BY n.case_id
        ON CONFLICT (case_id) DO UPDATE
            SET search = ARRAY(
                SELECT DISTINCT d FROM unnest(kept.search || excluded.search) AS d ORDER BY d
            )
            WHERE NOT kept.search @> excluded.search;
        RETURN NULL;
    END $$""",
    *_renewing_triggers("digests"),
]
NOTE_DIGESTS_REVERSE = _renewing_reverse("digests")
# PostgreSQL: the standing notes' digests told apart by note (models.NoteSlots), so that several
# words meeting in one note are found from one narrow row per case, not from every matching
# note's row (a two-word search among a million notes read 47,000 of the notes' pages: 350 -
# 650 ms). A case's standing notes, in the order of their ids, are numbered from 0; note k goes
# to row (case, k / SLOTS) and each of its digests is kept with its low bits replaced by its slot
# k % SLOTS: within one row no two notes share a slot, so a row holds every word's digest with
# one slot only if one note holds them all (as exact as the digests themselves: 59 of their 64
# bits must agree). Kept like NOTE_DIGESTS, by statement triggers in the transaction of every
# write to cases_note, COPY included: each write works out again the rows of the cases it
# touched, from their standing notes (a note taken out renumbers the notes after it).
SLOTS = 32


def _slotted(digest: int, slot: int) -> int:
    return (digest & ~(SLOTS - 1)) | slot


def _note_slots_of(cases: str) -> str:
    # 32 and -32 are SLOTS and its mask; no value of a request comes into the text.
    return (
        "SELECT case_id, rank / 32 AS part, "  # noqa: S608
        "array_agg(DISTINCT (d & -32) | mod(rank, 32) ORDER BY (d & -32) | mod(rank, 32)) "
        "FROM (SELECT case_id, search, "
        "row_number() OVER (PARTITION BY case_id ORDER BY id) - 1 AS rank "
        f"FROM cases_note WHERE withdrawn_at IS NULL {cases}) AS ranked, "
        "unnest(ranked.search) AS d GROUP BY case_id, rank / 32"
    )


NOTE_SLOTS_FROM_NOTES = _note_slots_of("")
NOTE_SLOTS = [
    # As for the unions (NOTE_DIGESTS): out of line, no statistics, so that the planner takes
    # the matches from the index and the arrays are not read.
    "ALTER TABLE cases_noteslots ALTER COLUMN search SET STORAGE EXTERNAL",
    "ALTER TABLE cases_noteslots ALTER COLUMN search SET STATISTICS 0",
    "CREATE INDEX cases_noteslots_search ON cases_noteslots USING gin (search)",
    f"""CREATE FUNCTION cases_note_slots_renew(changed bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        IF cardinality(changed) = 0 THEN
            RETURN;
        END IF;
        PERFORM 1 FROM cases_case WHERE id = ANY(changed) ORDER BY id FOR NO KEY UPDATE;
        DELETE FROM cases_noteslots WHERE case_id = ANY(changed);
        INSERT INTO cases_noteslots (case_id, part, search)
            {_note_slots_of("AND case_id = ANY(changed)")};
    END $$""",  # noqa: S608
    """CREATE FUNCTION cases_note_slots_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM cases_note_slots_renew(ARRAY(
            SELECT DISTINCT case_id FROM added WHERE withdrawn_at IS NULL
        ));
        RETURN NULL;
    END $$""",
    *_renewing_triggers("slots"),
]
NOTE_SLOTS_REVERSE = _renewing_reverse("slots")


# PostgreSQL: several words are looked for in the note slots from this many notes on (the
# planner's estimate), in the notes themselves below it. A small instance's slots table is a few
# hundred rows, which the planner reads whole, unpacking every row's arrays once for each of
# the SLOTS terms: 75 - 110 ms for two words at 10,000 notes, against 11 - 40 ms from the
# notes. At 100,000 notes both take 45 - 65 ms (the slots through their index); at a million
# the notes' heap costs 350 - 650 ms and the slots 140 - 250 (docs/performance.md).
SLOTS_FROM_NOTES = 100_000


def _notes_estimate() -> float:
    """How many notes PostgreSQL believes there are (its statistics; -1 before the first
    ANALYZE, which autovacuum runs as the table grows)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'cases_note'::regclass")
        row = cursor.fetchone()
    return row[0] if row else -1


def _in_one_note(wanted: list[int]) -> RawSQL:
    """PostgreSQL: the ids of the cases with a standing note holding every digest of ``wanted``,
    from the note slots (NOTE_SLOTS): some slot of some row holds them all. A case with
    several rows (over SLOTS notes) may come more than once."""
    terms = " OR ".join(["search @> %s::bigint[]"] * SLOTS)
    params = [[_slotted(digest, slot) for digest in wanted] for slot in range(SLOTS)]
    # The same term SLOTS times: every value travels in params.
    return RawSQL(f"SELECT case_id FROM cases_noteslots WHERE {terms}", params)  # noqa: S608, S611


# PostgreSQL, the case list searched: the codenames with their ids, for case_ids_by_codename;
# and no parallel scans of cases_case: each worker of a parallel count built the search's sets
# (codename, city, tag, notes) again for itself, three times the work on a two-core server.
CASE_SEARCH = [
    "CREATE INDEX cases_case_codename_ids ON cases_case (codename) INCLUDE (id)",
    "ALTER TABLE cases_case SET (parallel_workers = 0)",
]
CASE_SEARCH_REVERSE = [
    "DROP INDEX IF EXISTS cases_case_codename_ids",
    "ALTER TABLE cases_case RESET (parallel_workers)",
]
# Every case's union from its standing notes: the upgrade's fill, and the tests' recomputation.
NOTE_DIGESTS_FROM_NOTES = (
    "SELECT case_id, array_agg(DISTINCT d ORDER BY d) FROM cases_note, unnest(search) AS d "
    "WHERE withdrawn_at IS NULL GROUP BY case_id"
)

# SQLite: the cities with their cases' ids (the rowid is in every index), for case_ids_by_city:
# a search reads this narrow index instead of every case row. Migration 0012 dropped the index on
# both databases, as PostgreSQL's cities are sealed; SQLite's searches then read the whole case
# table (20 MB at 100,000 cases, past SQLCipher's 8 MB page cache: 70 ms a search, twice).
# Migration 0015 puts it back on SQLite only. Django rebuilds a table from its model state when a
# migration changes it on SQLite, without this index: such a migration calls ensure_city_index.
CITY_SQLITE = ["CREATE INDEX IF NOT EXISTS cases_case_city ON cases_case (city)"]
CITY_SQLITE_REVERSE = ["DROP INDEX IF EXISTS cases_case_city"]

# PostgreSQL's index until migration 0012 (over the clear text, now sealed): kept for 0002.
FTS_POSTGRESQL = [
    "CREATE INDEX cases_note_text_fts ON cases_note USING gin (to_tsvector('simple', text))"
]
FTS_POSTGRESQL_REVERSE = ["DROP INDEX IF EXISTS cases_note_text_fts"]


def ensure_full_text(schema_editor) -> None:
    """SQLite: rebuild the index and its triggers if a migration that rebuilt ``cases_note``
    took the triggers with it (Django drops a table's triggers when it remakes the table, as
    removing a foreign key does). Nothing when they are there, and nothing on PostgreSQL."""
    if schema_editor.connection.vendor == "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
            "('cases_note_fts_insert', 'cases_note_fts_delete', 'cases_note_fts_update')"
        )
        if cursor.fetchone()[0] == 3:
            return
    for sql in [*FTS_SQLITE_REVERSE, *FTS_SQLITE]:
        schema_editor.execute(sql)


def ensure_city_index(schema_editor) -> None:
    """SQLite: the index of the cities (``CITY_SQLITE``), if it is not there (a new instance, or
    a migration that rebuilt ``cases_case`` without it). Nothing on PostgreSQL."""
    if schema_editor.connection.vendor != "postgresql":
        for sql in CITY_SQLITE:
            schema_editor.execute(sql)


def drop_city_index(schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        for sql in CITY_SQLITE_REVERSE:
            schema_editor.execute(sql)
