"""Every page a member can reach from the menus, in each language, for each role: signed in
against a demo instance made in that language, the crawler follows every same-site link
(GET only) and posts each form it finds empty to see its error page; then the page for an
address that leads nowhere, and the same for a visitor who is not signed in (the sign-in page,
the portal for people asking for help). No page may answer
with a server error, show English text of the catalogue untranslated, show English words on
a Russian or Ukrainian page (beside the proper names of the allow-list), or fill a date input
with anything but an ISO date.

The crawl is bounded: at most ``PER_VIEW`` addresses of each view (two cases, two
organisations …), one empty post per form's view, so one language for all roles takes a few
seconds."""

from collections import Counter, defaultdict
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from waystation.cases.models import Case, Task

from . import page as pages
from .checks import problems_of

LANGUAGES = ["en", "ru", "de", "uk"]
ROLES = ["coordinator", "caseworker", "lawyer", "documentation_officer", "screener", "treasurer"]
# Where someone who is not signed in starts: a member at the sign-in page, a person asking for
# help at the portal.
VISITOR_STARTS = ("/accounts/login/", "/intake/")
PER_VIEW = 2
# Never followed or posted: they end the session, destroy the keys, or only switch language.
NOT_VISITED = {"accounts:logout", "home:panic", "set_language"}
# Pages shown wholly in the language of what they show, whatever the reader's: the print
# version of a guidance page is handed to someone who reads that language.
IN_THEIR_OWN_LANGUAGE = {"knowledge:print"}
# The crawler's members, under logins and names that are not English words (a login is not
# translated; the allow-list names these logins).
MEMBERS = {
    "coordinator": ("irina", "Ирина Л."),
    "caseworker": ("bogdan", "Богдан"),
    "lawyer": ("lidia", "Лидия С."),
    "documentation_officer": ("denys", "Денис"),
    "screener": ("stepan", "Степан"),
    "treasurer": ("olha", "Ольга"),
    "deactivated": ("former", "Бывший участник"),
}


class Crawl:
    def __init__(self, client: Client, language: str, label: str, posted: set[str]):
        self.client = client
        self.language = language
        self.label = label
        self.problems: list[str] = []
        self.visits: Counter = Counter()
        self.posted = posted  # views whose form was posted empty, by any role: once is enough
        self.seen: set[str] = set()

    def report(self, method, url, problem):
        self.problems.append(f"{self.label} {method} {url}: {problem}")

    def view_of(self, url):
        try:
            return resolve(urlsplit(url).path).view_name
        except Resolver404:
            return None

    def run(self, *starts):
        queue = list(starts or ["/"])
        while queue:
            url = queue.pop(0)
            if url in self.seen:
                continue
            self.seen.add(url)
            view = self.view_of(url)
            if view is None:
                self.report("GET", url, "a link to no page")
                continue
            if view in NOT_VISITED or self.visits[view] >= PER_VIEW:
                continue
            self.visits[view] += 1
            queue.extend(self.get(url))

    def missing(self, url):
        """The page a member gets for an address that leads nowhere (or that his role may
        not open: the same refusal), in his language too."""
        response = self.client.get(url)
        if response.status_code not in (403, 404):
            self.report("GET", url, f"answered {response.status_code}, not 404")
        elif (page := self.read(response)) is not None:
            self.check("GET", url, page, None)

    def get(self, url) -> list[str]:
        response = self.client.get(url)
        if response.status_code >= 400:
            self.report("GET", url, f"answered {response.status_code}")
            return []
        if response.status_code in (301, 302, 303):
            return [urljoin(url, response["Location"])]
        page = self.read(response)
        if page is None:
            return []
        self.check("GET", url, page, self.view_of(url))
        for form in page.forms:
            self.post_empty(url, form)
        return [link for link in (self.same_site(url, href) for href in page.links) if link]

    def post_empty(self, url, form):
        target = urljoin(url, form.action or url)
        view = self.view_of(target)
        if form.method != "post" or not form.filled_in or view in NOT_VISITED or view is None:
            return
        if view in self.posted:
            return
        self.posted.add(view)
        response = self.client.post(target, {})
        if response.status_code >= 500:
            self.report("POST", target, f"answered {response.status_code} to an empty form")
            return
        if response.status_code == 200 and (page := self.read(response)) is not None:
            self.check("POST", target, page, view)

    def read(self, response):
        kind = response.get("Content-Type", "")
        if response.streaming:  # a download: read to the end, which closes it as a browser would
            b"".join(response.streaming_content)
            return None
        if not ("html" in kind or "svg" in kind):
            return None
        return pages.read(response.content.decode())

    def check(self, method, url, page, view):
        language = self.language
        if view in IN_THEIR_OWN_LANGUAGE and page.lang in LANGUAGES:
            language = page.lang
        for problem in problems_of(page, language):
            self.report(method, url, problem)

    @staticmethod
    def same_site(url, href) -> str | None:
        target = urljoin(url, href.split("#")[0])
        split = urlsplit(target)
        if split.scheme or split.netloc or not target.startswith("/"):
            return None
        if target.startswith("/static/"):
            return None
        return target


@pytest.fixture
def crawl_cast(db):
    """The conftest's cast, made after the demo (which fills only an empty instance), signed in
    under logins and names that are not English words; the demo's cases and tasks handed to
    the cast's caseworker and lawyer so that their lists have rows."""

    def make(request):
        cast = request.getfixturevalue("cast")
        for role, (login, name) in MEMBERS.items():
            member = cast[role]
            member.username, member.display_name = login, name
            member.save(update_fields=["username", "display_name"])
        Case.objects.exclude(caseworker=None).update(caseworker=cast["caseworker"])
        Case.objects.exclude(lawyer=None).update(lawyer=cast["lawyer"])
        Task.objects.exclude(assignee=None).update(assignee=cast["caseworker"])
        return cast

    return make


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_for_every_role(language, request, crawl_cast):
    from waystation.demo import demo_populate

    assert demo_populate(cases=8, language=language)
    cast = crawl_cast(request)
    problems, visited, posted = [], Counter(), set()
    for role in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(cast[role])
        client.cookies["ws_language"] = language
        crawl = Crawl(client, language, f"[{language} {role}]", posted)
        with transaction.atomic():  # what one role's empty forms change, the next does not see
            crawl.run()
            crawl.missing("/cases/999999/")
            transaction.set_rollback(True)
        problems += crawl.problems
        visited += crawl.visits
    visitor = Client(raise_request_exception=False)
    visitor.cookies["ws_language"] = language
    crawl = Crawl(visitor, language, f"[{language} visitor]", set())
    with transaction.atomic():
        crawl.run(*VISITOR_STARTS)
        crawl.missing("/intake/no-such-page/")
        transaction.set_rollback(True)
    problems += crawl.problems
    assert crawl.visits["accounts:login"] and crawl.visits["intake:new"], crawl.visits
    assert visited["home:dashboard"] == len(ROLES)
    assert len(visited) > 60, sorted(visited)  # the crawl reached the app's pages
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(_grouped(problems))


def _grouped(problems):
    """One line per problem; long lists of the same English words once per page."""
    by_text = defaultdict(list)
    for line in problems:
        label, _, rest = line.partition("] ")
        by_text[rest].append(label.split()[-1])
    return [f"{rest}  ({', '.join(roles)})" for rest, roles in by_text.items()]
