"""A throwaway certificate authority and a server certificate for 127.0.0.1 and localhost, made
with ``cryptography`` for the tests that put a TLS reverse proxy in front of `waystation serve`
(waystation.testing.proxy). Nothing is trusted system-wide: clients are given ``ca`` (a PEM
file) as their only trust anchor, e.g. ``requests.get(url, verify=str(cert.ca))`` or
``ssl.create_default_context(cafile=cert.ca)``."""

import dataclasses
import datetime
import ipaddress
import os
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclasses.dataclass(frozen=True)
class TestCertificate:
    """Paths of PEM files in ``folder``: the CA certificate clients trust, and the server's
    certificate (leaf, then the CA) and private key, which the proxy serves."""

    folder: Path
    ca: Path
    cert: Path
    key: Path

    __test__ = False  # not a test class, whatever pytest thinks of the name


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Waystation tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def make_certificate(folder: str | os.PathLike | None = None, *, days: int = 7) -> TestCertificate:
    """A new CA and a server certificate for 127.0.0.1, ::1 and localhost (ECDSA P-256, valid
    from yesterday for ``days``), written into ``folder`` (a new private temporary folder when
    None; the caller removes it). The CA's key is not kept: nothing else can be signed."""
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="ws-tls-"))
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Waystation test CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = TestCertificate(
        folder=folder, ca=folder / "ca.pem", cert=folder / "server.pem", key=folder / "server.key"
    )
    paths.ca.write_bytes(_pem(ca))
    paths.cert.write_bytes(_pem(server) + _pem(ca))
    paths.key.touch(mode=0o600)
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths
