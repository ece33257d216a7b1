"""Identifying metadata that PostgreSQL would hold in the clear (issue 18, finding 10): the
SHA-256 of intake attachments (which confirms possession of a known photo) and a second-factor
secret waiting in the session are encrypted; existing attachments are encrypted by the
migration."""

import hashlib
import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from waystation.intake.models import Attachment

pytestmark = pytest.mark.django_db

PHOTO_TEXT = b"a known picture, as the adversary has it\n"
KNOWN = hashlib.sha256(PHOTO_TEXT).hexdigest()


@pytest.fixture
def blobs(settings, tmp_path):
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path)}


def _raw_rows(table: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own table name
        rows = cursor.fetchall()
    return b" ".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
        for row in rows
        for v in row
    )


def test_an_attachments_hash_is_not_stored_in_the_clear(blobs, client):
    client.get("/intake/new/")
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        "/intake/new/",
        {
            "urgency": "stable",
            "text": "see the file",
            "keep_originals": "on",
            "files": [SimpleUploadedFile("note.txt", PHOTO_TEXT, "text/plain")],
        },
    )
    attachment = Attachment.objects.get()
    assert attachment.sha256 == KNOWN  # the application reads the real value
    assert KNOWN.encode() not in _raw_rows("intake_attachment")


def test_a_pending_second_factor_secret_is_not_stored_in_the_clear(client_for, cast):
    coordinator = cast["coordinator"]
    coordinator.totp_secret = ""
    coordinator.save()
    client = client_for("coordinator")
    page = client.get("/accounts/account/second-factor/").content.decode()
    shown = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    again = client.get("/accounts/account/second-factor/").content.decode()
    assert shown in again.replace(" ", "")  # the same secret, read back from the session
    stored = " ".join(
        str(s.get_decoded()) + s.session_data for s in Session.objects.all()
    )
    assert shown not in stored and shown not in _raw_rows("django_session").decode()


@pytest.mark.usefixtures("transactional_db")
def test_the_migration_encrypts_the_hashes_already_stored():
    executor = MigrationExecutor(connection)
    executor.migrate([("intake", "0001_initial")])
    old = executor.loader.project_state([("intake", "0001_initial")]).apps
    request = old.get_model("intake", "IntakeRequest").objects.create(
        lookup="x" * 64, urgency="stable", urgency_rank=4
    )
    message = old.get_model("intake", "Message").objects.create(
        request=request, position=1, from_requester=True
    )
    old.get_model("intake", "Attachment").objects.create(
        message=message, media_type="image/jpeg", size=1, sha256=KNOWN, blob="b" * 64
    )
    assert KNOWN.encode() in _raw_rows("intake_attachment")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert KNOWN.encode() not in _raw_rows("intake_attachment")
    assert Attachment.objects.get().sha256 == KNOWN
