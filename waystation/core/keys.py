"""Keyed digests and MACs for the apps, from sub-keys of the unsealed master key."""

import hashlib
import hmac

from . import crypto
from .keyring import KEYRING, Purpose
from .keyslots import INSECURE_TEST_KDF, KdfParams, insecure_kdf_allowed

__all__ = ["Purpose", "digests_equal", "keyed_digest", "mac", "slow_digest", "subkey"]

# OWASP's minimum for Argon2id (19 MiB, 2 passes): tens of milliseconds. Codenames carry ~90
# bits, so the cost slows guessing rather than being the only defence.
LOOKUP_KDF = KdfParams(memory_kib=19 * 1024, iterations=2, lanes=1)


def subkey(purpose: Purpose) -> bytes:
    return KEYRING.subkey(purpose)


def keyed_digest(purpose: Purpose, message: bytes | str) -> str:
    """HMAC-SHA256 as hex: a lookup key that reveals nothing without the master key."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    return hmac.new(subkey(purpose), message, hashlib.sha256).hexdigest()


def slow_digest(purpose: Purpose, secret: str) -> str:
    """Argon2id of a secret that people type (an intake codename), salted with a sub-key of
    the master key, as hex: the same secret always gives the same digest, so it can be looked
    up, and the cost makes guessing slow even for someone holding the keys."""
    params = INSECURE_TEST_KDF if insecure_kdf_allowed() else LOOKUP_KDF
    salt = subkey(purpose)[:16]
    return crypto.argon2id(
        secret,
        salt,
        memory_kib=params.memory_kib,
        iterations=params.iterations,
        lanes=params.lanes,
    ).hex()


def mac(purpose: Purpose, message: bytes) -> bytes:
    return hmac.new(subkey(purpose), message, hashlib.sha256).digest()


def digests_equal(a: bytes | str, b: bytes | str) -> bool:
    return hmac.compare_digest(a, b)
