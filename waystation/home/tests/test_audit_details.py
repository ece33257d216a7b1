"""The audit page shows each row's object and data as labelled values in the reader's language,
whatever keys the data holds — including keys named like a dict's own methods."""

import ast
from pathlib import Path

import pytest
from django.urls import reverse

import waystation
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.cases import services as case_services
from waystation.cases.tests.factories import make_case
from waystation.home.audit_details import BY_EVENT, KEYS

pytestmark = pytest.mark.django_db
URL = reverse("home:audit")


def _page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_data_keys_named_like_dict_methods_do_not_break_the_page(client_for, cast):
    # "items" made the template's `row.data.items` call the key, not the method: a 500.
    record(
        Event.EVIDENCE_EXPORTED,
        actor=cast["documentation_officer"],
        data={"items": 36, "keys": ["a", "b"], "values": None, "pop": 1, "get": True},
    )
    record(
        Event.CASE_EXPORTED,
        actor=cast["lawyer"],
        data={"items": ["0b1c2d3e-aaaa", "9f8e7d6c-bbbb"], "format": "dossier_pdf"},
    )
    page = _page(client_for("coordinator"))
    assert "evidence items: 36" in page
    assert "evidence items: 2 (0b1c2d3e, 9f8e7d6c)" in page
    assert "format: dossier (PDF)" in page
    # Keys no service writes are still shown, as they are, with their values.
    assert "keys: a, b" in page and "values: none" in page and "get: yes" in page


def test_identity_reveal_and_change_read_as_sentences(client_for, cast):
    case = make_case(lawyer=cast["lawyer"])
    case_services.identity_reveal(actor=cast["lawyer"], case=case, reason="legal")
    case_services.identity_save(
        actor=cast["lawyer"], case=case, birth_date="1990-01-01", phone="+7 700 000"
    )
    page = _page(client_for("coordinator"))
    assert "reason: For a court, lawyer or authority" in page
    assert "fields: birth date, phone" in page
    assert f"case {case.codename}" in page
    assert "reason=legal" not in page and "birth_date" not in page
    assert "cases.case:" not in page.replace(f'title="cases.case:{case.pk}"', "")


def test_assignment_names_the_members(client_for, cast):
    case = make_case()
    case_services.case_assign(
        actor=cast["coordinator"], case=case, caseworker=None, lawyer=cast["lawyer"]
    )
    page = _page(client_for("coordinator"))
    assert "caseworker: nobody" in page and f"lawyer: {cast['lawyer']}" in page
    assert "caseworker=None" not in page


def test_details_in_russian(client_for, cast):
    case = make_case(lawyer=cast["lawyer"])
    case_services.identity_reveal(actor=cast["lawyer"], case=case, reason="legal")
    case_services.identity_save(actor=cast["lawyer"], case=case, birth_date="1990-01-01")
    client = client_for("coordinator")
    client.cookies["ws_language"] = "ru"
    page = _page(client)
    assert "Личные данные раскрыты" in page
    assert "причина: Для суда, юриста или ведомства" in page
    assert "поля: дата рождения" in page
    assert f"дело {case.codename}" in page
    assert "reason" not in page and "fields" not in page


def test_object_links_filter_to_that_object(client_for, cast):
    record(Event.USER_DEACTIVATED, actor=cast["coordinator"], obj=cast["lawyer"])
    page = _page(client_for("coordinator"))
    assert f'href="?object=accounts.user%3A{cast["lawyer"].pk}"' in page
    assert f"member {cast['lawyer']}" in page


def test_the_verify_command_is_code_not_backticks(client_for):
    page = _page(client_for("coordinator"))
    assert "<code>waystation audit verify</code>" in page and "`" not in page


def test_names_are_read_once_per_page(client_for, cast, django_assert_max_num_queries):
    for _ in range(30):
        case = make_case(lawyer=cast["lawyer"])
        case_services.case_assign(
            actor=cast["coordinator"], case=case, caseworker=cast["caseworker"], lawyer=None
        )
    client = client_for("coordinator")
    with django_assert_max_num_queries(10):
        client.get(URL)


def _recorded_keys() -> set[str]:
    """Every key of a literal ``data={...}`` passed to ``record(...)`` in the sources."""
    keys = set()
    for path in Path(waystation.__file__).parent.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name != "record":
                continue
            for keyword in node.keywords:
                if keyword.arg == "data" and isinstance(keyword.value, ast.Dict):
                    keys.update(k.value for k in keyword.value.keys if isinstance(k, ast.Constant))
    return keys


def test_every_key_a_service_records_has_a_label():
    recorded = _recorded_keys()
    assert len(recorded) > 40  # the scan found the services' rows
    assert recorded - set(KEYS) == set()
    assert {key for _event, key in BY_EVENT} <= set(KEYS)
