"""The case content of packages between two instances in one run (issue 22): two data
directories and key rings (``instances`` of conftest: two partner cards, two custody keys,
two field keys, two blob stores) over one test database. Instance A (known to B as "Almaty
group") sends, instance B (known to A as "Bishkek group") receives."""

import hashlib
import io
import os
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from waystation import cli
from waystation.accounts.policy import Perm, Side, system_actor
from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.cases.models import Identity, Status
from waystation.cases.services import (
    CaseTransferred,
    case_create,
    identity_save,
    note_add,
    status_record,
)
from waystation.core.refusals import Forbidden
from waystation.evidence import custody, gate
from waystation.evidence import services as evidence
from waystation.evidence.models import CustodyAction, CustodyEntry, Item, ItemOrigin, Testimony
from waystation.partners import accepting, answers, sending
from waystation.partners.card import this_card
from waystation.partners.inbox import import_package
from waystation.partners.models import Answer, Decision, Inbound, Outbound, Partner
from waystation.partners.services import partner_add
from waystation.testing.plugin import DATA_DIR

pytestmark = pytest.mark.django_db

MB = 1 << 20


class Groups:
    """Instance A ("here" of the shared fixture) and B ("there"), each knowing the other as a
    partner from its card, added by the partners service as a coordinator would."""

    def __init__(self, instances):
        self.instances = {"a": instances.here, "b": instances.there}
        self.dirs = {name: instance.data_dir for name, instance in self.instances.items()}
        cards = {}
        for name in ("a", "b"):
            with self.as_(name):
                cards[name] = this_card()
        for here, there, called in (("a", "b", "Bishkek group"), ("b", "a", "Almaty group")):
            with self.as_(here):
                partner_add(
                    actor=MANAGER,
                    card_text=cards[there].to_text(),
                    name=called,
                    fingerprint_compared=True,
                )

    def as_(self, name: str):
        return self.instances[name]


@pytest.fixture
def groups(instances):
    return Groups(instances)


MANAGER = system_actor("test.partners", Perm.PARTNERS_MANAGE)
COMMAND = system_actor("test.inbox", Perm.PARTNERS_MANAGE, Perm.CASES_VIEW, sides=(Side.LEGAL,))


