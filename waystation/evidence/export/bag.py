"""The bag as a stream of files, and the three forms it is written in: a directory, an
age-encrypted tar (the plain bag never touches the disk) and a ZIP sent as it is made.

Memory stays flat for any size: an item goes from the blob store to the output chunk by
chunk, and a file's size is known before its first byte (the tar header needs it)."""

import hashlib
import io
import os
import tarfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.utils import timezone, translation

from waystation.core import signing
from waystation.core.streaming import zip_stream

from .. import gate
from ..models import Item, Recipient
from ..services import EvidenceError
from .contents import Contents
from .proofs import readme_section as _proofs_readme
from .stamps import readme_section as _stamps_readme

__all__ = ["bag_files", "bag_root_name", "write_directory", "write_encrypted", "zip_stream"]

TAG_MANIFEST = "tagmanifest-sha256.txt"
SIGNATURE = TAG_MANIFEST + ".sig"
PAYLOAD_MANIFEST = "manifest-sha256.txt"
KEY_TAG = "Waystation-Signing-Key"
_TAR_BLOCK, _TAR_RECORD = 512, 512 * 20


class _Counted:
    """The chunks of one item, counted as they are handed on: its tar header already holds
    the size, so more bytes or fewer are an error."""

    def __init__(self, release, item: Item):
        self.release, self.item, self.count = release, item, 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.release.open(self.item):
            self.count += len(chunk)
            if self.count > self.item.size:
                break
            yield chunk
        if self.count != self.item.size:
            raise EvidenceError(
                f"item {self.item.pk}: its stored file has another size than recorded; "
                "run `waystation evidence verify`"
            )


def bag_files(contents: Contents) -> Iterator[tuple[str, int, Iterable[bytes]]]:
    """Every file of the bag as (path, size, chunks), the payload first, the manifests and
    the signature last. Take each file's chunks to the end before asking for the next file:
    only then has an item been checked."""
    gate.admit(contents.release)
    manifest = {}
    for item, path in contents.items:
        counted = _Counted(contents.release, item)
        yield path, item.size, counted
        if counted.count != item.size:
            raise RuntimeError(f"{path} was not written to the end")
        manifest[path] = item.sha256
    for path, data in contents.tables:
        yield path, len(data), (data,)
        manifest[path] = hashlib.sha256(data).hexdigest()

    tags = {
        "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag-info.txt": _bag_info(contents),
        "README.txt": _readme(contents),
        PAYLOAD_MANIFEST: _manifest(manifest),
    }
    for path, data in tags.items():
        yield path, len(data), (data,)
    tag_manifest = _manifest(
        {path: hashlib.sha256(data).hexdigest() for path, data in tags.items()}
    )
    yield TAG_MANIFEST, len(tag_manifest), (tag_manifest,)
    signature = signing.sign(tag_manifest)
    yield SIGNATURE, len(signature), (signature,)


def _manifest(hashes: dict[str, str]) -> bytes:
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(hashes.items())).encode()


def _recipient_text(release: gate.Release) -> str:
    addressee = release.addressee
    with translation.override("en"):  # the package is read abroad: one language
        label = f"{addressee.kind} ({Recipient(addressee.kind).label})"
    return f"{label}: {addressee.name}" if addressee.name else label


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _bag_info(contents: Contents) -> bytes:
    release = contents.release
    tags = [
        ("Source-Organization", contents.source),
        ("Bagging-Date", timezone.localdate().isoformat()),
        ("Payload-Oxum", f"{contents.payload_bytes}.{contents.payload_files}"),
        ("External-Identifier", contents.package_id),
        (
            "External-Description",
            f"Evidence package of case {release.case.codename}: "
            f"{_count(len(release.items), 'item', 'items')}, "
            f"{_count(len(release.testimonies), 'testimony', 'testimonies')}",
        ),
        ("Bag-Software-Agent", "Waystation"),
        ("Waystation-Case", release.case.codename),
        ("Waystation-Recipient", _recipient_text(release)),
        (KEY_TAG, contents.signing_key),
        ("Waystation-Signature", f"Ed25519 over {TAG_MANIFEST}, in {SIGNATURE}"),
    ]
    return "".join(f"{name}: {' '.join(str(value).split())}\n" for name, value in tags).encode()


def _readme(contents: Contents) -> bytes:
    key = contents.signing_key.removeprefix(signing.PREFIX)
    text = README.format(
        package=contents.package_id,
        source=contents.source,
        date=timezone.localdate().isoformat(),
        recipient=_recipient_text(contents.release),
        key=contents.signing_key,
        pem_key=key,
        signature=SIGNATURE,
        tag_manifest=TAG_MANIFEST,
    )
    return (text + _stamps_readme(contents.tables) + _proofs_readme(contents.tables)).encode()


