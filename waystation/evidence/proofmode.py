"""ProofMode (and similar) proof bundles: a ZIP that a capture app exported with each photo or
video, its proof (``….proof.json`` / ``….proof.csv``: the file's SHA-256, when and where it
was taken, the device), OpenPGP signatures (``….asc``) of the media and of the proofs, the
phone's public key (``pubkey.asc``) and OpenTimestamps files (``….ots``).

The bundle stays the item's blob, untouched (so every signature and timestamp file goes out
with it in a package). ``check()`` reads it and returns a ``credentials.Checked``: for each
media file, its SHA-256 against the one its proof recorded, its signature and its proof's
signature verified (PGPy) against the key in the bundle, and that key compared with the keys
the group recorded (``KnownKey``, for the case or the whole group). A changed byte (a hash
that does not match, a signature that does not verify), or a bundle signed with another key
than the one recorded for the case, is flagged; the file is never refused.

OpenTimestamps files are listed, not verified: that needs a Bitcoin node (or a block
explorer's word), which this instance does not have. An investigator runs ``ots verify``.

Untrusted input, so bounded: ``MAX_MEMBERS`` files in the ZIP, ``MAX_PROOF_BYTES`` for a
proof, key or signature, ``MAX_SIGNED_BYTES`` for a media file whose signature is checked
(PGPy needs it in memory; a larger one is hashed, its signature "not checked").
"""

import csv
import hashlib
import io
import json
import logging
import posixpath
import warnings
import zipfile

from pgpy import PGPKey, PGPSignature

from waystation.core.blobstore import StoredBlob, blob_store

from .credentials import Checked
from .metadata.common import json_ready
from .models import KnownKey, ProofStatus

logger = logging.getLogger(__name__)

MAX_MEMBERS = 10_000
MAX_PROOF_BYTES = 1 << 20
MAX_SIGNED_BYTES = 256 << 20
_PROOF_ENDINGS = (".proof.json", ".proof.csv")
_HASH_KEYS = ("File Hash SHA256", "SHA256", "sha256", "file_hash_sha256")
_PATH_KEYS = ("File Path", "file_path", "File Name")
_KEY_NAMES = ("pubkey.asc", "public.asc", "publickey.asc")
_DAMAGED = (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, NotImplementedError)

VERIFIED, NOT_VERIFIED, MISSING, UNCHECKED = "verified", "does not verify", "missing", "not checked"


def _base(name: str) -> str:
    return posixpath.basename(name.replace("\\", "/"))


def _is_proof(name: str) -> bool:
    return name.lower().endswith(_PROOF_ENDINGS)


def _is_key(name: str) -> bool:
    return _base(name).lower() in _KEY_NAMES


def _is_media(name: str) -> bool:
    lower = name.lower()
    return not (
        name.endswith("/")
        or _is_proof(name)
        or lower.endswith((".asc", ".sig", ".ots", ".gpg"))
        or _is_key(name)
    )


def is_bundle(blob: StoredBlob, media_type: str) -> bool:
    """A ZIP holding at least one proof (``….proof.json`` or ``….proof.csv``) and one
    signature (``….asc``)."""
    if media_type != "application/zip":
        return False
    try:
        with (
            blob_store().open_seekable(blob.name) as raw,
            io.BufferedReader(raw) as stored,
            zipfile.ZipFile(stored) as archive,
        ):
            names = archive.namelist()[: MAX_MEMBERS + 1]
    except _DAMAGED:
        return False
    return any(_is_proof(n) for n in names) and any(n.lower().endswith(".asc") for n in names)


def _small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_PROOF_BYTES:
        raise ValueError(f"{info.filename} is larger than {MAX_PROOF_BYTES >> 20} MB")
    with archive.open(info) as member:
        return member.read(MAX_PROOF_BYTES + 1)[:MAX_PROOF_BYTES]


def _proof_fields(name: str, data: bytes) -> dict:
    text = data.decode("utf-8-sig")
    if name.lower().endswith(".json"):
        found = json.loads(text)
        found = found[0] if isinstance(found, list) and found else found
        return found if isinstance(found, dict) else {}
    rows = list(csv.DictReader(io.StringIO(text)))
    return {k: v for k, v in rows[0].items() if k} if rows else {}


def _claimed(fields: dict, keys) -> str:
    for key in keys:
        if fields.get(key):
            return str(fields[key]).strip()
    return ""


