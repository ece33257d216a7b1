"""A package between Waystation instances: one file, signed by the sender, encrypted to the
recipient, streamed both ways so that memory stays flat for gigabytes of evidence.

The file is age-encrypted to the recipient's card (``age -d`` with the recipient's key opens
it; nothing else can). Inside, a sequence of frames — a tag byte, a 4-byte big-endian length,
the payload::

    WAYSTATION-PARTNER-PACKAGE/1\\n
    H  header   canonical JSON: format, package id, kind, created, sender and recipient (instance
                id and fingerprint), the manifest, the files' names in order
    D… E        per file, in the header's order: its bytes in frames of at most 1 MiB, then an
                empty end frame
    T  trailer  canonical JSON: each file's name, size and SHA-256, the header's SHA-256, and
                the sender's Ed25519 signature over those (so the hashes are computed while
                the files stream through, and the signature comes last)

Opening a package decrypts and reads it once, hashing each file as it passes, and refuses it
with a reason a member can act on: not for this instance, unknown or revoked sender, damaged
(any changed byte: age's authentication, a file's hash, or the signature), unreadable. The
plaintext never reaches the disk: a file inside is read again from the encrypted copy.
"""

import base64
import hashlib
import io
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from waystation.core import partner_crypto, signing
from waystation.core.keyring import Sealed
from waystation.core.refusals import Refusal

from .card import Card, this_card
from .models import PackageKind, Partner

FORMAT = "waystation-partner-package/1"
MAGIC = b"WAYSTATION-PARTNER-PACKAGE/1\n"
_SIGNED = b"waystation partner package v1\n"
FRAME_BYTES = 1024 * 1024
_JSON_MAX = 64 * 1024 * 1024  # a header or trailer: the manifest holds text, never files
_HEADER, _DATA, _END, _TRAILER = b"H", b"D", b"E", b"T"


class PackageRefused(Refusal):
    """A package this instance will not make or take. ``reason`` is a short code (for audit
    rows and tests): not_for_us, unknown_sender, revoked, damaged, unreadable, sealed,
    replay, invalid."""

    def __init__(self, message="", *, reason: str, **params):
        super().__init__(message, **params)
        self.reason = reason


@dataclass(frozen=True)
class PackageInfo:
    package_id: str
    size: int  # of the encrypted file
    sha256: str  # of the encrypted file


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _frame(tag: bytes, length: int) -> bytes:
    return tag + length.to_bytes(4, "big")


# -- writing ------------------------------------------------------------------------------------

FileEntry = tuple[str, int, Callable[[], Iterable[bytes]]] | tuple[str, bytes | Iterable[bytes]]


def _entries(files: Iterable[FileEntry]) -> list[tuple[str, int | None, Callable]]:
    """Every form callers use, as (name, expected size or None, opener)."""
    entries = []
    for entry in files:
        if len(entry) == 3:
            name, size, opener = entry
        else:
            name, content = entry
            if isinstance(content, bytes | bytearray | memoryview):
                size, opener = len(content), (lambda content=content: [content])
            else:
                size, opener = None, (lambda content=content: content)
        entries.append((str(name), size, opener))
    names = [name for name, _size, _opener in entries]
    if len(set(names)) != len(names) or not all(names):
        raise PackageRefused(_("Each file in a package needs a name of its own."), reason="invalid")
    return entries


class _Counting(io.RawIOBase):
    def __init__(self, target: BinaryIO):
        self.target, self.size, self.digest = target, 0, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.target.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)


