"""The keys of this instance's partner card, and age encryption as streams.

Both card keys come from the master key (HKDF, ``Purpose.PARTNER_SIGNING`` and
``Purpose.PARTNER_AGE``): they need no file of their own, survive passphrase changes, and a
panic destroys them with every other key. The Ed25519 key signs what this instance sends to a
partner; the age (X25519) identity opens what partners send to it.

pyrage encrypts from a reader and decrypts into a writer. ``encrypt_stream`` feeds it a reader
made from an iterator of chunks; ``decrypt_stream`` runs the decryption in a thread that hands
the plaintext over through a short queue, so a caller reads a package chunk by chunk and
memory stays flat for gigabytes. Plaintext handed out before the end of the stream is not yet
authenticated as a whole: a caller trusts nothing until the iterator ended without error.
"""

import base64
import io
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .keyring import Purpose
from .keys import subkey
from .signing import PREFIX, age_recipient

__all__ = [
    "AGE_MAGIC",
    "AgeDamaged",
    "AgeNotForUs",
    "ChunkReader",
    "card_age_recipient",
    "card_sign",
    "card_signing_public_key",
    "decrypt_stream",
    "encrypt_stream",
]

AGE_MAGIC = b"age-encryption.org/v1\n"
_HANDOVER_BYTES = 256 * 1024  # plaintext gathered before it crosses to the reading thread
_QUEUE_DEPTH = 4


class AgeNotForUs(Exception):
    """The file is encrypted to other keys than this instance's."""


class AgeDamaged(Exception):
    """The encrypted file is changed, cut short, or not an age file at all."""


def _signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(subkey(Purpose.PARTNER_SIGNING))


def card_signing_public_key() -> str:
    raw = _signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode()


def card_sign(data: bytes) -> bytes:
    return _signing_key().sign(data)


# -- the age identity ---------------------------------------------------------------------------

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generator[i] if (top >> i) & 1 else 0
    return check


def _bech32(hrp: str, data: bytes) -> str:
    """BIP 173 encoding, as age writes its keys."""
    groups, acc, bits = [], 0, 0
    for byte in data:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            groups.append((acc >> bits) & 31)
    if bits:
        groups.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _bech32_polymod(expanded + groups + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[g] for g in groups + checksum)


def _age_identity():
    secret = _bech32("age-secret-key-", subkey(Purpose.PARTNER_AGE)).upper()
    return pyrage.x25519.Identity.from_str(secret)


def card_age_recipient() -> str:
    """This instance's age public key ("age1…"), printed on its card."""
    return str(_age_identity().to_public())


# -- streams ------------------------------------------------------------------------------------


class ChunkReader(io.RawIOBase):
    """A reader over an iterator of byte chunks: what pyrage encrypts from."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")
        self.error: Exception | None = None  # pyrage reports the iterator's own as text

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = memoryview(next(self._chunks))
            except StopIteration:
                return 0
            except Exception as error:
                self.error = error
                raise
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def encrypt_stream(chunks: Iterable[bytes], target: BinaryIO, recipient: str) -> None:
    """Encrypt the concatenated ``chunks`` to the age public key ``recipient`` into ``target``,
    streamed. An error raised by the iterator stops it and propagates."""
    reader = ChunkReader(chunks)
    try:
        pyrage.encrypt_io(reader, target, [age_recipient(recipient)])
    except Exception:
        if reader.error is not None:
            raise reader.error from None
        raise


_END = object()


class _Stopped(Exception):
    """The reader went away: the decrypting thread stops."""


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def decrypt_stream(source: BinaryIO) -> Iterator[bytes]:
    """The plaintext of the age file ``source``, encrypted to this instance's card, in chunks.
    Raises ``AgeNotForUs`` or ``AgeDamaged`` (possibly after some chunks: see the module)."""
    identity = _age_identity()  # here, in the caller's thread: Sealed raises to the caller
    handover: queue.Queue = queue.Queue(maxsize=_QUEUE_DEPTH)
    stop = threading.Event()

    def put(item) -> None:
        while True:
            if stop.is_set():
                raise _Stopped
            try:
                handover.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    class _Sink(io.RawIOBase):
        def __init__(self):
            self.buffer = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, data) -> int:
            self.buffer += data
            if len(self.buffer) >= _HANDOVER_BYTES:
                put(bytes(self.buffer))
                self.buffer.clear()
            return len(data)

    def run() -> None:
        sink = _Sink()
        try:
            pyrage.decrypt_io(source, sink, [identity])
            if sink.buffer:
                put(bytes(sink.buffer))
            put(_END)
        except _Stopped:
            return
        except BaseException as error:  # handed to the reading thread, raised there
            try:
                put(_Failed(error))
            except _Stopped:
                return

    worker = threading.Thread(target=run, name="age-decrypt", daemon=True)
    worker.start()
    try:
        while True:
            item = handover.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise _translated(item.error) from item.error
            yield item
    finally:
        stop.set()
        worker.join()


def _translated(error: BaseException) -> Exception:
    if isinstance(error, pyrage.DecryptError) and "No matching keys" in str(error):
        return AgeNotForUs("the file is encrypted to other keys")
    if isinstance(error, pyrage.DecryptError | OSError | ValueError):
        return AgeDamaged(f"the encrypted file cannot be decrypted: {error}")
    return error if isinstance(error, Exception) else AgeDamaged(str(error))
