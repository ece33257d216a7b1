"""Shared helpers for benchmarks that go through the real server: a throwaway demo instance
served by `waystation serve` (waitress) on a free loopback port, sign-in through the login
form, and requests/s from keep-alive client threads.

    with DemoServer() as server:
        cookie = server.sign_in("ilya", DEMO_PASSWORD)
        server.check("/", cookie, expect="Overview")
        result = server.measure("/", cookie=cookie, seconds=5)
        print(result.per_second)

A measurement that POSTs gives `measure` a `prepare` function: each client thread calls it
once on its own connection before the clock starts (to GET a form for its CSRF token, say)
and then sends the `Request` it returned again and again.
"""

import http.client
import http.cookies
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only
REQUEST_TIMEOUT = 10.0  # seconds; a stuck server ends a measurement instead of hanging it
START_TIMEOUT = 60.0
DEMO_TIMEOUT = 180.0


@dataclass
class Measurement:
    path: str
    ok: int  # answers with the expected status
    errors: int  # other statuses, broken connections, timeouts
    seconds: float

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds


@dataclass(frozen=True)
class Request:
    """What a client thread of `DemoServer.measure` sends, again and again."""

    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def cookies_from(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


class DemoServer:
    """A demo instance in a temporary data directory, served by `waystation serve` in a
    subprocess for the duration of a `with` block. The server's output goes to a log file,
    shown when it fails to start."""

    def __init__(self, settings_module: str = "bench.settings", threads: int = 8):
        self.settings_module = settings_module
        self.threads = threads
        self.port = 0
        self.data_dir: Path | None = None
        self.process: subprocess.Popen | None = None
        self._folder: tempfile.TemporaryDirectory | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> "DemoServer":
        self._folder = tempfile.TemporaryDirectory(prefix="waystation-bench-")
        try:
            self._start(Path(self._folder.name))
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _env(self, data_dir: Path) -> dict[str, str]:
        # No WAYSTATION_* from the caller's shell (a PostgreSQL database, a passphrase file):
        # the benchmark always runs the embedded demo instance.
        env = {k: v for k, v in os.environ.items() if not k.startswith("WAYSTATION_")}
        env.update(
            DJANGO_SETTINGS_MODULE=self.settings_module,
            WAYSTATION_DATA_DIR=str(data_dir),
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        )
        return env

    def _command(self, data_dir: Path, *args: str) -> list[str]:
        return [sys.executable, "-m", "waystation", *args, "--data-dir", str(data_dir)]

    def _start(self, folder: Path) -> None:
        data_dir = self.data_dir = folder / "instance"
        env = self._env(data_dir)
        demo = subprocess.run(
            self._command(data_dir, "demo"),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=DEMO_TIMEOUT,
        )
        if demo.returncode != 0:
            raise RuntimeError(f"`waystation demo` failed:\n{demo.stdout}{demo.stderr}")
        self.port = free_port()
        self.log_path = folder / "server.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self._command(
                    data_dir,
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(self.port),
                    "--threads",
                    str(self.threads),
                ),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_answering()

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"`waystation serve` exited with {self.process.returncode}:\n{self.log()}"
                )
            try:
                status, _, _ = self.get("/accounts/login/", timeout=1.0)
            except OSError:
                time.sleep(0.1)
                continue
            if status == 200:
                return
            raise RuntimeError(f"the login page answered {status}:\n{self.log()}")
        raise RuntimeError(f"the server did not answer within {START_TIMEOUT:.0f} s:\n{self.log()}")

    def manage(self, *args: str, timeout: float = 120.0) -> str:
        """Run a `waystation` command against the running instance (its data directory and
        settings, the demo passphrase); returns its standard output."""
        done = subprocess.run(
            self._command(self.data_dir, *args),
            cwd=ROOT,
            env=self._env(self.data_dir),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"`waystation {args[0]}` failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log(self, last: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-last:]
        except (AttributeError, OSError):
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    # --- HTTP --------------------------------------------------------------------------

    def connection(self, timeout: float = REQUEST_TIMEOUT) -> http.client.HTTPConnection:
        """A keep-alive connection to the server (HTTP/1.1 reuses it between requests)."""
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def get(self, path: str, cookie: str = "", timeout: float = REQUEST_TIMEOUT):
        """One GET on a fresh connection: (status, headers, body text)."""
        conn = self.connection(timeout)
        try:
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            return response.status, response.headers, response.read().decode()
        finally:
            conn.close()

    def sign_in(self, username: str, password: str) -> str:
        """Sign in through the real login form (CSRF cookie and token, then the POST);
        returns the Cookie header to send with later requests."""
        conn = self.connection()
        try:
            conn.request("GET", "/accounts/login/")
            response = conn.getresponse()
            page = response.read().decode()
            cookies = cookies_from(response)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            if response.status != 200 or token is None:
                raise RuntimeError(f"login page answered {response.status} without a CSRF token")
            conn.request(
                "POST",
                "/accounts/login/",
                body=urllib.parse.urlencode(
                    {
                        "username": username,
                        "password": password,
                        "csrfmiddlewaretoken": token.group(1),
                    }
                ),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie_header(cookies),
                    "Origin": self.origin(),
                    "Referer": f"{self.origin()}/accounts/login/",
                },
            )
            response = conn.getresponse()
            response.read()
            cookies.update(cookies_from(response))
        finally:
            conn.close()
        if response.status != 302 or "ws_session" not in cookies:
            raise RuntimeError(f"signing in as {username} failed: status {response.status}")
        return cookie_header(cookies)

    def check(self, path: str, cookie: str = "", expect: str = "") -> None:
        """Fail loudly, before any timing, if the page is not what the benchmark means to
        measure (a redirect to the login page would be very fast and meaningless)."""
        status, _, body = self.get(path, cookie)
        if status != 200 or expect not in body:
            raise RuntimeError(f"GET {path} answered {status}; expected 200 with {expect!r}")

    def measure(
        self,
        path: str,
        cookie: str = "",
        seconds: float = 5.0,
        threads: int = 4,
        expect_status: int = 200,
        prepare: Callable[[http.client.HTTPConnection], Request] | None = None,
        expect_text: str = "",
    ) -> Measurement:
        """Requests from `threads` client threads, each on its own keep-alive connection, for
        `seconds`; counts the answers with `expect_status` (and `expect_text` in the body, if
        given) and everything else as errors. Without `prepare` every thread GETs `path`
        with `cookie`; with it, each thread first calls `prepare(connection)` (not timed) and
        then sends the `Request` it returned."""
        plain = Request(headers={"Cookie": cookie} if cookie else {})
        expected = expect_text.encode()
        ok = [0] * threads
        errors = [0] * threads
        failures: list[BaseException] = []
        ready = threading.Barrier(threads + 1)
        go = threading.Event()
        deadline = 0.0

        def worker(slot: int) -> None:
            conn = self.connection()
            try:
                try:
                    request = prepare(conn) if prepare is not None else plain
                except BaseException as problem:
                    failures.append(problem)
                    ready.abort()
                    return
                try:
                    ready.wait()
                except threading.BrokenBarrierError:
                    return
                go.wait()
                while time.perf_counter() < deadline:
                    try:
                        conn.request(
                            request.method, path, body=request.body, headers=request.headers
                        )
                        response = conn.getresponse()
                        body = response.read()
                    except (OSError, http.client.HTTPException):
                        errors[slot] += 1
                        conn.close()  # the next request opens a new connection
                        continue
                    if response.status == expect_status and expected in body:
                        ok[slot] += 1
                    else:
                        errors[slot] += 1
            finally:
                conn.close()

        pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
        for thread in pool:
            thread.start()
        try:
            ready.wait()  # every thread prepared
        except threading.BrokenBarrierError:
            for thread in pool:
                thread.join(timeout=2 * REQUEST_TIMEOUT)
            raise RuntimeError(f"preparing to measure {path} failed") from (
                failures[0] if failures else None
            )
        started = time.perf_counter()
        deadline = started + seconds
        go.set()
        for thread in pool:
            thread.join(timeout=seconds + 2 * REQUEST_TIMEOUT)
        elapsed = time.perf_counter() - started
        return Measurement(path, sum(ok), sum(errors), elapsed)
