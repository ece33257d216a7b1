"""RFC 3161 trusted timestamps: asking a time-stamping authority (TSA) to sign that a hash
existed at a time, and checking such a token later. The tokens are made and read with
rfc3161-client; nothing here builds ASN.1 by hand.

What is stamped is always a short *statement* (a few lines of text naming hashes and counts,
never a file or a name): the TSA signs its SHA-256. So a 10 GB video is stamped without being
read again, and whoever holds the statement and the token checks both with
``openssl ts -verify -data STATEMENT -in TOKEN.tsr -CAfile CHAIN.pem``.

Calls to the configured authorities (``settings.TIMESTAMP_AUTHORITIES``) are the only
connections Waystation opens to the outside; with none configured, nothing is sent.
"""

import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from django.conf import settings
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

REQUEST_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
_MAX_REPLY = 1 << 20


class TimestampError(Exception):
    """A token could not be had or does not hold. ``transient``: the authority could not be
    reached (or was busy) and asking again later may succeed."""

    def __init__(self, reason: str, *, transient: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class Stamp:
    token: bytes  # the TSA's whole reply (TimeStampResp, DER): what `openssl ts -verify -in` reads
    stamped_at: datetime  # the time the TSA signed (genTime)
    serial: int


def authorities() -> list[str]:
    return list(getattr(settings, "TIMESTAMP_AUTHORITIES", []) or [])


def enabled() -> bool:
    return bool(authorities())


def chain_pem() -> bytes:
    """The configured certificate chains of the authorities (PEM), or empty."""
    path = getattr(settings, "TIMESTAMP_CERTIFICATES", "")
    if not path:
        return b""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise TimestampError(f"cannot read the TSA certificates ({error.strerror})") from None


def request(url: str, statement: bytes) -> Stamp:
    """Ask ``url`` for a token over ``statement``, and check it against the configured
    chain before handing it back. ``TimestampError`` says why not."""
    query = (
        TimestampRequestBuilder()
        .data(statement)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    if not url.startswith(("https://", "http://")):
        raise TimestampError(f"a TSA is reached over http(s), not {url.split(':')[0]!r}")
    post = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=query.as_bytes(), headers={"Content-Type": REQUEST_TYPE}, method="POST"
    )
    timeout = getattr(settings, "TIMESTAMP_TIMEOUT_SECONDS", 15)
    try:
        with urllib.request.urlopen(post, timeout=timeout) as answer:  # noqa: S310 - checked above
            reply = answer.read(_MAX_REPLY + 1)
    except urllib.error.HTTPError as error:
        transient = error.code >= 500 or error.code == 429
        raise TimestampError(f"the TSA answered HTTP {error.code}", transient=transient) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TimestampError(f"the TSA could not be reached ({reason})", transient=True) from None
    if len(reply) > _MAX_REPLY:
        raise TimestampError("the TSA's answer is too large")
    try:
        response = decode_timestamp_response(reply)
    except ValueError:
        raise TimestampError("the TSA's answer is not a timestamp reply") from None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        said = "; ".join(response.status_string) or f"status {response.status}"
        raise TimestampError(f"the TSA refused: {said}")
    check(reply, statement, nonce=query.nonce)
    return Stamp(reply, response.tst_info.gen_time, response.tst_info.serial_number)


def _certificates(pem: bytes) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """The roots (self-signed) and the others of a PEM bundle."""
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise TimestampError("the TSA certificate file holds no PEM certificates") from None
    roots = [c for c in certificates if c.issuer == c.subject]
    return roots, [c for c in certificates if c.issuer != c.subject]


def check(token: bytes, statement: bytes, *, pem: bytes | None = None, nonce=None) -> datetime:
    """The time ``token`` says the TSA signed ``statement``'s SHA-256, checked against the
    chains in ``pem`` (by default the configured file). ``TimestampError`` when the token is
    damaged, for other data, or not signed by a TSA chaining to one of those roots."""
    pem = chain_pem() if pem is None else pem
    if not pem:
        raise TimestampError("no TSA certificate chain to check the token against")
    roots, others = _certificates(pem)
    if not roots:
        raise TimestampError("the TSA certificate file holds no root (self-signed) certificate")
    try:
        response = decode_timestamp_response(token)
    except ValueError:
        raise TimestampError("the token is damaged (not a timestamp reply)") from None
    try:
        imprint = response.tst_info.message_imprint.message
    except ValueError:
        raise TimestampError("the token is damaged (no time-stamp info)") from None
    if imprint != hashlib.sha256(statement).digest():
        raise TimestampError("the token is over other data: the statement or the token changed")
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    for other in others:
        builder = builder.add_intermediate_certificate(other)
    if nonce is not None:
        builder = builder.nonce(nonce)
    try:
        builder.build().verify_message(response, statement)
    except VerificationError as error:
        said = str(error)
        if "signature" in said.lower():
            said = "its signature does not match (the token changed, or another TSA made it)"
        raise TimestampError(f"the token does not hold: {said[:200]}") from None
    except ValueError as error:  # a token the library cannot read through
        raise TimestampError(f"the token is damaged: {error}") from None
    return response.tst_info.gen_time
