"""The command line and the real server: a missing secret stops startup with a readable line;
`waystation demo` + `waystation serve` answer through waitress."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYSTATION_", "DJANGO_"))}
    env.update(extra)
    return env


def _waystation(*args, env, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "waystation", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_missing_secret_stops_startup_with_what_to_set(tmp_path):
    result = _waystation("serve", "--data-dir", str(tmp_path / "none"), env=_env())
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "WAYSTATION_SECRET_KEY" in lines[0] and "waystation init" in lines[0]


def test_wsgi_entry_refuses_to_load_without_a_secret(tmp_path):
    code = "import waystation.wsgi"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(WAYSTATION_DATA_DIR=str(tmp_path)),
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: No instance secret. Set WAYSTATION_SECRET_KEY" in result.stderr


def test_init_creates_a_private_instance_and_refuses_to_overwrite(tmp_path):
    data_dir = tmp_path / "instance"
    first = _waystation("init", "--data-dir", str(data_dir), env=_env())
    assert first.returncode == 0, first.stderr
    assert (data_dir.stat().st_mode & 0o777) == 0o700
    for name in ("secret.key", "waystation.sqlite3"):
        assert (data_dir / name).stat().st_mode & 0o077 == 0, name
    again = _waystation("init", "--data-dir", str(data_dir), env=_env())
    assert again.returncode != 0
    assert "already holds an instance" in again.stderr
    add = subprocess.run(
        [
            sys.executable,
            "-m",
            "waystation",
            "user",
            "add",
            "first",
            "--role",
            "coordinator",
            "--password-file",
            "-",
            "--data-dir",
            str(data_dir),
        ],
        input="a long enough passphrase\n",
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert add.returncode == 0, add.stderr
    assert "Created first (coordinator)" in add.stdout
    weak = subprocess.run(
        [
            sys.executable,
            "-m",
            "waystation",
            "user",
            "add",
            "second",
            "--role",
            "lawyer",
            "--password-file",
            "-",
            "--data-dir",
            str(data_dir),
        ],
        input="short\n",
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert weak.returncode != 0
    assert "too short" in weak.stderr and "Nothing was created." in weak.stderr
    verify = _waystation("audit", "verify", "--data-dir", str(data_dir), env=_env())
    assert verify.returncode == 0 and "1 rows verified" in verify.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_instance_is_served_by_the_real_wsgi_server(tmp_path):
    data_dir = tmp_path / "demo"
    demo = _waystation("demo", "--data-dir", str(data_dir), env=_env())
    assert demo.returncode == 0, demo.stderr
    assert "Demo password:" in demo.stdout and "anna" in demo.stdout
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "waystation",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body, headers = "", {}
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=2
                ) as r:
                    body, headers = r.read().decode(), dict(r.headers)
                break
            except OSError:
                time.sleep(0.2)
        assert "Sign in" in body and "Demo instance" in body
        assert "waitress" not in str(headers).lower()
        assert "default-src 'self'" in headers["Content-Security-Policy"]
    finally:
        server.terminate()
        _, err = server.communicate(timeout=20)
    assert "127.0.0.1" not in err  # no access log with client addresses
