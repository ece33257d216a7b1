"""Writing many rows at once without Django's per-object work, for imports of tens of
thousands of records (first written for the outreach import, see outreach/services.py).

Model objects and Django's per-object insert compilation cost several times the database's
own work for such imports. Here the rows are plain tuples: SQLite runs one prepared statement
for them all; PostgreSQL takes them by COPY, four to seven times faster there than any INSERT
(Django's psycopg binds parameters on the client, and a long VALUES list is slow to parse).
Only names from the models go into the SQL text; the values never do. The column lists are
checked against the models, so a new field cannot be silently left out.
"""

from django.db import connection, models


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def null():
    """What rows for ``insert_rows`` hold for NULL: 0 on SQLite (see there), None elsewhere."""
    return 0 if connection.vendor == "sqlite" else None


def table_and_columns(model, names) -> tuple[str, str]:
    """The quoted table and column list for writing these fields. Refuses a list that leaves
    out a column: written without Django, a new field would otherwise get no value."""
    left_out = {f.name for f in model._meta.concrete_fields if not f.primary_key} - set(names)
    if left_out:
        raise RuntimeError(f"the import does not write {model.__name__}.{sorted(left_out)}")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    return quote(model._meta.db_table), columns


def insert_rows(model, names, rows: list[tuple]) -> None:
    """Insert rows, each a tuple of values for the fields ``names`` (every concrete field but
    a database-given primary key; a primary key that is also a relation, as a one-to-one
    "extension" row has, is given like any field).

    On SQLite, give nullable id and date columns 0 for NULL (``null()``), other nullable
    columns None (0 may be a real value there: an age), and booleans as 1 and 0, as SQLite
    stores them anyway. The driver binds int, float, str and bytes directly, but for
    anything else, None and bool included, it first looks for an adapter, raising and clearing
    two AttributeErrors inside: with five such values in each of 100,000 rows, that was two
    fifths of the whole INSERT. The statement turns the 0 back into NULL (``NULLIF``); only id
    and date columns may be nullable here, and no id or date is ever 0. PostgreSQL's COPY takes
    1 and 0 for a boolean too."""
    if not rows:
        return
    table, columns = table_and_columns(model, names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with (
                connection.wrap_database_errors,  # Django's error classes, as for any query
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            # Django's cursor makes each %s SQLite's "?".
            values = ", ".join(_sqlite_parameter(model._meta.get_field(name)) for name in names)
            sql = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608
            cursor.executemany(sql, rows)


def _sqlite_parameter(field) -> str:
    if field.null and (field.is_relation or isinstance(field, models.DateField)):  # DateTime too
        return "NULLIF(%s, 0)"
    return "%s"  # other nullable columns take None itself: 0 may be a real value there


def insert_returning(model, names, rows: list[tuple], returning) -> list[tuple]:
    """Insert a few thousand rows with no unique column to find them again by, as many to a
    statement as the database takes (SQLite 999 parameters, as Django counts them), and give
    back the ``returning`` columns of each. Callers key the result by a column they wrote,
    never by position: neither database promises RETURNING's order."""
    table, columns = table_and_columns(model, names)
    quote = connection.ops.quote_name
    back = ", ".join(quote(model._meta.get_field(name).column) for name in returning)
    one = "(" + ", ".join(["%s"] * len(names)) + ")"
    size = max(1, min(1000, (connection.features.max_query_params or 65535) // len(names)))
    found = []
    with connection.cursor() as cursor:
        for chunk in chunks(rows, size):
            values = ", ".join([one] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING {back}",  # noqa: S608
                [value for row in chunk for value in row],
            )
            found += cursor.fetchall()
    return found
