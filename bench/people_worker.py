"""Runs in its own process with its own data directory (see bench/people.py): creates an
instance, then in each round reads the file with python-calamine alone and imports it as the
command line does (read, check, write), timing each step. The two measurements of a round are
taken one right after the other, so that a busy machine slows both alike.

A list of three people is imported first, as a running server would have done something
before: the language catalogues (headers are recognised in every language of the site) and
the spreadsheet reader are loaded once per process, not per import."""

import json
import sys
import time
from pathlib import Path

import django

ROWS = 10_000


def main(path: str, rounds: str) -> None:
    django.setup()
    from django.conf import settings
    from django.db import connection
    from python_calamine import CalamineWorkbook

    from waystation.accounts.policy import Perm, Side, system_actor
    from waystation.cases.imports import planning
    from waystation.cases.imports import services as imports
    from waystation.cases.imports.schema import PEOPLE
    from waystation.core import spreadsheets as sheets
    from waystation.core.instance import instance_create

    instance_create(settings.DATA_DIR, passphrase="benchmark instance", label="bench")
    actor = system_actor("bench.people", Perm.CASES_MANAGE, Perm.CASES_VIEW, sides=[Side.IDENTITY])
    warm_up = "ФИО;Город;Статус\nИванов;Алматы;в пути\nПетров;Ош;задержан\nСидоров;Ош;\n"
    for data in (warm_up.encode("cp1251"), _first_rows(path)):
        table = sheets.read_table(data, PEOPLE)
        plan = planning.people_plan(table, sheets.guess_mapping(PEOPLE, table.headers))
        imports.cases_import(actor=actor, plan=plan, filename="warm-up")
    data = Path(path).read_bytes()
    figures = []
    for _round in range(int(rounds)):
        started = time.perf_counter()
        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
        calamine = time.perf_counter() - started
        assert len(rows) >= ROWS + 1
        rows_before = _rows_written(connection)
        started = time.perf_counter()
        table = sheets.read_table(data, PEOPLE)
        read = time.perf_counter()
        plan = planning.people_plan(table, sheets.guess_mapping(PEOPLE, table.headers))
        checked = time.perf_counter()
        assert not plan.rejected, [r.reasons for r in plan.rejected[:3]]
        result = imports.cases_import(actor=actor, plan=plan, filename=Path(path).name)
        written = time.perf_counter()
        assert result.cases == ROWS
        figures.append(
            {
                "calamine": calamine,
                "read": read - started,
                "check": checked - read,
                "write": written - checked,
                "rows": _rows_written(connection) - rows_before,
            }
        )
    print(json.dumps(figures))


def _rows_written(connection) -> int:
    rows = 0
    with connection.cursor() as cursor:
        for name in ("case", "statuschange", "need", "familymember", "note", "identity"):
            cursor.execute(f"SELECT COUNT(*) FROM cases_{name}")
            rows += cursor.fetchone()[0]
    return rows


def _first_rows(path: str) -> bytes:
    """The same kind of file with a few rows: the XLSX reader's child process started once."""
    from bench.people import write_people_xlsx

    small = Path(path).with_name("warm-up.xlsx")
    write_people_xlsx(small, 3)
    return small.read_bytes()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
