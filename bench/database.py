"""Database: the same inserts and queries on SQLCipher (encrypted, raw key) and on plain SQLite,
both on disk in WAL mode; the ratio is plain time / SQLCipher time."""

import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher

from bench.report import ratio_line, table

ROWS = 20_000
BATCH = 500
POINT_QUERIES = 4_000
RANGE_QUERIES = 300
ROUNDS = 4


def _open_plain(path: Path):
    return sqlite3.connect(path, isolation_level=None)


def _open_encrypted(path: Path):
    connection = sqlcipher.connect(str(path), isolation_level=None)
    connection.execute(f"PRAGMA key = \"x'{os.urandom(32).hex()}'\"")
    return connection


def _workload(connection) -> dict[str, float]:
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE note (id INTEGER PRIMARY KEY, case_id INTEGER, at TEXT, body TEXT)"
    )
    connection.execute("CREATE INDEX note_case ON note (case_id, at)")
    body = "Needs housing for two weeks; lawyer visit planned; parcel delivered. " * 3
    timings = {}
    started = time.perf_counter()
    for first in range(0, ROWS, BATCH):
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO note (case_id, at, body) VALUES (?, ?, ?)",
            [
                (i % 2_000, f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", body)
                for i in range(first, first + BATCH)
            ],
        )
        connection.execute("COMMIT")
    timings["insert"] = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(POINT_QUERIES):
        connection.execute(
            "SELECT body FROM note WHERE id = ?", (1 + (i * 7919) % ROWS,)
        ).fetchone()
    timings["point query"] = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(RANGE_QUERIES):
        connection.execute(
            "SELECT id, at FROM note WHERE case_id = ? ORDER BY at DESC LIMIT 20", (i % 2_000,)
        ).fetchall()
    timings["range query"] = time.perf_counter() - started
    connection.close()
    return timings


def run() -> None:
    results = {"plain": [], "sqlcipher": []}
    with tempfile.TemporaryDirectory() as folder:
        openers = [("plain", _open_plain), ("sqlcipher", _open_encrypted)]
        for round_ in range(ROUNDS):  # interleaved, order alternating, so noise hits both alike
            for name, opener in openers if round_ % 2 == 0 else openers[::-1]:
                path = Path(folder) / f"{name}-{round_}.db"
                results[name].append(_workload(opener(path)))
    rows = []
    ratios = []
    for step in ("insert", "point query", "range query"):
        plain = statistics.median(r[step] for r in results["plain"])
        cipher = statistics.median(r[step] for r in results["sqlcipher"])
        ratios.append(plain / cipher)
        rows.append(
            (
                step,
                f"plain {plain * 1000:7.1f} ms   sqlcipher {cipher * 1000:7.1f} ms   "
                f"ratio {plain / cipher:.2f}",
            )
        )
    table(rows)
    total_plain = sum(
        statistics.median(r[s] for r in results["plain"]) for s in results["plain"][0]
    )
    total_cipher = sum(
        statistics.median(r[s] for r in results["sqlcipher"]) for s in results["sqlcipher"][0]
    )
    print(
        ratio_line(
            "sqlcipher throughput / plain sqlite (all steps)", total_plain / total_cipher, 0.7
        )
    )
