"""Intake: submissions/s of the anonymous request form (POST /intake/new/), text only and with a
10 MB attachment, vs a bare Django "hello" view, all through the real server (waitress) started
by `waystation serve`, in one run.

Each client thread GETs the form once for its CSRF cookie and token, builds its multipart body
once, and then POSTs it again and again; only the answer the portal gives a sent request (200
with the new codename) counts, anything else (the form again, a refusal) is an error.
Afterwards the instance's database must hold a request for each counted submission, and a
10 MB attachment for each counted one with the file. The portal's rate limits are lifted in
`bench.settings` only.
"""

import http.client
import os
import re
import time
import uuid

from bench.report import ratio_line, table
from bench.server import DemoServer, Measurement, Request, cookie_header, cookies_from

TEXT_GOAL = 0.02  # submissions/s ÷ hello requests/s: a submission costs at most 50 hellos
FILE_GOAL = 0.01  # with a 10 MB file: at most 100 hellos
SERVER_THREADS = 8  # `waystation serve`'s default
CLIENT_THREADS = 4
HELLO_SECONDS = 1.5  # per measurement
SUBMIT_SECONDS = 3.5  # per measurement: a submission takes tens of milliseconds or more
WARM_UP = 1.0  # per kind, before the first round
ROUNDS = 3  # hello, text, file, hello, text, file, ...: drift hits all three alike
HASHES = 5  # Argon2id digests timed in this process, for the note under the table

HELLO = "/bench/hello/"
FORM = "/intake/new/"
SENT = 'id="codename"'  # in the answer to a sent request: the codename, shown once
FILE_BYTES = 10 * 1024 * 1024
# What a visitor might write: a few sentences, as the form asks (no route, no names).
TEXT = (
    "We are two adults and a child, in a rented room until the end of the month. My husband "
    "was summoned for questioning twice and we left after the second time. We need a lawyer "
    "who knows asylum procedures here, and help with the rent for one or two months. We speak "
    "Russian and some English. The child needs to see a doctor about her asthma medicine."
)
FIELDS = [
    ("urgency", "transit"),
    ("country", "GE"),
    ("city", "Tbilisi"),
    ("languages", "Russian, English"),
    ("help_needed", "lawyer"),
    ("help_needed", "housing"),
    ("help_needed", "medical"),
    ("people_with", "2"),
    ("text", TEXT),
]


def _attachment() -> bytes:
    """10 MB that `media.sniff` takes for a PDF: the header, then incompressible bytes (as in
    a scanned document's image streams). Different for each client thread, so the blob store
    keeps one copy per thread; it encrypts, hashes and syncs every upload all the same."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    return head + os.urandom(FILE_BYTES - len(head))


def _multipart(fields: list[tuple[str, str]], token: str, file: bytes | None) -> tuple[bytes, str]:
    """The body a browser sends for the form, and its Content-Type. With no file chosen a
    browser still sends the file field, empty and without a name."""
    boundary = f"----WaystationBench{uuid.uuid4().hex}"
    parts = []
    for name, value in [("csrfmiddlewaretoken", token), *fields]:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    filename, content_type = ("statement.pdf", "application/pdf") if file else ("", "")
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"'
        f"\r\nContent-Type: {content_type or 'application/octet-stream'}\r\n\r\n".encode()
        + (file or b"")
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _submitter(server: DemoServer, with_file: bool):
    """`prepare` for `DemoServer.measure`: the form's GET, then the POST to repeat."""

    def prepare(conn: http.client.HTTPConnection) -> Request:
        conn.request("GET", FORM)
        response = conn.getresponse()
        page = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if response.status != 200 or token is None:
            raise RuntimeError(f"GET {FORM} answered {response.status} without a CSRF token")
        body, content_type = _multipart(
            FIELDS, token.group(1), _attachment() if with_file else None
        )
        return Request(
            "POST",
            {
                "Content-Type": content_type,
                "Cookie": cookie_header(cookies_from(response)),
                "Origin": server.origin(),
                "Referer": f"{server.origin()}{FORM}",
            },
            body,
        )

    return prepare


def _check_one(server: DemoServer, with_file: bool) -> None:
    """Fail loudly, before any timing, if a submission is not what the benchmark means to
    measure: the form shown again (400), a CSRF refusal (403), a server error."""
    conn = server.connection(timeout=60.0)
    try:
        request = _submitter(server, with_file)(conn)
        conn.request(request.method, FORM, body=request.body, headers=request.headers)
        response = conn.getresponse()
        page = response.read().decode(errors="replace")
    finally:
        conn.close()
    if response.status != 200 or SENT not in page:
        errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>(.*?)<', page, re.S)
        raise RuntimeError(
            f"POST {FORM} ({'with' if with_file else 'without'} a file) answered "
            f"{response.status} without the codename. "
            f"{' '.join(e.strip() for e in errors)[:500]}\n{server.log()}"
        )