def write_package(
    out: BinaryIO | Path,
    *,
    partner: Partner,
    kind: str,
    manifest: dict,
    files: Iterable[FileEntry] = (),
) -> PackageInfo:
    """Write one package for ``partner`` into ``out`` (a writable binary file, or a path that
    must not exist yet: removed again if writing fails). Each file is read once, in chunks,
    hashed as it goes. ``files``: (name, size, opener) — opener() gives the chunks, the size is
    checked — or (name, bytes) or (name, iterable of chunks)."""
    if partner.revoked:
        raise PackageRefused(
            _("%(partner)s was revoked: nothing can be sent to it."),
            reason="revoked",
            partner=partner.name,
        )
    if kind not in PackageKind.values:
        raise PackageRefused(_("Unknown kind of package: %(kind)s."), reason="invalid", kind=kind)
    entries = _entries(files)
    card = _our_card()
    package_id = uuid.uuid4().hex
    header = _canonical(
        {
            "format": FORMAT,
            "package_id": package_id,
            "kind": kind,
            "created_at": timezone.now().isoformat(),
            "sender": {"instance": card.instance_id, "fingerprint": card.fingerprint},
            "recipient": {"instance": partner.instance_id, "fingerprint": partner.fingerprint},
            "manifest": manifest,
            "files": [name for name, _size, _opener in entries],
        }
    )

    def stream() -> Iterator[bytes]:
        yield MAGIC
        yield _frame(_HEADER, len(header)) + header
        listed = []
        for name, size, opener in entries:
            digest, written = hashlib.sha256(), 0
            for chunk in opener():
                view = memoryview(chunk)
                for start in range(0, len(view), FRAME_BYTES):
                    piece = view[start : start + FRAME_BYTES]
                    digest.update(piece)
                    written += len(piece)
                    yield _frame(_DATA, len(piece))
                    yield piece
            if size is not None and written != size:
                raise PackageRefused(
                    _("%(name)s changed while the package was written; nothing was sent."),
                    reason="invalid",
                    name=name,
                )
            yield _frame(_END, 0)
            listed.append({"name": name, "size": written, "sha256": digest.hexdigest()})
        yield _trailer(header, listed)

    if isinstance(out, Path):
        with open(out, "xb") as target:
            try:
                return _encrypt(stream(), target, partner, package_id)
            except BaseException:
                out.unlink(missing_ok=True)
                raise
    return _encrypt(stream(), out, partner, package_id)


def _encrypt(stream, target, partner, package_id) -> PackageInfo:
    counting = _Counting(target)
    partner_crypto.encrypt_stream(stream, counting, partner.age_recipient)
    return PackageInfo(package_id, counting.size, counting.digest.hexdigest())


def _signed_part(header: bytes, listed: list[dict]) -> dict:
    return {"header_sha256": hashlib.sha256(header).hexdigest(), "files": listed}


def _trailer(header: bytes, listed: list[dict]) -> bytes:
    signed = _signed_part(header, listed)
    signature = partner_crypto.card_sign(_SIGNED + _canonical(signed))
    body = _canonical({**signed, "signature": base64.b64encode(signature).decode()})
    return _frame(_TRAILER, len(body)) + body


def _our_card() -> Card:
    try:
        return this_card()
    except Sealed:
        raise PackageRefused(
            _("This instance is sealed: unseal it first."), reason="sealed"
        ) from None


# -- reading ------------------------------------------------------------------------------------


class _Broken(Exception):
    """The plaintext does not have the package's shape."""


