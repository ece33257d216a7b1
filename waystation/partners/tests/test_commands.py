"""`waystation partner …` and `waystation inbox import/list` at the command line."""

import pytest
from django.core.management import CommandError, call_command

from waystation import cli
from waystation.accounts.policy import Perm, system_actor
from waystation.partners.card import Card, this_card
from waystation.partners.models import Partner
from waystation.partners.package import write_package
from waystation.partners.services import partner_add

ACTOR = system_actor("command.partners.test", Perm.PARTNERS_MANAGE)


def test_partner_commands_are_listed():
    listed = {name for _section, commands in cli.SECTIONS for name, _line in commands}
    assert {"partner", "inbox"} <= listed


def test_card_add_list_revoke(db, instances, tmp_path, capsys):
    out = tmp_path / "card.txt"
    with instances.there:
        call_command("partner", "card", "--out", str(out))
        there = this_card()
    said = capsys.readouterr().out
    assert there.fingerprint in said and Card.parse(out.read_text()) == there
    with pytest.raises(CommandError, match="exists already"):
        call_command("partner", "card", "--out", str(out))

    with pytest.raises(CommandError, match=r"compare the fingerprint .* --yes; nothing was added"):
        call_command("partner", "add", str(out), "--name", "Tbilisi")
    assert there.fingerprint in capsys.readouterr().out  # printed to compare before refusing
    assert not Partner.objects.exists()
    call_command("partner", "add", str(out), "--name", "Tbilisi", "--yes")
    assert "Added Tbilisi as a partner." in capsys.readouterr().out
    with pytest.raises(CommandError, match="already the card of Tbilisi"):
        call_command("partner", "add", str(out), "--name", "Again", "--yes")

    call_command("partner", "list")
    assert f"Tbilisi\ttrusted\t{there.fingerprint}" in capsys.readouterr().out
    call_command("partner", "revoke", "Tbilisi")
    assert "Revoked Tbilisi" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no trusted partner named 'Tbilisi'"):
        call_command("partner", "revoke", "Tbilisi")
    call_command("partner", "list")
    assert "Tbilisi\trevoked " in capsys.readouterr().out

    not_a_card = tmp_path / "photo.jpg"
    not_a_card.write_bytes(b"\xff\xd8 not text \xff")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("partner", "add", str(not_a_card), "--name", "X", "--yes")


def test_inbox_import_and_list(db, instances, tmp_path, capsys):
    here = this_card()  # the suite's own instance receives
    package = tmp_path / "referral.waystation"
    with instances.there:
        to_here = partner_add(
            actor=ACTOR, card_text=here.to_text(), name="Bishkek", fingerprint_compared=True
        )
        info = write_package(
            package, partner=to_here, kind="referral", manifest={}, files=[("a", b"a")]
        )
        there = this_card().to_text()
    with pytest.raises(CommandError, match="not a known partner"):
        call_command("inbox", "import", str(package))
    partner_add(actor=ACTOR, card_text=there, name="Tbilisi", fingerprint_compared=True)
    call_command("inbox", "import", str(package))
    said = capsys.readouterr().out
    assert "Imported the referral" in said and "from Tbilisi (1 file)" in said
    with pytest.raises(CommandError, match="already imported on"):
        call_command("inbox", "import", str(package))
    call_command("inbox", "list")
    listed = capsys.readouterr().out
    assert "\tTbilisi\treferral\tqueued" in listed
    with pytest.raises(CommandError, match="no such file"):
        call_command("inbox", "import", str(tmp_path / "missing"))
    assert info.package_id
