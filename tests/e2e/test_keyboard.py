"""The request portal with the keyboard alone, JavaScript off, on a phone-sized screen: from
the skip link to the form, a request sent with its message missing, the error heard with the
field it belongs to (read from Chromium's accessibility tree, as a screen reader gets it),
fixed, sent again."""

import pytest

from waystation.intake.models import IntakeRequest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _focused(page) -> dict:
    """The focused node of the accessibility tree: its role, name and description."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    for node in nodes:
        properties = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
        if properties.get("focused") and node.get("role", {}).get("value") != "RootWebArea":
            return {
                key: (node.get(key) or {}).get("value", "")
                for key in ("role", "name", "description")
            }
    return {}


def _tab_to(page, name, role=None, limit=60):
    """Tab forward until the focused element is called ``name``, as a keyboard user would."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        node = _focused(page)
        seen.append(f"{node.get('role')} {node.get('name')!r}")
        if name in node.get("name", "") and (role is None or node.get("role") == role):
            return node
    raise AssertionError(f"{name!r} not reached with Tab; focus went: {seen}")


def test_the_request_form_with_the_keyboard_alone(page_for):
    page = page_for(width=390)
    page.goto("/intake/")

    # The first Tab lands on the skip link; Enter takes the keyboard into the page's content.
    page.keyboard.press("Tab")
    assert _focused(page)["name"] == "Skip to content"
    page.keyboard.press("Enter")
    _tab_to(page, "Write a request", role="link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/intake/new/")

    # The situation is a group of radio buttons read with its question.
    radio = _tab_to(page, "", role="radio", limit=40)
    assert radio["role"] == "radio"
    group = page.locator("fieldset:has(input[name=urgency]) legend").inner_text()
    assert group == "Your situation now"
    page.keyboard.press("Space")
    _tab_to(page, "City", role="textbox")
    page.keyboard.type("Almaty")

    # Sent without the message.
    _tab_to(page, "Send", role="button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title().startswith("Error: ")
    summary = page.locator(".error-summary")
    assert "There is a problem" in summary.inner_text()
    assert "Your message: This field is required." in summary.inner_text()

    # From the summary's link to the field, which is read with its error.
    page.keyboard.press("Tab")  # the skip link
    _tab_to(page, "Your message: This field is required.", role="link")
    page.keyboard.press("Enter")
    field = _focused(page)
    assert field["role"] == "textbox" and field["name"] == "Your message:", field
    assert "Error: This field is required." in field["description"], field
    # What was typed before is still there.
    assert page.locator("#id_city").input_value() == "Almaty"

    # Fixed and sent.
    page.keyboard.type("I need a lawyer in Almaty.")
    _tab_to(page, "Send", role="button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert not page.title().startswith("Error")
    assert IntakeRequest.objects.count() == 1
