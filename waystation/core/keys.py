"""Keyed digests and MACs for the apps, from sub-keys of the unsealed master key."""

import hashlib
import hmac

from .keyring import KEYRING, Purpose

__all__ = ["Purpose", "digests_equal", "keyed_digest", "mac", "subkey"]


def subkey(purpose: Purpose) -> bytes:
    return KEYRING.subkey(purpose)


def keyed_digest(purpose: Purpose, message: bytes | str) -> str:
    """HMAC-SHA256 as hex: a lookup key that reveals nothing without the master key."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    return hmac.new(subkey(purpose), message, hashlib.sha256).hexdigest()


def mac(purpose: Purpose, message: bytes) -> bytes:
    return hmac.new(subkey(purpose), message, hashlib.sha256).digest()


def digests_equal(a: bytes | str, b: bytes | str) -> bool:
    return hmac.compare_digest(a, b)
