"""Behind a real TLS reverse proxy (issue 27): Caddy on loopback with a test certificate in front
of `waystation serve --trusted-proxy 127.0.0.1`. Through https a member signs in, posts a case
note and uploads a file; the cookies are Secure and HSTS is sent. A server that does not trust
the client's address does not believe a forged X-Forwarded-Proto; while sealed it answers
/healthz and logs nothing per request; settings that contradict each other stop `serve` with
one line.

The app servers run an embedded instance in a temporary folder whichever half of the suite
this is: collected in the embedded half only (the same test twice would cost a minute)."""

import http.client
import json
import os
import re
import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.management.base import CommandError

from waystation import settings as settings_module
from waystation.core.management.commands import serve
from waystation.testing.proxy import CADDY, free_port, running_proxy

pytestmark = pytest.mark.embedded

ROOT = Path(__file__).resolve().parents[3]
PASSPHRASE = "an instance behind a proxy"
PASSWORD = "a long member password 7"
NOTE = "Met at the station, needs a SIM card"


def _env(data_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYSTATION_", "DJANGO_"))}
    env["WAYSTATION_INSECURE_TEST_KDF"] = "1"
    env["WAYSTATION_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


_SETUP = """
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")
django.setup()
from waystation.core.unsealing import unseal_for_command
unseal_for_command()
from waystation.accounts.models import User
from waystation.accounts.policy import Perm, system_actor
from waystation.cases.services import case_create
member = User.objects.create_user(
    "casey", os.environ["MEMBER_PASSWORD"], roles=["caseworker", "documentation_officer"]
)
case = case_create(actor=system_actor("test", Perm.CASES_MANAGE), caseworker=member)
print(json.dumps([case.pk, case.codename]))
"""


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    folder = tmp_path_factory.mktemp("proxy")
    data_dir = folder / "instance"
    passfile = folder / "passphrase"
    passfile.write_text(PASSPHRASE + "\n")
    made = subprocess.run(
        [sys.executable, "-m", "waystation", "init", "--passphrase-file", str(passfile)],
        env=_env(data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,  # init and its migrations: slow on a busy machine
    )
    assert made.returncode == 0, made.stderr
    setup = subprocess.run(
        [sys.executable, "-c", _SETUP],
        env=_env(data_dir, WAYSTATION_PASSPHRASE_FILE=str(passfile), MEMBER_PASSWORD=PASSWORD),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,  # slow on a busy machine
    )
    assert setup.returncode == 0, setup.stderr
    pk, codename = json.loads(setup.stdout.strip().splitlines()[-1])
    return data_dir, passfile, pk, codename


class _Server:
    """`waystation serve` in a process of its own; ``log`` is everything it wrote."""

    def __init__(self, data_dir: Path, *args, env=None):
        self.port = free_port()
        command = ["serve", "--port", str(self.port), "--no-worker", *args]
        self.log = data_dir.parent / f"server-{self.port}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "waystation", *command],
                env=env or _env(data_dir),
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 180
        while "serving" not in self.log.read_text():
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

    def request(self, method, path, headers=None, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read().decode()
        finally:
            conn.close()

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)
        return self.log.read_text()


def _token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _cookie_lines(response) -> list[str]:
    return response.raw.headers.getlist("Set-Cookie")


def test_sign_in_post_and_upload_through_a_tls_proxy(instance):
    data_dir, passfile, pk, codename = instance
    server = _Server(
        data_dir,
        "--trusted-proxy",
        "127.0.0.1",
        env=_env(data_dir, WAYSTATION_PASSPHRASE_FILE=str(passfile)),
    )
    try:
        with running_proxy([server.port]) as proxy:
            origin = proxy.url.rstrip("/")
            browser = requests.Session()
            browser.trust_env = False  # no REQUESTS_CA_BUNDLE, no proxy from the environment
            browser.verify = str(proxy.ca)
            # What a browser sends with every form it posts.
            browser.headers.update({"Origin": origin})

            assert browser.get(proxy.url + "healthz").text == "unsealed"
            login = browser.get(proxy.url + "accounts/login/")
            assert login.status_code == 200
            assert login.headers["Strict-Transport-Security"] == "max-age=31536000"
            csrf = [c for c in _cookie_lines(login) if c.startswith("ws_csrf=")]
            assert csrf and "Secure" in csrf[0] and "HttpOnly" in csrf[0]

            signed_in = browser.post(
                proxy.url + "accounts/login/",
                data={
                    "csrfmiddlewaretoken": _token(login.text),
                    "username": "casey",
                    "password": PASSWORD,
                },
                headers={"Referer": login.url},
                allow_redirects=False,
            )
            assert signed_in.status_code == 302, signed_in.text[:2000]
            session = [c for c in _cookie_lines(signed_in) if c.startswith("ws_session=")]
            assert session and "Secure" in session[0]
            # Redirects stay on the proxy's https address (the forwarded host and scheme).
            assert not signed_in.headers["Location"].startswith("http:")

            case_url = f"{proxy.url}cases/{pk}/"
            case_page = browser.get(case_url)
            assert case_page.status_code == 200 and codename in case_page.text
            noted = browser.post(
                f"{case_url}add/note/",
                data={"csrfmiddlewaretoken": _token(case_page.text), "note-text": NOTE},
                headers={"Referer": case_url},
            )
            assert noted.status_code == 200, noted.text[:2000]
            assert NOTE in noted.text and noted.url.startswith(origin)

            upload_url = proxy.url + "evidence/items/new/"
            form = browser.get(upload_url)
            uploaded = browser.post(
                upload_url,
                data={
                    "csrfmiddlewaretoken": _token(form.text),
                    "case": codename,
                    "acquired_on": "2026-11-20",
                    "acquired_how": "in_person",
                },
                files={"files": ("through-the-proxy.txt", b"sent over TLS\n" * 1000)},
                headers={"Referer": upload_url},
            )
            assert uploaded.status_code == 200, uploaded.text[:2000]
            assert "through-the-proxy.txt" in uploaded.text
            assert "Strict-Transport-Security" in uploaded.headers
    finally:
        log = server.stop()
    # No access log, no client address: the server wrote its start line and nothing else.
    assert "127.0.0.1:" + str(proxy.port) not in log and "casey" not in log


def test_a_forged_forwarded_proto_is_not_believed_and_a_sealed_server_is_quiet(instance):
    """The trusted proxy is another address (127.0.0.2): a client on 127.0.0.1 talks to the
    server directly and claims HTTPS. Sealed (no passphrase file), it answers /healthz and the
    neutral page and writes no line per request."""
    data_dir, _passfile, _pk, _codename = instance
    server = _Server(data_dir, "--trusted-proxy", "127.0.0.2")
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "elsewhere.example"}
    try:
        status, headers, body = server.request("GET", "/healthz", forged)
        assert (status, body) == (200, "sealed")
        assert headers["Content-Type"].startswith("text/plain")
        assert "Set-Cookie" not in headers
        for path in ("/accounts/login/", "/cases/1/", "/api/v1/cases/", "/anything/secret-path/"):
            status, headers, _ = server.request("GET", path, forged)
            assert status == 503, path
            # Treated as plain http: no HSTS, which is sent on HTTPS answers only.
            assert "Strict-Transport-Security" not in headers
        status, headers, page = server.request("GET", "/unseal/", forged)
        assert status == 200
        cookie = headers["Set-Cookie"].split(";")[0]
        posted = server.request(
            "POST",
            "/unseal/",
            {
                **forged,
                "Origin": f"https://127.0.0.1:{server.port}",
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            f"csrfmiddlewaretoken={_token(page)}&passphrase=wrong",
        )
        # The origin says https, the request came over http: the form is refused.
        assert posted[0] == 403 and "The form expired" in posted[2]
    finally:
        log = server.stop()
    assert "secret-path" not in log and "ERROR" not in log and "/cases/" not in log


@pytest.mark.parametrize(
    ("trusted", "behind_tls", "says"),
    [
        ("", True, "WAYSTATION_BEHIND_TLS_PROXY=1 needs the address the proxy connects from"),
        ("127.0.0.1", False, "WAYSTATION_BEHIND_TLS_PROXY is off: remove one of the two"),
        ("localhost", True, "takes the IP address the proxy connects from"),
        ("*", True, "takes the IP address the proxy connects from"),
    ],
)
def test_contradicting_proxy_settings_stop_serve(settings, trusted, behind_tls, says):
    settings.TRUSTED_PROXY, settings.BEHIND_TLS_PROXY = trusted, behind_tls
    with pytest.raises(CommandError, match=re.escape(says)):
        serve._proxy_options()


def test_serve_trusts_the_proxy_for_scheme_and_host_only(settings):
    settings.TRUSTED_PROXY, settings.BEHIND_TLS_PROXY = "127.0.0.1", True
    assert serve._proxy_options() == {
        "trusted_proxy": "127.0.0.1",
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-host"},
        "clear_untrusted_proxy_headers": True,
    }
    settings.TRUSTED_PROXY, settings.BEHIND_TLS_PROXY = "", False
    assert serve._proxy_options() == {"clear_untrusted_proxy_headers": True}


def test_the_contradiction_is_one_line_from_the_command_line(tmp_path):
    # Refused before anything else: no instance needed.
    done = subprocess.run(
        [sys.executable, "-m", "waystation", "serve", "--port", str(free_port())],
        env=_env(tmp_path / "none", WAYSTATION_BEHIND_TLS_PROXY="1"),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "CommandError: WAYSTATION_BEHIND_TLS_PROXY=1 needs the address the proxy connects from: "
        "add --trusted-proxy ADDR (or WAYSTATION_TRUSTED_PROXY), e.g. 127.0.0.1"
    ]


def test_trusted_proxy_means_https_settings(monkeypatch):
    monkeypatch.delenv("WAYSTATION_BEHIND_TLS_PROXY", raising=False)
    monkeypatch.delenv("WAYSTATION_HSTS_SECONDS", raising=False)
    monkeypatch.delenv("WAYSTATION_SECURE_COOKIES", raising=False)
    monkeypatch.setenv("WAYSTATION_TRUSTED_PROXY", "127.0.0.1")
    loaded = runpy.run_path(settings_module.__file__)
    assert loaded["BEHIND_TLS_PROXY"] and loaded["SECURE_COOKIES"]
    assert loaded["SESSION_COOKIE_SECURE"] and loaded["CSRF_COOKIE_SECURE"]
    assert loaded["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600


def test_the_documented_caddy_configuration_is_valid(tmp_path):
    """docs/examples/Caddyfile as an operator copies it: Caddy reads it (without fetching a
    certificate) and it removes X-Forwarded-For and the admin endpoint."""
    done = subprocess.run(
        [CADDY, "adapt", "--config", str(ROOT / "docs/examples/Caddyfile"), "--validate"],
        env={**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    assert config["admin"]["disabled"] is True
    assert '"X-Forwarded-For"' in json.dumps(config["apps"]["http"]) and "/healthz" in done.stdout
