"""Coordinators manage the team: invitations, roles, deactivation, second-factor resets."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from waystation.accounts.models import Invite, User
from waystation.accounts.roles import Role
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum lantern gravel ocean"


def _invite(client, username="newcomer", roles=("caseworker",)):
    response = client.post(
        reverse("accounts:invite_new"),
        {"username": username, "display_name": "Новичок", "roles": list(roles)},
    )
    match = re.search(
        r'id="invite-link">http://testserver(/accounts/invite/[^/]+/)<', response.content.decode()
    )
    return response, (match.group(1) if match else None)


def test_invitation_link_creates_the_account_with_its_roles(client_for, client, cast):
    coordinator = client_for("coordinator")
    response, link = _invite(coordinator, roles=("caseworker", "lawyer"))
    assert link, response.content.decode()
    invite = Invite.objects.get(username="newcomer")
    assert link.split("/")[-2] not in invite.token_digest  # only a keyed digest is stored
    assert AuditEvent.objects.filter(event=Event.USER_INVITED, actor=cast["coordinator"]).exists()

    page = client.get(link).content.decode()
    assert "@newcomer" in page
    mismatch = client.post(link, {"password1": NEW_PASSWORD, "password2": "other"}).content.decode()
    assert "The two passwords differ." in mismatch
    assert not User.objects.filter(username="newcomer").exists()
    response = client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == "/"
    user = User.objects.get(username="newcomer")
    assert user.roles == {"caseworker", "lawyer"}
    assert user.display_name == "Новичок"
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(event=Event.INVITE_ACCEPTED, actor=user).exists()


def test_used_link_is_refused_clearly(client_for, client, cast):
    _, link = _invite(client_for("coordinator"))
    client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.logout()
    again = client.get(link)
    assert again.status_code == 410
    assert "expired or was already used" in again.content.decode()
    assert (
        client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 410
    )
    assert User.objects.filter(username="newcomer").count() == 1


def test_expired_link_is_refused_and_creates_nothing(client_for, client):
    _, link = _invite(client_for("coordinator"))
    Invite.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 410
    assert "Ask your coordinator for a new one." in response.content.decode()
    assert not User.objects.filter(username="newcomer").exists()


def test_unknown_link_is_refused(client):
    assert client.get(reverse("accounts:invite_accept", args=["made-up-token"])).status_code == 410


def test_weak_password_keeps_the_invitation_open(client_for, client):
    _, link = _invite(client_for("coordinator"))
    page = client.post(link, {"password1": "newcomer", "password2": "newcomer"}).content.decode()
    assert "too short" in page
    assert not User.objects.filter(username="newcomer").exists()
    assert Invite.objects.get(username="newcomer").is_open


def test_invite_form_keeps_input_and_explains_errors(client_for, cast):
    coordinator = client_for("coordinator")
    taken = coordinator.post(
        reverse("accounts:invite_new"),
        {"username": "Caseworker", "display_name": "Kept text", "roles": ["lawyer"]},
    )
    page = taken.content.decode()
    assert "That username is taken." in page
    assert 'value="Kept text"' in page
    no_roles = coordinator.post(
        reverse("accounts:invite_new"), {"username": "fresh"}
    ).content.decode()
    assert "This field is required." in no_roles and 'value="fresh"' in no_roles
    bad_name = coordinator.post(
        reverse("accounts:invite_new"), {"username": "has space", "roles": ["lawyer"]}
    ).content.decode()
    assert "Use 2 to 64 letters" in bad_name
    assert Invite.objects.count() == 0


def test_revoked_invitation_stops_working(client_for, client):
    coordinator = client_for("coordinator")
    _, link = _invite(coordinator)
    invite = Invite.objects.get()
    coordinator.post(reverse("accounts:invite_revoke", args=[invite.pk]))
    assert client.get(link).status_code == 410
    assert AuditEvent.objects.filter(event=Event.INVITE_REVOKED).exists()


def test_role_change_is_saved_and_audited(client_for, cast):
    coordinator = client_for("coordinator")
    member = cast["caseworker"]
    url = reverse("accounts:user_detail", args=[member.pk])
    response = coordinator.post(url, {"roles": ["caseworker", "screener"]})
    assert response["Location"] == url
    assert User.objects.get(pk=member.pk).roles == {
        "caseworker",
        "screener",
    }
    row = AuditEvent.objects.get(event=Event.USER_ROLES_CHANGED)
    assert row.data == {"added": ["screener"], "removed": []}
    assert row.object_id == str(member.pk) and row.actor == cast["coordinator"]


def test_the_last_coordinator_cannot_be_removed(client_for, cast):
    me = cast["coordinator"]
    coordinator = client_for("coordinator")
    page = coordinator.post(reverse("accounts:user_detail", args=[me.pk]), {"roles": ["lawyer"]})
    assert "last active coordinator" in page.content.decode()
    assert Role.COORDINATOR in User.objects.get(pk=me.pk).roles


def test_deactivation_signs_the_member_out_and_is_audited(client_for, cast):
    member_client = client_for("lawyer")
    assert member_client.get("/").status_code == 200
    response = client_for("coordinator").post(
        reverse("accounts:user_action", args=[cast["lawyer"].pk, "deactivate"])
    )
    assert response.status_code == 302
    assert member_client.get("/")["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.filter(
        event=Event.USER_DEACTIVATED, object_id=str(cast["lawyer"].pk)
    ).exists()
    client_for("coordinator").post(
        reverse("accounts:user_action", args=[cast["lawyer"].pk, "reactivate"])
    )
    assert User.objects.get(pk=cast["lawyer"].pk).is_active


def test_coordinator_cannot_deactivate_self(client_for, cast):
    me = cast["coordinator"]
    client = client_for("coordinator")
    client.post(reverse("accounts:user_action", args=[me.pk, "deactivate"]))
    assert User.objects.get(pk=me.pk).is_active
    page = client.get(reverse("accounts:user_detail", args=[me.pk])).content.decode()
    assert "You cannot deactivate your own account." in page


def test_second_factor_reset_is_audited(client_for, cast):
    target = cast["caseworker"]
    target.totp_secret = "JBSWY3DPEHPK3PXP"
    target.save()
    client_for("coordinator").post(reverse("accounts:user_action", args=[target.pk, "reset-totp"]))
    target.refresh_from_db()
    assert target.totp_secret == ""
    assert AuditEvent.objects.filter(event=Event.TOTP_RESET, object_id=str(target.pk)).exists()


def test_team_page_lists_members_without_growing_queries(client_for, django_assert_max_num_queries):
    from .factories import UserFactory

    client = client_for("coordinator")
    client.get(reverse("accounts:users"))
    UserFactory.create_batch(30, roles=[Role.CASEWORKER])
    with django_assert_max_num_queries(12):
        page = client.get(reverse("accounts:users")).content.decode()
    assert page.count('href="/accounts/team/') >= 36
