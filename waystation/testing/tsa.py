"""A time-stamping authority made in the test: a root CA and a TSA certificate (critical
timeStamping EKU) made with ``cryptography``, OpenSSL's ``openssl ts -reply`` signing the
answers, behind a loopback HTTP server in a thread. ``down`` makes it answer 503, as a TSA
out of reach or overloaded would."""

import datetime
import http.server
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
_CONFIG = """\
[ tsa ]
default_tsa = test_tsa
[ test_tsa ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject, issuer, key, signer, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(signer, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


class LocalTSA:
    def __init__(self, folder: Path):
        self.folder = folder
        root_key = ec.generate_private_key(ec.SECP256R1())
        tsa_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _name("Test Root CA")
        root = _certificate(root_name, root_name, root_key, root_key, ca=True)
        tsa = _certificate(_name("Test TSA"), root.subject, tsa_key, root_key, ca=False)
        (folder / "tsa.key").write_bytes(
            tsa_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (folder / "tsa.pem").write_bytes(_pem(tsa))
        (folder / "serial").write_text("01\n")
        (folder / "tsa.cnf").write_text(_CONFIG.format(dir=folder))
        self.chain = folder / "chain.pem"  # what the operator configures: the TSA and its root
        self.chain.write_bytes(_pem(tsa) + _pem(root))
        self.down = False
        self.requests = 0
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/tsr"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _reply(self, query: bytes) -> bytes:
        with self._lock, tempfile.TemporaryDirectory() as work:
            (Path(work) / "q.tsq").write_bytes(query)
            subprocess.run(  # noqa: S603 - our own fixed command
                [OPENSSL, "ts", "-reply", "-config", str(self.folder / "tsa.cnf"),
                 "-queryfile", f"{work}/q.tsq", "-out", f"{work}/r.tsr"],
                check=True,
                capture_output=True,
            )  # fmt: skip
            return (Path(work) / "r.tsr").read_bytes()

    def _handler(self):
        tsa = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                tsa.requests += 1
                if tsa.down:
                    self.send_error(503)
                    return
                body = tsa._reply(query)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self) -> "LocalTSA":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
