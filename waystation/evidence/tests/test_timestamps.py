"""Trusted timestamps (issue 24) with a time-stamping authority made in the test (OpenSSL's
`ts -reply` behind a loopback HTTP server): a token over each item's SHA-256 is had in the
background after the ingest, shown on the item's page, carried in the package with the TSA's
certificates and checked there by `openssl ts -verify` and by verify-export, which refuses a
changed file or token; with the TSA down the ingest goes through and the token follows."""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from waystation.cases.tests.factories import make_case
from waystation.core.worker import Worker
from waystation.evidence import export, gate, services
from waystation.evidence.models import (
    CustodyEntry,
    ItemOrigin,
    Recipient,
    TimestampStatus,
    TimestampToken,
)
from waystation.testing.tsa import OPENSSL, LocalTSA

pytestmark = pytest.mark.django_db

VIDEO = os.urandom(50_000)


@pytest.fixture
def tsa(settings, tmp_path):
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path / "b")}
    (tmp_path / "tsa").mkdir()
    with LocalTSA(tmp_path / "tsa") as running:
        settings.TIMESTAMP_AUTHORITIES = [running.url]
        settings.TIMESTAMP_CERTIFICATES = str(running.chain)
        yield running


@pytest.fixture
def officer(cast):
    return cast["documentation_officer"]


def _ingest(officer, case, data=VIDEO, name="clip.mp4"):
    return services.item_ingest_stream(
        actor=officer,
        case=case,
        source=io.BytesIO(data),
        original_name=name,
        origin=ItemOrigin.OPEN,
    )


def _page(client_for, item) -> str:
    page = client_for("documentation_officer").get(reverse("evidence:item", args=[item.pk]))
    return page.content.decode()


def _package(officer, item, out):
    return export.build_package(
        actor=officer, case=item.case, addressee=gate.Addressee.of(Recipient.UN), out=out
    )


def test_a_token_is_had_after_ingest_shown_exported_and_checked(
    tsa, officer, cast, client_for, tmp_path
):
    item = _ingest(officer, make_case(caseworker=cast["caseworker"]))
    token = TimestampToken.objects.get(item=item)
    assert token.status == TimestampStatus.PENDING and tsa.requests == 0  # ingest never waits
    assert "Waiting for the time-stamping authority" in _page(client_for, item)

    Worker().run(once=True)  # its periodic check queues the task, which asks the TSA
    token.refresh_from_db()
    assert token.status == TimestampStatus.OBTAINED and token.stamped_at is not None
    page = _page(client_for, item)
    assert "Obtained and checked" in page and tsa.url in page

    bag = tmp_path / "package"
    _package(officer, item, bag)
    assert export.verify_package(bag) == []
    readme = (bag / "README.txt").read_text()
    pattern = r"openssl ts -verify -data (\S+) -in (\S+) \\\n\s+-CAfile (\S+)"
    commands = re.findall(pattern, readme)
    assert len(commands) == 2  # the item's token and the token over this export's heads
    for data, token_file, chain in commands:
        checked = subprocess.run(
            [OPENSSL, "ts", "-verify", "-data", data, "-in", token_file, "-CAfile", chain],
            cwd=bag,
            capture_output=True,
            text=True,
        )
        assert "Verification: OK" in checked.stdout, checked.stderr
    statement = (bag / f"data/timestamps/{item.pk}.txt").read_text()
    assert item.sha256 in statement
    heads = (bag / "data/timestamps/heads.txt").read_text()
    assert "audit log row " in heads
    assert f"custody {item.pk} entry 4 " in heads  # acquired, hashed, viewed twice
    table = json.loads((bag / "data/timestamps.json").read_text())
    assert {row["status"] for row in table} == {"obtained"}

    # A changed token: refused, with the reason.
    changed = tmp_path / "changed-token"
    shutil.copytree(bag, changed)
    token_path = changed / f"data/timestamps/{item.pk}.1.tsr"
    raw = bytearray(token_path.read_bytes())
    raw[-10] ^= 0x01
    token_path.write_bytes(bytes(raw))
    problems = export.verify_package(changed)
    assert any(f"timestamp data/timestamps/{item.pk}.1.tsr: the token" in p for p in problems)
    # A changed file: refused (the manifest, and the hash the token covers).
    changed = tmp_path / "changed-file"
    shutil.copytree(bag, changed)
    (video,) = (changed / "data/items" / str(item.pk)).iterdir()
    video.write_bytes(b"X" + VIDEO[1:])
    assert any("clip.mp4" in p for p in export.verify_package(changed))
    # The statement rewritten to match a changed file: the token no longer covers it.
    changed = tmp_path / "changed-statement"
    shutil.copytree(bag, changed)
    forged = hashlib.sha256(b"X" + VIDEO[1:]).hexdigest()
    (changed / f"data/timestamps/{item.pk}.txt").write_text(statement.replace(item.sha256, forged))
    problems = export.verify_package(changed)
    assert any("the token is over other data" in p for p in problems)
    assert any("is not the one timestamped" in p for p in problems)


