import pytest
from django.test import Client

from waystation.accounts.policy import Perm, permissions_of, system_actor
from waystation.api.services import token_create

ROLES = ["coordinator", "caseworker", "lawyer", "documentation_officer", "screener", "treasurer"]
TOKEN_MAKER = system_actor("tests", Perm.SIGNED_IN, Perm.USERS_MANAGE)


def full_token(user, name="test") -> str:
    """A token holding every permission of ``user``."""
    _token, raw = token_create(
        actor=TOKEN_MAKER, user=user, name=name,
        scopes=[p.value for p in permissions_of(user)], days=30,
    )
    return raw


@pytest.fixture
def tokens(cast):
    """role name -> a token with every permission of that role's member."""
    return {role: full_token(cast[role]) for role in ROLES}


@pytest.fixture
def api_for(tokens):
    def make(role: str) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {tokens[role]}", raise_request_exception=False)

    return make
