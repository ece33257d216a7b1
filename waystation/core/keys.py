"""Key derivation for the instance. All cryptography in Waystation goes through ``core``.

For now every sub-key is derived with HKDF-SHA256 from the instance secret; the security-core
work replaces the root with the master key unwrapped at unseal, keeping these purposes.
"""

import hashlib
import hmac
from enum import StrEnum
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class Purpose(StrEnum):
    AUDIT_MAC = "waystation/audit-mac/v1"
    LOGIN_THROTTLE = "waystation/login-throttle/v1"
    RECOVERY_CODES = "waystation/recovery-codes/v1"
    INVITE_TOKENS = "waystation/invite-tokens/v1"


@cache
def _derive(root: str, purpose: Purpose) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.value.encode())
    return hkdf.derive(root.encode("utf-8"))


def subkey(purpose: Purpose) -> bytes:
    if not settings.SECRET_KEY:
        raise RuntimeError("no instance secret: run `waystation init` or set WAYSTATION_SECRET_KEY")
    return _derive(settings.SECRET_KEY, purpose)


def keyed_digest(purpose: Purpose, message: bytes | str) -> str:
    """HMAC-SHA256 as hex: a lookup key that reveals nothing without the instance secret."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    return hmac.new(subkey(purpose), message, hashlib.sha256).hexdigest()


def mac(purpose: Purpose, message: bytes) -> bytes:
    return hmac.new(subkey(purpose), message, hashlib.sha256).digest()


def digests_equal(a: bytes | str, b: bytes | str) -> bool:
    return hmac.compare_digest(a, b)
