"""Public pages in the anonymous portal: readable without an account, in the visitor's
language; a members-only page is not there, exactly as a page that does not exist."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from .factories import make_page

pytestmark = pytest.mark.django_db


def _visitor(language: str = "en") -> Client:
    client = Client()
    client.cookies["ws_language"] = language
    return client


def _without_path_and_token(response) -> str:
    """The page without what differs on every answer: the CSRF token, the path itself."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace(response.wsgi_request.path, "PATH")


def test_a_public_page_is_readable_from_the_portal_without_login():
    make_page(is_public=True, body="Stay calm and **ask for a lawyer**.")
    visitor = _visitor()
    start = visitor.get(reverse("intake:start")).content.decode()
    assert 'href="/intake/guide/"' in start
    guide = visitor.get(reverse("intake:guide"))
    assert guide.status_code == 200
    assert 'href="/intake/guide/if-detained/"' in guide.content.decode()
    answer = visitor.get("/intake/guide/if-detained/")
    shown = answer.content.decode()
    assert answer.status_code == 200
    assert (
        "What to do if you are detained" in shown and "<strong>ask for a lawyer</strong>" in shown
    )
    assert "default-src 'none'" in answer["Content-Security-Policy"]
    assert "script-src 'none'" in answer["Content-Security-Policy"]
    assert "no-cache" in answer["Cache-Control"] or "max-age=0" in answer["Cache-Control"]
    assert "main-nav" not in shown and "/knowledge/" not in shown  # nothing of the staff side


def test_a_private_page_answers_404_in_the_portal_like_a_missing_one():
    make_page(
        topic="extradition-kazakhstan",
        title="Extradition practice: Kazakhstan",
        category="extradition",
        country="KZ",
        body="Members only text",
    )
    visitor = _visitor()
    private = visitor.get("/intake/guide/extradition-kazakhstan/")
    missing = visitor.get("/intake/guide/no-such-page/")
    assert private.status_code == missing.status_code == 404
    assert _without_path_and_token(private) == _without_path_and_token(missing)
    assert "Members only text" not in private.content.decode()
    assert "Kazakhstan" not in visitor.get(reverse("intake:guide")).content.decode()


def test_the_portal_shows_the_visitors_language_and_falls_back_to_english():
    make_page(is_public=True, body="English text")
    make_page(
        language="ru", title="Что делать, если вас задержали", body="Русский текст", is_public=True
    )
    make_page(
        topic="messengers", title="Messengers", category="messengers", body="Signal", is_public=True
    )
    russian = _visitor("ru")
    assert "Русский текст" in russian.get("/intake/guide/if-detained/").content.decode()
    fallback = russian.get("/intake/guide/messengers/").content.decode()
    assert "Signal" in fallback and 'lang="en"' in fallback
    listing = russian.get(reverse("intake:guide")).content.decode()
    assert "Что делать, если вас задержали" in listing and "What to do if" not in listing
    assert "English text" in _visitor("en").get("/intake/guide/if-detained/").content.decode()
    assert "English text" in _visitor("de").get("/intake/guide/if-detained/").content.decode()


def test_a_private_translation_is_not_shown_for_a_public_page():
    make_page(is_public=True, body="Public English")
    make_page(language="ru", title="Черновик", body="Черновик перевода", is_public=False)
    shown = _visitor("ru").get("/intake/guide/if-detained/").content.decode()
    assert "Public English" in shown and "Черновик" not in shown


def test_portal_links_only_to_public_pages_and_shows_no_member_names(cast):
    from waystation.knowledge import services

    make_page(topic="lawyers-and-legal-aid", title="Lawyers", category="legal_aid")
    page = make_page(
        is_public=True,
        body="[lawyers](page:lawyers-and-legal-aid), [detained](page:if-detained)",
        actor=cast["coordinator"],
    )
    services.page_mark_reviewed(actor=cast["coordinator"], page=page)
    shown = _visitor().get("/intake/guide/if-detained/").content.decode()
    assert 'href="/intake/guide/if-detained/"' in shown
    assert "lawyers-and-legal-aid" not in shown and "lawyers" in shown
    assert "Last checked" in shown
    assert cast["coordinator"].display_name not in shown
    assert cast["coordinator"].username not in shown.replace("coordinator", "")


@pytest.mark.urls("waystation.urls_intake")
def test_the_guide_works_when_the_portal_runs_alone(settings):
    settings.INTAKE_ONLY = True
    make_page(is_public=True, body="Alone")
    make_page(topic="secret", title="Secret", body="Hidden")
    visitor = _visitor()
    assert 'href="/guide/"' in visitor.get("/").content.decode()
    assert 'href="/guide/if-detained/"' in visitor.get("/guide/").content.decode()
    assert "Alone" in visitor.get("/guide/if-detained/").content.decode()
    assert visitor.get("/guide/secret/").status_code == 404
    assert visitor.get("/knowledge/").status_code == 404
