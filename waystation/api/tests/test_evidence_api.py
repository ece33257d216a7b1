"""Evidence over the API, asserting what a caller receives: the same rows, files and refusals as
the pages, the same custody and audit rows for a read, a copy and an export; evidence of a case
the member may not see is the same 404 as evidence that does not exist."""

import hashlib
import io
import os
import uuid
import zipfile

import pytest

from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.evidence import services
from waystation.evidence.models import CustodyAction, Item, ItemOrigin

pytestmark = pytest.mark.django_db

BASE = "/api/v1/evidence"
SAYS = "STATEMENT-MARKER: they took us to the border at night."


@pytest.fixture(autouse=True)
def _own_store(settings, tmp_path):
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path)}


@pytest.fixture
def world(cast):
    officer = cast["documentation_officer"]
    mine = make_case(caseworker=cast["caseworker"])  # the caseworker's case
    other = make_case()  # no one's: the caseworker may not see it
    made = {}
    for name, case, origin in (
        ("open", mine, ItemOrigin.OPEN),
        ("unrecorded", mine, ItemOrigin.NOT_RECORDED),
        ("hidden", other, ItemOrigin.OPEN),
    ):
        content = f"<<{name}>>".encode() + os.urandom(3000)
        made[name] = (
            services.item_ingest_stream(
                actor=officer,
                case=case,
                source=io.BytesIO(content),
                original_name=f"{name}.bin",
                origin=origin,
            ),
            content,
        )
    testimony = services.testimony_record(
        actor=officer, case=mine, statement=SAYS, language="Ukrainian"
    )
    hidden_testimony = services.testimony_record(
        actor=officer, case=other, statement=SAYS, language="Ukrainian"
    )
    return {
        "mine": mine,
        "other": other,
        "items": made,
        "testimony": testimony,
        "hidden_testimony": hidden_testimony,
    }


def test_items_of_a_case_their_metadata_and_file_as_the_pages_give_them(api_for, world):
    client = api_for("documentation_officer")
    listed = client.get(f"{BASE}/items/", {"case": world["mine"].codename})
    assert listed.status_code == 200
    assert sorted(row["original_name"] for row in listed.json()) == ["open.bin", "unrecorded.bin"]
    item, content = world["items"]["open"]
    detail = client.get(f"{BASE}/items/{item.pk}/")
    assert detail.status_code == 200
    assert detail.json()["sha256"] == hashlib.sha256(content).hexdigest()
    copied = client.get(f"{BASE}/items/{item.pk}/file/")
    assert copied.status_code == 200 and b"".join(copied.streaming_content) == content
    assert [e.action for e in item.custody.order_by("seq")][-2:] == [
        CustodyAction.VIEWED,
        CustodyAction.COPIED,
    ]
    reads = AuditEvent.objects.filter(event=Audit.EVIDENCE_ITEM_READ, object_id=str(item.pk))
    assert reads.count() == 2


def test_evidence_of_a_case_the_member_may_not_see_is_not_found(api_for, world):
    client = api_for("caseworker")
    hidden, _content = world["items"]["hidden"]
    listed = client.get(f"{BASE}/items/")
    assert "hidden.bin" not in listed.content.decode() and "open.bin" in listed.content.decode()
    for path in (
        f"/items/{hidden.pk}/",
        f"/items/{hidden.pk}/file/",
        f"/testimonies/{world['hidden_testimony'].pk}/",
        f"/testimonies/{world['hidden_testimony'].pk}/statement/",
        f"/items/{uuid.uuid4()}/",
        f"/testimonies/{uuid.uuid4()}/statement/",
    ):
        answer = client.get(BASE + path)
        assert answer.status_code == 404 and answer.json() == {"detail": "Not found."}, path
    assert not hidden.custody.filter(action=CustodyAction.COPIED).exists()
    assert api_for("treasurer").get(f"{BASE}/items/").status_code == 403


def test_a_testimony_read_over_the_api_is_audited_like_its_page(api_for, world):
    client = api_for("caseworker")
    testimony = world["testimony"]
    meta = client.get(f"{BASE}/testimonies/{testimony.pk}/")
    assert meta.status_code == 200 and SAYS not in meta.content.decode()
    assert meta.json()["language"] == "Ukrainian"
    assert not AuditEvent.objects.filter(event=Audit.TESTIMONY_READ).exists()
    read = client.get(f"{BASE}/testimonies/{testimony.pk}/statement/")
    assert read.status_code == 200 and read.json()["statement"] == SAYS
    assert AuditEvent.objects.filter(
        event=Audit.TESTIMONY_READ, object_id=str(testimony.pk)
    ).exists()


