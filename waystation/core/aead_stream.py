"""Encrypting a byte stream of any length in authenticated chunks, in constant memory.

Each chunk is ``u32 length ‖ nonce ‖ AES-256-GCM ciphertext ‖ tag`` with associated data
``context ‖ chunk index ‖ final flag``. Reordered, dropped, repeated or altered chunks fail to
decrypt, and a stream that ends without its final chunk is reported as cut off, never returned
silently short.
"""

import struct
from collections.abc import Iterator
from typing import BinaryIO

from . import crypto

CHUNK_BYTES = 1 << 20
_LENGTH = struct.Struct(">I")
_POSITION = struct.Struct(">QB")


class StreamDamaged(crypto.DecryptionError):
    pass


class StreamTruncated(StreamDamaged):
    pass


def _aad(context: bytes, index: int, final: bool) -> bytes:
    return context + _POSITION.pack(index, 1 if final else 0)


# What a chunk's frame adds to its plaintext: the length, the nonce and the tag.
FRAME_OVERHEAD = _LENGTH.size + crypto.NONCE_BYTES + crypto.TAG_BYTES


def seal_frame_into(seal_into, out, context: bytes, index: int, final: bool, chunk) -> int:
    """Chunk ``index`` of a stream framed as ``StreamEncryptor`` frames it, written at the start
    of ``out`` (at least ``len(chunk) + FRAME_OVERHEAD`` writable bytes) with ``seal_into``
    (``crypto.sealer_into``) instead of into a file: the blob writer seals straight into the
    buffer it writes to disk. Returns the bytes written."""
    sealed = crypto.NONCE_BYTES + len(chunk) + crypto.TAG_BYTES
    out[: _LENGTH.size] = _LENGTH.pack(sealed)
    seal_into(chunk, _aad(context, index, final), out[_LENGTH.size : _LENGTH.size + sealed])
    return _LENGTH.size + sealed


def read_chunks(source: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    while chunk := source.read(size):
        yield chunk


class StreamEncryptor:
    """A write()-able file object that encrypts into ``sink`` chunk by chunk. One full chunk is
    held back until more data comes or ``close()``, so the last chunk can carry the final
    flag; an empty stream is one empty, final chunk. Memory: about two chunks."""

    def __init__(self, key: bytes, sink: BinaryIO, context: bytes, chunk_bytes: int = CHUNK_BYTES):
        self._key, self._sink, self._context, self._size = key, sink, context, chunk_bytes
        self._buffer = bytearray()
        self._pending: bytes | None = None
        self._index = 0
        self.plaintext_bytes = 0

    def _emit(self, chunk: bytes, final: bool) -> None:
        nonce, ciphertext = crypto.seal_parts(
            self._key, chunk, _aad(self._context, self._index, final)
        )
        self._sink.write(_LENGTH.pack(len(nonce) + len(ciphertext)) + nonce)
        self._sink.write(ciphertext)
        self._index += 1

    def write(self, data: bytes) -> int:
        self.plaintext_bytes += len(data)
        if not self._buffer and len(data) == self._size:  # whole chunks: no copying
            if self._pending is not None:
                self._emit(self._pending, final=False)
            self._pending = bytes(data)
            return len(data)
        self._buffer += data
        while len(self._buffer) >= self._size:
            piece = bytes(self._buffer[: self._size])
            del self._buffer[: self._size]
            if self._pending is not None:
                self._emit(self._pending, final=False)
            self._pending = piece
        return len(data)

    def close(self) -> None:
        if self._buffer:
            if self._pending is not None:
                self._emit(self._pending, final=False)
            self._pending = bytes(self._buffer)
            self._buffer.clear()
        self._emit(self._pending or b"", final=True)
        self._pending = None


def decrypt_from(key: bytes, source: BinaryIO, context: bytes) -> Iterator[bytes]:
    """Yield verified plaintext chunks; raise StreamDamaged / StreamTruncated on any fault."""
    index = 0
    while True:
        header = source.read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            raise StreamTruncated(f"cut off after {index} chunks: the final chunk is missing")
        (length,) = _LENGTH.unpack(header)
        if length > CHUNK_BYTES + 64:
            raise StreamDamaged(f"chunk {index} has an impossible length")
        sealed = source.read(length)
        if len(sealed) < length:
            raise StreamTruncated(f"cut off inside chunk {index}")
        for final in (False, True):
            try:
                plain = crypto.unseal(key, sealed, _aad(context, index, final))
            except crypto.DecryptionError:
                continue
            break
        else:
            raise StreamDamaged(f"chunk {index} is damaged or out of place")
        yield plain
        if final:
            if source.read(1):
                raise StreamDamaged("data follows the final chunk")
            return
        index += 1


def open_chunk(key: bytes, sealed: bytes, context: bytes, index: int, final: bool) -> bytes:
    """One chunk, read on its own (random access): ``sealed`` is its ``nonce ‖ ciphertext ‖
    tag``, which must authenticate as chunk ``index`` of this stream, and as its final chunk
    exactly when ``final`` says so."""
    try:
        return crypto.unseal(key, sealed, _aad(context, index, final))
    except crypto.DecryptionError:
        raise StreamDamaged(f"chunk {index} is damaged or out of place") from None


class ChunkReader:
    """A read()-able file object over decrypted chunks, for tarfile's streaming mode."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._buffer = chunks, bytearray()

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data
