"""Request bodies kept in memory as received (request_body): read back exactly, within the
budget, and a body over it goes through waitress's own buffer as before; a tus PATCH body
streamed to the view as it arrives."""

import contextlib
import hashlib
import io
import os
import re
import socket
import threading
import time

import waitress
from waitress.adjustments import Adjustments
from waitress.buffers import OverflowableBuffer

from waystation.core import request_body


def _parse(parser_class, raw: bytes, piece: int = 7):
    parser = parser_class(Adjustments())
    data = raw
    while data:  # as waitress's channel feeds it, a piece at a time
        used = parser.received(data[:piece])
        data = data[used:] if used < len(data[:piece]) else data[piece:]
    assert parser.completed
    return parser


def _request(body: bytes) -> bytes:
    return b"PATCH /x HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body) + body


def test_a_body_reads_back_as_sent_whatever_the_pieces_and_reads():
    body = bytes(range(256)) * 40 + b"line one\nline two\n\nend"
    channel = request_body.channel_class(1 << 20)
    for piece in (1, 7, 100, 4096, len(body) + 100):
        parser = _parse(channel.parser_class, _request(body), piece)
        stream = parser.get_body_stream()
        assert isinstance(stream, request_body.MemoryBody)
        expected = io.BytesIO(body)
        for size in (3, 1000, 0, 5000, 1):
            assert stream.read(size) == expected.read(size)
        assert stream.readline() == expected.readline()
        assert stream.readline(4) == expected.readline(4)
        buffer = bytearray(10)
        assert stream.readinto(buffer) == expected.readinto(buffer)
        assert stream.read() == expected.read()
        assert stream.read(10) == b""
        parser.close()
    assert channel.budget.used == 0


def test_whole_pieces_are_handed_over_without_copying():
    body = b"x" * 1000
    stream = request_body.MemoryBody(len(body), None)
    piece = body[:500]
    stream.append(piece)
    stream.append(body[500:])
    assert stream.read(500) is piece


def test_over_the_budget_a_body_goes_through_waitress_buffer_and_the_budget_comes_back():
    channel = request_body.channel_class(1000)
    first = _parse(channel.parser_class, _request(b"a" * 600))
    assert isinstance(first.get_body_stream(), request_body.MemoryBody)
    assert channel.budget.used == 600
    second = _parse(channel.parser_class, _request(b"b" * 600))  # 1200 > 1000
    assert isinstance(second.body_rcv.getbuf(), OverflowableBuffer)
    assert second.get_body_stream().read() == b"b" * 600
    first.close()
    assert channel.budget.used == 0
    third = _parse(channel.parser_class, _request(b"c" * 600))
    assert third.get_body_stream().read() == b"c" * 600
    del third  # a connection that broke off is never closed: collected, it gives back
    assert channel.budget.used == 0


def test_a_body_larger_than_one_piece_limit_is_not_kept_in_memory(monkeypatch):
    monkeypatch.setattr(request_body, "PER_BODY", 100)
    channel = request_body.channel_class(1 << 20)
    parser = _parse(channel.parser_class, _request(b"z" * 101))
    assert isinstance(parser.body_rcv.getbuf(), OverflowableBuffer)
    assert channel.budget.used == 0


# -- streamed bodies (tus PATCH), through a real waitress server ----------------------------


@contextlib.contextmanager
def _server(app, channel_timeout=120, **channel):
    server = waitress.create_server(
        app,
        host="127.0.0.1",
        port=0,
        threads=2,
        recv_bytes=65536,
        channel_timeout=channel_timeout,
    )
    server.channel_class = request_body.channel_class(1 << 20, **channel)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.task_dispatcher.shutdown()
        server.close()


def _connect(server):
    return socket.create_connection(server.socket.getsockname())


def _eventually(condition) -> bool:
    """The slot comes back when the thread closes the request, just after the answer left."""
    for _ in range(100):
        if condition():
            return True
        time.sleep(0.02)
    return False


def _patch(size: int) -> bytes:
    return (
        b"PATCH /up HTTP/1.1\r\nHost: a\r\nContent-Type: application/offset+octet-stream\r\n"
        b"Content-Length: %d\r\n\r\n" % size
    )


def _answer(sock) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    found = re.search(rb"Content-Length: (\d+)", head, re.IGNORECASE)
    length = int(found[1]) if found else 0  # none on a 204
    while len(rest) < length:
        rest += sock.recv(65536)
    return head.split(b"\r\n", 1)[0] + b" " + rest


def test_a_tus_body_reaches_the_view_while_it_is_still_arriving():
    first_half = threading.Event()
    got = []

    def app(environ, start_response):
        body = environ["wsgi.input"]
        got.append(body.read(1000))
        first_half.set()
        got.append(body.read())
        start_response("204 No Content", [("Content-Length", "0")])
        return [b""]

    with _server(app, streams=1) as server, _connect(server) as sock:
        sock.sendall(_patch(3000) + b"a" * 1000)
        # The view has read the first 1000 bytes before the other 2000 were even sent.
        assert first_half.wait(10)
        sock.sendall(b"b" * 2000)
        assert _answer(sock).startswith(b"HTTP/1.1 204")
        assert got == [b"a" * 1000, b"b" * 2000]
        assert _eventually(lambda: server.channel_class.streams.used == 0)


