"""What every page promises: a strict CSP, nothing from another host, no inline script,
Russian when asked, print styles."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

import waystation

PACKAGE = Path(waystation.__file__).parent
# Namespace names inside SVG are identifiers, not addresses anything is loaded from.
_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>)]*""")


def _shipped_files():
    for folder in ("templates", "static"):
        for path in PACKAGE.rglob(f"{folder}/**/*"):
            if path.is_file():
                yield path


def test_templates_and_static_files_reference_no_other_host():
    offenders = []
    files = list(_shipped_files())
    assert any(p.suffix == ".css" for p in files) and any(p.suffix == ".html" for p in files)
    for path in files:
        text = path.read_text(encoding="utf-8")
        for match in _URL.findall(text):
            if match not in _NAMESPACES:
                offenders.append(f"{path.relative_to(PACKAGE)}: {match}")
        if path.suffix == ".css" and "@import" in text:
            offenders.append(f"{path.relative_to(PACKAGE)}: @import")
    assert offenders == []


def test_templates_carry_no_inline_script_or_style_attribute():
    for path in _shipped_files():
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            assert "<script" not in text, path
            assert " style=" not in text, path
            assert not re.search(r"<[^>]*\son[a-z]+\s*=", text), path  # no onclick= etc.


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["coordinator", "caseworker", "treasurer"])
def test_rendered_pages_load_nothing_from_elsewhere(client_for, name):
    client = client_for(name)
    for url in [
        "/",
        reverse("accounts:account"),
        reverse("accounts:users"),
        reverse("home:audit"),
    ]:
        response = client.get(url)
        page = response.content.decode()
        for attr in re.findall(r'(?:src|href|action)="([^"]*)"', page):
            assert not re.match(r"^(https?:)?//", attr), (url, attr)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp


@pytest.mark.django_db
def test_totp_qr_code_is_inline_svg_without_script(client_for, cast):
    cast["caseworker"].totp_secret = ""
    page = client_for("caseworker").get(reverse("accounts:totp_enrol")).content.decode()
    assert "<svg" in page and "<script" not in page and "<img" not in page.split("<main")[1]


@pytest.mark.django_db
def test_language_switch_without_javascript_shows_russian(client_for):
    client = client_for("caseworker")
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="ru">' in page
    assert "Обзор" in page and "Выйти" in page
    assert "Overview" not in page
    # Each language is offered in its own name, whatever the page's language.
    for autonym in ("English", "Русский", "Deutsch", "Українська"):
        assert f">{autonym}</button>" in page


@pytest.mark.django_db
def test_sign_in_page_in_russian_from_browser_preference(client):
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Вход" in page and "Имя пользователя" in page


def test_stylesheet_has_print_and_small_screen_rules():
    css = (PACKAGE / "core/static/waystation/waystation.css").read_text(encoding="utf-8")
    assert "@media print" in css and "@media (max-width" in css


@pytest.mark.django_db
def test_empty_states_tell_what_to_do_next(client_for):
    coordinator = client_for("coordinator").get("/").content.decode()
    assert "Invite your team" not in coordinator  # the cast already has members
    lawyer = client_for("lawyer").get("/").content.decode()
    assert "No client is assigned to you yet." in lawyer


@pytest.mark.django_db
def test_csrf_failure_page_explains(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "reload the page" in response.content.decode()


def test_production_hashes_passwords_with_argon2():
    import importlib

    import waystation.settings as production

    importlib.reload(production)
    assert production.PASSWORD_HASHERS == ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