def _load_key(text: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        key, _others = PGPKey.from_blob(text.decode("ascii", "replace"))
    return key.pubkey if key.is_public is False else key


def _fingerprint(key) -> str:
    return str(key.fingerprint).replace(" ", "").upper()


def fingerprint_of(armored: str) -> str:
    """The fingerprint of an ASCII-armored OpenPGP public key; ValueError if it is none."""
    if len(armored) > MAX_PROOF_BYTES:
        raise ValueError("too long")
    try:
        return _fingerprint(_load_key(armored.encode()))
    except Exception as error:
        raise ValueError(type(error).__name__) from error


def public_keys(blob_name: str) -> dict[str, str]:
    """The public keys a stored bundle carries, armored, by fingerprint."""
    found = {}
    with (
        blob_store().open_seekable(blob_name) as raw,
        io.BufferedReader(raw) as stored,
        zipfile.ZipFile(stored) as archive,
    ):
        bundle = _Bundle(archive)
        for name in bundle.files:
            if _is_key(name):
                text = bundle.read_small(name).decode("ascii", "replace")
                try:
                    found[fingerprint_of(text)] = text
                except ValueError:
                    continue
    return found


def _verify(keys: list, data: bytes | None, signature: bytes | None) -> tuple[str, str]:
    """The signature's result and the fingerprint of the key that made it ("" if none)."""
    if signature is None:
        return MISSING, ""
    if data is None:
        return UNCHECKED, ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = PGPSignature.from_blob(signature.decode("ascii", "replace"))
            for key in keys:
                if parsed.signer and not _fingerprint(key).endswith(parsed.signer.upper()):
                    continue
                if key.verify(data, parsed):
                    return VERIFIED, _fingerprint(key)
    except Exception as error:  # a damaged signature does not verify
        logger.info("a ProofMode signature not read: %s", type(error).__name__)
    return NOT_VERIFIED, ""


class _Bundle:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ValueError(f"the ZIP file holds more than {MAX_MEMBERS} files")
        self.files = {info.filename: info for info in infos if not info.is_dir()}
        self.by_base = {}
        for name in self.files:
            self.by_base.setdefault(_base(name).lower(), name)

    def find(self, *names: str) -> str | None:
        for name in names:
            if name and name.lower() in self.by_base:
                return self.by_base[name.lower()]
        return None

    def read_small(self, name: str | None) -> bytes | None:
        return _small(self.archive, self.files[name]) if name else None

    def hash_media(self, name: str) -> tuple[str, int, bytes | None]:
        """SHA-256, size, and the bytes when small enough for its signature to be checked."""
        digest, size, kept = hashlib.sha256(), 0, []
        with self.archive.open(self.files[name]) as member:
            while piece := member.read(1 << 20):
                digest.update(piece)
                size += len(piece)
                if size <= MAX_SIGNED_BYTES:
                    kept.append(piece)
        return digest.hexdigest(), size, b"".join(kept) if size <= MAX_SIGNED_BYTES else None


def _keys(bundle: _Bundle, case) -> tuple[list, list[dict], list]:
    """The keys in the bundle, how each is described, and the known keys that apply."""
    keys, described = [], []
    for name in bundle.files:
        if _is_key(name):
            try:
                keys.append(_load_key(bundle.read_small(name)))
            except Exception as error:
                described.append({"file": name, "error": f"not a public key ({error})"[:200]})
    known = list(KnownKey.objects.filter(case__in=[case] if case else []))
    known += list(KnownKey.objects.filter(case__isnull=True))
    fingerprints = {k.fingerprint: k for k in known}
    for key in keys:
        match = fingerprints.get(_fingerprint(key))
        described.append(
            {
                "fingerprint": _fingerprint(key),
                "user_ids": [str(uid) for uid in key.userids],
                "known_as": match.label if match else None,
            }
        )
    extra = []
    for record in known:  # a known key verifies too, when the bundle carries none of its own
        if record.fingerprint not in {_fingerprint(k) for k in keys}:
            try:
                extra.append(_load_key(record.armored.encode()))
            except Exception as error:
                logger.warning("a known key cannot be read: %s", type(error).__name__)
    return keys + extra, described, known


def _proofs_for(proofs: dict, base: str, sha256: str) -> list[str]:
    """Its proofs (JSON, CSV): those that recorded this hash, else those naming this file
    (then the file was changed), else those named after it."""
    for matches in (
        lambda p, f: f["sha256"] == sha256,
        lambda p, f: f["path"] == base.lower(),
        lambda p, f: _base(p).lower().startswith(base.lower()),
    ):
        found = sorted(p for p, f in proofs.items() if matches(p, f))
        if found:
            return found
    return []


def _together(results: list[str]) -> str:
    for worst in (NOT_VERIFIED, MISSING, UNCHECKED):
        if worst in results:
            return worst
    return VERIFIED if results else MISSING


def _media_report(bundle: _Bundle, name: str, proofs: dict, keys: list) -> tuple[dict, list]:
    sha256, size, data = bundle.hash_media(name)
    base = _base(name)
    mine = _proofs_for(proofs, base, sha256)
    claimed = sorted({proofs[p]["sha256"] for p in mine})
    problems = []
    if not mine:
        problems.append({"file": base, "problem": "no_proof"})
    elif claimed != [sha256]:
        problems.append({"file": base, "problem": "hash_mismatch"})
    stems = [base, sha256, *claimed]
    signature, signer = _verify(
        keys, data, bundle.read_small(bundle.find(*(stem + ".asc" for stem in stems)))
    )
    if signature == NOT_VERIFIED:
        problems.append({"file": base, "problem": "signature_fails"})
    checked = []
    for proof in mine:
        result, _signer = _verify(
            keys, bundle.read_small(proof), bundle.read_small(bundle.find(_base(proof) + ".asc"))
        )
        if result == NOT_VERIFIED:
            problems.append({"file": _base(proof), "problem": "signature_fails"})
        checked.append({"file": proof, "sha256": proofs[proof]["sha256"], "signature": result})
    stems += [_base(p) for p in mine]
    timestamps = sorted(
        n for n in bundle.files if n.lower().endswith(".ots") and _base(n).startswith(tuple(stems))
    )
    return {
        "file": name,
        "sha256": sha256,
        "size": size,
        "proofs": checked,
        "hash_matches": claimed == [sha256],
        "signature": signature,
        "signed_by": signer or None,
        "proof_signature": _together([c["signature"] for c in checked]),
        "opentimestamps": timestamps,
        "recorded": proofs[mine[0]]["fields"] if mine else {},
    }, problems


def _check(bundle: _Bundle, case) -> Checked:
    keys, described, known = _keys(bundle, case)
    proofs, problems = {}, []
    for name in bundle.files:
        if _is_proof(name):
            try:
                fields = _proof_fields(name, bundle.read_small(name))
            except Exception as error:
                problems.append({"file": _base(name), "problem": "unreadable"})
                logger.info("a ProofMode proof not read: %s", type(error).__name__)
                continue
            proofs[name] = {
                "sha256": _claimed(fields, _HASH_KEYS).lower(),
                "path": _base(_claimed(fields, _PATH_KEYS)).lower(),
                "fields": fields,
            }
    media = []
    for name in sorted(n for n in bundle.files if _is_media(n)):
        report, found = _media_report(bundle, name, proofs, keys)
        media.append(report)
        problems += found
    used = {c["file"] for m in media for c in m["proofs"]}
    problems += [{"file": _base(p), "problem": "no_media"} for p in proofs if p not in used]
    signers = {m["signed_by"] for m in media if m["signed_by"]}
    case_keys = {k.fingerprint for k in known if k.case_id is not None}
    other_key = bool(case_keys) and not signers <= case_keys
    if other_key:
        problems.append({"file": "", "problem": "other_key"})
    changed = any(
        (m["proofs"] and not m["hash_matches"])
        or NOT_VERIFIED in (m["signature"], m["proof_signature"])
        for m in media
    )
    complete = bool(media) and all(
        m["hash_matches"] and m["signature"] == VERIFIED == m["proof_signature"] for m in media
    )
    if changed or other_key:
        status = ProofStatus.DOES_NOT_MATCH
    elif complete and not problems:
        status = ProofStatus.VERIFIED
    else:
        status = ProofStatus.NOT_CHECKED
    report = {
        "keys": described,
        "known_key": any(d.get("known_as") for d in described),
        "media": media,
        "opentimestamps": sorted(n for n in bundle.files if n.lower().endswith(".ots")),
        "problems": problems,
    }
    return Checked(status, changed or other_key, json_ready(report))


def check(blob: StoredBlob, case=None) -> Checked:
    """The bundle's hashes and signatures checked. Never raises: a bundle that cannot be
    read is recorded as damaged (and flagged)."""
    try:
        with (
            blob_store().open_seekable(blob.name) as raw,
            io.BufferedReader(raw) as stored,
            zipfile.ZipFile(stored) as archive,
        ):
            return _check(_Bundle(archive), case)
    except Exception as error:
        logger.info("a ProofMode bundle not read: %s", type(error).__name__)
        why = f"{type(error).__name__}: {error}"[:300]
        return Checked(ProofStatus.DAMAGED, True, {"error": why})