def _big_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = os.urandom(MB)
    with open(path, "wb") as out:
        for n in range(size // MB):
            piece = n.to_bytes(8, "big") + block[8:]
            out.write(piece)
            digest.update(piece)
    return digest.hexdigest()


def _case_with_evidence(coordinator, tmp_path, *, size=MB):
    case = case_create(actor=coordinator, languages="ru", city="Almaty", summary="needs a lawyer")
    identity_save(actor=coordinator, case=case, legal_name="Ivan Petrov")
    testimony = evidence.testimony_record(
        actor=coordinator,
        case=case,
        statement="I saw the column leave at night.",
        language="ru",
        consent_scope=["partner"],
    )
    path = tmp_path / "video.mp4"
    sha = _big_file(path, size)
    with open(path, "rb") as source:
        open_item = evidence.item_ingest_stream(
            actor=coordinator,
            case=case,
            source=source,
            original_name="video.mp4",
            kind="video",
            origin=ItemOrigin.OPEN,
        )
    path.unlink()
    with open(__file__, "rb") as source:
        court_only = evidence.item_ingest_stream(
            actor=coordinator,
            case=case,
            source=source,
            original_name="court-only.txt",
            kind="document",
            origin=ItemOrigin.ORGANISATION,
            origin_organisation="Memorial",
            terms_scope=["court"],
            terms_courts=["ICC OTP"],
        )
    return SimpleNamespace(
        case=case, testimony=testimony, item=open_item, court_only=court_only, sha=sha
    )


def _plain_on_disk(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {needle!r}" for needle in needles if needle in data]
    return found


def test_transfer_round_trip_with_identity_testimony_and_100_mb_item(cast, groups, tmp_path):
    coordinator = cast["coordinator"]
    with groups.as_("a"):
        made = _case_with_evidence(coordinator, tmp_path, size=100 * MB)
        case, testimony, item, court_only = made.case, made.testimony, made.item, made.court_only
        sha = made.sha
        partner = Partner.objects.get(name="Bishkek group")
        out = tmp_path / "transfer.waystation"
        outbound = sending.case_send(
            actor=coordinator,
            case=case,
            partner=partner,
            choice=sending.Choice(
                kind="transfer",
                message="He arrives on Tuesday.",
                care=True,
                legal=True,
                identity_reason="legal",
                item_ids=(str(item.pk),),
                testimony_ids=(str(testimony.pk),),
            ),
            out=out,
        )
        assert outbound.answer == Answer.PENDING
        sent = CustodyEntry.objects.filter(item=item).order_by("-seq").first()
        assert sent.action == CustodyAction.SENT_TO_PARTNER
        assert sent.details["partner"] == "Bishkek group"
        assert {p["kind"] for p in outbound.parts} == {
            "care",
            "legal",
            "identity",
            "item",
            "testimony",
        }
        assert str(court_only.pk) not in str(outbound.parts)
    # the package file holds nothing readable
    assert _plain_on_disk(tmp_path, [b"Ivan Petrov", b"column leave", b"Tuesday"]) == []

    with groups.as_("b"):
        inbound = import_package(actor=COMMAND, source=out)
        shown = accepting.contents_of(inbound)
        assert shown.message == "He arrives on Tuesday."
        assert [i["name"] for i in shown.items] == ["video.mp4"]
        assert set(shown.parts) == {"care", "legal", "identity"}
        receipt = tmp_path / "receipt.waystation"
        decision = accepting.package_accept(actor=coordinator, inbound=inbound, out=receipt)
        new_case = decision.case
        assert new_case.codename != case.codename  # taken in this shared test database
        assert Identity.objects.get(case=new_case).legal_name == "Ivan Petrov"
        received = Testimony.objects.get(case=new_case)
        assert received.statement == "I saw the column leave at night."
        assert received.consent_scope == ["partner"]
        new_item = Item.objects.get(case=new_case)
        assert new_item.sha256 == sha and new_item.size == 100 * MB
        assert "received from partner Almaty group" in new_item.acquired_from
        chain = list(new_item.custody.order_by("seq"))
        assert custody.verify_chain(new_item.pk, chain) == []
        assert chain[-1].action == CustodyAction.FROM_PARTNER
        sender_chain = decision.items.get().sender_chain
        assert accepting.chain_problems(sender_chain, str(item.pk)) == []
        assert chain[-1].details["sender_chain_head"] == sender_chain[-1]["entry_hash"]
        notes = " ".join(n.text for n in new_case.notes.all())
        assert "Almaty group" in notes and "needs a lawyer" in new_case.summary
        assert Inbound.objects.get(pk=inbound.pk).status == "accepted"

    with groups.as_("a"):
        outbound.refresh_from_db()
        assert outbound.answer == Answer.PENDING  # not closed before the receipt
        case.refresh_from_db()
        assert case.status != Status.CLOSED
        import_package(actor=COMMAND, source=receipt)
        outbound.refresh_from_db()
        case.refresh_from_db()
        assert outbound.answer == Answer.ACCEPTED
        assert outbound.new_codename == new_case.codename
        assert case.status == Status.CLOSED
        assert answers.transferred(case) == outbound
        step = case.status_changes.order_by("-pk").first()
        assert "Bishkek group" in step.note
        # kept read-only here: no note, no status, no identity change once it went
        assert case.transferred_to == "Bishkek group" and case.transferred_at is not None
        with pytest.raises(CaseTransferred, match="transferred to Bishkek group"):
            note_add(actor=coordinator, case=case, text="one more thing")
        with pytest.raises(CaseTransferred):
            status_record(actor=coordinator, case=case, status=Status.IN_TRANSIT, on=date.today())
        # (compared in memory: the text is sealed on PostgreSQL, which cannot match it)
        assert "one more thing" not in [note.text for note in case.notes.all()]
        items_before = Item.objects.filter(case=case).count()
        with pytest.raises(evidence.EvidenceError, match="transferred to Bishkek group"):
            evidence.item_ingest_stream(
                actor=coordinator, case=case, source=io.BytesIO(b"late"), original_name="l.txt"
            )
        with pytest.raises(evidence.EvidenceError, match="transferred to Bishkek group"):
            evidence.testimony_record(
                actor=coordinator, case=case, statement="late words", language="ru"
            )
        assert Item.objects.filter(case=case).count() == items_before
        with pytest.raises(sending.SendError, match="transferred to Bishkek group"):
            sending.case_send(
                actor=coordinator,
                case=case,
                partner=partner,
                choice=sending.Choice(kind="referral", care=True),
                out=tmp_path / "again.waystation",
            )
    # nothing of the package readable on disk at either side
    for root in (DATA_DIR, groups.dirs["a"], groups.dirs["b"], tmp_path):
        assert _plain_on_disk(Path(root), [b"Ivan Petrov", b"column leave"]) == []


def test_referral_keeps_the_case_open_and_records_the_answer(cast, groups, tmp_path):
    coordinator = cast["coordinator"]
    with groups.as_("a"):
        case = _case_with_evidence(coordinator, tmp_path).case
        out = tmp_path / "referral.waystation"
        outbound = sending.case_send(
            actor=coordinator,
            case=case,
            partner=Partner.objects.get(name="Bishkek group"),
            choice=sending.Choice(kind="referral", message="Can you find him a lawyer?", care=True),
            out=out,
        )
    with groups.as_("b"):
        inbound = import_package(actor=COMMAND, source=out)
        receipt = tmp_path / "receipt.waystation"
        accepting.package_decline(
            actor=coordinator, inbound=inbound, reason="No lawyer free this month.", out=receipt
        )
        assert Decision.objects.get(package_id=inbound.package_id).answer == Answer.DECLINED
        assert not Item.objects.filter(acquired_from__contains=inbound.package_id).exists()
        with pytest.raises(accepting.AcceptError, match="answered already"):
            accepting.package_accept(
                actor=coordinator, inbound=inbound, out=tmp_path / "again.waystation"
            )
    with groups.as_("a"):
        import_package(actor=COMMAND, source=receipt)
        outbound.refresh_from_db()
        case.refresh_from_db()
        assert outbound.answer == Answer.DECLINED
        assert outbound.answer_message == "No lawyer free this month."
        assert case.status != Status.CLOSED


def test_an_item_without_consent_for_partners_stays_out(cast, groups, tmp_path):
    coordinator = cast["coordinator"]
    with groups.as_("a"):
        made = _case_with_evidence(coordinator, tmp_path)
        case, court_only = made.case, made.court_only
        partner = Partner.objects.get(name="Bishkek group")
        shown = sending.preview(actor=coordinator, case=case, partner_name=partner.name)
        held = {line.id: line.reason for line in shown.held}
        assert str(court_only.pk) in held and "court ICC OTP" in held[str(court_only.pk)]
        out = tmp_path / "asked.waystation"
        with pytest.raises(gate.Refused, match=r"court-only\.txt"):
            sending.case_send(
                actor=coordinator,
                case=case,
                partner=partner,
                choice=sending.Choice(kind="referral", item_ids=(str(court_only.pk),)),
                out=out,
            )
        assert not out.exists()
        assert not Outbound.objects.filter(case=case).exists()
        assert not CustodyEntry.objects.filter(
            item=court_only, action=CustodyAction.SENT_TO_PARTNER
        ).exists()


def test_only_a_coordinator_sends_the_identity(cast, groups, tmp_path):
    """A caseworker may not send at all; an actor who may send but is no coordinator (here
    a command's actor without cases.manage) may send the case but not its identity."""
    sender = system_actor(
        "test.send",
        Perm.PARTNERS_SEND,
        Perm.CASES_VIEW,
        Perm.EVIDENCE_VIEW,
        sides=(Side.MANAGE, Side.CARE, Side.LEGAL, Side.IDENTITY),
    )
    with groups.as_("a"):
        case = _case_with_evidence(cast["coordinator"], tmp_path).case
        partner = Partner.objects.get(name="Bishkek group")
        case.caseworker = cast["caseworker"]
        case.save()
        for actor, identity in ((cast["caseworker"], ""), (sender, "legal")):
            with pytest.raises(Forbidden):
                sending.case_send(
                    actor=actor,
                    case=case,
                    partner=partner,
                    choice=sending.Choice(kind="referral", care=True, identity_reason=identity),
                    out=tmp_path / "x.waystation",
                )
        assert not Outbound.objects.exists()
        assert not (tmp_path / "x.waystation").exists()


def test_the_command_line_sends_accepts_and_answers(cast, groups, tmp_path):
    """`waystation case send` (routed to case_send), `inbox import`, `inbox accept --by`,
    and the receipt imported back."""
    assert cli.routed(["waystation", "case", "send", "x"]) == ["waystation", "case_send", "x"]
    with groups.as_("a"):
        made = _case_with_evidence(cast["coordinator"], tmp_path)
        out = tmp_path / "referral.waystation"
        said = io.StringIO()
        call_command(
            "case_send",
            made.case.codename,
            "--to",
            "Bishkek group",
            "--kind",
            "referral",
            "--care",
            "--item",
            str(made.item.pk),
            "--message",
            "A lawyer, please.",
            "--out",
            str(out),
            stdout=said,
        )
        assert "Bishkek group" in said.getvalue() and out.is_file()
        with pytest.raises(CommandError, match="Not for this recipient"):
            call_command(
                "case_send",
                made.case.codename,
                "--to",
                "Bishkek group",
                "--kind",
                "referral",
                "--item",
                str(made.court_only.pk),
                "--out",
                str(tmp_path / "refused.waystation"),
            )
        assert not (tmp_path / "refused.waystation").exists()
    with groups.as_("b"):
        call_command("inbox", "import", str(out), stdout=io.StringIO())
        inbound = Inbound.objects.get(sender__name="Almaty group", kind="referral")
        with pytest.raises(CommandError, match="not an active coordinator"):
            call_command(
                "inbox",
                "accept",
                str(inbound.pk),
                "--by",
                "caseworker",
                "--out",
                str(tmp_path / "r.waystation"),
            )
        said = io.StringIO()
        receipt = tmp_path / "receipt.waystation"
        call_command(
            "inbox",
            "accept",
            str(inbound.pk),
            "--by",
            "coordinator",
            "--out",
            str(receipt),
            stdout=said,
        )
        assert "the new case is" in said.getvalue()
        assert Item.objects.filter(case=Decision.objects.get().case).count() == 1
    with groups.as_("a"):
        call_command("inbox", "import", str(receipt), stdout=io.StringIO())
        outbound = Outbound.objects.get(case=made.case)
        assert outbound.answer == Answer.ACCEPTED
        made.case.refresh_from_db()
        assert made.case.status != Status.CLOSED  # a referral: the case stays open here


def _member(username: str, role) -> tuple:
    user = UserFactory(
        username=username,
        roles=[role],
        totp_secret=pyotp.random_base32() if role == Role.COORDINATOR else "",
    )
    client = Client()
    client.force_login(user)
    return user, client


def test_the_pages_send_a_referral_and_accept_it(groups, tmp_path):
    # each instance has its own members (their fields are encrypted under its keys) and
    # signs its sessions with its own keys: a login of its own in each
    with groups.as_("a"):
        member, coordinator = _member("coordinator-a", Role.COORDINATOR)
        made = _case_with_evidence(member, tmp_path)
        url = reverse("partners:send", args=[made.case.pk])
        page = coordinator.get(url)
        assert page.status_code == 200 and "Bishkek group" in page.content.decode()
        form = {"partner": "Bishkek group", "kind": "referral", "message": "Help him", "care": "on"}
        page = coordinator.post(url, {**form, "step": "preview"})
        text = page.content.decode()
        assert "held back" in text and "court ICC OTP" in text
        package = coordinator.post(url, {**form, "step": "send", "items": [str(made.item.pk)]})
        assert package.status_code == 200
        assert package["Content-Disposition"].startswith("attachment")
        out = tmp_path / "from-page.waystation"
        out.write_bytes(b"".join(package.streaming_content))
        page = coordinator.get(url)
        assert "Waiting for their answer" in page.content.decode()
        assert _member("caseworker-a", Role.CASEWORKER)[1].get(url).status_code == 403
    with groups.as_("b"):
        _user, coordinator = _member("coordinator-b", Role.COORDINATOR)
        inbound = import_package(actor=COMMAND, source=out)
        page = coordinator.get(reverse("partners:inbox"))
        assert "Almaty group" in page.content.decode()
        url = reverse("partners:package", args=[inbound.pk])
        text = coordinator.get(url).content.decode()
        assert "Help him" in text and "video.mp4" in text
        receipt = coordinator.post(url, {"do": "accept"})
        assert receipt["Content-Disposition"].startswith("attachment")
        (tmp_path / "receipt.waystation").write_bytes(b"".join(receipt.streaming_content))
        text = coordinator.get(url).content.decode()
        assert "Accepted" in text and Decision.objects.get().case.codename in text
        assert _member("caseworker-b", Role.CASEWORKER)[1].get(url).status_code == 403
    with groups.as_("a"):
        coordinator = Client()
        coordinator.force_login(member)
        import_package(actor=COMMAND, source=tmp_path / "receipt.waystation")
        text = coordinator.get(reverse("partners:send", args=[made.case.pk])).content.decode()
        assert "Accepted" in text
