"""The exit gate, on every way out: one table of recipient × consent × screening, run through
the web ZIP, the command-line directory, the age-encrypted package, the dossier as PDF and as
ZIP, and the case export as JSON and as a printable page — asserting on the files made (which
items' bytes, which testimonies' texts are inside), not on status codes.

The case: the person of the case (his own testimony, two items from him governed by his
consent for his items), a video handed over by another witness (governed by that witness's
testimony consent), an open-source item (goes anywhere), an item from an organisation on
named terms (UN and NGOs), and an item whose source is not recorded (goes nowhere). The
consent state under test applies to the person's consent for his items and to both
testimonies at once; test_a_witness_item_follows_the_witness_not_the_person sets them apart.
"""

import io
import json
import os
import re
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO

import pyrage
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.evidence import gate, services
from waystation.evidence.models import CustodyAction, CustodyEntry, ItemOrigin, Recipient
from waystation.partners.card import this_card
from waystation.partners.models import Partner
from waystation.partners.package import open_package
from waystation.screening import services as screening
from waystation.screening.tests.factories import interviewed, with_concern

pytestmark = pytest.mark.django_db

ICC = "ICC OTP"
PERSON_SAYS = "PERSON-STATEMENT: I drove the truck past the school on 14 March."
WITNESS_SAYS = "WITNESS-STATEMENT: I filmed the shooting from the roof."

# The items of the case: how each came, and a marker inside its bytes.
ITEMS = {
    "person_video": {"origin": ItemOrigin.PERSON},
    "person_chat": {"origin": ItemOrigin.PERSON},
    "witness_video": {"origin": ItemOrigin.WITNESS},
    "open_report": {"origin": ItemOrigin.OPEN},
    "organisation_photo": {
        "origin": ItemOrigin.ORGANISATION,
        "origin_organisation": "Field photographers' collective",
        "terms_scope": [Recipient.UN, Recipient.NGO],
    },
    "unrecorded_scan": {"origin": ItemOrigin.NOT_RECORDED},
}

# recipient: (kind, name)
RECIPIENTS = {
    "court_named_right": (Recipient.COURT, ICC),
    "court_named_wrong": (Recipient.COURT, "Eurojust"),
    "un": (Recipient.UN, ""),
    "ngo": (Recipient.NGO, ""),
    "media": (Recipient.MEDIA, ""),
    "partner": (Recipient.PARTNER, "Bishkek group"),
}
ALL_KINDS = [Recipient.COURT, Recipient.UN, Recipient.NGO, Recipient.MEDIA, Recipient.PARTNER]
# consent state: what the person and the witnesses agreed to (None: nothing recorded)
CONSENTS = {
    "none_recorded": None,
    "court_only": [Recipient.COURT],
    "all_kinds": ALL_KINDS,
    "withdrawn": ALL_KINDS,  # agreed to, then withdrawn
}

# The table. Which recipients get what consent governs (the person's items and testimony,
# the witness's video), per consent state; which get the organisation's item; the rest:
OPEN_TO_ALL = {"open_report"}
CONSENT_LETS_GO_TO = {
    "none_recorded": set(),
    "court_only": {"court_named_right"},
    "all_kinds": {"court_named_right", "un", "ngo", "media", "partner"},
    "withdrawn": set(),
}
ORGANISATION_TERMS_LET_GO_TO = {"un", "ngo"}
GOVERNED_BY_CONSENT = {"person_video", "person_chat", "witness_video"}
SCREENING = ("none", "concern", "cleared")


def expected(recipient: str, consent: str) -> tuple[set[str], set[str]]:
    """(items, testimonies) that go: read off the table above."""
    items = set(OPEN_TO_ALL)
    if recipient in ORGANISATION_TERMS_LET_GO_TO:
        items.add("organisation_photo")
    testimonies = set()
    if recipient in CONSENT_LETS_GO_TO[consent]:
        items |= GOVERNED_BY_CONSENT
        testimonies.add("person")
    return items, testimonies


@dataclass
class World:
    case: object
    witness_case: object
    items: dict  # name -> Item
    marks: dict  # name -> bytes inside the item
    person_testimony: object
    witness_testimony: object
    officer: object
    coordinator: object


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