class _Frames:
    """Frames from an iterator of plaintext chunks."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._buffer = bytearray()

    def _take(self, n: int) -> bytes:
        while len(self._buffer) < n:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                raise _Broken("cut short") from None
        taken = bytes(self._buffer[:n])
        del self._buffer[:n]
        return taken

    def magic(self) -> None:
        if self._take(len(MAGIC)) != MAGIC:
            raise _Broken("not a package")

    def next(self) -> tuple[bytes, bytes]:
        head = self._take(5)
        tag, length = head[:1], int.from_bytes(head[1:], "big")
        limit = FRAME_BYTES if tag in (_DATA, _END) else _JSON_MAX
        if length > limit:
            raise _Broken("frame too long")
        return tag, self._take(length)

    def json(self, tag: bytes) -> tuple[dict, bytes]:
        """The JSON object of the next frame, which must be a ``tag`` frame, and its bytes."""
        got, payload = self.next()
        if got != tag:
            raise _Broken("frames out of order")
        try:
            value = json.loads(payload)
        except ValueError:
            raise _Broken("bad JSON") from None
        if not isinstance(value, dict):
            raise _Broken("bad JSON")
        return value, payload

    def file(self) -> Iterator[bytes]:
        while True:
            tag, payload = self.next()
            if tag == _END:
                return
            if tag != _DATA:
                raise _Broken("frames out of order")
            yield payload

    def ended(self) -> bool:
        if self._buffer:
            return False
        return all(not chunk for chunk in self._chunks)


@dataclass
class OpenedPackage:
    """A verified package. ``open(name)`` reads a file again from the encrypted copy."""

    sender: Partner
    package_id: str
    kind: str
    manifest: dict
    created_at: datetime
    files: list[dict]  # [{"name", "size", "sha256"}], in order
    raw_size: int = 0  # of the encrypted file
    raw_sha256: str = ""
    _reopen: Callable[[], BinaryIO] | None = field(default=None, repr=False)

    def names(self) -> list[str]:
        return [entry["name"] for entry in self.files]

    def size_of(self, name: str) -> int:
        return self.files[self._index(name)]["size"]

    def _index(self, name: str) -> int:
        for index, entry in enumerate(self.files):
            if entry["name"] == name:
                return index
        raise KeyError(name)

    def open(self, name: str) -> Iterator[bytes]:
        """The bytes of ``name`` in chunks, decrypted again and checked against the SHA-256 the
        sender signed; ``PackageRefused`` (damaged) at the end if they differ."""
        index = self._index(name)
        expected = self.files[index]
        source = self._reopen()
        chunks = partner_crypto.decrypt_stream(source)
        try:
            frames = _Frames(chunks)
            frames.magic()
            frames.json(_HEADER)
            for _skipped in range(index):
                for _chunk in frames.file():
                    pass
            digest, size = hashlib.sha256(), 0
            for chunk in frames.file():
                digest.update(chunk)
                size += len(chunk)
                yield chunk
        except (_Broken, partner_crypto.AgeDamaged, partner_crypto.AgeNotForUs):
            raise _damaged() from None
        finally:
            chunks.close()  # stops the decrypting thread before its file goes
            source.close()
        if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
            raise _damaged()


def _damaged() -> PackageRefused:
    return PackageRefused(
        _("The package is damaged: it was changed on the way. Ask the sender for it again."),
        reason="damaged",
    )


def _unreadable() -> PackageRefused:
    return PackageRefused(
        _("This file is not a Waystation package, or not one this version can read."),
        reason="unreadable",
    )


class _Hashing(io.RawIOBase):
    """Reads through to ``source``, hashing what passes."""

    def __init__(self, source: BinaryIO):
        self.source, self.size, self.digest = source, 0, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.source.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.digest.update(data)
        self.size += n
        return n


class _Unclosing(io.RawIOBase):
    """A caller's open file, read again from its start, left open for the caller."""

    def __init__(self, source: BinaryIO):
        source.seek(0)
        self.source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def reader_of(chunks: Iterable[bytes]) -> BinaryIO:
    """A binary reader over chunks (a stored blob), for ``open_package``."""
    return partner_crypto.ChunkReader(chunks)


def open_package(
    source: BinaryIO | Path, *, reopen: Callable[[], BinaryIO] | None = None
) -> OpenedPackage:
    """Decrypt and verify the package in ``source`` in one streaming pass, or raise
    ``PackageRefused`` with the reason. ``reopen`` gives the same file again for ``open(name)``
    (default: the path opened again, or the file read again from its start)."""
    card = _our_card()
    if reopen is None:
        if isinstance(source, Path):
            path = source
            reopen = lambda: open(path, "rb")  # noqa: E731, SIM115 - closed by open(name)
        else:
            given = source
            reopen = lambda: _Unclosing(given)  # noqa: E731
    if isinstance(source, Path):
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError:
            raise _unreadable() from None
        with handle:
            return _open(handle, card, reopen)
    return _open(source, card, reopen)


