"""Cases from a spreadsheet: importing a 10,000-row list of people (XLSX in Russian, with
names, callsigns, phones and passports for the identity vault) — read, check, write every
case with its timeline, needs, family, note and encrypted vault — against reading the same
file with python-calamine alone.

Five rounds in one worker process with a fresh instance: each reads the file with calamine and
right after imports it, so that a busy machine slows both alike; the median round's ratio is the
result (see bench/people_worker.py and docs/performance.md)."""

import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

from bench.report import ratio_line, table
from bench.workers import run_worker

ROWS = 10_000
GOAL = 0.2
ROUNDS = 5
HEADERS = [
    "ФИО",
    "Позывной",
    "Телефон",
    "Паспорт",
    "Город",
    "Статус",
    "Срочность",
    "Нужды",
    "Языки",
    "Семья",
    "Дата приезда",
    "Примечание",
]


def write_people_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    rng = random.Random(11)
    surnames = ["Иванов", "Петров", "Сидоров", "Козлов", "Морозов", "Волков", "Соколов"]
    names = ["Иван", "Пётр", "Андрей", "Олег", "Илья", "Дмитрий", "Алексей"]
    statuses = ["в пути"] * 5 + ["задержан", "освобождён", "уехал", "пересёк границу"]
    urgencies = ["стабильно", "наблюдать", "срочно", "в опасности", ""]
    needs = ["жильё", "жильё, деньги", "адвокат", "адвокат; передачи", "психолог", "", "еда"]
    families = ["", "нет", "жена", "жена и 2 детей (5 и 8 лет)", "мать", "жена, сын 3", "2"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Люди")
    sheet.append(["Список подопечных"])
    sheet.append([])
    sheet.append(HEADERS)
    start = date(2022, 9, 21)
    for i in range(rows):
        arrival = start + timedelta(days=rng.randrange(800))
        sheet.append(
            [
                f"{rng.choice(surnames)} {rng.choice(names)} {i}",
                f"Позывной{i}" if rng.random() < 0.4 else "",
                f"+7 9{rng.randrange(10**9):09d}",
                f"{rng.randrange(10, 99)} {rng.randrange(10**6):06d}" if rng.random() < 0.6 else "",
                rng.choice(["Алматы", "Астана", "Бишкек", "Ош", "Тбилиси", "Ереван"]),
                rng.choice(statuses),
                rng.choice(urgencies),
                rng.choice(needs),
                rng.choice(["русский", "русский, английский", ""]),
                rng.choice(families),
                arrival if rng.random() < 0.9 else arrival.strftime("%m.%Y"),
                f"Заметка {i}: нужен перевод документов" if rng.random() < 0.5 else "",
            ]
        )
    workbook.save(path)


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="waystation-bench-") as folder:
        path = Path(folder) / "people-10k.xlsx"
        write_people_xlsx(path, ROWS)
        print(f"  ({ROWS:,}-row list of people, {path.stat().st_size >> 10} KiB)", flush=True)
        _progress, rounds = run_worker(
            "bench.people_worker", path, ROUNDS, data_dir=Path(folder) / "instance"
        )
    ratios = []
    for number, round_ in enumerate(rounds, start=1):
        total = round_["read"] + round_["check"] + round_["write"]
        ratios.append(round_["calamine"] / total)
        print(
            f"  round {number}: calamine {round_['calamine']:.3f} s; import read "
            f"{round_['read']:.3f} + check {round_['check']:.3f} + write {round_['write']:.3f} "
            f"= {total:.3f} s; ratio {ratios[-1]:.2f}"
        )
    middle = sorted(range(len(rounds)), key=lambda i: ratios[i])[len(rounds) // 2]
    median = rounds[middle]
    total = median["read"] + median["check"] + median["write"]
    table(
        [
            ("(median round) read with python-calamine alone", f"{median['calamine']:6.3f} s"),
            ("import: read (engine, child process)", f"{median['read']:6.3f} s"),
            ("import: check every cell and codename", f"{median['check']:6.3f} s"),
            ("import: write cases, vaults, timeline…", f"{median['write']:6.3f} s"),
            ("import: total", f"{total:6.3f} s"),
            ("rows written for the 10,000 people", f"{median['rows']:,}"),
        ]
    )
    print(ratio_line("calamine alone / whole import (median round)", ratios[middle], GOAL))