@pytest.fixture
def world(cast, blobs) -> World:
    officer = cast["documentation_officer"]
    case = make_case(caseworker=cast["caseworker"], lawyer=cast["lawyer"])
    witness_case = make_case()
    person_testimony = services.testimony_record(
        actor=officer, case=case, statement=PERSON_SAYS, language="Russian"
    )
    witness_testimony = services.testimony_record(
        actor=officer, case=witness_case, statement=WITNESS_SAYS, language="Russian"
    )
    items, marks = {}, {}
    for name, origin in ITEMS.items():
        marks[name] = f"<<{name}:{os.urandom(6).hex()}>>".encode()
        if origin["origin"] == ItemOrigin.WITNESS:
            origin = {**origin, "origin_testimony": witness_testimony}
        items[name] = services.item_ingest_stream(
            actor=officer,
            case=case,
            source=io.BytesIO(b"bytes of " + marks[name] + os.urandom(200)),
            original_name=f"{name}.bin",
            **origin,
        )
    return World(
        case,
        witness_case,
        items,
        marks,
        person_testimony,
        witness_testimony,
        officer,
        cast["coordinator"],
    )


def _set_consent(world: World, state: str) -> None:
    scope = CONSENTS[state]
    officer = world.officer
    if scope is None:
        return  # nothing recorded: the first state, on a fresh world
    courts = [ICC] if Recipient.COURT in scope else []
    withdrawn = state == "withdrawn"
    services.person_consent_record(
        actor=officer,
        case=world.case,
        scope=scope,
        courts=courts,
        withdrawn_on=timezone.localdate() - timedelta(days=2) if withdrawn else None,
    )
    for testimony in (world.person_testimony, world.witness_testimony):
        services.testimony_consent_update(
            actor=officer,
            testimony=testimony,
            scope=scope,
            body=ICC if courts else "",
            withdraw=withdrawn,
        )


def _set_screening(world: World, state: str, cast) -> None:
    if state == "none":
        return
    concern = with_concern(interviewed(world.case, cast["screener"]), cast["screener"])
    if state == "cleared":
        screening.export_clear(
            actor=cast["coordinator"], screening=concern.screening, reasons="A witness only."
        )


# -- reading what was made ----------------------------------------------------------------------


@dataclass
class Made:
    blobs: list[bytes]  # every file made, as bytes
    text: str = ""  # a listing (PDF text, JSON, HTML), for SHA-256s and statements

    def items(self, world: World, *, listed: bool) -> set[str]:
        """Items whose bytes are inside; with ``listed``, also those listed by SHA-256."""
        found = {name for name, mark in world.marks.items() if any(mark in b for b in self.blobs)}
        if listed:
            flat = "".join(self.text.split())
            found |= {name for name, item in world.items.items() if item.sha256 in flat}
        return found

    def testimonies(self) -> set[str]:
        everything = "".join(
            (b"".join(self.blobs).decode("utf-8", "replace") + self.text).split()
        )
        found = set()
        if "".join(PERSON_SAYS.split()) in everything:
            found.add("person")
        if "".join(WITNESS_SAYS.split()) in everything:
            found.add("witness")
        return found


