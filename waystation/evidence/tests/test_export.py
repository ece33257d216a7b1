"""Packages for investigators: a BagIt bag that `bagit.py --validate` and the signature both
accept, that fails either check after any change, that carries only testimonies whose consent
allows the recipient, and whose export is written into every item's chain of custody. (What
each source's consent lets go, on every way out, is test_gate.py's table; the items here are
open-source, so that they go anywhere.)"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tracemalloc
import zipfile
from io import StringIO
from pathlib import Path

import bagit
import pyrage
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.core import signing
from waystation.evidence import custody, export, gate, services
from waystation.evidence.models import ActType, CustodyAction, ItemOrigin, Recipient, WitnessRole

pytestmark = pytest.mark.django_db

BAGIT_SCRIPT = Path(sys.executable).parent / "bagit.py"
ICC = "International Criminal Court"
STATEMENT = '=HYPERLINK("x") On 14 March I saw four prisoners shot near the school.'
FILES = {
    "clip.mp4": os.urandom(200_000),
    "report 100%.pdf": b"%PDF-1.4\n" + os.urandom(5000),
    "../../etc/CON.txt": "Привет, chat log\n".encode() * 50,
}
OPEN = {"origin": ItemOrigin.OPEN}


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


@pytest.fixture
def officer(cast):
    return cast["documentation_officer"]


@pytest.fixture
def witness(cast):
    return make_case(caseworker=cast["caseworker"])


@pytest.fixture
def shooting(officer):
    return services.event_record(
        actor=officer,
        act_type=ActType.EXECUTION_OF_PRISONERS,
        title="Shooting of prisoners, Posad-Pokrovske",
        perpetrator_unit="unit 00000",
    )


@pytest.fixture
def items(officer, witness, blobs, shooting):
    made = [
        services.item_ingest_stream(
            actor=officer,
            case=witness,
            source=io.BytesIO(data),
            original_name=name,
            **OPEN,
        )
        for name, data in FILES.items()
    ]
    services.item_link_events(actor=officer, item=made[0], events=[shooting])
    return made


def _testimony(officer, case, scope, body="", events=()):
    return services.testimony_record(
        actor=officer,
        case=case,
        statement=STATEMENT,
        language="Russian",
        interpreter="Anna",
        consent_scope=scope,
        consent_body=body,
        events=events,
    )


@pytest.fixture
def testimonies(officer, witness, shooting):
    hearsay = services.event_record(
        actor=officer, act_type=ActType.LOOTING, title="Looting heard of"
    )
    made = {
        "un": _testimony(officer, witness, [Recipient.UN], events=[(shooting, WitnessRole.DIRECT)]),
        "court": _testimony(officer, witness, [Recipient.COURT], ICC),
        "withdrawn": _testimony(officer, witness, [Recipient.UN, Recipient.COURT], ICC),
        "media": _testimony(officer, witness, [Recipient.MEDIA], events=[(hearsay, "hearsay")]),
    }
    services.testimony_consent_update(
        actor=officer,
        testimony=made["withdrawn"],
        scope=[Recipient.UN, Recipient.COURT],
        body=ICC,
        withdraw=True,
    )
    return made


def _build(officer, case, out, kind=Recipient.UN, body="", **options):
    addressee = gate.Addressee.of(kind, body)
    return export.build_package(actor=officer, case=case, addressee=addressee, out=out, **options)


def _bagit_cli(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BAGIT_SCRIPT), "--validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _json(bag: Path, name: str):
    return json.loads((bag / "data" / name).read_text(encoding="utf-8"))


@pytest.fixture
def package(officer, witness, items, testimonies, tmp_path):
    result = _build(officer, witness, tmp_path / "to-the-un")
    return result.path


# -- what a package holds ----------------------------------------------------------------------


def test_package_is_a_valid_bag_with_a_valid_signature(package, items):
    bagit.Bag(str(package)).validate()
    run = _bagit_cli(package)
    assert run.returncode == 0, run.stderr
    assert "is valid" in run.stderr
    assert export.verify_package(package) == []
    assert export.verify_package(package, expected_key=signing.public_key_text()) == []
    signing.verify(
        signing.public_key_text(),
        (package / "tagmanifest-sha256.txt.sig").read_bytes(),
        (package / "tagmanifest-sha256.txt").read_bytes(),
    )
    info = bagit.Bag(str(package)).info
    assert info["Waystation-Signing-Key"] == signing.public_key_text()
    assert info["Source-Organization"] == "Waystation instance"
    assert info["Payload-Oxum"].endswith(".11")  # 3 items and 8 tables
    tagged = (package / "tagmanifest-sha256.txt").read_text()
    assert "README.txt" in tagged and "bag-info.txt" in tagged and ".sig" not in tagged


def test_items_are_copied_bit_for_bit_under_safe_names(package, items):
    rows = {row["id"]: row for row in _json(package, "items.json")}
    assert set(rows) == {str(item.pk) for item in items}
    names = set()
    for item, (original_name, data) in zip(items, FILES.items(), strict=True):
        row = rows[str(item.pk)]
        assert row["file"].startswith(f"data/items/{item.pk}/")
        assert (package / row["file"]).read_bytes() == data
        assert row["sha256"] == hashlib.sha256(data).hexdigest() == item.sha256
        assert row["original_name"] == original_name
        names.add(row["file"].rsplit("/", 1)[1])
    assert names == {"clip.mp4", "report 100_.pdf", "_CON.txt"}
    manifest = (package / "manifest-sha256.txt").read_text()
    assert f"{items[0].sha256}  data/items/{items[0].pk}/clip.mp4" in manifest


def test_only_testimonies_within_consent_and_their_events_go(package, testimonies, shooting):
    included = _json(package, "testimonies.json")
    assert [t["id"] for t in included] == [str(testimonies["un"].pk)]
    assert included[0]["statement"] == STATEMENT
    assert included[0]["interviewer"] == "documentation_officer"
    assert included[0]["events"] == [{"event": str(shooting.pk), "role": "direct"}]
    # The looting event is only in the media testimony, which is left out.
    assert [e["title"] for e in _json(package, "events.json")] == [shooting.title]
    csv_text = (package / "data" / "testimonies.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in csv_text  # a spreadsheet shows it instead of running it
    assert STATEMENT not in (package / "data" / "items.json").read_text()


def test_custody_in_the_package_recomputes_as_the_readme_says(package, items):
    entries = _json(package, "custody.json")
    assert {e["item"] for e in entries} == {str(item.pk) for item in items}
    assert all("mac" not in e for e in entries)
    readme = (package / "README.txt").read_text()
    recipe = readme.split("In Python:\n", 1)[1]
    cwd = os.getcwd()
    os.chdir(package)
    try:
        code = "\n".join(line[7:] for line in recipe.splitlines())
        exec(compile(code, "README", "exec"), {})  # noqa: S102 - the recipe we ship, run as shipped
    finally:
        os.chdir(cwd)


def test_export_is_written_into_every_chain_of_custody_and_the_audit_log(
    officer, witness, items, testimonies, tmp_path
):
    result = _build(officer, witness, tmp_path / "bag")
    for item in items:
        last = item.custody.order_by("-seq").first()
        assert last.action == CustodyAction.EXPORTED
        assert last.details == {
            "release": result.package_id,
            "recipient": "un",
            "way": "package_dir",
        }
        assert custody.verify_chain(item.pk, item.custody.order_by("seq")) == []
    row = AuditEvent.objects.get(event=Audit.EVIDENCE_EXPORTED)
    assert row.data["release"] == result.package_id
    assert row.data["testimonies"] == [str(testimonies["un"].pk)]
    assert row.data["items"] == sorted(str(item.pk) for item in items)
    assert (row.data["held"], row.data["recipient"], row.data["way"]) == (3, "un", "package_dir")


# -- any change is caught ----------------------------------------------------------------------


def _flip_item_byte(bag: Path):
    target = next((bag / "data" / "items").rglob("clip.mp4"))
    data = bytearray(target.read_bytes())
    data[1000] ^= 0x01
    target.write_bytes(bytes(data))


def _edit_items_json(bag: Path):
    path = bag / "data" / "items.json"
    path.write_text(path.read_text().replace('"clip.mp4"', '"clip.mov"', 1))


def _edit_bag_info(bag: Path):
    path = bag / "bag-info.txt"
    path.write_text(path.read_text().replace("Waystation instance", "Another group"))


def _drop_a_file(bag: Path):
    (bag / "data" / "events.csv").unlink()


@pytest.mark.parametrize(
    "tamper", [_flip_item_byte, _edit_items_json, _edit_bag_info, _drop_a_file]
)
def test_a_changed_file_fails_bagit_and_our_check(package, tamper):
    tamper(package)
    assert _bagit_cli(package).returncode != 0
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(package)).validate()
    assert export.verify_package(package)


def _rehash(bag: Path):
    """What someone who changes a file and knows BagIt does: fix both manifests."""
    manifest = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(bag)}\n"
        for p in sorted((bag / "data").rglob("*"))
        if p.is_file()
    )
    (bag / "manifest-sha256.txt").write_text(manifest)
    tags = ["README.txt", "bag-info.txt", "bagit.txt", "manifest-sha256.txt"]
    (bag / "tagmanifest-sha256.txt").write_text(
        "".join(f"{hashlib.sha256((bag / t).read_bytes()).hexdigest()}  {t}\n" for t in tags)
    )


def test_a_change_with_rewritten_manifests_passes_bagit_but_not_the_signature(package):
    path = package / "data" / "testimonies.json"
    # Same length: Payload-Oxum still holds.
    path.write_text(path.read_text().replace("four prisoners", "five prisoners"))
    _rehash(package)
    assert _bagit_cli(package).returncode == 0
    problems = export.verify_package(package)
    assert any("signature does not match" in p for p in problems), problems


def test_a_replaced_signature_is_caught(package):
    (package / "tagmanifest-sha256.txt.sig").write_bytes(os.urandom(64))
    assert _bagit_cli(package).returncode == 0  # bagit does not look at signatures
    assert any("signature does not match" in p for p in export.verify_package(package))


def test_a_package_re_signed_with_another_key_passes_only_without_the_expected_key(package):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    forger = Ed25519PrivateKey.generate()
    raw = forger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    import base64

    forged_key = "ed25519:" + base64.b64encode(raw).decode()
    info = package / "bag-info.txt"
    info.write_text(info.read_text().replace(signing.public_key_text(), forged_key))
    _rehash(package)
    tag_manifest = (package / "tagmanifest-sha256.txt").read_bytes()
    (package / "tagmanifest-sha256.txt.sig").write_bytes(forger.sign(tag_manifest))
    assert export.verify_package(package) == []  # integrity only: why --key exists
    problems = export.verify_package(package, expected_key=signing.public_key_text())
    assert any("another signing key" in p for p in problems)
    assert any("signature does not match" in p for p in problems)


def test_an_unsigned_extra_tag_file_is_caught(package):
    (package / "NOTE.txt").write_text("trust me\n")
    assert _bagit_cli(package).returncode == 0  # bagit ignores tag files it was not told of
    assert export.verify_package(package) == ["NOTE.txt is not covered by the signature"]


def test_a_broken_custody_chain_is_reported(package, items):
    path = package / "data" / "custody.json"
    entries = json.loads(path.read_text())
    entries[1]["details"] = {"sha256": "0" * 64, "size": 1}
    entries[1]["canonical"] = entries[1]["canonical"].replace(items[0].sha256, "0" * 64)
    path.write_text(json.dumps(entries))
    _rehash(package)
    problems = export.verify_package(package)
    assert any("hash does not match its content" in p for p in problems), problems
    assert any("fields shown differ" in p for p in problems), problems


# -- consent -----------------------------------------------------------------------------------


def test_a_testimony_outside_consent_refuses_the_whole_export(
    officer, witness, items, testimonies, tmp_path
):
    out = tmp_path / "out"
    chosen = [testimonies["un"].pk, testimonies["media"].pk]
    with pytest.raises(gate.Refused) as refused:
        _build(officer, witness, out, testimony_ids=chosen)
    message = str(refused.value)
    assert message.startswith("Refused, nothing was exported.")
    assert message.count("Testimony of") == 1 and "witness consented to: media" in message
    assert not out.exists() and not any(p.name.startswith(".out") for p in tmp_path.iterdir())
    row = AuditEvent.objects.get(event=Audit.EVIDENCE_EXPORT_REFUSED)
    assert row.data == {
        "case": witness.pk,
        "way": "package_dir",
        "recipient": "un",
        "items": [],
        "testimonies": [str(testimonies["media"].pk)],
    }
    assert not AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORTED).exists()
    assert not items[0].custody.filter(action=CustodyAction.EXPORTED).exists()


def test_withdrawn_consent_refuses_even_a_recipient_once_allowed(
    officer, witness, items, testimonies, tmp_path
):
    with pytest.raises(gate.Refused, match="withdrew consent"):
        _build(officer, witness, tmp_path / "out", testimony_ids=[testimonies["withdrawn"].pk])
    result = _build(officer, witness, tmp_path / "default")
    held = {line.id: line.reason for line in result.held}
    assert held[str(testimonies["withdrawn"].pk)].startswith("the witness withdrew consent on")


def test_a_court_gets_only_testimonies_that_name_it(officer, witness, items, testimonies, tmp_path):
    other = _build(
        officer,
        witness,
        tmp_path / "other",
        kind=Recipient.COURT,
        body="Special Tribunal for the Crime of Aggression",
    )
    assert other.testimonies == ()
    held = {line.id: line.reason for line in other.held}
    assert held[str(testimonies["court"].pk)] == f"witness consented to: court {ICC}"
    named = _build(
        officer,
        witness,
        tmp_path / "icc",
        kind=Recipient.COURT,
        body="  international   criminal court ",
    )
    assert named.testimonies == (str(testimonies["court"].pk),)
    info = bagit.Bag(str(named.path)).info
    assert info["Waystation-Recipient"].endswith(": international criminal court")
    audited = json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))
    assert "criminal court" not in audited.casefold()  # kinds and ids only
    with pytest.raises(services.EvidenceError, match="Name the court"):
        _build(officer, witness, tmp_path / "nameless", kind=Recipient.COURT)


def test_items_can_be_chosen_but_only_from_the_case(officer, witness, items, tmp_path):
    result = _build(officer, witness, tmp_path / "one", item_ids=[str(items[1].pk)])
    assert result.items == (str(items[1].pk),)
    assert [row["id"] for row in _json(result.path, "items.json")] == [str(items[1].pk)]
    stranger = services.item_ingest_stream(
        actor=officer, case=make_case(), source=io.BytesIO(b"other"), original_name="x.txt"
    )
    with pytest.raises(services.EvidenceError, match=str(stranger.pk)):
        _build(officer, witness, tmp_path / "two", item_ids=[stranger.pk])
    assert not (tmp_path / "two").exists()
    with pytest.raises(services.EvidenceError, match="exists already"):
        _build(officer, witness, tmp_path / "one")
    with pytest.raises(services.EvidenceError, match="Nothing to export"):
        _build(officer, make_case(), tmp_path / "empty")


# -- encrypted and streamed forms --------------------------------------------------------------


def test_encrypted_package_opens_with_the_recipients_key_only(
    officer, witness, items, testimonies, tmp_path
):
    identity = pyrage.x25519.Identity.generate()
    out = tmp_path / "for-icc.tar.age"
    result = _build(
        officer,
        witness,
        out,
        kind=Recipient.COURT,
        body=ICC,
        age_recipient=str(identity.to_public()),
    )
    assert result.path == out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blobs", "for-icc.tar.age"]
    sealed = out.read_bytes()
    assert b"bagit.txt" not in sealed and FILES["clip.mp4"][:64] not in sealed
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(sealed, [pyrage.x25519.Identity.generate()])
    with tarfile.open(fileobj=io.BytesIO(pyrage.decrypt(sealed, [identity]))) as tar:
        tar.extractall(tmp_path / "opened", filter="data")
    bag = tmp_path / "opened" / "for-icc"
    assert _bagit_cli(bag).returncode == 0
    assert export.verify_package(bag, expected_key=signing.public_key_text()) == []
    assert [t["id"] for t in _json(bag, "testimonies.json")] == [str(testimonies["court"].pk)]


def test_a_malformed_age_key_writes_nothing(officer, witness, items, tmp_path):
    with pytest.raises(services.EvidenceError, match="not an age public key"):
        _build(officer, witness, tmp_path / "x.tar.age", age_recipient="age1nope")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blobs"]
    assert not AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORTED).exists()


def test_zip_stream_holds_the_same_valid_bag(officer, witness, items, testimonies, tmp_path):
    result, chunks = export.stream_package_zip(
        actor=officer, case=witness, addressee=gate.Addressee.of(Recipient.NGO)
    )
    assert AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORTED).count() == 1
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        archive.extractall(tmp_path / "unzipped")  # noqa: S202 - the archive made just above
    bag = tmp_path / "unzipped" / result.path.stem
    assert _bagit_cli(bag).returncode == 0
    assert export.verify_package(bag) == []
    assert _json(bag, "testimonies.json") == []  # no witness consented to NGOs


def test_memory_stays_flat_for_a_large_item(officer, witness, blobs, tmp_path):
    size = 24 << 20
    services.item_ingest_stream(
        actor=officer,
        case=witness,
        source=io.BytesIO(os.urandom(size)),
        original_name="big.mp4",
        **OPEN,
    )
    identity = pyrage.x25519.Identity.generate()
    for out, age in ((tmp_path / "bag", None), (tmp_path / "bag.tar.age", identity.to_public())):
        tracemalloc.start()
        try:
            _build(officer, witness, out, age_recipient=str(age) if age else None)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < size // 3, f"{out.name}: {peak} bytes at peak"


# -- the command line --------------------------------------------------------------------------


def _command(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("evidence", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_cli_export_then_verify(witness, items, testimonies, tmp_path):
    out = tmp_path / "pkg"
    printed, _ = _command(
        "export", "--case", witness.codename.upper(), "--recipient", "un", "--out", str(out)
    )
    assert "3 items, 1 testimonies" in printed and "3 held back" in printed
    assert f"held back: testimony {testimonies['media'].pk}" in printed
    assert printed.index("held back:") < printed.index("exported package")
    assert signing.public_key_text() in printed
    printed, _ = _command("verify-export", str(out), "--key", signing.public_key_text())
    assert printed.startswith("OK") and "warning" not in printed
    printed, _ = _command("verify-export", str(out))
    assert "warning: checked against the key printed in the package" in printed
    _flip_item_byte(out)
    with pytest.raises(CommandError, match="1 problem found") as failed:
        _command("verify-export", str(out))
    assert "\n" not in str(failed.value)


def test_cli_public_key(db):
    assert _command("public-key")[0] == signing.public_key_text() + "\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--recipient", "court"], "needs --body"),
        (["--recipient", "un", "--body", ICC], "use --recipient court"),
        (["--recipient", "un", "--case", "no-such-case-1"], "no case has the codename"),
        (["--recipient", "un", "--item", "nonsense"], "not a valid item id"),
    ],
)
def test_cli_export_refusals_are_one_line(witness, items, tmp_path, args, message):
    base = ["export", "--case", witness.codename, "--out", str(tmp_path / "pkg")]
    with pytest.raises(CommandError, match=message) as refused:
        _command(*base, *args)
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "pkg").exists()


def test_cli_refuses_a_testimony_outside_consent(witness, items, testimonies, tmp_path):
    with pytest.raises(CommandError, match="Refused, nothing was exported"):
        _command(
            "export",
            "--case",
            witness.codename,
            "--recipient",
            "media",
            "--testimony",
            str(testimonies["un"].pk),
            "--out",
            str(tmp_path / "pkg"),
        )
    assert not (tmp_path / "pkg").exists()


@pytest.mark.parametrize("encrypted", [False, True])
def test_a_damaged_stored_file_stops_the_export_and_leaves_nothing(
    officer, witness, items, tmp_path, encrypted
):
    from waystation.core.blobstore import blob_store

    stored = blob_store()._path(items[0].blob)
    raw = bytearray(stored.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    stored.write_bytes(bytes(raw))
    age = str(pyrage.x25519.Identity.generate().to_public()) if encrypted else None
    with pytest.raises(services.EvidenceError, match=f"item {items[0].pk}: .* damaged"):
        _build(officer, witness, tmp_path / "out", age_recipient=age)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blobs"]
    assert not AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORTED).exists()


def test_an_item_whose_record_no_longer_matches_its_file_is_not_exported(
    officer, witness, items, tmp_path
):
    type(items[1]).objects.filter(pk=items[1].pk).update(sha256="0" * 64)
    with pytest.raises(services.EvidenceError, match="record does not match"):
        _build(officer, witness, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_package_services_refuse_whoever_may_not_export(cast, witness, items, tmp_path):
    """The permission is the service's, not only the page's: a caseworker of the case (who
    may see its items) gets no package from either service, and nothing is written."""
    caseworker = cast["caseworker"]
    addressee = gate.Addressee.of(Recipient.UN)
    with pytest.raises(services.EvidenceError):
        export.stream_package_zip(actor=caseworker, case=witness, addressee=addressee)
    out = tmp_path / "package"
    with pytest.raises(services.EvidenceError):
        export.build_package(actor=caseworker, case=witness, addressee=addressee, out=out)
    assert not out.exists()
    assert not AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORTED).exists()
    assert not any(item.custody.filter(action=CustodyAction.EXPORTED).exists() for item in items)
