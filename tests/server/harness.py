"""Server mode as an operator runs it, on one machine: one PostgreSQL database (of the cluster
the libpq variables name, e.g. pg_virtualenv's), one SeaweedFS (`weed server -s3`) with one
bucket, app servers (`waystation serve`, each with its OWN data directory, as on separate
machines), background workers (`waystation tasks work`), and Caddy as the TLS reverse proxy in
front of the servers (waystation.testing.proxy). Used by tests/server and `python -m bench
server`; nothing here depends on pytest.

    with Fleet(folder) as fleet:
        fleet.start()                        # the database, the store, the instance, A, B, W1
        member = fleet.client()              # a requests session trusting the test CA
        member.sign_in(fleet.proxy.url, "anna", PASSWORD, totp=True)
"""

import contextlib
import html.parser
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import psycopg
import pyotp
import requests
from psycopg import sql

from waystation.testing import proxy as proxies
from waystation.testing import seaweed, tls

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "server mode test passphrase"
PASSWORD = "a long password for the fleet"
BUCKET = "waystation"
START_SECONDS = 60


class Process:
    """One `waystation` process of the fleet, its output in a log file of its own."""

    def __init__(self, name: str, args: list[str], env: dict, log: Path, port: int | None = None):
        self.name, self.args, self.env, self.log_path, self.port = name, args, env, log, port
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log(self, last: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-last:]
        except OSError:
            return ""

    def kill(self) -> None:
        """kill -9, as a power cut or the OOM killer would."""
        if self.alive:
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        if self.alive:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