def test_a_body_cut_off_ends_early_and_the_view_keeps_what_came():
    started, done = threading.Event(), threading.Event()
    got = []

    def app(environ, start_response):
        started.set()
        got.append(environ["wsgi.input"].read())  # all of it, or what came before the end
        done.set()
        start_response("204 No Content", [("Content-Length", "0")])
        return [b""]

    with _server(app, streams=1) as server:
        with _connect(server) as sock:
            sock.sendall(_patch(1 << 20) + b"c" * 5000)
            # Cut off once the view runs. Before that, waitress runs no request of a connection
            # already gone (the view is never called, nothing is kept, and the client resumes
            # from the offset it had): a race the test must not leave to the machine's load.
            assert started.wait(10)
        assert done.wait(10)
        assert got == [b"c" * 5000]
        assert _eventually(lambda: server.channel_class.streams.used == 0)


def test_a_sender_gone_quiet_is_given_up_after_the_timeout_and_its_connection_closed():
    got = []

    def app(environ, start_response):
        got.append(environ["wsgi.input"].read())
        start_response("204 No Content", [("Content-Length", "0")])
        return [b""]

    with _server(app, channel_timeout=1, streams=1) as server, _connect(server) as sock:
        sock.sendall(_patch(2000) + b"e" * 500)
        time.sleep(0.6)
        sock.sendall(b"f" * 500)  # still sending: not given up yet
        sock.settimeout(10)
        started = time.monotonic()
        while sock.recv(65536):  # then nothing: the server closes the connection
            pass
        assert got == [b"e" * 500 + b"f" * 500]
        assert 0.9 < time.monotonic() - started < 5
        assert _eventually(lambda: server.channel_class.streams.used == 0)


def test_a_refusal_before_reading_leaves_the_connection_usable():
    def app(environ, start_response):
        start_response("409 Conflict", [("Content-Length", "4")])
        return [b"nope"]

    with _server(app, streams=1) as server, _connect(server) as sock:
        for _ in range(2):  # the first body is received and dropped, the second is answered
            sock.sendall(_patch(200_000) + b"d" * 200_000)
            assert _answer(sock) == b"HTTP/1.1 409 Conflict nope"


def test_a_slow_view_holds_back_the_socket_and_reads_every_byte(monkeypatch):
    monkeypatch.setattr(request_body, "UNREAD_MOST", 64 * 1024)
    body = os.urandom(4 << 20)
    waiting = []  # bytes received and not read yet, after each read

    def app(environ, start_response):
        stream, digest = environ["wsgi.input"], hashlib.sha256()
        while piece := stream.read(256 * 1024):
            time.sleep(0.005)
            waiting.append(len(stream))
            digest.update(piece)
        answer = digest.hexdigest().encode()
        start_response("200 OK", [("Content-Length", str(len(answer)))])
        return [answer]

    with _server(app, streams=1) as server, _connect(server) as sock:
        sock.sendall(_patch(len(body)) + body)
        assert _answer(sock) == b"HTTP/1.1 200 OK " + hashlib.sha256(body).hexdigest().encode()
    # The 4 MiB were sent at once, but never more than a read (256 KiB), UNREAD_MOST and a
    # recv (64 KiB each) waited in memory: the main thread stopped reading the socket.
    assert len(waiting) == 16 and max(waiting) <= 384 * 1024


def test_a_patch_of_16_mib_is_received_whole_while_its_view_is_still_busy():
    """The main thread does not stop reading at half of a capture app's PATCH: the request's
    own work (token, rows) before the view reads overlaps the receiving of all of it."""
    body = os.urandom(16 << 20)
    unread = []  # what had arrived when the view began to read

    def app(environ, start_response):
        stream = environ["wsgi.input"]
        deadline = time.monotonic() + 20
        while len(stream) < len(body) and time.monotonic() < deadline:
            time.sleep(0.01)  # busy with the request's own work, not reading
        unread.append(len(stream))
        answer = hashlib.sha256(stream.read()).hexdigest().encode()
        start_response("200 OK", [("Content-Length", str(len(answer)))])
        return [answer]

    with _server(app, streams=1) as server, _connect(server) as sock:
        sock.sendall(_patch(len(body)) + body)
        assert _answer(sock) == b"HTTP/1.1 200 OK " + hashlib.sha256(body).hexdigest().encode()
    assert unread == [len(body)]


def test_more_streams_than_allowed_are_received_whole_first():
    channel = request_body.channel_class(1 << 20, streams=1)
    first = channel.parser_class(Adjustments())
    first.received(_patch(10))
    second = channel.parser_class(Adjustments())
    second.received(_patch(10))
    assert isinstance(first.stream, request_body.StreamBody) and second.stream is None
    assert isinstance(second.body_rcv.getbuf(), request_body.MemoryBody)
    first.close()
    assert channel.streams.used == 0
