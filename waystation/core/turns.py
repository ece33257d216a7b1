"""Requests take turns running the application, for a server on the embedded database.

Why: one process runs Python one thread at a time (the GIL). With the embedded database the
whole of a request's work is in this process, and SQLite lets go of the GIL at every row it
steps through: with several requests in flight, each of those moments hands the interpreter
to another thread and back, two context switches at a time. Measured through `waystation
serve` with four clients on the dashboard (the 2-core VM, docs/performance.md): 22 - 66
context switches and 3.3 - 4.0 ms of server CPU per request, against 7 - 25 and 2.2 - 3.3 ms
when the requests took turns, and more requests answered per second. Nothing was lost by
waiting: the turn was never idle, since the embedded database does its work in the thread
that asked for it.

Bounded: a request waits at most ``WAIT_AT_MOST`` for its turn, then runs alongside (as every
request did before), so a slow one (a large search, a sign-in's password hashing, sealing an
uploaded file) delays the others by that much at most. What runs after the application has
answered — a streamed download's chunks, sent by the server — runs outside the turn. A tus
PATCH, whose body the view reads while it is still arriving (core.request_body), never takes
a turn: it could hold it as long as the client takes to send.

PostgreSQL: not used. A request there waits on the database server, and another should have
the interpreter meanwhile.
"""

import threading
from collections.abc import Callable, Iterable

from .request_body import STREAMED_TYPE

# Long enough for the turns of the requests waiting with it (a page's Python is 1 - 3 ms),
# short enough to go unnoticed behind a slow request.
WAIT_AT_MOST = 0.02

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class TakingTurns:
    """WSGI middleware: calls ``app`` for one request at a time, each waiting for its turn at
    most ``wait_at_most`` seconds (then it runs anyway)."""

    def __init__(self, app: WSGIApp, wait_at_most: float = WAIT_AT_MOST):
        self.app = app
        self.wait_at_most = wait_at_most
        self._turn = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("CONTENT_TYPE") == STREAMED_TYPE:
            return self.app(environ, start_response)
        mine = self._turn.acquire(timeout=self.wait_at_most)
        try:
            return self.app(environ, start_response)
        finally:
            if mine:
                self._turn.release()


def for_database(app: WSGIApp, vendor: str) -> WSGIApp:
    """``app`` taking turns on the embedded database (SQLite/SQLCipher), as it is elsewhere."""
    return TakingTurns(app) if vendor == "sqlite" else app