def _zip_blobs(data: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [archive.read(name) for name in archive.namelist()]


def _dir_blobs(path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()]


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _cli(*args) -> str:
    out = StringIO()
    call_command("evidence", "export", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _recipient_args(kind, name) -> list[str]:
    return ["--recipient", kind, *(["--body", name] if name else [])]


class Refusal(Exception):
    """A way out refused; the message the user saw."""


# -- the ways out -------------------------------------------------------------------------------


def _web_zip(world, client, kind, name, tmp_path) -> Made:
    url = reverse("evidence:export")
    chosen = {"case": world.case.codename, "recipient": kind, "body": name}
    page = client.post(url, {**chosen, "step": "preview"}).content.decode()
    ticked = re.findall(r'name="(items|testimonies)" value="([0-9a-f-]{36})"', page)
    picks = {"items": [], "testimonies": []}
    for field, pk in ticked:
        picks[field].append(pk)
    if not ticked:  # nothing may go: ask for everything, as a tampered form would
        picks["items"] = [str(item.pk) for item in world.items.values()]
    response = client.post(url, {**chosen, **picks, "step": "download"})
    if response.status_code != 200:
        raise Refusal(response.content.decode())
    return Made(_zip_blobs(b"".join(response.streaming_content)))


def _cli_dir(world, client, kind, name, tmp_path) -> Made:
    out = tmp_path / f"dir-{os.urandom(4).hex()}"
    try:
        _cli("--case", world.case.codename, *_recipient_args(kind, name), "--out", str(out))
    except CommandError as refused:
        assert not out.exists()
        raise Refusal(str(refused)) from None
    return Made(_dir_blobs(out))


def _cli_age(world, client, kind, name, tmp_path) -> Made:
    identity = pyrage.x25519.Identity.generate()
    out = tmp_path / f"pkg-{os.urandom(4).hex()}.tar.age"
    args = [*_recipient_args(kind, name), "--age-recipient", str(identity.to_public())]
    try:
        _cli("--case", world.case.codename, *args, "--out", str(out))
    except CommandError as refused:
        assert not out.exists()
        raise Refusal(str(refused)) from None
    sealed = out.read_bytes()
    assert not any(mark in sealed for mark in world.marks.values())  # nothing readable
    with tarfile.open(fileobj=io.BytesIO(pyrage.decrypt(sealed, [identity]))) as tar:
        return Made([tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()])


def _dossier(output):
    def make(world, client, kind, name, tmp_path, *, items=None, testimonies=None) -> Made:
        response = client.post(
            reverse("dossier:case", kwargs={"pk": world.case.pk}),
            {
                "language": "en",
                "output": output,
                "recipient": kind,
                "recipient_body": name,
                "items": [str(world.items[n].pk) for n in items],
                "testimonies": [str(world.person_testimony.pk)] if testimonies else [],
            },
        )
        if response.status_code != 200:
            raise Refusal(response.content.decode())
        data = b"".join(response.streaming_content)
        if output == "pdf":
            return Made([data], _pdf_text(data))
        blobs = _zip_blobs(data)
        pdf = next(b for b in blobs if b.startswith(b"%PDF"))
        return Made(blobs, _pdf_text(pdf))

    return make


def _case_export(fmt):
    def make(world, client, kind, name, tmp_path) -> Made:
        response = client.post(
            reverse("evidence:case_export", args=[world.case.pk]),
            {"format": fmt, "recipient": kind, "body": name},
        )
        if response.status_code != 200:
            raise Refusal(response.content.decode())
        text = response.content.decode()
        if fmt == "json":
            data = json.loads(text)
            assert data["codename"] == world.case.codename
        return Made([response.content], text)

    return make


def _partner_web(world, client, kind, name, tmp_path) -> Made:
    """A referral to a partner group from the case's "Send to a partner" page, opened as the
    partner would: here the partner is this instance itself (its own card), so that the
    package can be decrypted and read in one instance."""
    card = this_card()
    Partner.objects.get_or_create(
        name=name,
        defaults={
            "card": card.to_text(),
            "signing_key": card.signing_key,
            "age_recipient": card.age_recipient,
            "instance_id": card.instance_id,
            "fingerprint": card.fingerprint,
        },
    )
    url = reverse("partners:send", args=[world.case.pk])
    chosen = {"partner": name, "kind": "referral"}
    page = client.post(url, {**chosen, "step": "preview"}).content.decode()
    picks = {"items": [], "testimonies": []}
    for field, pk in re.findall(r'name="(items|testimonies)" value="([0-9a-f-]{36})"', page):
        picks[field].append(pk)
    if not picks["items"]:  # nothing may go: ask for everything, as a tampered form would
        picks["items"] = [str(item.pk) for item in world.items.values()]
    response = client.post(url, {**chosen, **picks, "step": "send"})
    if response.status_code != 200:
        raise Refusal(response.content.decode())
    out = tmp_path / f"partner-{os.urandom(4).hex()}.waystation"
    out.write_bytes(b"".join(response.streaming_content))
    sealed = out.read_bytes()
    assert not any(mark in sealed for mark in world.marks.values())  # nothing readable
    opened = open_package(out)
    return Made([b"".join(opened.open(name)) for name in opened.names()])


WAYS = {
    "web_zip": (_web_zip, "package_zip"),
    "cli_dir": (_cli_dir, "package_dir"),
    "cli_age": (_cli_age, "package_age"),
    "dossier_pdf": (_dossier("pdf"), "dossier_pdf"),
    "dossier_zip": (_dossier("zip"), "dossier_zip"),
    "case_json": (_case_export("json"), "case_json"),
    "case_html": (_case_export("html"), "case_html"),
    "partner_web": (_partner_web, "partner_package"),
}
# the items' bytes go out
FILES_LEAVE = {"web_zip", "cli_dir", "cli_age", "dossier_zip", "partner_web"}
ONLY_TO = {"partner_web": Recipient.PARTNER}  # a way out for one kind of recipient only


def test_the_table_covers_every_way_out_the_gate_knows():
    assert {code for _run, code in WAYS.values()} == set(gate.WAYS)


def _exported_counts(world) -> dict[str, int]:
    return {
        name: CustodyEntry.objects.filter(
            item=item, action__in=(CustodyAction.EXPORTED, CustodyAction.SENT_TO_PARTNER)
        ).count()
        for name, item in world.items.items()
    }


def _ids(world, names) -> list[str]:
    return sorted(str(world.items[n].pk) for n in names)


# -- the table ----------------------------------------------------------------------------------


@pytest.mark.parametrize("screening_state", SCREENING)
@pytest.mark.parametrize("way", list(WAYS))
def test_every_way_out_lets_go_exactly_what_consent_and_screening_allow(
    world, cast, client_for, tmp_path, way, screening_state
):
    run, way_code = WAYS[way]
    client = client_for("coordinator")
    _set_screening(world, screening_state, cast)
    failures = []
    for consent in CONSENTS:
        _set_consent(world, consent)
        for recipient, (kind, name) in RECIPIENTS.items():
            if ONLY_TO.get(way, kind) != kind:
                continue
            where = f"{way} · {recipient} · consent {consent} · screening {screening_state}"
            want_items, want_testimonies = expected(recipient, consent)
            before = _exported_counts(world)
            refusals = AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORT_REFUSED).count()
            options = {}
            if way.startswith("dossier"):  # a dossier asks for items by id: ask for these
                options = {"items": want_items, "testimonies": want_testimonies}
            try:
                made = run(world, client, kind, name, tmp_path, **options)
            except Refusal as refused:
                if screening_state != "concern":
                    failures.append(f"{where}: refused: {str(refused)[:300]}")
                    continue
                assert "may leave only after a coordinator has confirmed it" in str(refused)
                assert "concern" not in str(refused).lower(), where
                assert _exported_counts(world) == before, where
                row = AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORT_REFUSED).last()
                assert row.data["screening"] == "concerns_not_cleared", where
                assert row.data["way"] == way_code, where
                continue
            if screening_state == "concern":
                failures.append(f"{where}: made despite an exclusion concern")
                continue
            assert AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORT_REFUSED).count() == (
                refusals
            )
            listed = not way.startswith(("web", "cli"))
            got_items, got_testimonies = made.items(world, listed=listed), made.testimonies()
            if (got_items, got_testimonies) != (want_items, want_testimonies):
                failures.append(
                    f"{where}: items {sorted(got_items)} (want {sorted(want_items)}), "
                    f"testimonies {sorted(got_testimonies)} (want {sorted(want_testimonies)})"
                )
                continue
            # Custody for the files that left, nothing for the rest; the audit row names them.
            after = _exported_counts(world)
            leave = want_items if way in FILES_LEAVE else set()
            assert {n for n in after if after[n] != before[n]} == leave, where
            assert all(after[n] - before[n] == 1 for n in leave), where
            row = AuditEvent.objects.filter(event=gate.WAYS[way_code]).order_by("seq").last()
            assert row.data["way"] == way_code, where
            assert row.data["items"] == _ids(world, want_items), where
            assert row.data["recipient"] == kind, where
            assert not name or name not in json.dumps(row.data), where  # never names
    assert not failures, "\n".join(failures)


