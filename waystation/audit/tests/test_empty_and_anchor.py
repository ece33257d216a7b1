"""`audit verify` on a wiped log (issue 18, finding 12): an empty log on an instance with
members is reported, not called intact; an anchor noted earlier finds a log cut short or wiped,
which the chain alone cannot show."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from waystation.audit.events import Event
from waystation.audit.models import GENESIS_MAC, AuditChainHead, AuditEvent
from waystation.audit.services import record

from .test_chain import _attacker_sql

pytestmark = pytest.mark.django_db


def _verify(capsys, *args) -> str:
    call_command("audit", "verify", *args)
    return capsys.readouterr().out


def _wipe(keep: int = 0):
    """What someone with the database file can do: cut rows off and rewind the chain head."""
    last = AuditEvent.objects.filter(seq__lte=keep).order_by("-seq").first()
    _attacker_sql(("DELETE FROM audit_auditevent WHERE seq > %s", [keep]))
    AuditChainHead.objects.filter(pk=1).update(
        seq=last.seq if last else 0, mac=last.mac if last else GENESIS_MAC
    )


def test_a_new_instance_with_an_empty_log_is_fine(capsys):
    assert "audit log intact: 0 rows verified" in _verify(capsys)


def test_an_empty_log_on_an_instance_with_members_is_reported(cast, capsys):
    for n in range(3):
        record(Event.LOGIN_SUCCEEDED, actor=cast["coordinator"], data={"n": n})
    _wipe()
    with pytest.raises(CommandError, match="the audit log is empty, but this instance has members"):
        call_command("audit", "verify")


def test_an_anchor_finds_a_log_cut_short_or_rewritten(cast, capsys):
    for n in range(5):
        record(Event.LOGIN_SUCCEEDED, actor=cast["lawyer"], data={"n": n})
    out = _verify(capsys)
    anchor = re.search(r"anchor (\d+:[0-9a-f]{16})", out)[1]
    record(Event.LOGOUT, actor=cast["lawyer"])
    assert "audit log intact" in _verify(capsys, "--anchor", anchor)
    rows = int(anchor.split(":")[0])
    _wipe(keep=rows - 2)  # the chain that is left is whole: only the anchor shows the cut
    assert "audit log intact" in _verify(capsys)
    with pytest.raises(CommandError, match=f"the anchor names row {rows}: rows were cut off"):
        call_command("audit", "verify", "--anchor", anchor)
    with pytest.raises(CommandError, match="an anchor looks like"):
        call_command("audit", "verify", "--anchor", "yesterday")
