"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright with JavaScript turned
off, against Django's live server. Never `playwright install`: there is no internet."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test body are
# still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("WAYSTATION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
            "(see .ci/run) or set WAYSTATION_CHROMIUM"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshots(tmp_path):
    """Where pictures go: docs/screenshots with `make screenshots`, else a temporary folder."""
    folder = Path(os.environ.get("WAYSTATION_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page_for(browser, live_server, settings):
    # The live server speaks plain http on localhost.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_COOKIE_SECURE = False
    contexts = []

    def make(width=1280, height=860):
        context = browser.new_context(
            java_script_enabled=False,
            viewport={"width": width, "height": height},
            base_url=live_server.url,
            locale="en-GB",
        )
        contexts.append(context)
        context.set_default_timeout(8000)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
