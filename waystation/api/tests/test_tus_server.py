"""A 200 MB file sent with the real tus client (tuspy) to the real server (`waystation serve`):
the client stops half-way, a PATCH breaks off mid-body (what came of it is kept), the server
is killed and started again, and the upload resumes where the disk says it stood. The item's
SHA-256 is hashlib's, its file comes back bit for bit, and no byte of the file was ever on disk
in the clear.

The instance is an embedded one in a temporary directory on both test runs (SQLCipher and
PostgreSQL): what is tested here is the protocol, the disk and the restart; the in-process
tests (test_tus.py) cover the database side on both."""

import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tusclient import client as tus_client

ROOT = Path(__file__).resolve().parents[3]
PASSPHRASE = "an instance for resumable uploads"
MIB = 1 << 20
SIZE = 200 * MIB
PIECE = 8 * MIB  # what the client sends per PATCH


def _env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYSTATION_", "DJANGO_"))}
    env["WAYSTATION_INSECURE_TEST_KDF"] = "1"
    env["WAYSTATION_DATA_DIR"] = str(data_dir)
    env["WAYSTATION_PASSPHRASE_FILE"] = str(data_dir.parent / "passphrase")
    env["WAYSTATION_SECURE_COOKIES"] = "0"
    return env


def _run(data_dir, *args, stdin=""):
    done = subprocess.run(
        [sys.executable, "-m", "waystation", *args],
        input=stdin,
        env=_env(data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server:
    def __init__(self, data_dir: Path, port: int):
        self.data_dir, self.port = data_dir, port
        self.temp = data_dir.parent / "server-tmp"
        self.temp.mkdir(mode=0o700, exist_ok=True)
        self.log = data_dir.parent / "server.log"
        with open(self.log, "ab") as log:
            self.process = self._start(log)
        for _ in range(300):
            try:
                if self.request("GET", "/accounts/login/")[0] == 200:
                    return
            except OSError:
                pass
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.1)
        raise AssertionError("the server did not answer")

    def _start(self, log):
        return subprocess.Popen(
            [sys.executable, "-m", "waystation", "serve", "--port", str(self.port), "--no-worker"],
            env={**_env(self.data_dir), "TMPDIR": str(self.temp)},
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def request(self, method, path, headers=None, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response
        finally:
            if method != "GET":
                conn.close()

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)  # no clean shutdown: a crash
        self.process.wait()


# The framework's `shell` is refused on a real instance: the member, the case and the token
# are made by a plain Python process that unseals the way every command does (one process
# instead of three commands: each start costs seconds).
_SETUP = """
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")
django.setup()
from waystation.core.unsealing import unseal_for_command
unseal_for_command()
from waystation.accounts.models import User
from waystation.accounts.policy import Perm, system_actor
from waystation.accounts.roles import Role
from waystation.api.services import token_create
from waystation.cases.services import case_create
member = User.objects.create_user("dora", roles=[Role.DOCUMENTATION_OFFICER])
case = case_create(actor=system_actor("test", Perm.CASES_MANAGE))
_token, raw = token_create(
    actor=system_actor("test", Perm.SIGNED_IN, Perm.USERS_MANAGE), user=member, name="phone",
    scopes=["evidence.edit", "evidence.view"], days=1,
)
print(json.dumps([case.codename, raw]))
"""


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tus") / "instance"
    (data_dir.parent / "passphrase").write_text(PASSPHRASE + "\n")
    _run(data_dir, "init", "--passphrase-file", "-", stdin=PASSPHRASE + "\n")
    made = subprocess.run(
        [sys.executable, "-c", _SETUP],
        env=_env(data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    codename, token = json.loads(made.stdout.strip().splitlines()[-1])
    return data_dir, codename, token


def _make_file(path: Path, marker: bytes) -> str:
    """200 MB that never repeats, the marker at the start of every MiB; its SHA-256."""
    digest = hashlib.sha256()
    block = os.urandom(16 * MIB)
    with open(path, "wb") as out:
        for index in range(SIZE // MIB):
            start = (index * MIB) % len(block)
            piece = marker + index.to_bytes(8, "big") + block[start + len(marker) + 8 : start + MIB]
            digest.update(piece)
            out.write(piece)
    return digest.hexdigest()


def _holding(folder: Path, marker: bytes) -> list[Path]:
    """The files under ``folder`` in which the marker appears (read in overlapping windows)."""
    found = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        with open(path, "rb") as handle:
            tail = b""
            while window := handle.read(8 * MIB):
                if marker in tail + window:
                    found.append(path)
                    break
                tail = window[-len(marker) :]
    return found


def _broken_patch(port, path, token, source: Path, offset):
    """A PATCH that promises the file's next 8 MiB and sends 3 before the connection drops."""
    with open(source, "rb") as handle:
        handle.seek(offset)
        sent = handle.read(3 * MIB)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            (
                f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"
                f"Content-Type: application/offset+octet-stream\r\nContent-Length: {PIECE}\r\n\r\n"
            ).encode()
            + sent
        )
        time.sleep(1)  # for a thread to take the PATCH up before the connection drops


def test_a_200_mb_upload_survives_a_dropped_connection_and_a_restart(instance, tmp_path):
    data_dir, codename, token = instance
    marker = b"WAYSTATION-CLEAR-TEXT-" + os.urandom(8).hex().encode()
    source = tmp_path / "video.mp4"
    expected = _make_file(source, marker)
    auth = {"Authorization": f"Bearer {token}"}
    try:
        server = _Server(data_dir, _free_port())
        url = f"http://127.0.0.1:{server.port}/api/v1/uploads/"
        uploads = tus_client.TusClient(url, headers=auth)
        first = uploads.uploader(
            file_path=str(source),
            chunk_size=PIECE,
            metadata={"case": codename, "filename": "video.mp4", "acquired_how": "in_person"},
        )
        first.upload(stop_at=10 * PIECE)  # the client stops after ten pieces
        assert first.offset == 10 * PIECE
        path = first.url.removeprefix(f"http://127.0.0.1:{server.port}")
        _broken_patch(server.port, path, token, source, first.offset)
        # The body is streamed to the view as it arrives: what came before the connection
        # dropped is kept (3 MiB: whole chunks), as tus asks. The view may still be storing
        # it for a moment (the offset then is the last request's). Had the connection gone
        # before a thread took the PATCH up (a loaded machine), waitress runs nothing of it
        # and the offset stays: the client resumes from there all the same.
        for _ in range(100):
            status, headers, _ = server.request("HEAD", path, {**auth, "Tus-Resumable": "1.0.0"})
            if int(headers["Upload-Offset"]) != 10 * PIECE:
                break
            time.sleep(0.05)
        assert status == 200
        assert int(headers["Upload-Offset"]) in (10 * PIECE + 3 * MIB, 10 * PIECE)
        assert int(headers["Upload-Length"]) == SIZE
        assert _holding(data_dir, marker) == []  # half-way: ciphertext only

        second = uploads.uploader(file_path=str(source), url=first.url, chunk_size=PIECE)
        second.upload(stop_at=15 * PIECE + 5 * MIB + 12345)  # the last piece ends mid-chunk
        server.kill()
        assert _holding(data_dir, marker) == []

        server = _Server(data_dir, server.port)
        third = uploads.uploader(file_path=str(source), url=first.url, chunk_size=PIECE)
        # What was stored before the kill is still there: the server re-hashed it.
        assert third.offset == 15 * PIECE + 5 * MIB + 12345
        third.upload()
        item_id = third.request.response_headers["waystation-item"]

        status, _, response = server.request("GET", f"/api/v1/evidence/items/{item_id}/", auth)
        body = response.read().decode()
        assert status == 200, body
        assert f'"sha256": "{expected}"' in body.replace('":"', '": "')
        assert f'"size": {SIZE}' in body.replace('":', '": ').replace(":  ", ": ")
        status, headers, response = server.request(
            "GET", f"/api/v1/evidence/items/{item_id}/file/", auth
        )
        digest = hashlib.sha256()
        while piece := response.read(MIB):
            digest.update(piece)
        assert status == 200 and digest.hexdigest() == expected
        assert _holding(data_dir, marker) == []  # after: the store holds ciphertext only
        assert not list((data_dir / "blobs" / "resumable").iterdir())  # nothing left over
        server.kill()
    finally:
        source.unlink(missing_ok=True)
