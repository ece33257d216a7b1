"""The audit chain: appends verify; any edit, deletion, reordering or cut tail is reported with
the first broken row; the database itself refuses updates and deletes."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waystation.audit.events import Event
from waystation.audit.models import AuditChainHead, AuditEvent
from waystation.audit.services import record
from waystation.audit.triggers import remove_append_only_triggers
from waystation.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def _attacker_sql(*statements):
    """Raw writes by someone with the database file, who first removes our triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Flush deferred foreign-key checks: PostgreSQL will not drop a trigger on a table
            # with pending trigger events in this transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        remove_append_only_triggers(connection)
        for statement, params in statements:
            cursor.execute(statement, params)


@pytest.fixture
def chain(cast):
    for i in range(6):
        record(
            Event.LOGIN_SUCCEEDED, actor=cast["caseworker"], obj=cast["caseworker"], data={"n": i}
        )
    return list(AuditEvent.objects.order_by("seq"))


def test_intact_chain_verifies(chain):
    result = verify_chain()
    assert result.ok and result.checked == len(chain)


def test_database_refuses_update_and_delete(chain, append_only_audit):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(event=Event.LOGOUT)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=2).delete()
    assert verify_chain().ok


def test_edited_row_is_detected(chain):
    _attacker_sql(("UPDATE audit_auditevent SET data = %s WHERE seq = 3", ['{"n": 99}']))
    result = verify_chain()
    assert not result.ok
    assert result.broken_seq == 3 and result.checked == 2
    assert "changed" in result.reason


def test_edited_actor_is_detected(chain, cast):
    _attacker_sql(("UPDATE audit_auditevent SET actor_id = %s WHERE seq = 4", [cast["lawyer"].pk]))
    assert verify_chain().broken_seq == 4


def test_deleted_row_is_detected(chain):
    _attacker_sql(("DELETE FROM audit_auditevent WHERE seq = 2", []))
    result = verify_chain()
    assert not result.ok and result.broken_seq == 2
    assert "missing" in result.reason


def test_reordered_rows_are_detected(chain):
    _attacker_sql(
        ("UPDATE audit_auditevent SET seq = -1 WHERE seq = 3", []),
        ("UPDATE audit_auditevent SET seq = 3 WHERE seq = 4", []),
        ("UPDATE audit_auditevent SET seq = 4 WHERE seq = -1", []),
    )
    result = verify_chain()
    assert not result.ok and result.broken_seq == 3


def test_cut_tail_is_detected(chain):
    _attacker_sql(("DELETE FROM audit_auditevent WHERE seq >= 5", []))
    result = verify_chain()
    assert not result.ok and result.broken_seq == 5
    assert "chain head" in result.reason


def test_forged_row_without_the_key_is_detected(chain):
    last = chain[-1]
    _attacker_sql(
        (
            "INSERT INTO audit_auditevent (seq, at, actor_id, event, object_type, object_id, data,"
            " prev_mac, mac) VALUES (%s, %s, NULL, %s, '', '', %s, %s, %s)",
            [last.seq + 1, last.at, Event.LOGOUT.value, "{}", last.mac, "ab" * 32],
        )
    )
    AuditChainHead.objects.filter(pk=1).update(seq=last.seq + 1, mac="ab" * 32)
    assert verify_chain().broken_seq == last.seq + 1


def test_verify_command_reports_the_first_broken_row(chain, capsys):
    call_command("audit", "verify")
    assert f"{len(chain)} rows verified" in capsys.readouterr().out
    _attacker_sql(("UPDATE audit_auditevent SET event = %s WHERE seq = 2", [Event.LOGOUT.value]))
    with pytest.raises(CommandError, match="audit log broken at row 2"):
        call_command("audit", "verify")


def test_a_different_key_does_not_verify(chain, restore_keyring):
    import os

    from django.conf import settings as django_settings

    from waystation.core.keyring import KEYRING

    KEYRING.install(os.urandom(32), django_settings.DATA_DIR)  # another instance's master key
    result = verify_chain()
    assert not result.ok and result.broken_seq == 1


_keys = st.from_regex(r"\A[a-z][a-z0-9_]{0,31}\Z")
_codes = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P"], include_characters=" "), max_size=64
)
_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _codes
_json_values = (
    _scalars | st.lists(_scalars, max_size=3) | st.dictionaries(_keys, _scalars, max_size=3)
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payloads=st.lists(st.dictionaries(_keys, _json_values, max_size=3), min_size=1, max_size=4))
def test_any_payload_round_trips_through_the_chain(db, payloads):
    for payload in payloads:
        record(Event.USER_ROLES_CHANGED, data=payload)
    assert verify_chain().ok


@pytest.mark.parametrize(
    "data",
    [
        {"note": "x" * 65},
        {"Name With Space": 1},
        {"text": "line\nbreak"},
        {"amount": 1.5},
        {"a": {"b": {"c": {"d": {"e": 1}}}}},
    ],
)
def test_free_text_and_odd_values_are_refused(db, data):
    with pytest.raises(ValueError, match="audit data"):
        record(Event.USER_ROLES_CHANGED, data=data)
    assert not AuditEvent.objects.exists()


def test_the_log_holds_no_typed_text(client, cast):
    client.post("/accounts/login/", {"username": "caseworker", "password": "hunter2-secret"})
    client.post("/accounts/login/", {"username": "Someone Real", "password": "x"})
    dumped = str(list(AuditEvent.objects.values()))
    assert "hunter2" not in dumped and "Someone Real" not in dumped