def _open(source: BinaryIO, card: Card, reopen) -> OpenedPackage:
    start = source.read(len(partner_crypto.AGE_MAGIC))
    if start != partner_crypto.AGE_MAGIC:
        raise _unreadable()
    hashing = _Hashing(_Prefixed(start, source))
    chunks = partner_crypto.decrypt_stream(hashing)
    try:
        frames = _Frames(chunks)
        frames.magic()
        header, header_bytes = frames.json(_HEADER)
        sender, names = _check_header(header, card)
        listed = []
        for name in names:
            digest, size = hashlib.sha256(), 0
            for chunk in frames.file():
                digest.update(chunk)
                size += len(chunk)
            listed.append({"name": name, "size": size, "sha256": digest.hexdigest()})
        trailer, _trailer_bytes = frames.json(_TRAILER)
        if not frames.ended():
            raise _Broken("data after the trailer")
    except partner_crypto.AgeNotForUs:
        raise _not_for_us() from None
    except partner_crypto.AgeDamaged:
        raise _damaged() from None
    except _Broken:
        raise _unreadable() from None
    finally:
        chunks.close()
    signed = _signed_part(header_bytes, listed)
    try:
        signature = base64.b64decode(str(trailer.get("signature", "")), validate=True)
        signing.verify(sender.signing_key, signature, _SIGNED + _canonical(signed))
    except (ValueError, signing.BadSignature):
        raise _damaged() from None
    created_at = parse_datetime(str(header.get("created_at", "")))
    if created_at is None or header.get("kind") not in PackageKind.values:
        raise _unreadable()
    return OpenedPackage(
        sender=sender,
        package_id=header["package_id"],
        kind=header["kind"],
        manifest=header.get("manifest") or {},
        created_at=created_at,
        files=listed,
        raw_size=hashing.size,
        raw_sha256=hashing.digest.hexdigest(),
        _reopen=reopen,
    )


class _Prefixed(io.RawIOBase):
    """``source`` with the bytes already read from it put back in front."""

    def __init__(self, prefix: bytes, source: BinaryIO):
        self.prefix, self.source = prefix, source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.prefix:
            n = min(len(buffer), len(self.prefix))
            buffer[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _not_for_us() -> PackageRefused:
    return PackageRefused(
        _("This package is addressed to another Waystation, not to this one."),
        reason="not_for_us",
    )


def _check_header(header: dict, card: Card) -> tuple[Partner, list[str]]:
    """The sender (a known partner, not revoked) and the files' names; refuses a header that
    names another recipient. Nothing in it is trusted until the signature checked out."""
    if header.get("format") != FORMAT:
        raise _Broken("another format")
    recipient, sender = header.get("recipient") or {}, header.get("sender") or {}
    names = header.get("files")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _Broken("bad file list")
    if not isinstance(header.get("package_id"), str) or not header["package_id"]:
        raise _Broken("no package id")
    if (
        recipient.get("instance") != card.instance_id
        or recipient.get("fingerprint") != card.fingerprint
    ):
        raise _not_for_us()
    known = list(Partner.objects.filter(instance_id=str(sender.get("instance", ""))))
    trusted = [p for p in known if not p.revoked and p.fingerprint == sender.get("fingerprint")]
    if trusted:
        return trusted[0], names
    revoked = [p for p in known if p.revoked]
    if revoked:
        latest = max(revoked, key=lambda p: p.revoked_at)
        raise PackageRefused(
            _("The sender, %(partner)s, was revoked on %(date)s: its packages are refused."),
            reason="revoked",
            partner=latest.name,
            date=date_format(timezone.localtime(latest.revoked_at), "DATE_FORMAT"),
        )
    raise PackageRefused(
        _(
            "The sender is not a known partner of this instance. Add its card (after comparing "
            "the fingerprint) before importing its packages."
        ),
        reason="unknown_sender",
    )
