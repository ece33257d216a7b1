"""Ed25519 signatures for what leaves the instance (evidence packages), and encryption of a
package to a recipient's age key. The signing key is derived from the master key (HKDF,
``Purpose.SIGNING``), so it needs no file of its own, survives passphrase changes, and is
destroyed with the master key by a panic.

Verifying needs only the public key, which is printed in every package as
``ed25519:<base64>``; an investigator should compare it with the one the group gave them by
another channel (``waystation evidence public-key``)."""

import base64
from typing import BinaryIO

import pyrage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .keyring import Purpose
from .keys import subkey

PREFIX = "ed25519:"


class BadSignature(Exception):
    """The signature does not match the data and the key, or the key is malformed."""


def _private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(subkey(Purpose.SIGNING))


def public_key_text() -> str:
    raw = _private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode()


def sign(data: bytes) -> bytes:
    return _private_key().sign(data)


def verify(public_key: str, signature: bytes, data: bytes) -> None:
    """Raises ``BadSignature`` unless ``signature`` is ``public_key``'s over ``data``."""
    if not public_key.startswith(PREFIX):
        raise BadSignature(f"the public key must start with {PREFIX!r}")
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key[len(PREFIX) :]))
        key.verify(signature, data)
    except (InvalidSignature, ValueError) as error:
        raise BadSignature("the signature does not match") from error


def age_recipient(recipient: str):
    """The age public key ``recipient`` ("age1…") parsed, or ValueError when it is not one:
    ask before anything is made for it."""
    try:
        return pyrage.x25519.Recipient.from_str(recipient.strip())
    except Exception as error:  # pyrage raises its own error types for a bad key
        raise ValueError(f"not an age public key: {recipient!r}") from error


def encrypt_to_age(source: BinaryIO, target: BinaryIO, recipient: str) -> None:
    """Encrypt ``source`` to the age public key ``recipient`` ("age1…"), streamed. Raises
    ValueError for a malformed recipient."""
    pyrage.encrypt_io(source, target, [age_recipient(recipient)])