class Fleet:
    """See the module's docstring. `folder` holds every process's data directory and log."""

    def __init__(
        self,
        folder: Path,
        *,
        servers: tuple[str, ...] = ("a", "b"),
        workers: tuple[str, ...] = ("w1",),
        threads: int = 8,
        environ: dict[str, str] | None = None,
    ):
        self.folder = Path(folder)
        self.server_names, self.worker_names = servers, workers
        self.threads = threads
        self.extra_env = dict(environ or {})
        self.database = f"waystation_fleet_{uuid.uuid4().hex[:10]}"
        self.processes: dict[str, Process] = {}
        self.proxies: dict[str, proxies.Proxy] = {}
        self.passphrase_file = self.folder / "passphrase"
        self.password_file = self.folder / "password"
        self._stack = contextlib.ExitStack()
        self.s3: seaweed.S3Server | None = None
        self.certificate: tls.TestCertificate | None = None
        self.recovery_codes: dict[str, list[str]] = {}
        self.starts: dict[str, int] = {}

    # --- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> "Fleet":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "Fleet":
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.passphrase_file.write_text(PASSPHRASE + "\n")
            self.password_file.write_text(PASSWORD + "\n")
            self._create_database()
            self.s3 = self._stack.enter_context(
                seaweed.running(self.folder / "seaweedfs", buckets=[BUCKET])
            )
            self.certificate = tls.make_certificate(self.folder / "tls")
            first = self.data_dir(self.server_names[0])
            self.manage(first, "init", "--label", "operator")
            self.manage(first, "user", "add", "anna", "--role", "coordinator")
            self.manage(first, "user", "add", "ilya", "--role", "caseworker")
            for name in self.server_names:
                self.serve(name)
            for name in self.worker_names:
                self.work(name)
            for name in self.server_names:
                self.wait_until_unsealed(name)
            self.proxy = self.start_proxy("all", self.server_names)
            for name in self.server_names:
                self.start_proxy(name, [name])
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
        self.proxies.clear()
        for process in self.processes.values():
            process.stop(timeout=10)
        self._stack.close()
        with contextlib.suppress(psycopg.Error), psycopg.connect(autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.database)
                )
            )

    def _create_database(self) -> None:
        with psycopg.connect(autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))

    # --- the processes --------------------------------------------------------------------

    def data_dir(self, name: str) -> Path:
        """Each process's own data directory, as on its own machine: empty but for what the
        process writes there itself (the key slots are in the database)."""
        folder = self.folder / f"data-{name}"
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder

    def env(self, data_dir: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WAYSTATION_")}
        env.update(self.s3.environ(BUCKET))
        env.update(
            PGDATABASE=self.database,
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            WAYSTATION_DATABASE="postgresql",
            WAYSTATION_DATA_DIR=str(data_dir),
            WAYSTATION_PASSPHRASE_FILE=str(self.passphrase_file),
            WAYSTATION_INSECURE_TEST_KDF="1",  # a throwaway instance: unsealing in no time
            WAYSTATION_TRUSTED_PROXY="127.0.0.1",
            WAYSTATION_ALLOWED_HOSTS="127.0.0.1,localhost",
            WAYSTATION_TASKS_POLL_SECONDS="1",
            **self.extra_env,
        )
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "waystation", *args]

    def manage(self, data_dir: Path, *args: str, check: bool = True, timeout: float = 180):
        """One `waystation` command on the machine whose data directory is given."""
        if args[:2] == ("user", "add"):
            args = (*args, "--password-file", str(self.password_file))
        done = subprocess.run(
            self.command(*args),
            cwd=ROOT,
            env=self.env(data_dir),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"`waystation {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
        return done

    def serve(self, name: str, *, passphrase: bool = True) -> Process:
        """Start (or start again) app server `name` on a port of its own, without a worker
        thread: the workers are processes of their own. Without `passphrase` it is given no
        passphrase file and starts sealed, waiting for its unseal page."""
        old = self.processes.get(name)
        port = old.port if old else proxies.free_port()
        self.starts[name] = self.starts.get(name, 0) + 1
        env = self.env(self.data_dir(name))
        if not passphrase:
            del env["WAYSTATION_PASSPHRASE_FILE"]
            env["WAYSTATION_ASK_PASSWORD"] = "0"  # no systemd-ask-password prompt either
        process = Process(
            name,
            self.command(
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--threads",
                str(self.threads),
                "--no-worker",
            ),
            env,
            self.folder / f"{name}-{self.starts[name]}.log",  # a log for each start
            port,
        )
        self.processes[name] = process.start()
        return process

    def work(self, name: str) -> Process:
        process = Process(
            name,
            self.command("tasks", "work"),
            self.env(self.data_dir(name)),
            self.folder / f"{name}.log",
        )
        self.processes[name] = process.start()
        return process

    def health(self, name: str, timeout: float = 2) -> str:
        """The server's /healthz answer, asked directly (not through the proxy)."""
        answer = requests.get(self.processes[name].origin + "healthz", timeout=timeout)
        return answer.text.strip()

    def wait_until_unsealed(self, name: str, seconds: float = START_SECONDS) -> None:
        self.wait_for_health(name, "unsealed", seconds)

    def wait_for_health(self, name: str, state: str, seconds: float = START_SECONDS) -> None:
        process = self.processes[name]
        deadline = time.monotonic() + seconds
        last = None
        while time.monotonic() < deadline:
            if not process.alive:
                raise RuntimeError(f"{name} exited:\n{process.log()}")
            try:
                last = self.health(name)
            except requests.RequestException:
                last = None
            if last == state:
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"{name} is {last!r}, not {state!r}, after {seconds} s:\n{process.log()}"
        )

    def start_proxy(self, label: str, names) -> proxies.Proxy:
        proxy = proxies.start_proxy(
            [self.processes[name].port for name in names], certificate=self.certificate
        )
        self.proxies[label] = proxy
        return proxy

    def client(self) -> "Member":
        return Member(self.certificate.ca, self.recovery_codes)

    def pg_dump(self) -> bytes:
        """The whole database as `pg_dump` writes it (plain SQL, data included)."""
        done = subprocess.run(
            ["pg_dump", "--no-owner", self.database],
            env={**os.environ, "PGDATABASE": self.database},
            capture_output=True,
            timeout=120,
            check=True,
        )
        return done.stdout


# --- a member's browser, without JavaScript ---------------------------------------------------


