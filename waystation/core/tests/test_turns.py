"""Requests taking turns (core.turns): one at a time, never waiting long, tus PATCHes apart."""

import contextlib
import threading
import time

import pytest

from waystation.core import turns
from waystation.core.request_body import STREAMED_TYPE

PAGE = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
PATCH = {"REQUEST_METHOD": "PATCH", "PATH_INFO": "/api/v1/uploads/x", "CONTENT_TYPE": STREAMED_TYPE}


def _start_response(status, headers, exc_info=None):
    return lambda data: None


class _Recorder:
    """A WSGI app that notes how many calls run at once, and can be held inside."""

    def __init__(self, work_s: float = 0.0):
        self.work_s = work_s
        self.running = 0
        self.most_at_once = 0
        self.hold = threading.Event()
        self.hold.set()
        self.inside = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.inside.set()
        try:
            if environ["PATH_INFO"] == PAGE["PATH_INFO"]:  # only pages can be held
                self.hold.wait(timeout=30)
            time.sleep(self.work_s)  # lets go of the GIL, as SQLite does at every row
            start_response("200 OK", [])
            return [b"ok"]
        finally:
            with self._lock:
                self.running -= 1


def _in_threads(app, environ, count: int) -> list:
    answers = []

    def call():
        answers.append(app(dict(environ), _start_response))

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_quick_requests_run_one_at_a_time():
    recorder = _Recorder(work_s=0.002)
    app = turns.TakingTurns(recorder, wait_at_most=10)
    answers = _in_threads(app, PAGE, 8)
    assert answers == [[b"ok"]] * 8
    assert recorder.most_at_once == 1


def test_without_turns_they_overlap():
    # The recorder can tell: the same calls straight to the app run side by side.
    recorder = _Recorder(work_s=0.05)
    _in_threads(recorder, PAGE, 4)
    assert recorder.most_at_once > 1


@contextlib.contextmanager
def _a_page_holding_its_turn(wait_at_most: float):
    """A page request inside ``TakingTurns`` that stays in its turn until the block ends."""
    recorder = _Recorder()
    recorder.hold.clear()
    app = turns.TakingTurns(recorder, wait_at_most=wait_at_most)
    page = threading.Thread(target=app, args=(dict(PAGE), _start_response))
    page.start()
    try:
        assert recorder.inside.wait(timeout=10)
        yield app, recorder
    finally:
        recorder.hold.set()
        page.join(timeout=10)


def test_a_slow_request_delays_the_next_by_the_bound_only():
    with _a_page_holding_its_turn(wait_at_most=0.05) as (app, recorder):
        started = time.monotonic()
        second = threading.Thread(target=app, args=(dict(PATCH, CONTENT_TYPE=""), _start_response))
        second.start()
        # The second runs while the first still holds its turn, once the bound has passed.
        second.join(timeout=10)
        assert not second.is_alive()
        assert recorder.most_at_once == 2
        assert time.monotonic() - started >= 0.05


def test_a_tus_patch_never_waits_for_a_turn():
    with _a_page_holding_its_turn(wait_at_most=30) as (app, recorder):
        started = time.monotonic()
        assert app(dict(PATCH), _start_response) == [b"ok"]
        assert time.monotonic() - started < 5
        assert recorder.most_at_once == 2


def test_a_failing_request_gives_its_turn_back():
    def broken(environ, start_response):
        raise RuntimeError("the view failed")

    app = turns.TakingTurns(broken, wait_at_most=30)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            app(dict(PAGE), _start_response)
    assert app._turn.acquire(blocking=False)


def test_only_the_embedded_database_takes_turns():
    def app(environ, start_response):
        return [b"ok"]

    assert isinstance(turns.for_database(app, "sqlite"), turns.TakingTurns)
    assert turns.for_database(app, "postgresql") is app
