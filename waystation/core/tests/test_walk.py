"""Walks over the whole staff side and a whole portal cycle (issue 18, findings 3 and 6):
every signed-in page and download tells the browser not to keep it, and no line of the
server's log holds a request's path, an id or a codename."""

import io
import logging
import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.urls.converters import IntConverter, UUIDConverter

from waystation.accounts.tests.test_access import ALL_VIEWS, PUBLIC, SAMPLE_KWARGS
from waystation.cases.models import Case, Task
from waystation.core.logs import REFUSALS
from waystation.intake import ratelimit
from waystation.intake.models import IntakeRequest

pytestmark = pytest.mark.django_db

ROLES = ["coordinator", "caseworker", "lawyer", "documentation_officer", "screener", "treasurer"]
NOT_VISITED = {"accounts:logout", "home:panic", "set_language"}
PER_VIEW = 2
_HREF = re.compile(r'href="([^"#]+)')
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def demo(request, db):
    """The demo's data, with its cases and tasks handed to the cast."""
    from waystation.demo import demo_populate

    assert demo_populate(cases=4)
    cast = request.getfixturevalue("cast")
    Case.objects.exclude(caseworker=None).update(caseworker=cast["caseworker"])
    Case.objects.exclude(lawyer=None).update(lawyer=cast["lawyer"])
    Task.objects.exclude(assignee=None).update(assignee=cast["caseworker"])
    return cast


def _view(url):
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


def _read(response) -> str:
    if response.streaming:  # a download: read to the end, as a browser would
        b"".join(response.streaming_content)
        return ""
    kind = response.get("Content-Type", "")
    return response.content.decode(errors="replace") if "html" in kind else ""


def _walk(client) -> list:
    """(url, response) for the pages reachable by links from the dashboard, at most PER_VIEW
    addresses per view, and for every URL pattern with sample arguments."""
    seen, visits, answers = set(), {}, []
    queue = ["/"]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        view = _view(url)
        if view is None or view in NOT_VISITED or visits.get(view, 0) >= PER_VIEW:
            continue
        visits[view] = visits.get(view, 0) + 1
        response = client.get(url)
        answers.append((url, response))
        if response.status_code in (301, 302, 303):
            queue.append(urljoin(url, response["Location"]))
            continue
        for href in _HREF.findall(_read(response)):
            target = urljoin(url, href)
            if target.startswith("/") and not target.startswith("/static/"):
                queue.append(target)
    for name, pattern in sorted(ALL_VIEWS.items()):
        if name in NOT_VISITED or name in PUBLIC:
            continue
        kwargs = {}
        for key, converter in pattern.pattern.converters.items():
            if isinstance(converter, UUIDConverter):
                kwargs[key] = "00000000-0000-4000-8000-000000000001"
            elif isinstance(converter, IntConverter):
                kwargs[key] = SAMPLE_KWARGS.get(key, 1)
            else:
                kwargs[key] = SAMPLE_KWARGS.get(key, "x")
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        _read(response)
        answers.append((url, response))
    return answers


def test_every_signed_in_page_and_download_says_no_store(demo):
    missing, views, downloads = [], set(), 0
    for role in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(demo[role])
        for url, response in _walk(client):
            views.add(_view(url))
            downloads += response.has_header("Content-Disposition")
            if "no-store" not in response.get("Cache-Control", ""):
                missing.append(f"{role} {url} {response.status_code}")
    assert len(views) > 100 and downloads > 5, (len(views), downloads)
    assert not missing, "\n".join(missing)


def test_sign_in_unseal_and_portal_pages_say_no_store_too(cast):
    for url in ("/accounts/login/", "/intake/", "/intake/new/", "/intake/sign-in/"):
        assert "no-store" in Client().get(url)["Cache-Control"], url


@pytest.fixture
def server_log():
    """What the configured log handler writes, with its own filters, for this test."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "stderr")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    REFUSALS.flush()
    yield stream
    handler.setStream(previous)


def _portal_cycle():
    """A request sent with a file, a wrong codename, too many tries, the thread read with the
    right one, a reply, the coordinator's answer and conversion, and a deletion."""
    ratelimit.LIMITER = ratelimit.RateLimiter()
    visitor = Client(raise_request_exception=False)
    visitor.get("/intake/new/")
    sent = visitor.post(
        "/intake/new/",
        {"urgency": "detained", "country": "KZ", "text": "Задержан в Алматы", "files": []},
    )
    codename = " ".join(re.findall(r'<li lang="en">([a-z-]+)</li>', sent.content.decode()))
    assert len(codename.split()) >= 5
    reader = Client(raise_request_exception=False)
    reader.post("/intake/sign-in/", {"codename": "wrong words that open nothing at all"})
    assert reader.post("/intake/sign-in/", {"codename": codename})["Location"] == "/intake/thread/"
    reader.post("/intake/thread/reply/", {"text": ""})  # refused: empty
    reader.post("/intake/thread/reply/", {"text": "Ещё одно сообщение"})
    for _ in range(25):
        Client(raise_request_exception=False).post("/intake/sign-in/", {"codename": codename})
    return codename, reader


def test_no_log_line_holds_a_path_an_id_or_a_codename(demo, server_log, settings):
    codename, reader = _portal_cycle()
    item = IntakeRequest.objects.get()
    coordinator = Client(raise_request_exception=False)
    coordinator.force_login(demo["coordinator"])
    coordinator.get(f"/requests/{item.pk}/")
    coordinator.post(f"/requests/{item.pk}/reply/", {"text": "", "kind": "reply"})
    coordinator.post(f"/requests/{item.pk}/reply/", {"text": "Мы на связи", "kind": "reply"})
    coordinator.get(f"/requests/{item.pk}/case/")
    reader.post("/intake/delete/", {})
    paths = {"/intake/sign-in/", f"/requests/{item.pk}/", "/intake/thread/reply/"}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(demo[role])
        paths |= {urlsplit(url).path for url, _ in _walk(client)}
    REFUSALS.flush()
    log = server_log.getvalue()
    assert "requests refused (" in log, log  # the refusals were counted…
    assert not _UUID.search(log), log  # …and no line names what was refused
    assert not [p for p in paths if len(p) > 1 and p in log], log
    assert not [word for word in codename.split() if word in log], log
    # No refusal is listed (a server error would be, with its traceback but not its path).
    assert "Forbidden" not in log and "Not Found" not in log and "Bad Request" not in log, log
