"""The authentication backend reads the user row on every request from SQL compiled once: it
must give what the ORM gives, and nothing for a member who was deactivated or removed."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from waystation.accounts.backends import MemberBackend

pytestmark = pytest.mark.django_db


def test_the_user_read_is_the_orm_user(cast):
    member = cast["caseworker"]
    user = MemberBackend().get_user(member.pk)
    orm = get_user_model().objects.get(pk=member.pk)
    assert user == orm
    assert [getattr(user, f.attname) for f in orm._meta.concrete_fields] == [
        getattr(orm, f.attname) for f in orm._meta.concrete_fields
    ]
    assert user.roles == orm.roles and user.date_joined == orm.date_joined


def test_the_second_read_costs_one_query_and_sees_changes(cast):
    member = cast["caseworker"]
    backend = MemberBackend()
    backend.get_user(member.pk)
    member.display_name = "Renamed"
    member.set_roles(["lawyer"])
    member.save()
    with CaptureQueriesContext(connection) as queries:
        user = backend.get_user(member.pk)
    assert len(queries) == 1
    assert str(user) == "Renamed" and user.roles == frozenset({"lawyer"})


def test_a_deactivated_or_removed_member_gets_no_user(cast, client):
    member = cast["caseworker"]
    client.force_login(member)
    assert client.get("/").status_code == 200
    member.is_active = False
    member.save()
    assert MemberBackend().get_user(member.pk) is None
    response = client.get("/")  # the session still names him: the page sends him to sign in
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert MemberBackend().get_user(-1) is None