# -- asking for what may not go -----------------------------------------------------------------


@pytest.fixture
def court_only(world) -> World:
    _set_consent(world, "court_only")
    return world


def _refusal_row():
    return AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORT_REFUSED).order_by("seq").last()


def test_a_held_item_ticked_on_the_web_refuses_the_whole_package(court_only, client_for):
    world = court_only
    video = world.items["witness_video"]
    response = client_for("coordinator").post(
        reverse("evidence:export"),
        {
            "case": world.case.codename,
            "recipient": "media",
            "step": "download",
            "items": [str(world.items["open_report"].pk), str(video.pk)],
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Refused, nothing was exported." in page
    assert f"witness consented to: court {ICC}" in page
    assert not CustodyEntry.objects.filter(action=CustodyAction.EXPORTED).exists()
    assert not AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORTED).exists()
    assert _refusal_row().data == {
        "case": world.case.pk,
        "way": "package_zip",
        "recipient": "media",
        "items": [str(video.pk)],
        "testimonies": [],
    }


def test_a_held_item_asked_for_on_the_command_line_writes_nothing(court_only, tmp_path):
    world = court_only
    out = tmp_path / "pkg"
    unrecorded = world.items["unrecorded_scan"]
    with pytest.raises(CommandError, match="Refused, nothing was exported") as refused:
        _cli(
            "--case",
            world.case.codename,
            *_recipient_args(Recipient.COURT, ICC),
            "--item",
            str(unrecorded.pk),
            "--out",
            str(out),
        )
    assert "where it came from is not recorded" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "blobs"]
    assert _refusal_row().data["items"] == [str(unrecorded.pk)]


