"""A TLS reverse proxy for the tests: Caddy (Debian's caddy 2.6, installed by
scripts/setup-system.sh) on loopback, with the test certificate of waystation.testing.tls, in
front of one or several `waystation serve` processes (round robin).

It is configured as docs/examples/Caddyfile tells an operator to: no admin endpoint, no
automatic certificates, the client's X-Forwarded-* headers replaced by its own
(X-Forwarded-Proto and X-Forwarded-Host), no X-Forwarded-For, no access log.

    with running_proxy([port_a, port_b]) as proxy:
        requests.get(proxy.url + "healthz", verify=proxy.ca)
"""

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from waystation.testing.tls import TestCertificate, make_certificate

CADDY = shutil.which("caddy") or "/usr/bin/caddy"

_CADDYFILE = """\
{{
\tadmin off
\tauto_https off
\tstorage file_system {storage}
\tdefault_sni localhost
\tservers {{
\t\tprotocols h1 h2
\t}}
}}

https://:{port} {{
\tbind 127.0.0.1
\ttls {cert} {key}
\treverse_proxy {upstreams} {{
\t\tlb_policy round_robin
\t\t# Caddy replaces X-Forwarded-Proto and X-Forwarded-Host from clients with its own.
\t\t# The client's address is passed to no one: Waystation never keeps one.
\t\theader_up -X-Forwarded-For
\t}}
}}
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _upstream(address: int | str) -> str:
    return f"127.0.0.1:{address}" if isinstance(address, int) or ":" not in address else address


@dataclasses.dataclass
class Proxy:
    """A running Caddy: ``url`` is ``https://127.0.0.1:PORT/``; ``ca`` is the PEM file that
    clients must trust (``requests``' ``verify=``, ``ssl.create_default_context(cafile=)``);
    ``log`` holds Caddy's own messages (never requests)."""

    url: str
    port: int
    ca: Path
    certificate: TestCertificate
    folder: Path
    log: Path
    process: subprocess.Popen

    def stop(self, timeout: float = 10) -> None:
        """End Caddy (SIGTERM, then SIGKILL after ``timeout`` seconds) and remove its folder.
        Stopping twice is harmless."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "Proxy":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_proxy(
    upstreams: Iterable[int | str],
    *,
    certificate: TestCertificate | None = None,
    port: int | None = None,
    timeout: float = 20,
) -> Proxy:
    """Start Caddy on 127.0.0.1:``port`` (a free one when None) serving HTTPS with
    ``certificate`` (a new one from waystation.testing.tls when None) and proxying to
    ``upstreams`` (ports on 127.0.0.1, or "host:port"), round robin. Returns once it completes
    a TLS handshake; raises RuntimeError with Caddy's log when it does not within ``timeout``
    seconds. The caller stops it (``stop()`` or ``with``)."""
    upstreams = [_upstream(u) for u in upstreams]
    if not upstreams:
        raise ValueError("start_proxy needs at least one upstream")
    folder = Path(tempfile.mkdtemp(prefix="ws-caddy-"))
    certificate = certificate or make_certificate(folder / "tls")
    port = port or free_port()
    caddyfile = folder / "Caddyfile"
    caddyfile.write_text(
        _CADDYFILE.format(
            storage=folder / "storage",
            port=port,
            cert=certificate.cert,
            key=certificate.key,
            upstreams=" ".join(upstreams),
        )
    )
    log = folder / "caddy.log"
    # Caddy keeps its state under HOME / XDG folders: point them into the throwaway folder.
    env = {
        **os.environ,
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own fixed command
            [CADDY, "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
        )
    proxy = Proxy(
        url=f"https://127.0.0.1:{port}/",
        port=port,
        ca=certificate.ca,
        certificate=certificate,
        folder=folder,
        log=log,
        process=process,
    )
    try:
        _wait_for_tls(proxy, timeout)
    except BaseException:
        proxy.stop()
        raise
    return proxy


def _wait_for_tls(proxy: Proxy, timeout: float) -> None:
    context = ssl.create_default_context(cafile=str(proxy.ca))
    deadline = time.monotonic() + timeout
    while True:
        if proxy.process.poll() is not None:
            raise RuntimeError(f"Caddy stopped at start:\n{proxy.log.read_text(errors='replace')}")
        try:
            with (
                socket.create_connection(("127.0.0.1", proxy.port), timeout=1) as raw,
                context.wrap_socket(raw, server_hostname="127.0.0.1"),
            ):
                return
        except (OSError, ssl.SSLError):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Caddy did not answer over TLS within {timeout} s:\n"
                    f"{proxy.log.read_text(errors='replace')}"
                ) from None
            time.sleep(0.1)


@contextlib.contextmanager
def running_proxy(upstreams: Iterable[int | str], **options) -> Iterator[Proxy]:
    """``start_proxy`` as a context manager: Caddy is stopped and its folder removed after."""
    proxy = start_proxy(upstreams, **options)
    try:
        yield proxy
    finally:
        proxy.stop()
