"""Keyed digests and MACs for the apps, from sub-keys of the unsealed master key."""

import base64
import hashlib
import hmac

from . import crypto
from .crypto import digests_equal  # defined once, in crypto; named here for the keys' users
from .keyring import KEYRING, Purpose
from .keyslots import INSECURE_TEST_KDF, KdfParams, insecure_kdf_allowed

__all__ = [
    "Purpose",
    "digests_equal",
    "keyed_digest",
    "mac",
    "open_text",
    "seal_text",
    "slow_digest",
    "subkey",
]

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


def seal_text(purpose: Purpose, text: str, context: str) -> str:
    """``text`` encrypted (AES-256-GCM) and bound to ``context``, as ASCII: for a secret that
    must wait somewhere stored in the clear, e.g. a session on PostgreSQL."""
    sealed = crypto.seal(subkey(purpose), text.encode("utf-8"), context.encode("utf-8"))
    return base64.urlsafe_b64encode(sealed).decode("ascii")


def open_text(purpose: Purpose, sealed: str, context: str) -> str | None:
    """The text ``seal_text`` sealed for ``context``; None for anything else (another
    context, other keys, damaged)."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        return crypto.unseal(subkey(purpose), raw, context.encode("utf-8")).decode("utf-8")
    except (ValueError, crypto.DecryptionError):
        return None