def test_a_dossier_asking_for_everything_is_refused_with_each_reason(court_only, client_for):
    world = court_only
    response = client_for("coordinator").post(
        reverse("dossier:case", kwargs={"pk": world.case.pk}),
        {
            "language": "en",
            "output": "zip",
            "recipient": "un",
            "items": [str(item.pk) for item in world.items.values()],
            "testimonies": [str(world.person_testimony.pk)],
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    for reason in (
        f"the person of the case consented to: court {ICC}",
        f"witness consented to: court {ICC}",
        "where it came from is not recorded",
    ):
        assert reason in page
    held = {"person_video", "person_chat", "witness_video", "unrecorded_scan"}
    assert _refusal_row().data["items"] == _ids(world, held)
    assert _refusal_row().data["testimonies"] == [str(world.person_testimony.pk)]
    assert not AuditEvent.objects.filter(event=Audit.CASE_EXPORTED).exists()


# -- the same list on the page and on the command line --------------------------------------------


def _page_rows(page: str) -> set[tuple[str, str, str]]:
    rows = set()
    pattern = (
        r'<tr data-line="([0-9a-f-]{36})" class="(goes|held)">.*?<td class="reason">(.*?)</td>'
    )
    for pk, verdict, reason in re.findall(pattern, page, re.S):
        rows.add((pk, "goes" if verdict == "goes" else "held back", reason.replace("&#x27;", "'")))
    return rows


def _cli_rows(printed: str) -> set[tuple[str, str, str]]:
    rows = set()
    for line in printed.splitlines():
        found = re.match(r"(goes|held back): (?:item|testimony) ([0-9a-f-]{36}) · .* — (.*)$", line)
        if found:
            rows.add((found[2], found[1], found[3]))
    return rows


@pytest.mark.parametrize("recipient", ["media", "court_named_right", "ngo"])
def test_the_page_and_the_command_line_show_the_same_list_before_anything_is_made(
    court_only, client_for, recipient
):
    world = court_only
    kind, name = RECIPIENTS[recipient]
    page = (
        client_for("coordinator")
        .post(
            reverse("evidence:export"),
            {"case": world.case.codename, "recipient": kind, "body": name, "step": "preview"},
        )
        .content.decode()
    )
    printed = _cli("--case", world.case.codename, *_recipient_args(kind, name), "--dry-run")
    on_page, on_cli = _page_rows(page), _cli_rows(printed)
    assert len(on_page) == len(world.items) + 1  # every item and the person's testimony
    assert on_page == on_cli
    want_items, _ = expected(recipient, "court_only")
    assert {pk for pk, verdict, _ in on_page if verdict == "goes" and pk != str(
        world.person_testimony.pk
    )} == set(_ids(world, want_items))
    assert not AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORTED).exists()
    assert not CustodyEntry.objects.filter(action=CustodyAction.EXPORTED).exists()


# -- sources told apart -------------------------------------------------------------------------


def test_a_witness_item_follows_the_witness_not_the_person(world, tmp_path):
    """The witness agreed to media, the person to nothing: media gets the witness's video
    and not the person's items; then the other way round."""
    services.testimony_consent_update(
        actor=world.officer, testimony=world.witness_testimony, scope=[Recipient.MEDIA]
    )
    made = _cli_dir(world, None, Recipient.MEDIA, "", tmp_path)
    assert made.items(world, listed=False) == {"open_report", "witness_video"}
    services.testimony_consent_update(
        actor=world.officer, testimony=world.witness_testimony, scope=[], withdraw=True
    )
    services.person_consent_record(actor=world.officer, case=world.case, scope=[Recipient.MEDIA])
    made = _cli_dir(world, None, Recipient.MEDIA, "", tmp_path)
    assert made.items(world, listed=False) == {"open_report", "person_video", "person_chat"}
    assert made.testimonies() == set()  # his testimony's consent is its own


def test_consent_of_the_person_names_several_courts_and_compares_names_as_typed(world, tmp_path):
    services.person_consent_record(
        actor=world.officer,
        case=world.case,
        scope=[Recipient.COURT],
        courts=["ICC OTP\n", "  Special Tribunal  for the Crime of Aggression", "icc otp"],
    )
    consent = world.case.item_consent
    assert consent.courts == ["ICC OTP", "Special Tribunal for the Crime of Aggression"]
    for court in ("icc  otp", "special tribunal for the crime of aggression"):
        made = _cli_dir(world, None, Recipient.COURT, court, tmp_path)
        assert {"person_video", "person_chat"} <= made.items(world, listed=False)
    made = _cli_dir(world, None, Recipient.COURT, "Eurojust", tmp_path)
    assert made.items(world, listed=False) == {"open_report"}


def test_the_gate_refuses_a_release_it_did_not_make_and_records_only_in_a_transaction(world):
    decision = gate.preview(actor=None, case=world.case, addressee=gate.Addressee.of("un"))
    with pytest.raises(gate.GateBypassed):
        gate.Release(decision, "package_zip", "x", object())
    release = gate.clear(
        actor=None, case=world.case, addressee=gate.Addressee.of("un"), way="case_json"
    )
    from django.db import connection

    if not connection.in_atomic_block:  # on PostgreSQL too, tests run inside one
        with pytest.raises(RuntimeError, match="inside the transaction"):
            gate.record(release, actor=None, files=False)
    with pytest.raises(gate.GateBypassed):
        next(iter(release.open(world.items["unrecorded_scan"])))


# -- the case export page -----------------------------------------------------------------------


def test_the_case_export_shows_its_list_and_takes_no_evidence_without_a_recipient(
    court_only, client_for
):
    world = court_only
    client = client_for("lawyer")
    url = reverse("evidence:case_export", args=[world.case.pk])
    case_page = client.get(reverse("cases:case", args=[world.case.pk])).content.decode()
    assert url in case_page
    assert 'name="reason"' in client.get(url).content.decode()  # the lawyer holds identity
    listed = client.post(
        url, {"format": "json", "recipient": "court", "body": ICC, "step": "preview"}
    ).content.decode()
    rows = _page_rows(listed)
    assert {pk for pk, verdict, _ in rows if verdict == "goes"} == {
        *_ids(world, expected("court_named_right", "court_only")[0]),
        str(world.person_testimony.pk),
    }
    assert not AuditEvent.objects.filter(event=Audit.CASE_EXPORTED).exists()
    plain = client.post(url, {"format": "json"}).json()
    assert plain["evidence"] == {"recipient": None, "items": [], "testimonies": []}
    to_court = client.post(url, {"format": "json", "recipient": "court", "body": ICC}).json()
    assert [t["statement"] for t in to_court["evidence"]["testimonies"]] == [PERSON_SAYS]
    assert to_court["evidence"]["recipient"] == f"court: {ICC}"
    assert client_for("documentation_officer").get(url).status_code == 403
