"""A page whose sent form was refused says so first in its title, for a screen reader to announce
with the page (WCAG 3.3.1); the same page before anything was sent, or after a sent form was
taken, does not."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def _title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


def test_a_refused_sign_in_is_announced_in_the_title(client, cast):
    login = reverse("accounts:login")
    assert not _title(client.get(login)).startswith("Error:")
    refused = client.post(login, {"username": "nobody", "password": "wrong"})
    assert refused.status_code == 401 and _title(refused).startswith("Error: ")


def test_in_russian_too(client, cast):
    client.cookies["ws_language"] = "ru"
    refused = client.post(reverse("accounts:login"), {"username": "nobody", "password": "x"})
    with translation.override("ru"):
        assert _title(refused).startswith(translation.gettext("Error:") + " ")
    assert not _title(refused).startswith("Error:")


def test_a_signed_in_page_with_lazy_values_has_no_prefix(client_for):
    # The dashboard's context holds the lazy CSRF token and messages: none is a refused form.
    assert not _title(client_for("coordinator").get(reverse("home:dashboard"))).startswith(
        "Error"
    )
