"""Server mode end to end, with real processes: one PostgreSQL database, one SeaweedFS bucket,
Caddy as the TLS proxy, app servers A and B (each with its own data directory, as on two
machines) and a worker process (tests/server/harness.py). The tests run in the order written
and share the fleet; the panic comes last, because nothing opens the instance after it."""

import contextlib
import threading
import time

import pytest
import requests

from tests.server.harness import Fleet

pytestmark = pytest.mark.postgresql


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with Fleet(tmp_path_factory.mktemp("fleet")) as running:
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
            except requests.RequestException:  # A died during the request: no answer
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
    assert answer.status_code == 200, (answer.status_code, answer.headers.get("Location"))
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
