"""Server mode end to end, with real processes: one PostgreSQL database, one SeaweedFS bucket,
Caddy as the TLS proxy, app servers A and B (each with its own data directory, as on two
machines) and a worker process (tests/server/harness.py). The tests run in the order written
and share the fleet; the panic comes last, because nothing opens the instance after it."""

import contextlib
import csv
import datetime
import hashlib
import io
import os
import re
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
import requests

from tests.server.harness import PASSPHRASE, Fleet

pytestmark = pytest.mark.postgresql
INTAKE_TRIES = 3
IMPORT_ROWS = 8_000
SAMPLE = Path(__file__).parents[2] / "waystation/outreach/tests/samples/outreach-log.csv"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    settings = {
        # A small intake budget, to spend it in a few requests.
        "WAYSTATION_INTAKE_LOGINS_PER_VISITOR": str(INTAKE_TRIES),
        # Every outreach import in the background; a dead worker's lease soon runs out.
        "WAYSTATION_IMPORT_BACKGROUND_ROWS": "0",
        "WAYSTATION_TASKS_HEARTBEAT_SECONDS": "1",
        "WAYSTATION_TASKS_LEASE_SECONDS": "4",
        "WAYSTATION_TASKS_RETRY_SECONDS": "1",
    }
    with Fleet(tmp_path_factory.mktemp("fleet"), environ=settings) as running:
        yield running.start()


@pytest.fixture(scope="module")
def anna(fleet):
    """The coordinator, signed in through the proxy in front of both servers."""
    member = fleet.client()
    member.sign_in(fleet.proxy.url, "anna")
    return member


def test_sign_in_and_forms_through_the_tls_proxy(fleet, anna):
    case = anna.open_case(fleet.proxy.url, city="Tbilisi", summary="Arrived by the night bus.")
    assert case.startswith(fleet.proxy.url)
    answer = anna.add_note(case, "Through the proxy: first note.")
    assert answer.status_code == 302, answer.status_code
    page = anna.get(case)
    assert "Through the proxy: first note." in page.text
    assert "Tbilisi" in page.text
    # The proxy's HTTPS reached the server: secure cookies and HSTS on every answer.
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert all(cookie.secure for cookie in anna.session.cookies)


def test_a_case_written_through_a_is_read_through_b(fleet, anna):
    a, b = fleet.proxies["a"].url, fleet.proxies["b"].url
    # One session for both servers (sessions live in the shared database).
    case_on_a = anna.open_case(a, summary="Written on A.")
    anna.add_note(case_on_a, "A note written through server A.")
    case_on_b = case_on_a.replace(a, b)
    page = anna.get(case_on_b)
    assert page.status_code == 200
    assert "A note written through server A." in page.text and "Written on A." in page.text


def test_an_intake_limit_spent_on_a_holds_on_b(fleet):
    """A visitor of the portal guesses codenames through A until the budget is spent; the
    next guess, through B, is refused as well. Another visitor on B is not."""
    a, b = fleet.proxies["a"].url, fleet.proxies["b"].url
    visitor = fleet.client()
    for attempt in range(INTAKE_TRIES):
        answer = visitor.submit(a + "intake/sign-in/", {"codename": f"no such words {attempt}"})
        assert answer.status_code != 429, f"refused after {attempt} tries"
    refused = visitor.submit(b + "intake/sign-in/", {"codename": "no such words at all"})
    assert refused.status_code == 429
    other = fleet.client().submit(b + "intake/sign-in/", {"codename": "other words"})
    assert other.status_code != 429