def _count_stored(server: DemoServer) -> tuple[int, int]:
    """Requests in the instance's database, and attachments of exactly the benchmark's size."""
    out = server.manage(
        "shell",
        "-c",
        "from waystation.intake.models import Attachment, IntakeRequest; "
        f"print(IntakeRequest.objects.count(), Attachment.objects.filter(size={FILE_BYTES})"
        ".count())",
    )
    requests, attachments = out.split()[-2:]
    return int(requests), int(attachments)


def _hash_seconds() -> float:
    """The median time of one Argon2id codename digest at the production parameters, here."""
    import statistics

    from waystation.core import crypto
    from waystation.core.keys import LOOKUP_KDF

    times = []
    for i in range(HASHES):
        started = time.perf_counter()
        crypto.argon2id(
            f"bench codename {i}",
            b"0123456789abcdef",
            memory_kib=LOOKUP_KDF.memory_kib,
            iterations=LOOKUP_KDF.iterations,
            lanes=LOOKUP_KDF.lanes,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _cell(results: list[Measurement], unit: str) -> str:
    rounds = "  ".join(f"{r.per_second:7.1f}" for r in results)
    best = max(r.per_second for r in results)
    return f"{rounds}   best {best:7.1f} {unit}"


def run() -> None:
    hash_seconds = _hash_seconds()
    hello: list[Measurement] = []
    text: list[Measurement] = []
    files: list[Measurement] = []
    with DemoServer("bench.settings", threads=SERVER_THREADS) as server:
        stored_before = _count_stored(server)
        server.check(HELLO, expect="hello")
        _check_one(server, with_file=False)
        _check_one(server, with_file=True)
        submitted = [1, 1]  # text only, with the file: the two checks above

        def submit(with_file: bool, seconds: float) -> Measurement:
            result = server.measure(
                FORM,
                seconds=seconds,
                threads=CLIENT_THREADS,
                expect_status=200,
                prepare=_submitter(server, with_file),
                expect_text=SENT,
            )
            submitted[with_file] += result.ok
            return result

        warm_up = [
            server.measure(HELLO, seconds=WARM_UP / 2, threads=CLIENT_THREADS),
            submit(False, WARM_UP),
            submit(True, WARM_UP),
        ]
        for _ in range(ROUNDS):
            hello.append(server.measure(HELLO, seconds=HELLO_SECONDS, threads=CLIENT_THREADS))
            text.append(submit(False, SUBMIT_SECONDS))
            files.append(submit(True, SUBMIT_SECONDS))
        stored_after = _count_stored(server)
    print(
        f"  waitress with {SERVER_THREADS} threads; {CLIENT_THREADS} keep-alive client threads "
        f"on the same machine; {HELLO_SECONDS:g} s per hello and {SUBMIT_SECONDS:g} s per "
        f"submission measurement, {ROUNDS} interleaved rounds"
    )
    table(
        [
            ("bare hello view", _cell(hello, "requests/s")),
            ("request form, text only", _cell(text, "submissions/s")),
            ("request form, 10 MB PDF", _cell(files, "submissions/s")),
        ]
    )
    print(
        f"  one Argon2id codename digest (19 MiB, 2 passes) takes {hash_seconds * 1000:.0f} ms "
        f"in this process: {1 / hash_seconds:.1f}/s per core"
    )
    new_requests = stored_after[0] - stored_before[0]
    new_attachments = stored_after[1] - stored_before[1]
    print(
        f"  counted {sum(submitted)} submissions ({submitted[1]} with the file); the database "
        f"gained {new_requests} requests and {new_attachments} attachments of 10 MB"
    )
    errors = sum(r.errors for r in warm_up + hello + text + files)
    if errors:
        print(f"  WARNING: {errors} requests failed or got another answer (not counted)")
    for label, results in (("text only / hello", text), ("10 MB PDF / hello", files)):
        pairs = zip(hello, results, strict=True)
        per_round = "  ".join(f"{s.per_second / h.per_second:.4f}" for h, s in pairs)
        print(f"  {label} per round: {per_round}")
    for label, results, goal in (
        ("text only / hello (best of each)", text, TEXT_GOAL),
        ("10 MB PDF / hello (best of each)", files, FILE_GOAL),
    ):
        ratio = max(r.per_second for r in results) / max(r.per_second for r in hello)
        print(ratio_line(label, ratio, goal, digits=4))
    # Printed first, judged last: a run with refused or lost submissions has no result.
    if not all(sum(r.ok for r in results) for results in (text, files)):
        raise RuntimeError("a kind of submission never succeeded in the timed rounds")
    if new_requests < sum(submitted) or new_attachments < submitted[1]:
        raise RuntimeError("submissions were counted that stored no request or no attachment")
    if errors:
        raise RuntimeError(f"{errors} requests failed or were not answered with a codename")
