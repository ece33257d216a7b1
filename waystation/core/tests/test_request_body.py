"""Request bodies kept in memory as received (request_body): read back exactly, within the
budget, and a body over it goes through waitress's own buffer as before."""

import io

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
