"""Web: requests/s of the authenticated dashboard vs a bare Django "hello" view, both through
the real server (waitress) started by `waystation serve`."""

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bench.report import ratio_line, table

ROOT = Path(__file__).resolve().parent.parent
CLIENT_THREADS = 4
SECONDS = 4.0
ROUNDS = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _waystation(*args, env, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "waystation", *args], cwd=ROOT, env=env, **kwargs
    )


def start_demo_server(data_dir: Path, settings_module: str = "bench.settings"):
    """A demo instance served by waitress; returns (process, port)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAYSTATION_")}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        WAYSTATION_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT),
    )
    _waystation("demo", env=env, stdout=subprocess.DEVNULL).wait(timeout=120)
    port = _free_port()
    server = _waystation(
        "serve",
        "--port",
        str(port),
        "--threads",
        "8",
        env=env,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the real form; returns the Cookie header for later requests."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    page = response.read().decode()
    cookies = {
        c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0]
        for c in response.headers.get_all("Set-Cookie") or []
    }
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    )
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        },
    )
    response = conn.getresponse()
    response.read()
    for c in response.headers.get_all("Set-Cookie") or []:
        cookies[c.split("=", 1)[0]] = c.split("=", 1)[1].split(";")[0]
    if response.status != 302 or "ws_session" not in cookies:
        raise RuntimeError(f"sign-in failed with status {response.status}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def requests_per_second(
    port: int,
    path: str,
    cookie: str = "",
    seconds: float = SECONDS,
    threads: int = CLIENT_THREADS,
    expect: str = "",
) -> float:
    """Keep-alive GETs from several client threads for a fixed time; counts 200 answers."""
    headers = {"Cookie": cookie} if cookie else {}
    check = http.client.HTTPConnection("127.0.0.1", port)
    check.request("GET", path, headers=headers)
    first = check.getresponse()
    body = first.read().decode()
    if first.status != 200 or expect not in body:
        raise RuntimeError(f"{path} answered {first.status}; expected 200 with {expect!r}")
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                counts[slot] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def run() -> None:
    from waystation.demo import DEMO_PASSWORD

    with tempfile.TemporaryDirectory() as folder:
        server, port = start_demo_server(Path(folder) / "instance")
        try:
            cookie = sign_in(port, "ilya", DEMO_PASSWORD)
            requests_per_second(port, "/bench/hello/", seconds=1.0)  # warm up
            hello, dashboard = [], []
            for _ in range(ROUNDS):  # interleaved, so drift hits both alike
                hello.append(requests_per_second(port, "/bench/hello/", expect="hello"))
                dashboard.append(requests_per_second(port, "/", cookie, expect="Overview"))
        finally:
            server.terminate()
            server.wait(timeout=20)
    best_hello, best_dashboard = max(hello), max(dashboard)
    table(
        [
            ("bare hello view", f"{best_hello:8.0f} requests/s"),
            ("authenticated dashboard", f"{best_dashboard:8.0f} requests/s"),
        ]
    )
    print(ratio_line("dashboard / hello", best_dashboard / best_hello, 0.3))
