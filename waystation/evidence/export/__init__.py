"""Packages for investigators: a BagIt bag (RFC 8493) with what the exit gate (``gate``)
lets go to the recipient — the items whose source's consent or terms allow it, the
testimonies whose witness consented to it —, the events they describe and every item's chain
of custody, signed with the instance's Ed25519 key.

The bag::

    bagit.txt
    bag-info.txt                 Source-Organization, Bagging-Date, Payload-Oxum,
                                 External-Identifier (the package id), Waystation-Signing-Key
    README.txt                   how the investigator checks it
    manifest-sha256.txt          every payload file
    tagmanifest-sha256.txt       bagit.txt, bag-info.txt, README.txt, manifest-sha256.txt
    tagmanifest-sha256.txt.sig   Ed25519 signature, 64 raw bytes, over tagmanifest-sha256.txt
    data/items/<item id>/<file name>
    data/items.json  items.csv  testimonies.json  testimonies.csv
    data/events.json  events.csv  custody.json  custody.csv

The signature cannot be listed in the manifest it signs. bagit-python checks only the tag
files a tag manifest lists (an unlisted one does not make a bag invalid), and when it rewrites
manifests it skips names starting with "tagmanifest-": hence the name of the signature file.
``verify_package`` is stricter than bagit: any file outside data/ that the signed tag manifest
does not cover is a problem.

Memory stays flat for any size: items are streamed from the blob store chunk by chunk and
hashed as they are written (the payload manifest comes from those hashes, checked against the
SHA-256 taken at ingest); the JSON and CSV tables are made in memory first, small next to the
files. The same stream of files feeds three outputs: a directory, an age-encrypted tar (the
plain bag never touches the disk) and a ZIP for a web download.
"""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.db import transaction

from waystation.accounts.policy import Perm, can
from waystation.core import signing

from .. import gate
from ..services import EvidenceError
from .bag import (
    _ChunkReader,
    bag_files,
    bag_root_name,
    write_directory,
    write_encrypted,
    zip_stream,
)
from .check import verify_package
from .contents import Contents, make_contents

__all__ = [
    "PackageResult",
    "build_package",
    "encrypt_chunks_to_age",
    "stream_package_zip",
    "verify_package",
]


@dataclass(frozen=True)
class PackageResult:
    path: Path  # the bag directory, the encrypted file, or the ZIP's file name
    package_id: str  # the release id, the bag's External-Identifier
    items: tuple[str, ...]
    testimonies: tuple[str, ...]
    held: tuple[gate.Line, ...]  # what stayed, each with its reason
    bytes: int  # payload size (Payload-Oxum): the items and the tables under data/


def _may_export(actor) -> None:
    """Packages are made by those who may export evidence, or by the command line (no
    actor: run by whoever unsealed the instance). Checked here, not only on the page."""
    if actor is not None and not can(actor, Perm.EVIDENCE_EXPORT):
        raise EvidenceError("this account may not export evidence packages")


def _result(path: Path, contents: Contents) -> PackageResult:
    release = contents.release
    return PackageResult(
        path=path,
        package_id=release.id,
        items=tuple(str(item.pk) for item in release.items),
        testimonies=tuple(str(t.pk) for t in release.testimonies),
        held=tuple(release.held),
        bytes=contents.payload_bytes,
    )


def build_package(
    *,
    actor,
    case,
    addressee: gate.Addressee,
    out: Path,
    item_ids=None,
    testimony_ids=None,
    age_recipient: str | None = None,
) -> PackageResult:
    """Write the package for ``addressee`` to ``out``, which must not exist: a bag
    directory, or with ``age_recipient`` ("age1…") one file, a tar of the bag encrypted to
    that key.

    Items and testimonies: all of the case's that the gate lets go (the others are held
    back, each with its reason), or exactly those of ``item_ids`` / ``testimony_ids``, and
    then ``gate.Refused`` (audited, nothing written) if one of them may not go. The package
    is made under a temporary name beside ``out`` and renamed when complete, in the
    transaction that records the release."""
    _may_export(actor)
    out = Path(out)
    if out.exists() or out.is_symlink():
        raise EvidenceError(f"{out} exists already; choose a new name")
    if not out.parent.is_dir():
        raise EvidenceError(f"{out.parent} is not a directory")
    release = gate.clear(
        actor=actor,
        case=case,
        addressee=addressee,
        way="package_age" if age_recipient else "package_dir",
        item_ids=item_ids,
        testimony_ids=testimony_ids,
    )
    contents = make_contents(release)
    files = bag_files(contents)
    with contextlib.ExitStack() as cleanup:
        if age_recipient:
            fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.partial-")
            partial = Path(name)
            cleanup.callback(partial.unlink, missing_ok=True)
            with os.fdopen(fd, "wb") as target:
                write_encrypted(files, target, bag_root_name(out), age_recipient)
        else:
            partial = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
            cleanup.callback(shutil.rmtree, partial, ignore_errors=True)
            write_directory(files, partial)
        with transaction.atomic():
            gate.record(release, actor=actor, files=True)
            if out.exists():
                raise EvidenceError(f"{out} appeared while the package was made; try again")
            gate.admit(release, recorded=True)
            os.rename(partial, out)
    return _result(out, contents)


def stream_package_zip(
    *,
    actor,
    case,
    addressee: gate.Addressee,
    item_ids=None,
    testimony_ids=None,
) -> tuple[PackageResult, Iterator[bytes]]:
    """The package as a ZIP made while it is sent (a web download): the result (its ``path``
    is the file name to offer) and the ZIP's bytes. Refusals are raised here, before the
    first byte; the release is recorded here too, before the first byte leaves."""
    _may_export(actor)
    release = gate.clear(
        actor=actor,
        case=case,
        addressee=addressee,
        way="package_zip",
        item_ids=item_ids,
        testimony_ids=testimony_ids,
    )
    contents = make_contents(release)
    with transaction.atomic():
        gate.record(release, actor=actor, files=True)
    root = f"evidence-{case.codename}-{release.id[:8]}"
    return _result(Path(root + ".zip"), contents), zip_stream(bag_files(contents), root)


def encrypt_chunks_to_age(chunks: Iterable[bytes], target: BinaryIO, age_recipient: str) -> None:
    """Encrypt a stream of chunks to ``age_recipient`` ("age1…") into ``target``, streamed as
    the packages are: for the other ways out that offer age (the dossier). ``EvidenceError``
    for a malformed recipient; an error raised by ``chunks`` is raised as itself."""
    reader = _ChunkReader(chunks)
    try:
        signing.encrypt_to_age(reader, target, age_recipient)
    except ValueError as error:
        raise EvidenceError(str(error)) from None
    except Exception:
        if reader.error is not None:
            raise reader.error from None
        raise
