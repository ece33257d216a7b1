"""The only place Waystation touches cryptographic primitives (AES-256-GCM, HKDF, Argon2id).

Every encryption binds its context through associated data, so a ciphertext cannot be moved to
another place (row, column, file, chunk) without failing. A failed decryption raises
``DecryptionError``; nothing ever falls back to returning ciphertext or empty text.
"""

import hmac
import os

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """Wrong key, tampered data, or data moved out of its context."""


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


def random_string(length: int, allowed_chars: str) -> str:
    """``length`` characters drawn uniformly from ``allowed_chars`` (at most 256 of them) with
    the operating system's random generator, in one or two reads: what Django's
    ``get_random_string`` gives, which reads it once a character. Each read lets go of the
    interpreter lock, and with a few requests at once each of those handoffs cost more than
    the read: the 32 of every page's CSRF mask were a tenth of a dashboard request's time
    under load (docs/performance.md)."""
    count = len(allowed_chars)
    if not 0 < count <= 256:
        raise ValueError("random_string draws from 1 to 256 characters")
    limit = 256 - 256 % count  # bytes at or above it would favour the first characters
    out: list[str] = []
    while len(out) < length:
        for byte in os.urandom(2 * length):
            if byte < limit:
                out.append(allowed_chars[byte % count])
                if len(out) == length:
                    break
    return "".join(out)


def seal_parts(key: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """(nonce, ciphertext ‖ tag) with a fresh random 96-bit nonce; writing the two parts
    separately spares copying a large chunk."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """nonce ‖ ciphertext ‖ tag."""
    nonce, ciphertext = seal_parts(key, plaintext, aad)
    return nonce + ciphertext


def sealer(key: bytes):
    """``seal`` for many values under one key, the cipher set up once (an import encrypting
    tens of thousands of fields spent a third of that work setting it up again)."""
    aead = AESGCM(key)
    urandom = os.urandom

    def seal_one(plaintext: bytes, aad: bytes) -> bytes:
        nonce = urandom(NONCE_BYTES)
        return nonce + aead.encrypt(nonce, plaintext, aad)

    return seal_one


def sealer_into(key: bytes):
    """``seal`` for many values under one key, written into a buffer the caller gives
    (``out``: exactly NONCE_BYTES + len(plaintext) + TAG_BYTES writable bytes) instead of a
    new bytes object: the blob writer seals 1 MiB chunks straight into the buffer it writes
    to disk."""
    aead = AESGCM(key)
    urandom = os.urandom

    def seal_one_into(plaintext: bytes, aad: bytes, out: memoryview) -> None:
        nonce = urandom(NONCE_BYTES)
        out[:NONCE_BYTES] = nonce
        aead.encrypt_into(nonce, plaintext, aad, out[NONCE_BYTES:])

    return seal_one_into


def unseal(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionError("decryption failed: wrong key or tampered data") from None


def hkdf(root: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(root)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    # The one-shot C function: a blind index computes hundreds of these per note.
    return hmac.digest(key, message, "sha256")


def argon2id(
    passphrase: str, salt: bytes, *, memory_kib: int, iterations: int, lanes: int
) -> bytes:
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=iterations,
        memory_cost=memory_kib,
        parallelism=lanes,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def digests_equal(a: bytes | str, b: bytes | str) -> bool:
    return hmac.compare_digest(a, b)