def _outreach_log(rows: int) -> bytes:
    """The outreach sample's rows again and again, each round a day later (a repeat of an
    approach already logged would be skipped): an import that takes a while to write."""
    header, *lines = list(csv.reader(io.StringIO(SAMPLE.read_text())))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for number in range(rows):
        row = list(lines[number % len(lines)])
        for column in (0, 5):  # the date sent and the date of the answer
            if row[column]:
                day = datetime.datetime.strptime(row[column], "%d.%m.%Y").date()
                later = day + datetime.timedelta(days=number // len(lines))
                row[column] = later.strftime("%d.%m.%Y")
        writer.writerow(row)
    return out.getvalue().encode()


def test_a_worker_killed_mid_import_leaves_a_job_another_worker_ends(fleet, anna):
    base = fleet.proxy.url
    data = _outreach_log(IMPORT_ROWS)
    upload = anna.submit(
        base + "outreach/import/",
        files={"file": ("outreach-log.csv", data, "text/csv")},
    )
    assert upload.status_code == 302, upload.status_code
    preview = anna.get(base + "outreach/import/preview/")
    assert "imported in the background" in preview.text
    queued = anna.submit(preview.url, action="/import/confirm/", page=preview)
    assert queued.status_code == 302 and "/import/job/" in queued.headers["Location"]
    job = urllib.parse.urljoin(base, queued.headers["Location"])

    def state() -> str:
        page = anna.get(job).text
        return next(
            (word for word in ("Running", "Done", "Failed", "Queued") if word in page), page
        )

    deadline = time.monotonic() + 60
    while state() == "Queued" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state() == "Running", "the worker did not start the import"
    fleet.processes["w1"].kill()
    fleet.work("w2")
    deadline = time.monotonic() + 90  # the lease runs out, the task is taken again
    while state() in {"Running", "Queued"} and time.monotonic() < deadline:
        time.sleep(0.5)
    ended = anna.get(job).text
    print(f"\nthe import after its worker was killed: {state()}")
    assert state() in {"Done", "Failed"}
    if state() == "Done":  # all of it, once: the killed attempt wrote nothing
        counts = re.search(r"Imported ([\d,]+) approaches .*?; ([\d,]+) rows were in", ended)
        imported, already = (int(n.replace(",", "")) for n in counts.groups())
        # Rows repeating an approach of the same file are skipped; no row of the first
        # attempt was found "in the log already".
        rows = list(csv.reader(io.StringIO(data.decode())))[1:]
        distinct = len({tuple(row[:4]) for row in rows})
        assert (imported, already) == (distinct, IMPORT_ROWS - distinct)
    else:  # failed with a reason, and nothing half-written
        assert "nothing was written" in ended.lower()


def test_pg_dump_holds_none_of_the_texts_typed_into_the_forms(fleet, anna):
    markers = {
        "city": "Zqcitymarkerq",
        "summary": "Zqsummarymarkerq crossed at night",
        "note": "Zqnotemarkerq the family waits",
    }
    case = anna.open_case(fleet.proxy.url, city=markers["city"], summary=markers["summary"])
    assert anna.add_note(case, markers["note"]).status_code == 302
    page = anna.get(case).text
    assert all(text in page for text in markers.values())  # written, and shown to members
    # An evidence file through the upload form: its name, description and SHA-256.
    codename = re.search(r'class="codename">([^<]+)<', page).group(1)
    content = b"Zqfilecontentmarkerq " + os.urandom(4096)
    form = anna.get(fleet.proxy.url + "evidence/items/new/")
    uploaded = anna.submit(
        form.url,
        {"case": codename, "description": "Zqdescriptionmarkerq of the photo"},
        files={"files": ("Zqfilenamemarkerq.jpg", content, "image/jpeg")},
        page=form,
    )
    assert uploaded.status_code == 302, uploaded.status_code
    item = anna.get(urllib.parse.urljoin(form.url, uploaded.headers["Location"])).text
    digest = hashlib.sha256(content).hexdigest()
    assert "Zqfilenamemarkerq" in item and digest in item
    markers.update(
        description="Zqdescriptionmarkerq",
        file_name="Zqfilenamemarkerq",
        content="Zqfilecontentmarkerq",
        sha256=digest,
    )
    dump = fleet.pg_dump()
    assert b"CREATE TABLE" in dump and len(dump) > 100_000
    dump = dump.lower()
    found = [field for field, text in markers.items() if text.split()[0].lower().encode() in dump]
    assert not found, f"in the clear in pg_dump: {found}"


def test_kill_9_of_a_in_the_middle_of_writes_loses_no_committed_note(fleet, anna):
    a, b = fleet.proxies["a"].url, fleet.proxies["b"].url
    case_on_a = anna.open_case(a, summary="Notes while A dies.")
    committed: list[str] = []
    stop = threading.Event()

    def write():
        number = 0
        while not stop.is_set():
            number += 1
            text = f"Kill test note number {number}."
            try:
                answer = anna.add_note(case_on_a, text)
            # A died during the request (no answer), or before it: the proxy's 502 for the
            # form's page.
            except (requests.RequestException, AssertionError):
                answer = None
            if answer is not None and answer.status_code == 302:
                committed.append(text)

    writer = threading.Thread(target=write)
    writer.start()
    deadline = time.monotonic() + 30
    while len(committed) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    fleet.processes["a"].kill()
    stop.set()
    writer.join(timeout=60)
    assert len(committed) >= 5
    page = anna.get(case_on_a.replace(a, b))
    missing = [text for text in committed if text not in page.text]
    assert not missing, f"{len(missing)} of {len(committed)} committed notes are gone"
    fleet.serve("a")
    fleet.wait_until_unsealed("a")
    assert committed[-1] in anna.get(case_on_a).text


def test_a_panic_on_a_seals_b_within_a_second_and_a_restarted_b_stays_sealed(fleet, anna):
    """The coordinator presses "destroy the keys" on A (through A's proxy); B, which shares
    nothing with A but the database, answers /healthz sealed or panicked within a second of
    the press (measured from before the request was sent: an upper bound)."""
    assert fleet.health("b") == "unsealed"
    page = anna.get(fleet.proxies["a"].url + "emergency/destroy-keys/")
    assert page.url.endswith("/emergency/destroy-keys/"), page.url
    seen: dict[str, float] = {}

    def watch_b():
        while "b" not in seen and time.monotonic() - pressed < 10:
            with contextlib.suppress(requests.RequestException):
                if fleet.health("b", timeout=1) != "unsealed":
                    seen["b"] = time.monotonic()
            time.sleep(0.005)

    pressed = time.monotonic()
    watcher = threading.Thread(target=watch_b)
    watcher.start()
    answer = anna.submit(page.url, {"confirm": "destroy"}, page=page)
    answered = time.monotonic()
    watcher.join()
    assert answer.status_code == 200, (
        answer.status_code, answer.headers.get("Location"), fleet.processes["a"].log(4000)
    )
    assert "b" in seen, "B still answers unsealed 10 s after the panic on A"
    print(
        f"\npanic on A: A answered after {answered - pressed:.3f} s; B sealed "
        f"{seen['b'] - pressed:.3f} s after the press ({seen['b'] - answered:+.3f} s after "
        f"A's answer); B says {fleet.health('b')!r}"
    )
    assert seen["b"] - pressed < 1.0
    assert fleet.health("a") == "panicked" and fleet.health("b") in {"sealed", "panicked"}
    # B started again with its passphrase file, as its service manager would: the old
    # passphrase opens nothing, and B refuses to serve or serves sealed.
    fleet.processes["b"].stop()
    restarted = fleet.serve("b")
    deadline = time.monotonic() + 30
    state = None
    while restarted.alive and state is None and time.monotonic() < deadline:
        try:
            state = fleet.health("b")
        except requests.RequestException:
            time.sleep(0.2)
    print(f"restarted B: {state or 'exited'}; its log ends: {restarted.log(400)!r}")
    if restarted.alive:
        assert state in {"sealed", "panicked"}
    else:
        assert restarted.popen.returncode != 0
    assert "Waystation is serving on" not in restarted.log()
    # B started with no passphrase, sealed: the old passphrase on its unseal page opens nothing.
    restarted.stop()
    sealed = fleet.serve("b", passphrase=False)
    fleet.wait_for_health("b", "panicked")
    unseal = fleet.client().submit(
        fleet.proxies["b"].url + "unseal/", {"passphrase": PASSPHRASE}
    )
    assert unseal.status_code != 302 or "unseal" in unseal.headers.get("Location", "")
    time.sleep(1)
    assert fleet.health("b") == "panicked" and sealed.alive
    assert "Waystation is serving SEALED" in sealed.log()
