"""Resumable uploads (tus 1.0.0) in the test client, on both databases: the protocol's answers,
the item made at the last byte through evidence's own ingest (custody, audit), ciphertext only
in the store, refusals (another member's upload is the same 404 as a missing one; no scope,
no role: 403), cancelling, expiry and the per-token limit."""

import base64
import hashlib
import itertools
import os
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from waystation.api import uploads
from waystation.api.models import Upload
from waystation.api.tests.conftest import full_token
from waystation.api.tus import ITEM_HEADER, OCTETS
from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.core.blobstore import blob_store, resumable
from waystation.core.serving import server_started
from waystation.evidence.models import CustodyAction, Item

pytestmark = pytest.mark.django_db

URL = "/api/v1/uploads/"
MARKER = b"TUS-CLEAR-TEXT-MARKER"
TUS = {"Tus-Resumable": "1.0.0"}


def _meta(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _data(size: int) -> bytes:
    unit = MARKER + os.urandom(45)
    return (unit * (size // len(unit) + 1))[:size]


def _create(client, case, length, **extra):
    metadata = _meta(case=case.codename, filename="clip.mp4", **extra)
    return client.post(
        URL, headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": metadata}
    )


def _patch(client, location, offset, body, **headers):
    return client.generic(
        "PATCH",
        location,
        data=body,
        content_type=headers.pop("content_type", OCTETS),
        headers={**TUS, "Upload-Offset": str(offset), **headers},
    )


def _on_disk() -> bytes:
    root = blob_store()._spool_dir()
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


@pytest.fixture(autouse=True)
def _own_store(settings, tmp_path):
    """A blob store of the test's own: what it leaves on disk is its alone to look at."""
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path)}


@pytest.fixture
def case(db):
    return make_case()


def test_an_upload_in_pieces_becomes_an_item_as_the_page_ingest_makes_it(api_for, case, cast):
    client = api_for("documentation_officer")
    options = client.options(URL)
    assert options.status_code == 204 and options["Tus-Version"] == "1.0.0"
    assert "creation" in options["Tus-Extension"] and "termination" in options["Tus-Extension"]
    data = _data(3 * (1 << 20) + 12345)  # three whole chunks and a bit
    created = _create(client, case, len(data), description="from the phone")
    assert created.status_code == 201, created.content
    location = created["Location"]
    assert created["Tus-Resumable"] == "1.0.0" and "Upload-Expires" in created
    head = client.head(location, headers=TUS)
    assert head.status_code == 200 and head["Upload-Offset"] == "0"
    assert head["Upload-Length"] == str(len(data)) and "no-store" in head["Cache-Control"]
    cuts = [0, 700_000, 2_500_000, len(data) - 5, len(data)]
    for start, end in itertools.pairwise(cuts):
        answer = _patch(client, location, start, data[start:end])
        assert answer.status_code == 204, answer.content
        assert answer["Upload-Offset"] == str(end)
        assert MARKER not in _on_disk()  # only ciphertext, at every step
        resumable._HASHES.clear()  # as if the server restarted between requests
    item = Item.objects.get(pk=answer[ITEM_HEADER])
    assert item.sha256 == hashlib.sha256(data).hexdigest() and item.size == len(data)
    assert item.case == case and item.original_name == "clip.mp4"
    assert item.description == "from the phone"
    assert item.ingested_by == cast["documentation_officer"]
    assert b"".join(blob_store().open(item.blob)) == data
    assert [e.action for e in item.custody.order_by("seq")] == [
        CustodyAction.ACQUIRED,
        CustodyAction.HASHED,
    ]
    assert AuditEvent.objects.filter(event=Audit.EVIDENCE_INGESTED, object_id=str(item.pk)).exists()
    assert MARKER not in _on_disk()
    assert not list((blob_store()._spool_dir() / resumable.FOLDER).glob("*"))
    done = client.head(location, headers=TUS)
    assert done["Upload-Offset"] == str(len(data)) and done[ITEM_HEADER] == str(item.pk)
    again = _patch(client, location, len(data), b"x")
    assert again.status_code == 409


def test_the_protocol_refuses_what_it_must(api_for, case):
    client = api_for("documentation_officer")
    assert client.post(URL, headers={"Upload-Length": "10"}).status_code == 412
    assert client.post(URL, headers=TUS).status_code == 400  # no length
    bad_meta = client.post(URL, headers={**TUS, "Upload-Length": "3", "Upload-Metadata": "a !!"})
    assert bad_meta.status_code == 400
    location = _create(client, case, 10)["Location"]
    assert _patch(client, location, 0, b"abc", content_type="text/plain").status_code == 415
    assert _patch(client, location, 5, b"abc").status_code == 409
    assert _patch(client, location, 0, b"x" * 11).status_code == 413
    assert client.head(location).status_code == 412
    too_big = settings.EVIDENCE_MAX_UPLOAD_MB * 1024 * 1024 + 1
    refused = _create(client, case, too_big)
    assert refused.status_code == 413 and "larger than" in refused.json()["detail"]


def test_a_case_to_which_one_may_not_add_evidence_is_not_found(api_for, case):
    client = api_for("documentation_officer")
    metadata = _meta(case="no-such-1", filename="a")
    missing = client.post(URL, headers={**TUS, "Upload-Length": "3", "Upload-Metadata": metadata})
    assert missing.status_code == 404


def test_another_members_upload_is_the_same_404_as_a_missing_one(api_for, case, cast):
    location = _create(api_for("documentation_officer"), case, 10)["Location"]
    other = Client(HTTP_AUTHORIZATION=f"Bearer {full_token(cast['coordinator'])}")
    missing = location.replace(location.rstrip("/").rsplit("/", 1)[-1], str(uuid.uuid4()))
    for url in (location, missing):
        assert other.head(url, headers=TUS).status_code == 404
        assert _patch(other, url, 0, b"abc").status_code == 404
        assert other.delete(url, headers=TUS).status_code == 404
    assert Upload.objects.get().offset == 0


def test_without_the_scope_or_the_role_or_a_token_it_is_refused(api_for, case, cast):
    assert api_for("treasurer").post(URL, headers={**TUS, "Upload-Length": "1"}).status_code == 403
    assert api_for("caseworker").options(URL).status_code == 403  # sees evidence, adds none
    assert Client().post(URL, headers={**TUS, "Upload-Length": "1"}).status_code == 401
    from waystation.api.services import token_create

    from .conftest import TOKEN_MAKER

    _token, raw = token_create(
        actor=TOKEN_MAKER,
        user=cast["documentation_officer"],
        name="read only",
        scopes=["evidence.view"],
        days=1,
    )
    viewer = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert _create(viewer, case, 3).status_code == 403


def test_cancel_expiry_and_the_limit_per_token(api_for, case, cast, monkeypatch):
    client = api_for("documentation_officer")
    location = _create(client, case, 100)["Location"]
    _patch(client, location, 0, _data(40))
    assert client.delete(location, headers=TUS).status_code == 204
    assert client.head(location, headers=TUS).status_code == 404
    assert not list((blob_store()._spool_dir() / resumable.FOLDER).glob("*"))

    stale = _create(client, case, 100)["Location"]
    _patch(client, stale, 0, _data(40))
    Upload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.head(stale, headers=TUS).status_code == 404
    _create(client, case, 5)  # a new upload sweeps the expired ones away
    assert Upload.objects.count() == 1
    assert len(list((blob_store()._spool_dir() / resumable.FOLDER).glob("*.part"))) == 1

    monkeypatch.setattr(uploads, "OPEN_PER_TOKEN", 2)
    assert _create(client, case, 5).status_code == 201
    refused = _create(client, case, 5)
    assert refused.status_code == 429 and "unfinished uploads" in refused.json()["detail"]


def test_the_server_starting_sweeps_expired_uploads_out_of_the_store(api_for, case):
    client = api_for("documentation_officer")
    alive = _create(client, case, 100)["Location"]
    _patch(client, alive, 0, _data(30))
    abandoned = _create(client, case, 100)["Location"]
    _patch(client, abandoned, 0, _data(40))
    finished = _create(client, case, 5)["Location"]
    _patch(client, finished, 0, _data(5))
    Upload.objects.exclude(pk=alive.rstrip("/").rsplit("/", 1)[1]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    folder = blob_store()._spool_dir() / resumable.FOLDER
    assert len(list(folder.glob("*.part"))) == 2

    # What `waystation serve` sends once unsealed, before it listens (the api app connects
    # the sweep in its AppConfig.ready).
    server_started.send(sender=None)

    assert list(Upload.objects.values_list("offset", flat=True)) == [30]
    assert len(list(folder.glob("*.part"))) == 1
    assert client.head(abandoned, headers=TUS).status_code == 404
    assert client.head(alive, headers=TUS)["Upload-Offset"] == "30"
    assert Item.objects.count() == 1  # the finished upload stays an item


def test_refusals_speak_the_callers_language(api_for, case):
    client = api_for("documentation_officer")
    location = _create(client, case, 10)["Location"]
    answer = _patch(client, location, 4, b"abc", **{"Accept-Language": "ru"})
    assert answer.status_code == 409
    assert "байт" in answer.json()["detail"]
