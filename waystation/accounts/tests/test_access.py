"""Every view is public by list or guarded by the policy; the role cast sees what it should."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter

from waystation.accounts.models import Invite, User
from waystation.accounts.policy import PERMISSIONS, Perm, can, get_for, visible
from waystation.accounts.roles import Role
from waystation.accounts.services import invite_create

# The only pages anyone may open without signing in.
PUBLIC = {
    "accounts:login",
    "accounts:sign_in_code",
    "accounts:invite_accept",
    "set_language",
    "unseal",
    # The anonymous intake portal: no account by design.
    "intake:start",
    "intake:new",
    "intake:sign_in",
    "intake:thread",
    "intake:reply",
    "intake:delete",
    "intake:sign_out",
    # Safety pages marked public, in the portal (a private one answers 404 there).
    "intake:guide",
    "intake:guide_page",
}
SAMPLE_KWARGS = {
    "pk": 1,
    "token": "x" * 20,
    "action": "deactivate",
    "name": "kind",
    "section": "note",
    "topic": "if-detained",
    "lang": "en",
    "number": 1,
    "pathway": "de-asylum",
    "case": 1,
    "criterion": "identity",
    "mark": 1,
}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry


ALL_VIEWS = dict(_walk(get_resolver().url_patterns))


def test_there_are_views_to_check():
    assert {"home:dashboard", "accounts:users", "home:audit"} <= ALL_VIEWS.keys()


@pytest.mark.parametrize("name", sorted(ALL_VIEWS))
def test_each_view_is_public_by_list_or_guarded(name):
    callback = ALL_VIEWS[name].callback
    is_public = getattr(callback, "waystation_public", False)
    permission = getattr(callback, "waystation_permission", None)
    if name in PUBLIC:
        assert is_public, f"{name} is on the public list but not marked @public"
    else:
        assert not is_public, f"{name} is marked public but not on the public list"
        assert isinstance(permission, Perm), f"{name} has no @requires(Perm...) guard"


# The API's views answer 401 themselves (waystation/api/auth.py): no sign-in page for tools.
API_VIEWS = {n for n, p in ALL_VIEWS.items() if getattr(p.callback, "waystation_api", False)}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(ALL_VIEWS) - PUBLIC - API_VIEWS))
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    pattern = ALL_VIEWS[name]
    converters = pattern.pattern.converters
    kwargs = {k: v for k, v in SAMPLE_KWARGS.items() if k in converters}
    if isinstance(converters.get("pk"), UUIDConverter):
        kwargs["pk"] = "00000000-0000-4000-8000-000000000001"
    url = reverse(name, kwargs=kwargs)
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_every_role_is_in_the_table():
    assert set(PERMISSIONS) == set(Role.values)


def test_only_coordinators_manage_users_and_read_the_audit_log():
    for role, perms in PERMISSIONS.items():
        expected = role == Role.COORDINATOR
        assert (Perm.USERS_MANAGE in perms) is expected, role
        assert (Perm.AUDIT_VIEW in perms) is expected, role
        assert (Perm.PANIC in perms) is expected, role


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "dashboard", "team", "audit"),
    [
        ("coordinator", 200, 200, 200),
        ("caseworker", 200, 403, 403),
        ("lawyer", 200, 403, 403),
        ("documentation_officer", 200, 403, 403),
        ("screener", 200, 403, 403),
        ("treasurer", 200, 403, 403),
    ],
)
def test_role_cast_pages(client_for, cast, name, dashboard, team, audit):
    client = client_for(name)
    assert client.get(reverse("home:dashboard")).status_code == dashboard
    assert client.get(reverse("accounts:users")).status_code == team
    assert client.get(reverse("home:audit")).status_code == audit
    other = cast["caseworker"] if name != "caseworker" else cast["lawyer"]
    detail = client.get(reverse("accounts:user_detail", args=[other.pk]))
    assert detail.status_code == team
    if team == 403:
        assert "Not for your role" in detail.content.decode()
        refused = client.post(reverse("accounts:user_action", args=[other.pk, "deactivate"]))
        assert refused.status_code == 403
        other.refresh_from_db()
        assert other.is_active


@pytest.mark.django_db
def test_role_navigation_shows_only_what_the_role_may_open(client_for):
    coordinator_page = client_for("coordinator").get("/").content.decode()
    treasurer_page = client_for("treasurer").get("/").content.decode()
    assert 'href="/accounts/team/"' in coordinator_page
    assert 'href="/audit/"' in coordinator_page
    assert 'href="/accounts/team/"' not in treasurer_page
    assert 'href="/audit/"' not in treasurer_page


@pytest.mark.django_db
def test_deactivated_user_is_signed_out_and_has_no_permissions(cast):
    client = Client()
    client.force_login(cast["deactivated"])
    response = client.get(reverse("home:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not can(cast["deactivated"], Perm.SIGNED_IN)


@pytest.mark.django_db
def test_get_for_answers_404_alike_for_missing_and_forbidden(cast):
    from django.http import Http404

    coordinator, caseworker = cast["coordinator"], cast["caseworker"]
    assert get_for(coordinator, User.objects.all(), caseworker.pk, Perm.USERS_MANAGE) == caseworker
    for user, pk in [(caseworker, coordinator.pk), (coordinator, 999_999), (coordinator, "x")]:
        with pytest.raises(Http404):
            get_for(user, User.objects.all(), pk, Perm.USERS_MANAGE)


@pytest.mark.django_db
def test_models_without_an_object_rule_are_refused(cast):
    invite, _ = invite_create(
        actor=cast["coordinator"], username="newcomer", display_name="", roles=[Role.LAWYER]
    )
    assert Invite.objects.filter(pk=invite.pk).exists()
    assert list(visible(cast["coordinator"], Invite.objects.all(), Perm.USERS_MANAGE)) == []


@pytest.mark.django_db
def test_coordinator_gets_404_for_missing_member(client_for):
    response = client_for("coordinator").get(reverse("accounts:user_detail", args=[987654]))
    assert response.status_code == 404
    assert "not shared with you" in response.content.decode()
