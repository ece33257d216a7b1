"""Database triggers that refuse UPDATE and DELETE on audit rows. Whoever bypasses them (raw
access to the database file) is caught by the MAC chain instead."""

_INSTALL = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update BEFORE UPDATE
           ON audit_auditevent BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_delete BEFORE DELETE
           ON audit_auditevent BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'audit rows are append-only'; END $$""",
        """CREATE OR REPLACE TRIGGER audit_auditevent_append_only
           BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_auditevent
           FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""",
    ],
}
_REMOVE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
        "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
        "DROP FUNCTION IF EXISTS audit_append_only()",
    ],
}


def _execute(connection, statements):
    with connection.cursor() as cursor:
        for statement in statements.get(connection.vendor, []):
            cursor.execute(statement)


def install_append_only_triggers(connection) -> None:
    _execute(connection, _INSTALL)


def remove_append_only_triggers(connection) -> None:
    _execute(connection, _REMOVE)