README = """\
Evidence package {package}
made by {source} on {date} with Waystation, for: {recipient}

This directory is a BagIt bag (RFC 8493).

  data/items/<item id>/<file>    each evidence item, bit for bit as the group received it;
                                 only items whose source consented to this recipient (or
                                 whose terms allow it, or from an open source)
  data/items.json   .csv         each item: SHA-256, size, media type, original name and
                                 file time, when, how and from whom it was acquired, its
                                 source, verification, linked events, metadata in the file
  data/testimonies.json   .csv   only testimonies whose witness consented to sharing them
                                 with this recipient: statement, language, interview date,
                                 interviewer, interpreter, consent, role in each event;
                                 the statement as it was taken, and under "corrections"
                                 each later correction or addition to it (who, when, why)
  data/events.json   .csv        the events the items and testimonies are about; a
                                 corrected event with its earlier versions and why
  data/custody.json   .csv       each item's chain of custody, up to this export

The JSON files hold the exact values. In the CSV files, a text cell that would start with
= + - @ or a tab starts with an apostrophe, so that a spreadsheet does not run it as a formula.


HOW TO CHECK IT

1. Nothing changed or missing. With bagit-python (pip install bagit):

       bagit.py --validate THIS-DIRECTORY

   recomputes the SHA-256 of every payload file (manifest-sha256.txt) and of the tag files
   (tagmanifest-sha256.txt).

2. Who made it. {signature} is an Ed25519 signature (64 raw bytes) over the
   exact bytes of {tag_manifest}, which holds the SHA-256 of bag-info.txt, this
   README and manifest-sha256.txt, and so of every file. The key is in bag-info.txt:

       Waystation-Signing-Key: {key}

   (ed25519: and the base64 of the 32-byte public key). A key printed inside the package
   proves only that nothing changed since it was signed, not who signed it: compare it with
   the key the group gave you through another channel (in person, by phone).
   With OpenSSL 3, write the key to key.pem:

       -----BEGIN PUBLIC KEY-----
       MCowBQYDK2VwAyEA{pem_key}
       -----END PUBLIC KEY-----

   then, in this directory:

       openssl pkeyutl -verify -pubin -inkey key.pem -rawin \\
           -in {tag_manifest} -sigfile {signature}

   prints "Signature Verified Successfully". With Waystation:
   waystation evidence verify-export THIS-DIRECTORY --key ed25519:...

3. The chain of custody. custody.json lists each item's entries in order (seq 1, 2, ...).
   For each entry, in hexadecimal,

       entry_hash = SHA-256( previous_hash + "\\n" + canonical )

   where canonical is the entry's canonical JSON text as given (UTF-8), and previous_hash is
   the entry_hash of the entry before it (64 zeros for the first). The other fields of an
   entry repeat what canonical holds, to read by; "actor" is a user id of the instance,
   "actor_username" that user's name. The HASHED entry records the SHA-256 the item had on
   arrival. The export of this package is the next entry of each chain, kept by the group.
   In Python:

       import hashlib, json
       last = {{}}
       for e in json.load(open("data/custody.json", encoding="utf-8")):
           assert e["previous_hash"] == last.get(e["item"], "0" * 64), e
           text = e["previous_hash"] + "\\n" + e["canonical"]
           assert hashlib.sha256(text.encode()).hexdigest() == e["entry_hash"], e
           last[e["item"]] = e["entry_hash"]
"""


def write_directory(files, target: Path) -> None:
    for path, _size, chunks in files:
        destination = target / path
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            for chunk in chunks:
                out.write(chunk)


def _tar_stream(files, root: str) -> Iterator[bytes]:
    """A POSIX (pax) tar of the files under ``root/``, made as it goes: each member's size is
    known before its bytes are read, so its header can go first."""
    written, mtime = 0, int(time.time())
    for path, size, chunks in files:
        info = tarfile.TarInfo(f"{root}/{path}")
        info.size, info.mtime, info.mode = size, mtime, 0o600
        header = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
        yield header
        yield from chunks
        padding = -size % _TAR_BLOCK
        yield b"\0" * padding
        written += len(header) + size + padding
    written += 2 * _TAR_BLOCK
    yield b"\0" * (2 * _TAR_BLOCK + (-written % _TAR_RECORD))


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of chunks (pyrage reads 8 KiB at a time: ``read`` is
    its own, one copy per call). An error raised by the iterator is kept: pyrage reports it
    as its own error type."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        try:
            while not self._pending:
                chunk = next(self._chunks, None)
                if chunk is None:
                    return False
                self._pending = memoryview(chunk)
        except Exception as error:
            self.error = error
            raise
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        if not size or not self._fill():
            return b""
        piece = bytes(self._pending[:size])
        self._pending = self._pending[size:]
        return piece

    def readinto(self, buffer) -> int:
        if not self._fill():
            return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


def write_encrypted(files, target, root: str, age_recipient: str) -> None:
    reader = _ChunkReader(_tar_stream(files, root))
    try:
        signing.encrypt_to_age(reader, target, age_recipient)
    except ValueError as error:
        raise EvidenceError(str(error)) from None
    except Exception:
        if reader.error is not None:
            raise reader.error from None
        raise


def bag_root_name(out: Path) -> str:
    name = out.name
    for suffix in (".age", ".tar", ".zip"):
        name = name.removesuffix(suffix)
    return name.strip(" .") or "package"