class _Forms(html.parser.HTMLParser):
    """The forms of a page: action, method and the values a browser would send unchanged."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._first_option: dict = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attrs.get("action") or "",
                    "method": (attrs.get("method") or "get").lower(),
                    "enctype": attrs.get("enctype") or "",
                    "fields": {},
                    "names": set(),  # every field's name, unticked boxes included
                }
            )
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = attrs.get("name")
        if name:
            self.forms[-1]["names"].add(name)
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    fields[name] = attrs.get("value") or "on"
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self._first_option[name] = None
        elif tag == "option" and self._select:
            value = attrs.get("value") or ""
            if self._first_option[self._select] is None:
                self._first_option[self._select] = value
                fields.setdefault(self._select, value)
            if "selected" in attrs:
                fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


def forms_of(page: str) -> list[dict]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


class Member:
    """A member's browser: a cookie jar, the test CA as its only trust anchor, forms sent as a
    browser without JavaScript sends them (every field the page holds, a few changed)."""

    def __init__(self, ca: Path, recovery_codes: dict[str, list[str]]):
        self.session = requests.Session()
        self.session.verify = str(ca)
        # Nothing from the environment: REQUESTS_CA_BUNDLE would replace `verify`, and a
        # proxy for outside addresses has no business on loopback.
        self.session.trust_env = False
        self.recovery_codes = recovery_codes  # shared by every browser of the fleet

    def get(self, url: str, **kw) -> requests.Response:
        return self.session.get(url, timeout=kw.pop("timeout", 30), **kw)

    def submit(
        self,
        url: str,
        fields: dict | None = None,
        *,
        action: str | None = None,
        files: dict | None = None,
        page: requests.Response | None = None,
        timeout: float = 60,
    ) -> requests.Response:
        """GET `url` (or use `page`), take its form whose action ends with `action` (else the
        one holding most of `fields`), change `fields` and send it. Redirects are
        not followed: the answer says what the server did."""
        page = page if page is not None else self.get(url)
        assert page.status_code == 200, f"GET {url}: {page.status_code}"
        candidates = [f for f in forms_of(page.text) if "csrfmiddlewaretoken" in f["fields"]]
        if action is not None:
            candidates = [f for f in candidates if f["action"].split("?")[0].endswith(action)]
        # The form that holds the fields to fill (not the language buttons in the header).
        wanted = set(fields or ()) | set(files or ())
        candidates.sort(key=lambda f: -len(wanted & f["names"]))
        assert candidates, f"no form{' for ' + action if action else ''} on {url}"
        form = candidates[0]
        data = {**form["fields"], **(fields or {})}
        target = urllib.parse.urljoin(page.url, form["action"] or page.url)
        origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(page.url))
        return self.session.post(
            target,
            data=data,
            files=files,
            headers={"Origin": origin, "Referer": page.url},
            allow_redirects=False,
            timeout=timeout,
        )

    def sign_in(self, base: str, username: str, password: str = PASSWORD) -> None:
        """Through the login form. A coordinator enrols the second factor on the first
        sign-in (the secret read from the page, as an authenticator app would) and gives one
        of the recovery codes shown then on later ones (a TOTP code works once per 30 s)."""
        answer = self.submit(base + "accounts/login/", {"username": username, "password": password})
        assert answer.status_code == 302, f"sign-in: {answer.status_code}"
        where = urllib.parse.urljoin(base, answer.headers["Location"])
        if where.endswith("/accounts/login/code/"):
            answer = self.submit(where, {"code": self.recovery_codes[username].pop()})
            assert answer.status_code == 302, f"sign-in code: {answer.status_code}"
        dashboard = self.get(base)
        if dashboard.url.endswith("/accounts/account/second-factor/"):
            secret = re.search(r'id="totp-secret"[^>]*>([^<]+)<', dashboard.text)
            assert secret, "no second-factor secret on the enrolment page"
            code = pyotp.TOTP(secret.group(1).replace(" ", "").strip()).now()
            answer = self.submit(dashboard.url, {"code": code}, page=dashboard)
            codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", answer.text)
            assert answer.status_code == 200 and len(codes) == 10, answer.status_code
            self.recovery_codes[username] = codes
            dashboard = self.get(base)
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", dashboard.text, re.S)
        assert dashboard.status_code == 200 and heading and "Overview" in heading.group(1), (
            dashboard.status_code,
            dashboard.url,
            heading and heading.group(1),
        )

    def open_case(self, base: str, **fields) -> str:
        """Open a case through the form; returns the case page's address (under `base`)."""
        answer = self.submit(base + "cases/new/", fields)
        assert answer.status_code == 302, f"new case: {answer.status_code}\n{answer.text[:2000]}"
        return urllib.parse.urljoin(base, answer.headers["Location"]).split("#")[0]

    def add_note(self, case_url: str, text: str) -> requests.Response:
        return self.submit(case_url, {"note-text": text}, action="/add/note/")
