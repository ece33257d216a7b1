"""C2PA content credentials: the signed manifest a phone, a camera or an editing program
writes into a file (c2pa-python, the C2PA reference implementation), read and validated at
ingest.

``check()`` returns None for a file without credentials, else a ``Checked``: the status
(``ProofStatus``), whether it is flagged, and a JSON-ready report: who signed it (the
certificate's common name and issuer), the program that made the claim, when it was signed
and when it says the picture was taken, the actions it records (created, edited, cropped…),
the validation state and every failure the library reported. A file whose bytes no longer
match its credentials, or whose signature does not verify, is flagged; damaged credentials
are recorded as such and flagged; nothing here ever refuses a file.

Trust: a manifest is "trusted" only when its certificate chains to a root in the PEM file
``EVIDENCE_C2PA_TRUST_ANCHORS`` (e.g. the C2PA trust list); otherwise a valid manifest is
"valid, signer not on a trust list", which proves the file is unchanged since that key
signed it, not whose key it was. Nothing is fetched from the network (no remote manifests,
no OCSP). Files larger than ``EVIDENCE_C2PA_MAX_MB`` are read without hashing the whole file:
their credentials are listed, marked "not checked".
"""

import functools
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import c2pa
from django.conf import settings

from waystation.core.blobstore import StoredBlob, blob_store

from .metadata.common import json_ready
from .models import ProofStatus

logger = logging.getLogger(__name__)

# Actions that say the content was made (captured) rather than changed.
_MADE = ("c2pa.created", "c2pa.captured")
_SCANNED = 16 << 20  # bytes searched for a manifest store when the library fails
_ACTION_FIELDS = ("action", "when", "softwareAgent", "digitalSourceType", "reason")


@dataclass(frozen=True)
class Checked:
    status: str
    flagged: bool
    report: dict


@functools.cache
def _supported() -> frozenset[str]:
    try:
        return frozenset(c2pa.Reader.get_supported_mime_types())
    except Exception:  # the native library missing or broken: nothing can be read
        return frozenset()


def _context(verify: bool) -> c2pa.Context:
    config = {
        "verify": {
            "verify_after_reading": verify,
            "remote_manifest_fetch": False,
            "ocsp_fetch": False,
        }
    }
    anchors = settings.EVIDENCE_C2PA_TRUST_ANCHORS
    if anchors:
        try:
            config["trust"] = {"trust_anchors": Path(anchors).read_text(encoding="ascii")}
        except (OSError, ValueError):
            logger.warning("WAYSTATION_C2PA_TRUST_ANCHORS cannot be read: no signer is trusted")
    return c2pa.Context.from_dict(config)


def _software(agent) -> str:
    if isinstance(agent, dict):
        return " ".join(str(agent.get(k, "")) for k in ("name", "version")).strip()
    return str(agent or "")


def _generator(manifest: dict) -> str:
    infos = manifest.get("claim_generator_info") or []
    names = [_software(info) for info in infos if isinstance(info, dict)]
    return "; ".join(n for n in names if n) or str(manifest.get("claim_generator") or "")


def _actions(manifest: dict) -> list[dict]:
    found = []
    for assertion in manifest.get("assertions") or []:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            row = {k: action.get(k) for k in _ACTION_FIELDS if action.get(k)}
            if "softwareAgent" in row:
                row["softwareAgent"] = _software(row["softwareAgent"])
            found.append(row)
    return found


def _captured_at(manifest: dict, actions: list[dict]) -> str | None:
    for action in actions:
        if action.get("action") in _MADE and action.get("when"):
            return str(action["when"])
    for assertion in manifest.get("assertions") or []:
        if assertion.get("label") == "stds.exif":
            data = assertion.get("data") or {}
            return data.get("exif:DateTimeOriginal") or data.get("exif:DateTime")
    return None


def _report(store: dict, verified: bool) -> dict:
    manifests = store.get("manifests") or {}
    manifest = manifests.get(store.get("active_manifest"), {})
    signature = manifest.get("signature_info") or {}
    actions = _actions(manifest)
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = results.get("failure") or store.get("validation_status") or []
    problems = [
        {"code": f.get("code"), "explanation": f.get("explanation")}
        for f in failures
        if isinstance(f, dict)
    ]
    return json_ready(
        {
            "signer": signature.get("common_name"),
            "issuer": signature.get("issuer"),
            "algorithm": signature.get("alg"),
            "signed_at": signature.get("time"),
            "claim_generator": _generator(manifest),
            "title": manifest.get("title"),
            "captured_at": _captured_at(manifest, actions),
            "actions": actions,
            "manifests": len(manifests),
            "validation_state": store.get("validation_state") if verified else None,
            "problems": problems,
            "file_matches": not any("mismatch" in str(p["code"]) for p in problems)
            if verified
            else None,
        }
    )


def _status(report: dict) -> Checked:
    state = report.get("validation_state")
    if state == "Trusted":
        return Checked(ProofStatus.TRUSTED, False, report)
    if state == "Valid":
        return Checked(ProofStatus.VALID, False, report)
    return Checked(ProofStatus.DOES_NOT_MATCH, True, report)


def _looks_signed(blob: StoredBlob) -> bool:
    """Whether the start of the file holds a C2PA manifest store (a JUMBF box labelled
    "c2pa"): told apart from a file the library merely fails to parse."""
    with blob_store().open_seekable(blob.name) as raw, io.BufferedReader(raw) as stored:
        head = stored.read(_SCANNED)
    return b"jumb" in head and b"c2pa" in head


def _looks_signed_safely(blob: StoredBlob) -> bool:
    try:
        return _looks_signed(blob)
    except Exception:  # the stored file itself damaged: `evidence verify` reports that
        return False


def check(blob: StoredBlob, media_type: str) -> Checked | None:
    """The file's content credentials checked, or None when it carries none (or is of a
    type that cannot carry them). Never raises."""
    if media_type not in _supported():
        return None
    verify = blob.size <= settings.EVIDENCE_C2PA_MAX_MB * 1024 * 1024
    try:
        with blob_store().open_seekable(blob.name) as raw, io.BufferedReader(raw) as stored:
            reader = c2pa.Reader.try_create(media_type, stored, None, _context(verify))
            if reader is None:
                return None
            with reader:
                store = json.loads(reader.json())
    except Exception as error:
        logger.info("content credentials of a %s not read: %s", media_type, type(error).__name__)
        if not _looks_signed_safely(blob):  # a file the library cannot parse, with no credentials
            return None
        return Checked(
            ProofStatus.DAMAGED,
            True,
            {"error": f"{type(error).__name__}: {error}"[:300]},
        )
    report = _report(store, verify)
    if not verify:
        report["not_checked"] = f"larger than {settings.EVIDENCE_C2PA_MAX_MB} MB"
        return Checked(ProofStatus.NOT_CHECKED, False, report)
    return _status(report)
