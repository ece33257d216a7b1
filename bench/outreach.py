"""Outreach: importing a 100,000-row XLSX (read, check, write to the encrypted database)
against reading the same file with python-calamine alone; peak memory; the statistics page
over those 100,000 approaches against the same page over 1,000."""

import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.report import ratio_line, table
from bench.workers import run_worker

ROWS = 100_000


def _write_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    rng = random.Random(7)
    kinds = ["нет ответа"] * 6 + ["отказ", "автоответ", "обратитесь в посольство", "помощь юриста"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Outreach")
    sheet.append(
        [
            "Date",
            "Organisation",
            "Contact person",
            "Channel",
            "Response",
            "Response date",
            "Comment",
        ]
    )
    start = date(2019, 1, 1)
    for i in range(rows):
        sent = start + timedelta(days=rng.randrange(2400))
        answer = kinds[rng.randrange(len(kinds))]
        answered = sent + timedelta(days=rng.randrange(1, 60)) if answer != "нет ответа" else None
        sheet.append(
            [
                sent,
                f"Organisation {rng.randrange(3000)}",
                f"Contact {rng.randrange(5)}",
                rng.choice(["email", "letter", "phone", "web form"]),
                answer,
                answered,
                f"row {i}",
            ]
        )
    workbook.save(path)


def _calamine_alone(path: Path) -> tuple[float, float]:
    """Seconds of wall-clock and of processor time."""
    from python_calamine import CalamineWorkbook

    started, cpu = time.perf_counter(), time.process_time()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert len(rows) == ROWS + 1
    return time.perf_counter() - started, time.process_time() - cpu


def _worker(path: Path, data_dir: Path) -> dict:
    _progress, figures = run_worker("bench.outreach_worker", path, data_dir=data_dir, timeout=1800)
    return figures


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "outreach-100k.xlsx"
        started = time.perf_counter()
        _write_xlsx(path, ROWS)
        print(
            f"  (wrote the {ROWS:,}-row test file in {time.perf_counter() - started:.0f} s, "
            f"{path.stat().st_size >> 20} MiB)",
            flush=True,
        )
        baseline, baseline_cpu = _calamine_alone(path)
        figures = _worker(path, Path(folder) / "instance")
    total = figures["read"] + figures["check"] + figures["write"]
    table(
        [
            ("read with python-calamine alone", f"{baseline:6.2f} s"),
            ("import: read (child process)", f"{figures['read']:6.2f} s"),
            ("import: check every cell", f"{figures['check']:6.2f} s"),
            ("import: write to the database", f"{figures['write']:6.2f} s"),
            ("import: total", f"{total:6.2f} s"),
            ("processor time: calamine alone", f"{baseline_cpu:6.2f} s"),
            ("processor time: import (with the parser)", f"{figures['cpu']:6.2f} s"),
            ("peak memory of the import process", f"{figures['peak_mib']:6.0f} MiB"),
            ("statistics page, 1,000 approaches", f"{figures['stats_small'] * 1000:6.0f} ms"),
            (f"statistics page, {ROWS:,} approaches", f"{figures['stats_large'] * 1000:6.0f} ms"),
        ]
    )
    print(ratio_line("calamine alone / whole import", baseline / total, 0.3))
    # Processor time hardly moves when other work shares the machine, wall-clock time does:
    # this ratio is the one to compare between runs on a busy machine (it counts the parser
    # and the import in full, even where they overlap).
    print(f"  (processor time, calamine alone / import: {baseline_cpu / figures['cpu']:.2f})")
