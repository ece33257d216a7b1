"""Members' pages: who reads and who writes, revisions and their history, review dates,
search in any script."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.knowledge import selectors, services
from waystation.knowledge.models import Page, Revision

from .factories import EDITOR, make_page

pytestmark = pytest.mark.django_db


def _url(name: str, page: Page, *args) -> str:
    return reverse(f"knowledge:{name}", args=[page.topic, page.language, *args])


def _edit_data(page: Page, **changes) -> dict:
    data = {
        "title": page.title,
        "category": page.category,
        "country": page.country.code or "",
        "body": page.current.body,
        "note": "",
        "based_on": page.current.number,
    }
    if page.is_public:
        data["is_public"] = "on"
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "name",
    ["coordinator", "caseworker", "lawyer", "documentation_officer", "screener", "treasurer"],
)
def test_every_member_reads_pages_public_or_not(client_for, name):
    private = make_page(body="Only for **members**.")
    client = client_for(name)
    listing = client.get(reverse("knowledge:index") + "?language=en")
    assert listing.status_code == 200 and private.title in listing.content.decode()
    page = client.get(_url("page", private))
    assert page.status_code == 200
    assert "<strong>members</strong>" in page.content.decode()
    assert 'href="/knowledge/"' in client.get("/").content.decode()  # the "Safety" tab


def test_treasurer_reads_but_cannot_edit(client_for):
    page = make_page()
    treasurer = client_for("treasurer")
    assert treasurer.get(_url("page", page)).status_code == 200
    assert treasurer.get(_url("edit", page)).status_code == 403
    refused = treasurer.post(_url("edit", page), _edit_data(page, body="Changed by treasurer"))
    assert refused.status_code == 403
    assert treasurer.post(_url("review", page)).status_code == 403
    assert treasurer.get(reverse("knowledge:new")).status_code == 403
    assert page.revisions.count() == 1
    page.refresh_from_db()
    assert page.reviewed_on is None
    assert reverse("knowledge:edit", args=[page.topic, page.language]) not in (
        treasurer.get(_url("page", page)).content.decode()
    )


def test_coordinator_edit_makes_a_new_revision_with_history_and_audit(client_for, cast):
    page = make_page(body="First text.\nSecond line.")
    coordinator = client_for("coordinator")
    saved = coordinator.post(
        _url("edit", page),
        _edit_data(page, body="First text.\nA better second line.", note="clearer"),
    )
    assert saved.status_code == 302 and saved["Location"] == _url("page", page)
    page.refresh_from_db()
    assert [r.number for r in page.revisions.order_by("number")] == [1, 2]
    assert page.current.number == 2 and page.current.author == cast["coordinator"]
    first = page.revisions.get(number=1)
    assert first.body == "First text.\nSecond line."  # the old revision is kept as it was

    history = coordinator.get(_url("history", page)).content.decode()
    assert _url("revision", page, 1) in history and _url("revision", page, 2) in history
    assert "clearer" in history
    old = coordinator.get(_url("revision", page, 1)).content.decode()
    assert "Second line." in old and "A better second line." not in old
    diff = coordinator.get(_url("diff", page) + "?from=1&to=2").content.decode()
    assert '<li class="remove">Second line.</li>' in diff
    assert '<li class="add">A better second line.</li>' in diff

    row = AuditEvent.objects.filter(event=Event.KNOWLEDGE_PAGE_REVISED).get()
    assert row.actor_id == cast["coordinator"].pk
    assert row.object_type == "knowledge.page" and row.object_id == str(page.pk)
    assert row.data["revision"] == 2 and row.data["text_changed"] is True


def test_diff_escapes_what_it_shows(client_for):
    page = make_page(body="plain")
    services.page_revise(
        actor=EDITOR,
        page=page,
        title=page.title,
        body="<script>alert(1)</script>",
        category=page.category,
        is_public=False,
    )
    diff = client_for("lawyer").get(_url("diff", page)).content.decode()
    assert "<script>alert(1)" not in diff and "&lt;script&gt;alert(1)&lt;/script&gt;" in diff


def test_a_save_based_on_an_older_revision_is_refused(client_for):
    page = make_page(body="one")
    stale = _edit_data(page, body="mine")
    services.page_revise(
        actor=EDITOR,
        page=page,
        title=page.title,
        body="theirs",
        category="detention",
        is_public=False,
    )
    answer = client_for("coordinator").post(_url("edit", page), stale)
    assert answer.status_code == 400 and "newer version" in answer.content.decode()
    assert "mine" in answer.content.decode()  # the typed text is kept
    assert page.revisions.count() == 2


def test_nothing_changed_writes_nothing(cast):
    page = make_page()
    with pytest.raises(services.KnowledgeError):
        services.page_revise(
            actor=cast["coordinator"],
            page=page,
            title=page.title,
            body=page.current.body,
            category=page.category,
            is_public=page.is_public,
        )
    assert Revision.objects.count() == 1


def test_making_a_page_public_is_audited_without_a_new_revision(cast):
    page = make_page()
    revision = services.page_revise(
        actor=cast["coordinator"],
        page=page,
        title=page.title,
        body=page.current.body,
        category=page.category,
        is_public=True,
    )
    assert revision is None and page.is_public and page.revisions.count() == 1
    row = AuditEvent.objects.filter(event=Event.KNOWLEDGE_PAGE_REVISED).get()
    assert row.data["changed"] == ["is_public"] and row.data["public"] is True


def test_preview_saves_nothing(client_for):
    page = make_page()
    answer = client_for("coordinator").post(
        _url("edit", page), {**_edit_data(page, body="## New part"), "preview": "1"}
    )
    assert answer.status_code == 200 and "<h2>New part</h2>" in answer.content.decode()
    assert page.revisions.count() == 1


def test_country_note_needs_a_country(client_for):
    answer = client_for("coordinator").post(
        reverse("knowledge:new"),
        {
            "topic": "extradition-georgia",
            "language": "en",
            "title": "Extradition practice: Georgia",
            "category": "extradition",
            "country": "",
            "body": "Check with a lawyer.",
        },
    )
    assert answer.status_code == 400 and "needs its country" in answer.content.decode()
    assert not Page.objects.exists()


def test_coordinator_creates_a_translation_sharing_the_topic(client_for, cast):
    english = make_page()
    answer = client_for("coordinator").post(
        reverse("knowledge:new"),
        {
            "topic": english.topic,
            "language": "ru",
            "title": "Что делать, если вас задержали",
            "category": "detention",
            "body": "Попросите адвоката.",
        },
    )
    russian = Page.objects.get(topic=english.topic, language="ru")
    assert answer["Location"] == _url("page", russian)
    assert AuditEvent.objects.filter(
        event=Event.KNOWLEDGE_PAGE_CREATED, actor_id=cast["coordinator"].pk
    ).exists()
    shown = client_for("caseworker").get(_url("page", english)).content.decode()
    assert _url("page", russian) in shown  # "also in: Русский"
    again = client_for("coordinator").post(
        reverse("knowledge:new"),
        {
            "topic": english.topic,
            "language": "ru",
            "title": "x",
            "category": "detention",
            "body": "x",
        },
    )
    assert again.status_code == 400 and Page.objects.filter(language="ru").count() == 1


def test_mark_reviewed_sets_the_date_and_is_audited(client_for, cast):
    page = make_page()
    answer = client_for("coordinator").post(_url("review", page))
    assert answer.status_code == 302
    page.refresh_from_db()
    assert page.reviewed_on == timezone.localdate() and page.reviewed_by == cast["coordinator"]
    assert AuditEvent.objects.filter(
        event=Event.KNOWLEDGE_PAGE_REVIEWED, object_id=str(page.pk)
    ).exists()
    assert client_for("coordinator").get(_url("review", page)).status_code == 405


def test_review_overdue_after_the_configured_age(client_for, settings):
    settings.KNOWLEDGE_REVIEW_MAX_DAYS = 30
    today = timezone.localdate()
    page = make_page()
    assert selectors.review_overdue(page)  # never reviewed
    shown = client_for("screener").get(_url("page", page)).content.decode()
    assert "never reviewed" in shown and "ask a coordinator to review it" in shown
    services.page_mark_reviewed(actor=EDITOR, page=page, on=today - timedelta(days=30))
    assert not selectors.review_overdue(page)
    assert "review overdue" not in client_for("screener").get(_url("page", page)).content.decode()
    services.page_mark_reviewed(actor=EDITOR, page=page, on=today - timedelta(days=31))
    assert selectors.review_overdue(page)
    shown = client_for("screener").get(_url("page", page)).content.decode()
    assert "review overdue" in shown and "in the last 30 days" in shown
    listing = client_for("screener").get(reverse("knowledge:index") + "?language=en")
    assert "review overdue" in listing.content.decode()


def test_the_review_age_comes_from_the_environment(monkeypatch):
    import runpy

    from waystation import settings as module

    monkeypatch.delenv("WAYSTATION_KNOWLEDGE_REVIEW_MAX_DAYS", raising=False)
    assert runpy.run_path(module.__file__)["KNOWLEDGE_REVIEW_MAX_DAYS"] == 180
    monkeypatch.setenv("WAYSTATION_KNOWLEDGE_REVIEW_MAX_DAYS", "90")
    assert runpy.run_path(module.__file__)["KNOWLEDGE_REVIEW_MAX_DAYS"] == 90


def test_search_finds_a_russian_word_whatever_its_case(client_for):
    make_page(
        topic="if-detained",
        language="ru",
        title="Что делать, если вас задержали",
        body="## Права\n\nПотребуйте **ПЕРЕВОДЧИКА**, если плохо понимаете язык.",
    )
    make_page(topic="messengers", language="ru", title="Мессенджеры", body="Signal и Telegram.")
    answer = client_for("treasurer").get(
        reverse("knowledge:index"), {"q": "переводчика", "language": "all"}
    )
    shown = answer.content.decode()
    assert answer.status_code == 200
    assert "Что делать, если вас задержали" in shown and "Мессенджеры" not in shown
    assert "Права Потребуйте ПЕРЕВОДЧИКА, если" in shown  # the words around the hit
    titles = [hit.page.title for hit in selectors.search(answer.wsgi_request.user, "МЕССЕНДЖЕР")]
    assert titles == ["Мессенджеры"]


def test_search_reads_the_current_revision_only(cast):
    page = make_page(body="old word: zebra")
    services.page_revise(
        actor=EDITOR,
        page=page,
        title=page.title,
        body="new word: okapi",
        category="detention",
        is_public=False,
    )
    assert selectors.search(cast["lawyer"], "zebra") == []
    assert [hit.page for hit in selectors.search(cast["lawyer"], "okapi")] == [page]


def test_missing_page_and_revision_answer_404(client_for):
    page = make_page()
    client = client_for("coordinator")
    assert client.get(reverse("knowledge:page", args=["nothing", "en"])).status_code == 404
    assert client.get(reverse("knowledge:page", args=[page.topic, "xx"])).status_code == 404
    assert client.get(_url("revision", page, 7)).status_code == 404


def test_print_version_has_no_navigation(client_for):
    page = make_page(topic="messengers", language="ru", title="Мессенджеры", body="Signal.")
    shown = client_for("caseworker").get(_url("print", page)).content.decode()
    assert '<html lang="ru">' in shown and "main-nav" not in shown and "Signal." in shown


def test_page_links_point_to_the_members_pages(client_for):
    make_page(topic="phones-and-sim-cards", title="Phones", category="phones")
    page = make_page(body="See [phones](page:phones-and-sim-cards) and [gone](page:nowhere).")
    shown = client_for("lawyer").get(_url("page", page)).content.decode()
    assert 'href="/knowledge/phones-and-sim-cards/en/"' in shown
    assert "page:nowhere" not in shown and "gone" in shown


def test_the_list_opens_in_the_members_language_or_all(client_for):
    make_page(title="English page")
    make_page(topic="messengers", language="ru", title="Русская страница", category="messengers")
    english = client_for("caseworker").get(reverse("knowledge:index")).content.decode()
    assert "English page" in english and "Русская страница" not in english
    client = client_for("caseworker")
    client.cookies["ws_language"] = "de"  # no page in German: every language
    german = client.get(reverse("knowledge:index")).content.decode()
    assert "English page" in german and "Русская страница" in german


def test_every_page_opens_for_a_coordinator(client_for):
    page = make_page(country="KZ", category="extradition", body="One")
    services.page_revise(
        actor=EDITOR,
        page=page,
        title="Two",
        body="Two",
        category="extradition",
        country="KZ",
        is_public=True,
    )
    client = client_for("coordinator")
    for url in [
        reverse("knowledge:index"),
        reverse("knowledge:index") + "?q=two&language=all",
        reverse("knowledge:new") + "?topic=if-detained&language=ru&category=extradition",
        reverse("knowledge:export"),
        _url("page", page),
        _url("print", page),
        _url("edit", page),
        _url("edit", page) + "?from=1",
        _url("history", page),
        _url("revision", page, 1),
        _url("diff", page),
    ]:
        answer = client.get(url)
        assert answer.status_code == 200, url
    start_from_old = client.get(_url("edit", page) + "?from=1").content.decode()
    assert "\nOne</textarea>" in start_from_old and "Back to revision 1" in start_from_old


def test_a_shipped_page_says_so_in_the_readers_language(client_for):
    from waystation.knowledge.defaults import load_defaults

    load_defaults(actor=EDITOR)
    page = Page.objects.get(topic="messengers", language="en")
    client = client_for("caseworker")
    client.cookies["ws_language"] = "ru"
    shown = client.get(_url("page", page)).content.decode()
    assert "Из комплекта Waystation" in shown and "Shipped with" not in shown
    history = client.get(_url("history", page)).content.decode()
    assert history.count("Из комплекта Waystation") == 2 and "Shipped with" not in history
    # The page's own title is marked as English, the language it is written in.
    assert f'lang="en">{page.title}</a>' in history


def test_the_language_of_a_new_page_is_named_in_the_readers_language(client_for):
    client = client_for("coordinator")
    client.cookies["ws_language"] = "ru"
    form = client.get(reverse("knowledge:new")).content.decode()
    assert ">немецкий</option>" in form.lower() and ">Deutsch</option>" not in form
