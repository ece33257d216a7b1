"""Fixtures shared by every app's tests: the fixed cast of users, one per role plus a
deactivated one, and a client signed in as any of them."""

import pyotp
import pytest
from django.test import Client
from django.utils import translation

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory

CAST_ROLES = {
    "coordinator": [Role.COORDINATOR],
    "caseworker": [Role.CASEWORKER],
    "lawyer": [Role.LAWYER],
    "documentation_officer": [Role.DOCUMENTATION_OFFICER],
    "screener": [Role.SCREENER],
    "treasurer": [Role.TREASURER],
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 at production cost makes each test user take a quarter second; the production
    # setting itself is asserted in test_settings.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _language_reset():
    """A page asked for in Russian leaves Russian active in the test's thread (the locale
    middleware activates the language and nothing deactivates it), and the next test would
    read Russian where it expects English: every test starts and ends in the default."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def cast(db):
    """One active user per role (the coordinator with TOTP enrolled) and a deactivated one."""
    people = {
        name: UserFactory(
            username=name,
            roles=roles,
            totp_secret=pyotp.random_base32() if Role.COORDINATOR in roles else "",
        )
        for name, roles in CAST_ROLES.items()
    }
    people["deactivated"] = UserFactory(
        username="deactivated", roles=[Role.CASEWORKER], is_active=False
    )
    return people


@pytest.fixture
def client_for(cast):
    def make(name: str) -> Client:
        client = Client()
        client.force_login(cast[name])
        return client

    return make


@pytest.fixture
def transactional_db(transactional_db):
    """Tests that commit (the live server for the browser) end with Django flushing every
    table, which the audit log's append-only triggers rightly refuse; take them away first.
    Tests of the triggers reinstall them (``append_only_audit``)."""
    from django.db import connection

    from waystation.audit.triggers import remove_append_only_triggers

    yield transactional_db
    remove_append_only_triggers(connection)


@pytest.fixture
def append_only_audit(db):
    from django.db import connection

    from waystation.audit.triggers import install_append_only_triggers

    install_append_only_triggers(connection)


@pytest.fixture
def restore_keyring():
    """For tests that seal, shred or swap the keys: the test instance is unsealed again
    afterwards, so the tests after them run as usual."""
    from waystation.testing.plugin import unseal_test_instance

    yield
    unseal_test_instance()
