"""Checking a package, as its recipient would: BagIt validation, the signature, files the
signature does not cover, and each item's chain of custody recomputed from custody.json.
Needs neither the keys nor the database: it checks packages from other groups too."""

import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path

import bagit

from waystation.core import signing

from .. import custody
from ..models import CustodyAction
from . import stamps
from .bag import KEY_TAG, PAYLOAD_MANIFEST, SIGNATURE, TAG_MANIFEST

_SIGNED_TAG_FILES = ("bag-info.txt", "bagit.txt", PAYLOAD_MANIFEST)


def verify_package(path: Path, *, expected_key: str | None = None) -> list[str]:
    """Every problem found in the bag at ``path``: BagIt validation (each file against the
    manifests), the signature (against ``expected_key`` when given, else against the key
    printed in bag-info.txt: that proves integrity, not origin), files the signature does not
    cover, and the chain of custody recomputed from custody.json. Empty when all is well.
    Needs neither the keys nor the database: it checks packages from other groups too."""
    path = Path(path)
    if not path.is_dir():
        return [f"{path} is not a directory: decrypt and unpack an encrypted package first"]
    problems = []
    with _quiet_bagit():
        try:
            bag = bagit.Bag(str(path))
        except bagit.BagError as error:
            return [f"not a BagIt bag: {error}"]
        try:
            bag.validate()
        except bagit.BagValidationError as error:
            problems += [str(d) for d in error.details] or [str(error.message)]
        except bagit.BagError as error:
            problems.append(str(error))
    problems += _signature_problems(path, bag.info, expected_key)
    problems += _custody_problems(path)
    return problems


def _read_manifest(path: Path) -> dict[str, str]:
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, _, name = line.strip().partition(" ")
            entries[os.path.normpath(name.strip().lstrip("*"))] = digest.lower()
    return entries


@contextlib.contextmanager
def _quiet_bagit():
    """bagit logs every problem it also raises; the caller reports them once."""
    logger = logging.getLogger("bagit")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _signature_problems(path: Path, info: dict, expected_key: str | None) -> list[str]:
    tag_manifest, signature = path / TAG_MANIFEST, path / SIGNATURE
    if not tag_manifest.is_file():
        return [f"{TAG_MANIFEST} is missing: nothing is signed"]
    if not signature.is_file():
        return [f"{SIGNATURE} is missing: the package is not signed"]
    problems = []
    printed = info.get(KEY_TAG)
    if not isinstance(printed, str):
        problems.append(f"bag-info.txt has no single {KEY_TAG}")
    key = expected_key or printed
    if expected_key and isinstance(printed, str) and printed != expected_key:
        problems.append(f"bag-info.txt names another signing key ({printed})")
    if isinstance(key, str):
        try:
            signing.verify(key, signature.read_bytes(), tag_manifest.read_bytes())
        except signing.BadSignature as error:
            problems.append(f"{SIGNATURE}: {error} ({TAG_MANIFEST} or the key changed)")
    try:
        signed = set(_read_manifest(tag_manifest))
    except ValueError:
        return [*problems, f"{TAG_MANIFEST} is not UTF-8 text"]
    for name in _SIGNED_TAG_FILES:
        if name not in signed:
            problems.append(f"{name} is not listed in {TAG_MANIFEST}, so it is not signed")
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path)
        if relative.parts[0] == "data" or not file.is_file():
            continue
        if str(relative) not in signed | {TAG_MANIFEST, SIGNATURE}:
            problems.append(f"{relative} is not covered by the signature")
    return problems


def _custody_problems(path: Path) -> list[str]:
    try:
        items = json.loads((path / "data" / "items.json").read_text(encoding="utf-8"))
        entries = json.loads((path / "data" / "custody.json").read_text(encoding="utf-8"))
        manifest = _read_manifest(path / PAYLOAD_MANIFEST)
    except (OSError, ValueError) as error:
        return [f"cannot read the items, custody or manifest file: {error}"]
    problems = []
    chains: dict[str, list[dict]] = {}
    try:
        for entry in entries:
            chains.setdefault(entry["item"], []).append(entry)
        known = {item["id"]: item for item in items}
    except (KeyError, TypeError):
        return ["custody.json or items.json is not in the expected form"]
    for item_id in sorted(set(chains) - set(known)):
        problems.append(f"custody.json has entries for item {item_id}, which is not in the package")
    problems += stamps.problems(path, manifest, known)
    problems += stamps.heads_problems(path, chains)
    for item_id, item in known.items():
        if manifest.get(os.path.normpath(str(item.get("file")))) != item.get("sha256"):
            problems.append(f"item {item_id}: items.json and the manifest differ on its SHA-256")
        chain = chains.get(item_id, [])
        if not chain:
            problems.append(f"item {item_id}: no chain of custody")
        problems += _chain_problems(item_id, item, chain)
    return problems


def _chain_problems(item_id: str, item: dict, chain: list[dict]) -> list[str]:
    problems, previous = [], custody.GENESIS
    for expected_seq, entry in enumerate(chain, start=1):
        where = f"item {item_id}, custody entry {entry.get('seq')}"
        try:
            fields = json.loads(entry["canonical"])
            if entry["seq"] != expected_seq:
                problems.append(f"{where}: expected entry {expected_seq}")
            if entry["previous_hash"] != previous:
                problems.append(f"{where}: does not follow the entry before")
            text = (entry["previous_hash"] + "\n" + entry["canonical"]).encode()
            if hashlib.sha256(text).hexdigest() != entry["entry_hash"]:
                problems.append(f"{where}: its hash does not match its content")
            shown = {key: entry[key] for key in ("item", "seq", "action", "actor", "at", "details")}
            if fields != shown:
                problems.append(f"{where}: the fields shown differ from the canonical form")
            if fields["action"] == CustodyAction.HASHED and fields["details"].get(
                "sha256"
            ) != item.get("sha256"):
                problems.append(f"{where}: the SHA-256 hashed on arrival differs from the file's")
            previous = entry["entry_hash"]
        except (KeyError, TypeError, ValueError, AttributeError):
            problems.append(f"{where}: not in the expected form")
    return problems
