"""A file's own proofs checked at ingest: C2PA content credentials (a JPEG signed here with a
certificate chain made here) and ProofMode bundles (signed here with a PGP key made here).
A proof that holds is shown and exported; one changed byte flags the item, never refuses it."""

import datetime
import hashlib
import io
import json
import zipfile

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from pgpy import PGPUID, PGPKey
from pgpy.constants import EllipticCurveOID, HashAlgorithm, KeyFlags, PubKeyAlgorithm
from PIL import Image

from waystation.cases.tests.factories import make_case
from waystation.evidence import export, gate, services
from waystation.evidence.models import (
    Item,
    ItemKind,
    ItemOrigin,
    ItemProof,
    KnownKey,
    Recipient,
)

pytestmark = pytest.mark.django_db

WHEN = "2026-11-30T09:15:00Z"


# -- a C2PA signer made here ------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Camera Works"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        ]
    )


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign,
        crl_sign=sign,
        encipher_only=False,
        decipher_only=False,
    )


@pytest.fixture(scope="module")
def chain():
    """A root CA and an ES256 signing certificate as C2PA wants it: digital signature, an
    extended key usage it accepts (e-mail protection), not a CA."""
    now = datetime.datetime.now(datetime.UTC)
    root_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1()
    )

    def certificate(subject, issuer, public, signer, *, ca):
        built = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(_usage(sign=ca), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        )
        if not ca:
            built = built.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            ).add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                critical=False,
            )
        return built.sign(signer, hashes.SHA256())

    root = certificate(_name("Test Root CA"), _name("Test Root CA"), root_key.public_key(),
                       root_key, ca=True)
    leaf = certificate(_name("Field Phone 7"), root.subject, leaf_key.public_key(), root_key,
                       ca=False)
    pem = serialization.Encoding.PEM
    return {
        "certs": leaf.public_bytes(pem) + root.public_bytes(pem),
        "root": root.public_bytes(pem),
        "key": leaf_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    }


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
def signed_jpeg(chain) -> bytes:
    manifest = {
        "claim_generator_info": [{"name": "FieldCam", "version": "2.1"}],
        "title": "IMG_0042.jpg",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "when": WHEN,
                            "digitalSourceType": "http://cv.iptc.org/newscodes/"
                            "digitalsourcetype/digitalCapture",
                        }
                    ]
                },
            }
        ],
    }
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain["certs"], chain["key"], None)
    out = io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(_jpeg()), out)
    return out.getvalue()