def test_offline_ingest_queues_and_the_worker_fills_the_token_later(
    tsa, officer, cast, client_for
):
    tsa.down = True
    item = _ingest(officer, make_case(caseworker=cast["caseworker"]), data=b"photo " * 100)
    Worker().run(once=True)
    token = TimestampToken.objects.get(item=item)
    assert token.status == TimestampStatus.PENDING and token.attempts == 1
    assert "HTTP 503" in token.reason and token.next_try_at > timezone.now()
    asked = tsa.requests  # the item's token and the day's token over the chain heads
    Worker().run(once=True)  # not due yet: the TSA is not asked again at once
    assert tsa.requests == asked
    page = _page(client_for, item)
    # The reason is the technical one, in English, marked as such for the reader's language.
    waiting = 'Waiting for the time-stamping authority: <span lang="en">the TSA answered HTTP 503'
    assert waiting in page
    assert "next try" in page

    tsa.down = False
    TimestampToken.objects.update(next_try_at=timezone.now() - timedelta(seconds=1))
    Worker().run(once=True)
    token.refresh_from_db()
    assert token.status == TimestampStatus.OBTAINED and token.reason == ""
    assert "Obtained and checked" in _page(client_for, item)
    # Statements are sealed on PostgreSQL: found in memory, as timestamping.daily_due does.
    (daily,) = [t for t in TimestampToken.objects.all() if "\noccasion daily\n" in t.statement]
    assert daily.status == TimestampStatus.OBTAINED and "custody chains 1\n" in daily.statement


def test_a_token_that_does_not_check_is_failed_with_the_reason(tsa, officer, cast, settings):
    other = LocalTSA(tsa.folder.parent)  # another root: the configured chain does not cover it
    settings.TIMESTAMP_CERTIFICATES = str(other.chain)
    item = _ingest(officer, make_case(caseworker=cast["caseworker"]), data=b"doc " * 100)
    Worker().run(once=True)
    token = TimestampToken.objects.get(item=item)
    assert token.status == TimestampStatus.FAILED
    assert "the token does not hold" in token.reason


def test_without_an_authority_nothing_is_asked_and_the_page_says_so(
    settings, officer, cast, client_for, tmp_path
):
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path)}
    settings.TIMESTAMP_AUTHORITIES = []
    item = _ingest(officer, make_case(caseworker=cast["caseworker"]))
    assert not TimestampToken.objects.exists()
    assert "no time-stamping authority was configured" in _page(client_for, item)


def test_a_later_package_is_checked_against_the_heads_an_earlier_one_carried(
    tsa, officer, cast, tmp_path, capsys
):
    item = _ingest(officer, make_case(caseworker=cast["caseworker"]), data=b"scan " * 100)
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    _package(officer, item, first)
    _package(officer, item, second)
    call_command("evidence", "verify-export", str(second), "--anchor", str(first))
    assert "OK:" in capsys.readouterr().out

    # Someone with the database cuts the item's chain back to before the first export.
    CustodyEntry.objects.filter(item=item, seq__gt=2).delete()
    _package(officer, item, third)
    assert export.verify_package(third) == []  # the chain left is whole
    with pytest.raises(CommandError, match="problem"):
        call_command("evidence", "verify-export", str(third), "--anchor", str(second))
    said = capsys.readouterr().err
    assert f"item {item.pk}: the anchor names custody entry 3" in said
    assert "the chain was cut back since" in said
