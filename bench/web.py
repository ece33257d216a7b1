"""Web: requests/s of the authenticated dashboard vs a bare Django "hello" view, both through
the real server (waitress) started by `waystation serve`, in one run."""

from bench.report import ratio_line, table
from bench.server import DemoServer, Measurement

GOAL = 0.3
SERVER_THREADS = 8  # `waystation serve`'s default
CLIENT_THREADS = 4
SECONDS = 2.5  # per measurement
WARM_UP = 1.0  # in all, before the first measurement
ROUNDS = 4  # hello, dashboard, hello, dashboard, ...: drift and neighbours hit both alike
USERNAME = "ilya"  # a caseworker; the coordinator must enrol TOTP at first sign-in

HELLO = "/bench/hello/"
DASHBOARD = "/"
# Where a dashboard request's time goes, measured in the same rounds (not part of the ratio):
# the signed-in path alone (session, user row, permission check; no template), then the frame
# (base.html around an empty page).
SIGNED_IN = "/bench/signed-in/"
FRAME = "/bench/frame/"


def _cell(results: list[Measurement]) -> str:
    rounds = "  ".join(f"{r.per_second:7.0f}" for r in results)
    best = max(r.per_second for r in results)
    return f"{rounds}   best {best:7.0f} requests/s"


def run() -> None:
    from waystation.demo import DEMO_PASSWORD

    hello: list[Measurement] = []
    dashboard: list[Measurement] = []
    signed_in: list[Measurement] = []
    frame: list[Measurement] = []
    with DemoServer("bench.settings", threads=SERVER_THREADS) as server:
        cookie = server.sign_in(USERNAME, DEMO_PASSWORD)
        server.check(HELLO, expect="hello")
        server.check(DASHBOARD, cookie, expect="Overview")
        server.check(SIGNED_IN, cookie, expect="hello ")
        server.check(FRAME, cookie, expect="Frame")
        server.measure(HELLO, seconds=WARM_UP / 2, threads=CLIENT_THREADS)
        server.measure(DASHBOARD, cookie, seconds=WARM_UP / 2, threads=CLIENT_THREADS)
        for _ in range(ROUNDS):
            hello.append(server.measure(HELLO, seconds=SECONDS, threads=CLIENT_THREADS))
            dashboard.append(
                server.measure(DASHBOARD, cookie, seconds=SECONDS, threads=CLIENT_THREADS)
            )
            for results, path in ((signed_in, SIGNED_IN), (frame, FRAME)):
                results.append(
                    server.measure(path, cookie, seconds=SECONDS / 2, threads=CLIENT_THREADS)
                )
    print(
        f"  waitress with {SERVER_THREADS} threads; {CLIENT_THREADS} keep-alive client threads "
        f"on the same machine; {SECONDS:g} s per measurement, {ROUNDS} interleaved rounds"
    )
    table(
        [
            ("bare hello view", _cell(hello)),
            (f"dashboard, signed in as {USERNAME}", _cell(dashboard)),
            ("  signed in, no template (/bench/signed-in/)", _cell(signed_in)),
            ("  the frame alone (/bench/frame/)", _cell(frame)),
        ]
    )
    errors = sum(r.errors for r in hello + dashboard + signed_in + frame)
    if errors:
        print(f"  WARNING: {errors} requests failed or did not answer 200 (not counted)")
    pairs = zip(hello, dashboard, strict=True)
    per_round = "  ".join(f"{d.per_second / h.per_second:.2f}" for h, d in pairs)
    print(f"  ratio per round: {per_round}")
    best_hello = max(r.per_second for r in hello)
    for label, results in (("signed in, no template", signed_in), ("the frame alone", frame)):
        print(f"  {label} / hello (best of each, not a goal): "
              f"{max(r.per_second for r in results) / best_hello:.2f}")
    ratio = max(r.per_second for r in dashboard) / best_hello
    print(ratio_line("dashboard / hello (best of each)", ratio, GOAL))
