"""`waystation user add`: the operator creates the first coordinator at the server's command
line, as the system actor "command.user" (which may manage accounts and nothing else); the
audit row names that actor and no member."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from waystation.accounts.models import User
from waystation.accounts.roles import Role
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_user_add_creates_the_account_as_the_command_line(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("a long enough password for anna\n")
    out = StringIO()
    call_command(
        "user", "add", "anna", "--role", "coordinator", "--password-file", str(secret), stdout=out
    )
    assert out.getvalue() == "Created anna (coordinator)\n"
    anna = User.objects.get(username="anna")
    assert list(anna.roles) == [Role.COORDINATOR]
    assert anna.check_password("a long enough password for anna")
    row = AuditEvent.objects.get(event=Event.USER_CREATED)
    assert row.actor is None and row.data["system"] == "command.user"


def test_a_refused_password_creates_nothing(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("short\n")
    with pytest.raises(CommandError, match="Nothing was created"):
        call_command("user", "add", "anna", "--role", "caseworker", "--password-file", str(secret))
    assert not User.objects.exists()
    assert not AuditEvent.objects.filter(event=Event.USER_CREATED).exists()
