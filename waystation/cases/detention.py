"""Which cases have a detention going on, kept on the case itself by the database.

``Case.ongoing_detention`` is the case's latest standing detention when no standing release is
dated on or after it, else NULL, and ``Case.detained_since`` its day. Triggers on
``cases_riskevent`` recompute both for the case whose detentions or releases are recorded,
corrected, withdrawn or deleted, in the statement that changes them: every path (the services,
imports, partner hand-overs, the demo's bulk insert) keeps them without knowing of them, and
they can never disagree with the events.

Why it is kept at all: the dashboard lists the ongoing detentions first, the most urgent case
first. Worked out from the events, that meant testing every past detention of every case for a
later detention and a release, then sorting them all: 430 ms for a coordinator at 100,000 cases.
From the case it is one walk of the index ``cases_case_detained`` (status, urgency, the day),
stopped at the first thirty, and thirty events read by their keys.
"""

from .models import RiskKind

_KINDS = f"('{RiskKind.DETENTION.value}', '{RiskKind.RELEASE.value}')"



def _ongoing(kind: str) -> str:
    """SQL, for the case row being updated: its latest standing detention if no standing
    release is dated on or after it, as (event id, day), else (NULL, NULL). ``kind``: how the
    event's kind is named. Built from constants only."""
    return f"""(SELECT d.id, d."on" FROM cases_riskevent d
    WHERE d.case_id = cases_case.id AND {kind} = '{RiskKind.DETENTION.value}'
      AND d.withdrawn_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM cases_riskevent r
          WHERE r.case_id = d.case_id AND r.kind = '{RiskKind.RELEASE.value}'
            AND r.withdrawn_at IS NULL AND r."on" >= d."on")
    ORDER BY d."on" DESC, d.id DESC LIMIT 1)"""  # noqa: S608


def _recompute(kind: str) -> str:
    # (A case whose latest detention was released has a release after every earlier one too:
    # the subquery finds nothing for it and both columns are NULL.)
    return f"UPDATE cases_case SET (ongoing_detention_id, detained_since) = {_ongoing(kind)}"  # noqa: S608


# SQLite, without statistics, would walk every detention of every case in the order of the
# (kind, on) index rather than the case's few events (33 s for a thousand cases out of
# 100,000): the unary + keeps it off that index. PostgreSQL's planner knows better.
_SQLITE_RECOMPUTE = _recompute("+d.kind")
_POSTGRESQL_RECOMPUTE = _recompute("d.kind")


def recompute_all_sql(vendor: str) -> str:
    """Every case at once: the migration that adds the columns, and the tests' recomputation."""
    return _POSTGRESQL_RECOMPUTE if vendor == "postgresql" else _SQLITE_RECOMPUTE


_WATCHED = 'case_id, kind, "on", withdrawn_at'

_SQLITE_RENEW = f"{_SQLITE_RECOMPUTE} WHERE id ="
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER cases_detained_added AFTER INSERT ON cases_riskevent
    WHEN NEW.kind IN {_KINDS}
    BEGIN {_SQLITE_RENEW} NEW.case_id; END""",
    f"""CREATE TRIGGER cases_detained_changed AFTER UPDATE OF {_WATCHED} ON cases_riskevent
    WHEN NEW.kind IN {_KINDS} OR OLD.kind IN {_KINDS}
    BEGIN {_SQLITE_RENEW} NEW.case_id; {_SQLITE_RENEW} OLD.case_id; END""",
    f"""CREATE TRIGGER cases_detained_removed AFTER DELETE ON cases_riskevent
    WHEN OLD.kind IN {_KINDS}
    BEGIN {_SQLITE_RENEW} OLD.case_id; END""",
]
SQLITE_TRIGGERS_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_detained_added",
    "DROP TRIGGER IF EXISTS cases_detained_changed",
    "DROP TRIGGER IF EXISTS cases_detained_removed",
]

_POSTGRESQL_RENEW = f"{_POSTGRESQL_RECOMPUTE} WHERE id ="
POSTGRESQL_TRIGGERS = [
    # NEW is NULL on a delete and OLD on an insert: each is looked at only where it exists.
    f"""CREATE FUNCTION cases_detained_renew() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'DELETE' THEN
            IF NEW.kind IN {_KINDS} THEN
                {_POSTGRESQL_RENEW} NEW.case_id;
            END IF;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            IF OLD.kind IN {_KINDS} THEN
                {_POSTGRESQL_RENEW} OLD.case_id;
            END IF;
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER cases_detained
    AFTER INSERT OR UPDATE OF {_WATCHED} OR DELETE ON cases_riskevent
    FOR EACH ROW EXECUTE FUNCTION cases_detained_renew()""",
]
POSTGRESQL_TRIGGERS_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_detained ON cases_riskevent",
    "DROP FUNCTION IF EXISTS cases_detained_renew()",
]


def keep_detained_since(schema_editor) -> None:
    """Install the triggers and fill the column from the events already recorded."""
    postgresql = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        schema_editor.execute(sql)
    schema_editor.execute(recompute_all_sql(schema_editor.connection.vendor))


def drop_detained_since(schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRESQL_TRIGGERS_REVERSE if postgresql else SQLITE_TRIGGERS_REVERSE:
        schema_editor.execute(sql)
