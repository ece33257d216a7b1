"""Limits shared by every app server (PostgreSQL mode): a budget spent through one database
connection (server A) is spent for another (server B); the table is unlogged, keyed by
digests only, and swept."""

import re

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from waystation.core import limits
from waystation.core.models import LimitBucket
from waystation.intake import ratelimit

pytestmark = [pytest.mark.postgresql, pytest.mark.usefixtures("transactional_db")]

ONION = {"REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture
def server_b():
    """A second app server's own connection to the same database."""
    other = connections.create_connection("default")
    yield other
    other.close()


def _try_codename(client, codename):
    page = client.get(reverse("intake:sign_in")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    return client.post(
        reverse("intake:sign_in"), {"codename": codename, "csrfmiddlewaretoken": token}
    )


def test_an_intake_limit_spent_on_one_server_holds_on_the_other(settings, server_b, monkeypatch):
    # What a server in PostgreSQL mode starts with (another test may have swapped it).
    monkeypatch.setattr(ratelimit, "LIMITER", ratelimit._limiter())
    assert isinstance(ratelimit.LIMITER, ratelimit.SharedRateLimiter)
    settings.INTAKE_LOGINS_PER_VISITOR, settings.INTAKE_LOGINS_OVERALL = 3, 1000
    guesser = Client(enforce_csrf_checks=True, **ONION)
    statuses = [_try_codename(guesser, "wrong words again").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    # Server B, on a connection of its own, finds this browser's budget spent ...
    browser = "browser:" + guesser.cookies[settings.CSRF_COOKIE_NAME].value
    assert not limits.take("intake:codename", browser, 3, connection=server_b)
    # ... and another browser's whole.
    assert limits.take("intake:codename", "browser:another", 3, connection=server_b)


def test_two_servers_share_one_bucket_and_never_overdraw_it(server_b):
    taken = [
        limits.take("test", "someone", 5, connection=c)
        for c in (connection, server_b) * 4
    ]
    assert taken == [True] * 5 + [False] * 3


def test_the_table_is_unlogged_and_holds_digests_only(settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "LIMITER", ratelimit._limiter())
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.9")
    _try_codename(client, "no such words")
    cookie = client.cookies[settings.CSRF_COOKIE_NAME].value
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'core_limitbucket'")
        assert cursor.fetchone() == ("u",)
        cursor.execute("SELECT key, tokens::text, updated_at::text FROM core_limitbucket")
        rows = cursor.fetchall()
    assert len(rows) == 2  # this address's bucket and everyone's
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", row[0])
        assert "203.0.113.9" not in str(row) and cookie not in str(row)


def test_buckets_untouched_for_an_hour_are_swept(monkeypatch):
    limits.take("test", "old", 5)
    LimitBucket.objects.update(updated_at="2000-01-01T00:00:00Z")
    monkeypatch.setattr(limits, "_last_sweep", 0.0)
    limits.take("test", "new", 5)
    assert LimitBucket.objects.count() == 1
    assert LimitBucket.objects.get().key == limits.bucket_key("test", "new")


def test_the_unseal_page_pause_is_one_for_every_server(server_b):
    now = 1_900_000_000.0
    limits.pause_after_failure("unseal-page", now, 2.0, 300.0)
    assert limits.pause_left("unseal-page", now, connection=server_b) == pytest.approx(2.0)
    limits.pause_after_failure("unseal-page", now + 3, 2.0, 300.0)
    assert limits.pause_left("unseal-page", now + 3, connection=server_b) == pytest.approx(4.0)
    limits.pause_end("unseal-page")
    assert limits.pause_left("unseal-page", now + 3, connection=server_b) <= 0