def _changed(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def _last_scan_byte(jpeg: bytes) -> int:
    """A byte of the picture itself (inside the entropy-coded scan, before the end marker)."""
    return jpeg.rindex(b"\xff\xd9") - 4


# -- a ProofMode bundle made here -------------------------------------------------------------


@pytest.fixture(scope="module")
def pgp_key():
    key = PGPKey.new(PubKeyAlgorithm.EdDSA, EllipticCurveOID.Ed25519)
    key.add_uid(
        PGPUID.new("ProofMode phone", email="phone@example.org"),
        usage={KeyFlags.Sign, KeyFlags.Certify},
        hashes=[HashAlgorithm.SHA256],
    )
    return key


def _bundle(key, photo: bytes, *, change=None) -> bytes:
    """What ProofMode exports: the photo, its proof (JSON and CSV) named by its SHA-256, the
    signatures of the photo and the proofs, the phone's public key, an OpenTimestamps file.
    ``change`` names a member to alter by one byte after everything was signed."""
    digest = hashlib.sha256(photo).hexdigest()
    proof = {
        "File Hash SHA256": digest,
        "File Path": "/storage/emulated/0/DCIM/Camera/IMG_0042.jpg",
        "Proof Generated": "2026-11-30T09:15:02Z",
        "Location.Latitude": "46.6354",
        "Location.Longitude": "32.6169",
        "Hardware": "Pixel 7",
    }
    proof_json = json.dumps(proof).encode()
    proof_csv = (",".join(proof) + "\n" + ",".join(proof.values()) + "\n").encode()
    members = {
        "IMG_0042.jpg": photo,
        f"{digest}.proof.json": proof_json,
        f"{digest}.proof.csv": proof_csv,
        f"{digest}.asc": str(key.sign(photo)).encode(),
        f"{digest}.proof.json.asc": str(key.sign(proof_json)).encode(),
        f"{digest}.proof.csv.asc": str(key.sign(proof_csv)).encode(),
        f"{digest}.ots": b"\x00OpenTimestamps\x00\x00Proof\x00\xbf\x89\xe2\xe8\x84\xe8\x92\x94\x01",
        "pubkey.asc": str(key.pubkey).encode(),
    }
    if change:
        members[change] = _changed(members[change], len(members[change]) // 2)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


# -- ingest -----------------------------------------------------------------------------------


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


@pytest.fixture
def case(cast):
    return make_case(caseworker=cast["caseworker"])


@pytest.fixture
def ingest(cast, blobs, case):
    def run(data: bytes, name: str) -> Item:
        return services.item_ingest_stream(
            actor=cast["documentation_officer"],
            case=case,
            source=io.BytesIO(data),
            original_name=name,
            origin=ItemOrigin.OPEN,
        )

    return run


def _proof(item: Item) -> tuple[ItemProof, dict]:
    proof = ItemProof.objects.get(item=item)
    return proof, json.loads(proof.report)


def test_c2pa_credentials_are_read_and_validated_at_ingest(ingest, signed_jpeg):
    item = ingest(signed_jpeg, "IMG_0042.jpg")
    proof, report = _proof(item)
    assert (proof.kind, proof.status, proof.flagged) == ("c2pa", "valid", False)
    assert report["signer"] == "Field Phone 7" and report["issuer"] == "Test Camera Works"
    assert report["claim_generator"].startswith("FieldCam 2.1")
    assert report["captured_at"] == WHEN
    assert report["actions"][0]["action"] == "c2pa.created"
    assert report["file_matches"] is True
    # The signer is on no trust list here: said so, never passed off as trusted.
    assert [p["code"] for p in report["problems"]] == ["signingCredential.untrusted"]
    assert b"".join(services.items.blob_store().open(item.blob)) == signed_jpeg


def test_c2pa_signer_is_trusted_when_its_root_is_configured(
    ingest, signed_jpeg, chain, settings, tmp_path
):
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(chain["root"])
    settings.EVIDENCE_C2PA_TRUST_ANCHORS = str(anchors)
    proof, report = _proof(ingest(signed_jpeg, "IMG_0042.jpg"))
    assert (proof.status, proof.flagged) == ("trusted", False)
    assert report.get("problems", []) == []


def test_one_changed_byte_flags_the_c2pa_item_and_still_keeps_it(ingest, signed_jpeg):
    changed = _changed(signed_jpeg, _last_scan_byte(signed_jpeg))
    item = ingest(changed, "IMG_0042.jpg")
    proof, report = _proof(item)
    assert (proof.status, proof.flagged) == ("does_not_match", True)
    assert report["file_matches"] is False
    assert "assertion.dataHash.mismatch" in [p["code"] for p in report["problems"]]
    assert item.sha256 == hashlib.sha256(changed).hexdigest()


def test_damaged_credentials_are_recorded_not_refused(ingest, signed_jpeg):
    damaged = _changed(signed_jpeg, signed_jpeg.index(b"jumb") + 40)
    proof, report = _proof(ingest(damaged, "IMG_0042.jpg"))
    assert (proof.status, proof.flagged) == ("damaged", True)
    assert report["error"]


def test_files_without_credentials_have_no_proof(ingest):
    assert not ItemProof.objects.filter(item=ingest(_jpeg(), "plain.jpg")).exists()
    assert not ItemProof.objects.filter(item=ingest(b"\xff\xd8\xff" + b"x" * 90, "x.jpg")).exists()


def test_a_proofmode_bundle_is_verified(ingest, pgp_key):
    photo = _jpeg()
    item = ingest(_bundle(pgp_key, photo), "proofmode.zip")
    assert item.kind == ItemKind.PROOF_BUNDLE
    proof, report = _proof(item)
    assert (proof.kind, proof.status, proof.flagged) == ("proofmode", "verified", False)
    (media,) = report["media"]
    assert media["file"] == "IMG_0042.jpg" and media["hash_matches"] is True
    assert media["sha256"] == hashlib.sha256(photo).hexdigest()
    assert (media["signature"], media["proof_signature"]) == ("verified", "verified")
    fingerprint = str(pgp_key.fingerprint).replace(" ", "")
    assert media["signed_by"] == fingerprint
    assert report["keys"][0]["fingerprint"] == fingerprint
    assert report["opentimestamps"] == [media["opentimestamps"][0]]
    assert media["recorded"]["Hardware"] == "Pixel 7"


@pytest.mark.parametrize(
    "change", ["IMG_0042.jpg", "proof.json", "asc"], ids=["photo", "proof", "signature"]
)
def test_one_changed_byte_in_a_bundle_is_flagged(ingest, pgp_key, change):
    photo = _jpeg()
    digest = hashlib.sha256(photo).hexdigest()
    member = {"proof.json": f"{digest}.proof.json", "asc": f"{digest}.asc"}.get(change, change)
    item = ingest(_bundle(pgp_key, photo, change=member), "proofmode.zip")
    proof, report = _proof(item)
    assert (proof.status, proof.flagged) == ("does_not_match", True)
    (media,) = report["media"]
    if change == "IMG_0042.jpg":
        assert media["hash_matches"] is False and media["signature"] == "does not verify"
    elif change == "proof.json":
        assert media["proof_signature"] == "does not verify"
    else:
        assert media["signature"] == "does not verify"


def test_a_known_key_is_named_and_another_key_for_the_case_is_flagged(
    ingest, pgp_key, case, cast
):
    fingerprint = str(pgp_key.fingerprint).replace(" ", "")
    KnownKey.objects.create(case=case, fingerprint=fingerprint, label="the witness's Pixel")
    proof, report = _proof(ingest(_bundle(pgp_key, _jpeg()), "proofmode.zip"))
    assert (proof.status, report["keys"][0]["known_as"]) == ("verified", "the witness's Pixel")

    stranger = PGPKey.new(PubKeyAlgorithm.EdDSA, EllipticCurveOID.Ed25519)
    stranger.add_uid(
        PGPUID.new("Someone else"), usage={KeyFlags.Sign}, hashes=[HashAlgorithm.SHA256]
    )
    proof, report = _proof(ingest(_bundle(stranger, _jpeg()), "other.zip"))
    assert (proof.status, proof.flagged) == ("does_not_match", True)
    assert {"problem": "other_key"} in report["problems"]


# -- shown and exported -----------------------------------------------------------------------


def test_the_item_page_shows_the_credentials_and_the_flag(ingest, signed_jpeg, client_for):
    client = client_for("documentation_officer")
    good = ingest(signed_jpeg, "IMG_0042.jpg")
    page = client.get(reverse("evidence:item", args=[good.pk])).content.decode()
    assert "Proofs the file carries" in page and "C2PA content credentials" in page
    assert "Field Phone 7 (Test Camera Works)" in page and "FieldCam 2.1" in page
    assert WHEN in page and "c2pa.created" in page
    assert "Valid, but the signer is not on a trust list" in page
    assert "not whose key it was" in page and "FLAGGED" not in page

    bad = ingest(_changed(signed_jpeg, _last_scan_byte(signed_jpeg)), "IMG_0042.jpg")
    page = client.get(reverse("evidence:item", args=[bad.pk])).content.decode()
    assert "FLAGGED" in page and "assertion.dataHash.mismatch" in page
    assert "Does not match: the file or its proof was changed" in page


def test_the_item_page_shows_a_bundle_in_russian(ingest, pgp_key, client_for):
    photo = _jpeg()
    item = ingest(_bundle(pgp_key, photo, change="IMG_0042.jpg"), "proofmode.zip")
    client = client_for("documentation_officer")
    page = client.get(
        reverse("evidence:item", args=[item.pk]), headers={"accept-language": "ru"}
    ).content.decode()
    assert "IMG_0042.jpg" in page and "Pixel 7" in page
    assert "ots verify FILE.ots" in page and "Bitcoin" in page
    assert "FLAGGED" not in page  # the flag is in the reader's language too
    assert str(pgp_key.fingerprint).replace(" ", "") in page


def test_the_package_carries_each_items_proofs_and_says_which_are_flagged(
    ingest, signed_jpeg, pgp_key, cast, case, tmp_path
):
    good = ingest(signed_jpeg, "IMG_0042.jpg")
    bad = ingest(_changed(signed_jpeg, _last_scan_byte(signed_jpeg)), "IMG_0043.jpg")
    bundle = ingest(_bundle(pgp_key, _jpeg()), "proofmode.zip")
    result = export.build_package(
        actor=cast["documentation_officer"],
        case=case,
        addressee=gate.Addressee.of(Recipient.UN, ""),
        out=tmp_path / "package",
    )
    bag = result.path
    assert export.verify_package(bag) == []
    readme = (bag / "README.txt").read_text()
    assert f"item {good.pk}: c2pa, Valid, but the signer is not on a trust list" in readme
    assert f"item {bad.pk}: FLAGGED: c2pa, Does not match" in readme
    assert f"item {bundle.pk}: proofmode, Signatures and hashes verified" in readme
    found = json.loads((bag / "data" / "proofs" / f"{bad.pk}.json").read_text())
    (proof,) = found["proofs"]
    assert proof["flagged"] is True and proof["report"]["file_matches"] is False
    assert found["sha256"] == bad.sha256
    found = json.loads((bag / "data" / "proofs" / f"{bundle.pk}.json").read_text())
    assert found["proofs"][0]["report"]["media"][0]["signature"] == "verified"
    # The OpenTimestamps file and the signatures go out inside the bundle, bit for bit.
    (kept,) = (bag / "data" / "items" / str(bundle.pk)).iterdir()
    with zipfile.ZipFile(kept) as archive:
        assert any(n.endswith(".ots") for n in archive.namelist())


def test_a_bundle_is_taken_from_the_upload_form_and_the_command_line(
    pgp_key, cast, case, client_for, blobs, tmp_path
):
    data = _bundle(pgp_key, _jpeg())
    client = client_for("documentation_officer")
    upload = io.BytesIO(data)
    upload.name = "proofmode-export.zip"
    answer = client.post(
        reverse("evidence:item_new"),
        {
            "case": case.codename,
            "files": upload,
            "acquired_on": "2026-12-01",
            "acquired_how": "messenger",
            "origin": ItemOrigin.OPEN,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    item = Item.objects.get(pk=answer.url.rstrip("/").split("/")[-1])
    assert item.kind == ItemKind.PROOF_BUNDLE
    assert item.proofs.get().status == "verified"

    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("evidence", "ingest", str(path), "--case", case.codename, stdout=out)
    made = Item.objects.exclude(pk=item.pk).get(case=case)
    assert made.kind == ItemKind.PROOF_BUNDLE and made.proofs.get().status == "verified"


def test_a_bundles_key_is_recorded_as_known_from_its_page(ingest, pgp_key, case, client_for):
    item = ingest(_bundle(pgp_key, _jpeg()), "proofmode.zip")
    fingerprint = str(pgp_key.fingerprint).replace(" ", "")
    url = reverse("evidence:item", args=[item.pk])
    page = client_for("documentation_officer").get(url).content.decode()
    assert "Record as known for this case" in page
    assert client_for("caseworker").post(
        reverse("evidence:item_known_key", args=[item.pk]),
        {"fingerprint": fingerprint, "label": "x"},
    ).status_code in (403, 404)
    client = client_for("documentation_officer")
    answer = client.post(
        reverse("evidence:item_known_key", args=[item.pk]),
        {"fingerprint": fingerprint, "label": "Pixel of the witness"},
        follow=True,
    )
    assert "Key recorded as known for this case" in answer.content.decode()
    known = KnownKey.objects.get()
    assert (known.case, known.fingerprint) == (case, fingerprint)
    assert known.label == "Pixel of the witness"
    # Bundles taken in from now on name it, and one signed by another key is flagged.
    proof, report = _proof(ingest(_bundle(pgp_key, _jpeg()), "again.zip"))
    assert report["keys"][0]["known_as"] == "Pixel of the witness"
    page = client.get(reverse("evidence:item", args=[proof.item_id])).content.decode()
    assert "Pixel of the witness" in page and "Record as known for this case" not in page


def test_a_known_key_is_recorded_from_the_command_line(pgp_key, case, tmp_path):
    path = tmp_path / "phone.asc"
    path.write_text(str(pgp_key.pubkey))
    out = io.StringIO()
    call_command("evidence", "known-key", str(path), "--label", "phone", stdout=out)
    fingerprint = str(pgp_key.fingerprint).replace(" ", "")
    assert fingerprint in out.getvalue()
    assert KnownKey.objects.get().case is None
    path.write_text("not a key")
    with pytest.raises(CommandError, match="not an OpenPGP public key"):
        call_command("evidence", "known-key", str(path), "--label", "x", "--case", case.codename)
