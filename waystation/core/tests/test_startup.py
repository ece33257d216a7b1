"""The command line and the real server: one contract for data directory and passphrase,
readable refusals, sealed start, unseal on the web page, panic from another process."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PASSPHRASE = "correct horse battery staple"


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYSTATION_", "DJANGO_"))}
    env["WAYSTATION_INSECURE_TEST_KDF"] = "1"  # fast key derivation, refused in production
    env.update(extra)
    return env


def _waystation(*args, env=None, stdin=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "waystation", *args],
        input=stdin,
        cwd=ROOT,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def instance(tmp_path):
    data_dir = tmp_path / "instance"
    created = _waystation(
        "init", "--data-dir", str(data_dir), "--passphrase-file", "-", stdin=PASSPHRASE + "\n"
    )
    assert created.returncode == 0, created.stderr
    return data_dir


def _audit_verify(instance, passphrase):
    """`waystation audit verify` on an instance, the passphrase on standard input."""
    return _waystation(
        "audit",
        "verify",
        "--data-dir",
        str(instance),
        "--passphrase-file",
        "-",
        stdin=passphrase + "\n",
    )


@pytest.fixture
def unlocked(instance, tmp_path):
    """The options that open ``instance``: its data directory and a passphrase file."""
    passfile = tmp_path / "pass"
    passfile.write_text(PASSPHRASE + "\n")
    return ["--data-dir", str(instance), "--passphrase-file", str(passfile)]


def test_missing_instance_stops_with_one_line_saying_what_to_do(tmp_path):
    result = _waystation("audit", "verify", "--data-dir", str(tmp_path / "none"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "does not exist" in result.stderr and "waystation init" in result.stderr


def test_init_makes_a_private_instance_and_refuses_to_overwrite(instance):
    assert (instance.stat().st_mode & 0o777) == 0o700
    for name in ("keyslots.json", "waystation.sqlite3"):
        assert (instance / name).stat().st_mode & 0o077 == 0, name
    again = _waystation(
        "init", "--data-dir", str(instance), "--passphrase-file", "-", stdin=PASSPHRASE + "\n"
    )
    assert again.returncode != 0 and "already holds an instance" in again.stderr


def test_init_refuses_a_short_passphrase(tmp_path):
    result = _waystation(
        "init", "--data-dir", str(tmp_path / "x"), "--passphrase-file", "-", stdin="short\n"
    )
    assert result.returncode != 0
    assert "at least 12 characters" in result.stderr and "nothing was created" in result.stderr
    assert not (tmp_path / "x").exists()


def test_commands_need_the_passphrase(instance, tmp_path):
    no_source = _waystation("audit", "verify", "--data-dir", str(instance))
    assert no_source.returncode == 2 and "--passphrase-file" in no_source.stderr
    wrong = _audit_verify(instance, "not the passphrase")
    assert wrong.returncode == 2 and wrong.stderr.strip() == "waystation: wrong passphrase"
    passfile = tmp_path / "pass"
    passfile.write_text(PASSPHRASE + "\n")
    ok = _waystation(
        "audit",
        "verify",
        env=_env(WAYSTATION_DATA_DIR=str(instance), WAYSTATION_PASSPHRASE_FILE=str(passfile)),
    )
    assert ok.returncode == 0 and "rows verified" in ok.stdout, ok.stderr


def test_unsafe_data_directory_is_refused(instance):
    instance.chmod(0o755)
    result = _audit_verify(instance, PASSPHRASE)
    assert result.returncode == 2 and f"chmod 700 {instance}" in result.stderr


def test_user_add_with_weak_password_creates_nothing(unlocked):
    common = unlocked
    add = _waystation(
        "user",
        "add",
        "first",
        "--role",
        "coordinator",
        "--password-file",
        "-",
        *common,
        stdin="a long enough password\n",
    )
    assert add.returncode == 0 and "Created first (coordinator)" in add.stdout, add.stderr
    weak = _waystation(
        "user",
        "add",
        "second",
        "--role",
        "lawyer",
        "--password-file",
        "-",
        *common,
        stdin="short\n",
    )
    assert weak.returncode != 0
    assert "too short" in weak.stderr and "Nothing was created." in weak.stderr


def test_passphrase_slots_add_list_remove(instance, unlocked):
    common = unlocked
    added = _waystation(
        "passphrase",
        "add",
        "--label",
        "marta",
        "--new-passphrase-file",
        "-",
        *common,
        stdin="marta's own passphrase\n",
    )
    assert added.returncode == 0, added.stderr
    duress = _waystation(
        "passphrase",
        "add",
        "--label",
        "under pressure",
        "--duress",
        "--new-passphrase-file",
        "-",
        *common,
        stdin="the duress words\n",
    )
    assert duress.returncode == 0, duress.stderr
    listed = _waystation("passphrase", "list", *common).stdout
    assert "normal  first coordinator" in listed and "normal  marta" in listed
    assert "duress  under pressure" in listed
    # The file itself does not say which slot is the duress one, nor name anyone.
    raw = (instance / "keyslots.json").read_text()
    assert "duress" not in raw and "marta" not in raw
    removed = _waystation("passphrase", "remove", "--label", "first coordinator", *common)
    assert removed.returncode == 0, removed.stderr
    old = _waystation("passphrase", "list", *common)
    assert old.returncode == 2 and "wrong passphrase" in old.stderr
    by_marta = _waystation(
        "passphrase",
        "list",
        "--data-dir",
        str(instance),
        "--passphrase-file",
        "-",
        stdin="marta's own passphrase\n",
    )
    assert by_marta.returncode == 0 and "first coordinator" not in by_marta.stdout
    last = _waystation(
        "passphrase",
        "remove",
        "--label",
        "marta",
        "--data-dir",
        str(instance),
        "--passphrase-file",
        "-",
        stdin="marta's own passphrase\n",
    )
    assert last.returncode != 0 and "last normal passphrase" in last.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server:
    """``waystation serve`` in a process of its own, with a temporary directory of its own
    beside the instance (its request bodies go to a private folder in /dev/shm, removed when
    it stops)."""

    def __init__(self, data_dir, env, *extra_args):
        self.temp_dir = Path(data_dir).parent / f"server-tmp-{Path(data_dir).name}"
        self.temp_dir.mkdir(mode=0o700, exist_ok=True)
        env = {**env, "TMPDIR": str(self.temp_dir)}
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "waystation",
                "serve",
                "--data-dir",
                str(data_dir),
                "--port",
                str(self.port),
                *extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirect()
        )

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.url + path, data=body, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def wait(self, path="/unseal/"):
        for _ in range(150):
            try:
                return self.request(path)
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the server did not answer")

    def stop(self):
        self.process.terminate()
        return self.process.communicate(timeout=20)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _csrf(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_demo_is_served_unsealed_by_the_real_wsgi_server(tmp_path):
    data_dir = tmp_path / "demo"
    demo = _waystation("demo", "--data-dir", str(data_dir))
    assert demo.returncode == 0, demo.stderr
    assert "Demo password:" in demo.stdout and "Instance passphrase" in demo.stdout
    # All the cases the case list shows are counted: those written by hand and the generated.
    said = re.search(r"and (\d+) cases \((\d+) written by hand, 24 generated\)", demo.stdout)
    total, by_hand = int(said[1]), int(said[2])
    assert by_hand >= 1 and total == by_hand + 24
    again = _waystation("demo", "--data-dir", str(data_dir))
    assert again.returncode == 0, again.stderr
    assert f"already holds its members, outreach and {total} cases" in again.stdout
    assert "(anna) sets up a second factor at first sign-in" in again.stdout  # not yet done
    server = _Server(data_dir, _env())
    try:
        server.wait()
        status, headers, body = server.request("/accounts/login/")
        assert status == 200 and "Demo instance" in body
        assert "waitress" not in str(headers).lower()
        assert "default-src 'self'" in headers["Content-Security-Policy"]
    finally:
        _, err = server.stop()
    assert "127.0.0.1" not in err  # no access log with client addresses


def test_sealed_start_web_unseal_and_panic_from_another_process(instance, tmp_path):
    # Plain http on loopback: cookies must be allowed without TLS for this client.
    server = _Server(instance, _env(WAYSTATION_SECURE_COOKIES="0"))
    try:
        server.wait()
        status, headers, _ = server.request("/")
        assert status == 302 and headers["Location"] == "/unseal/"
        status, _, body = server.request("/accounts/login/")
        assert status == 503 and "Temporarily unavailable" in body and "unseal" not in body
        status, _, page = server.request("/unseal/")
        wrong = server.request(
            "/unseal/", {"csrfmiddlewaretoken": _csrf(page), "passphrase": "typo typo typo"}
        )
        assert wrong[0] == 403 and "Wrong passphrase." in wrong[2], re.findall(
            r"<h1>.*?</h1>|<p>[^<]*</p>", wrong[2]
        )
        # After a wrong passphrase the page pauses before it checks another one.
        paused = server.request(
            "/unseal/", {"csrfmiddlewaretoken": _csrf(wrong[2]), "passphrase": PASSPHRASE}
        )
        assert paused[0] == 429 and "Wait 2 seconds, then try again." in paused[2]
        time.sleep(2.1)
        opened = server.request(
            "/unseal/", {"csrfmiddlewaretoken": _csrf(paused[2]), "passphrase": PASSPHRASE}
        )
        assert opened[0] == 302 and opened[1]["Location"] == "/accounts/login/"
        assert server.request("/accounts/login/")[0] == 200

        panic = _waystation("panic", "--data-dir", str(instance))
        assert panic.returncode == 0 and "Keys destroyed" in panic.stdout
        time.sleep(1.2)  # the server looks at the key slots at most once a second
        status, headers, _ = server.request("/")
        assert status == 302 and headers["Location"] == "/unseal/"
        status, _, page = server.request("/unseal/")
        after = server.request(
            "/unseal/", {"csrfmiddlewaretoken": _csrf(page), "passphrase": PASSPHRASE}
        )
        assert after[0] == 403 and "Wrong passphrase." in after[2]
    finally:
        server.stop()
    cli = _audit_verify(instance, PASSPHRASE)
    assert cli.returncode == 2 and "wrong passphrase" in cli.stderr


def test_intake_only_server_serves_the_portal_and_nothing_else(instance, tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    server = _Server(
        instance,
        _env(WAYSTATION_SECURE_COOKIES="0"),
        "--intake-only",
        "--passphrase-file",
        str(secret),
    )
    try:
        status, headers, body = server.wait("/")
        assert status == 200 and 'action="/language/"' in body
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        for staff_path in ("/accounts/login/", "/unseal/", "/cases/", "/requests/"):
            assert server.request(staff_path)[0] == 404, staff_path
        assert server.request("/new/")[0] == 200
    finally:
        out, err = server.stop()
    assert "intake portal alone" in out
    assert "127.0.0.1" not in err


def test_intake_only_server_refuses_to_start_sealed(instance):
    started = _waystation(
        "serve", "--intake-only", "--data-dir", str(instance), "--port", "0", stdin=""
    )
    assert started.returncode != 0


def test_request_bodies_are_spooled_in_memory_not_in_the_system_temp_dir(tmp_path, monkeypatch):
    """Waitress writes large request bodies to a temporary file before the app sees them: the
    server points temporary files at a private directory in RAM."""
    import os
    import tempfile

    from waystation.core.management.commands import serve

    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.delenv("WAYSTATION_REQUEST_SPOOL_DIR", raising=False)
    chosen = serve._request_spool_in_memory()
    assert chosen is not None and chosen.startswith("/dev/shm/waystation-")  # noqa: S108
    assert tempfile.gettempdir() == chosen
    assert os.stat(chosen).st_mode & 0o777 == 0o700
    with tempfile.TemporaryFile() as spooled:  # as waitress makes them
        assert os.readlink(f"/proc/self/fd/{spooled.fileno()}").startswith(chosen)
    os.rmdir(chosen)

    monkeypatch.setenv("WAYSTATION_REQUEST_SPOOL_DIR", str(tmp_path / "ram"))
    assert serve._request_spool_in_memory() == str(tmp_path / "ram")
