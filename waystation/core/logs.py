"""The server log is not an access log.

Django writes every refused request ("Forbidden: /requests/<uuid>/", "Bad Request:
/intake/sign-in/") with its time, and a traceback with each; waitress names the path of a
request that failed. Together that is a record of who looked at what, and when. This filter,
on the one log handler, drops refusals (4xx) and only counts them — one line an hour says how
many there were of each status — and keeps server errors (5xx) without their path. A sealed
server's 503 answers are counted like refusals.
"""

import logging
import threading
import time
from collections import Counter

_SUMMARY_EVERY = 3600.0
_REQUEST_LOGGERS = ("django.request", "django.server")
summary_logger = logging.getLogger("waystation.refusals")


class RefusalCounter:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._since = clock()

    def add(self, status) -> None:
        with self._lock:
            self._counts[status] += 1
            due = self._clock() - self._since >= _SUMMARY_EVERY
            if due:
                counts, self._counts, self._since = self._counts, Counter(), self._clock()
        if due:
            self._report(counts)

    def flush(self) -> None:
        with self._lock:
            counts, self._counts, self._since = self._counts, Counter(), self._clock()
        if counts:
            self._report(counts)

    def counts(self) -> dict:
        with self._lock:
            return dict(self._counts)

    @staticmethod
    def _report(counts: Counter) -> None:
        detail = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items(), key=str))
        summary_logger.warning("%d requests refused (%s)", sum(counts.values()), detail)


REFUSALS = RefusalCounter()


class NoRequestDetails(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        if name in _REQUEST_LOGGERS:
            status = getattr(record, "status_code", None)
            # 503 is the sealed (or panicked) server's answer to every request: expected,
            # and a line each would list every path asked for until someone unseals.
            if status is None or status < 500 or status == 503:
                REFUSALS.add(status or "other")
                return False
            record.msg, record.args = "server error %d answering a request", (status,)
        elif name.startswith("django.security"):
            # DisallowedHost, SuspiciousOperation …: their text quotes the request's headers.
            REFUSALS.add(name.rsplit(".", 1)[-1])
            return False
        elif name.startswith("waitress"):
            message = record.getMessage()
            if "Exception while serving" in message:
                record.msg, record.args = "exception while serving a request", ()
            elif "/" in message or "?" in message:
                record.msg, record.args = "waitress: %s", (message.split(" ", 3)[0][:40],)
        if hasattr(record, "request"):
            del record.request
        return True