def test_a_small_file_ingested_by_multipart_is_an_item(api_for, world):
    client = api_for("documentation_officer")
    content = b"%PDF-1.4\n" + os.urandom(5000)
    answer = client.post(
        f"{BASE}/items/",
        {
            "case": world["mine"].codename,
            "file": io.BytesIO(content),
            "description": "a scan",
        },
    )
    assert answer.status_code == 201, answer.content
    item = Item.objects.get(pk=answer.json()["id"])
    assert item.sha256 == hashlib.sha256(content).hexdigest() and item.description == "a scan"
    assert (
        api_for("caseworker")
        .post(f"{BASE}/items/", {"case": world["mine"].codename, "file": io.BytesIO(b"x")})
        .status_code
        == 403
    )
    missing = client.post(f"{BASE}/items/", {"case": "nobody-9", "file": io.BytesIO(b"abc")})
    assert missing.status_code == 404


def test_exports_go_through_the_exit_gate(api_for, world):
    client = api_for("coordinator")
    case = world["mine"]
    opened, content = world["items"]["open"]
    unrecorded, _content = world["items"]["unrecorded"]
    preview = client.post(
        f"{BASE}/exports/preview/",
        {"case": case.codename, "recipient": "ngo"},
        content_type="application/json",
    )
    assert preview.status_code == 200
    goes = {line["id"]: line["goes"] for line in preview.json()["lines"]}
    assert goes[str(opened.pk)] and not goes[str(unrecorded.pk)]
    refused = client.post(
        f"{BASE}/exports/",
        {"case": case.codename, "recipient": "ngo", "items": [str(unrecorded.pk)]},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert "not recorded" in refused.json()["detail"]
    assert AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORT_REFUSED).exists()
    package = client.post(
        f"{BASE}/exports/",
        {"case": case.codename, "recipient": "ngo", "items": [str(opened.pk)], "testimonies": []},
        content_type="application/json",
    )
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(package.streaming_content)))
    payload = [archive.read(n) for n in archive.namelist() if "/data/items/" in n]
    assert payload == [content]
    assert opened.custody.filter(action=CustodyAction.EXPORTED).exists()
    assert (
        api_for("caseworker")
        .post(
            f"{BASE}/exports/",
            {"case": case.codename, "recipient": "ngo"},
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_events_are_listed_for_those_who_see_evidence(api_for, world, cast):
    event = services.event_record(
        actor=cast["documentation_officer"], act_type="torture", title="Night raid"
    )
    listed = api_for("documentation_officer").get(f"{BASE}/events/")
    assert listed.status_code == 200 and listed.json()[0]["title"] == "Night raid"
    assert api_for("documentation_officer").get(f"{BASE}/events/{event.pk}/").status_code == 200
    assert api_for("treasurer").get(f"{BASE}/events/").status_code == 403


def test_every_evidence_route_with_every_roles_token(api_for, world):
    """The walk over this router's routes: for every role that may not see the other case,
    its item and testimony answer exactly what a missing one answers."""
    from waystation.api.v1 import api

    from .conftest import ROLES

    hidden = {
        "items": str(world["items"]["hidden"][0].pk),
        "testimonies": str(world["hidden_testimony"].pk),
    }
    routes = [
        path
        for path, methods in api.get_openapi_schema()["paths"].items()
        if path.startswith(f"{BASE}/")
        and "{pk}" in path
        and "get" in methods
        and path.split("/")[4] in hidden
    ]
    assert len(routes) == 4, routes
    for role in ROLES:
        if role in ("coordinator", "documentation_officer"):  # they see every case's evidence
            continue
        client = api_for(role)
        for path in routes:
            kind = path.split("/")[4]
            seen = client.get(path.replace("{pk}", hidden[kind]))
            missing = client.get(path.replace("{pk}", str(uuid.uuid4())))
            assert seen.status_code in (403, 404), (role, path)
            assert (seen.status_code, seen.json()) == (missing.status_code, missing.json())
