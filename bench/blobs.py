"""Stored files: ingest of 1 GiB (encrypt + SHA-256 in one pass, to the local store) against
hashlib SHA-256 alone over the same stream; peak memory; verified read-back."""

import hashlib
import io
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.report import ratio_line, table

SIZE = 1 << 30


class _Generated(io.RawIOBase):
    """1 GiB that exists only as it is read: a 4 MiB random block, repeated."""

    def __init__(self, size: int, block: bytes):
        self.left, self.block = size, block
        self.offset = 0

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        out = bytearray()
        while len(out) < n:
            take = min(n - len(out), len(self.block) - self.offset)
            out += self.block[self.offset : self.offset + take]
            self.offset = (self.offset + take) % len(self.block)
        self.left -= n
        return bytes(out)


def _mib_per_s(seconds: float) -> float:
    return SIZE / (1 << 20) / seconds


def run() -> None:
    from waystation.core.blobstore import LocalBlobStore
    from waystation.core.keyring import KEYRING

    with tempfile.TemporaryDirectory() as folder:
        KEYRING.install(os.urandom(32), Path(folder))
        store = LocalBlobStore(Path(folder) / "blobs")

        block = os.urandom(4 << 20)
        started = time.perf_counter()
        digest, source = hashlib.sha256(), _Generated(SIZE, block)
        while chunk := source.read(1 << 20):
            digest.update(chunk)
        hash_only = time.perf_counter() - started

        tracemalloc.start()
        started = time.perf_counter()
        stored = store.put(_Generated(SIZE, block))
        ingest = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert stored.sha256 == digest.hexdigest()

        started = time.perf_counter()
        total = sum(len(chunk) for chunk in store.open(stored.name))
        read_back = time.perf_counter() - started
        assert total == SIZE
        store.delete(stored.name)

        # The same ingest into memory (tmpfs), to tell the crypto's cost from the disk's.
        in_memory = None
        if Path("/dev/shm").is_dir():
            with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
                started = time.perf_counter()
                LocalBlobStore(Path(shm)).put(_Generated(SIZE, block))
                in_memory = time.perf_counter() - started
        KEYRING.drop()
    table(
        [
            ("sha256 alone", f"{_mib_per_s(hash_only):7.0f} MiB/s"),
            ("ingest (encrypt + hash + write)", f"{_mib_per_s(ingest):7.0f} MiB/s"),
            ("read back (decrypt + verify)", f"{_mib_per_s(read_back):7.0f} MiB/s"),
            ("peak Python memory during ingest", f"{peak / (1 << 20):7.1f} MiB"),
        ]
    )
    print(ratio_line("ingest / sha256 alone", hash_only / ingest, 0.6))
    if in_memory is not None:
        print(f"  same ingest into memory (tmpfs): {_mib_per_s(in_memory):.0f} MiB/s")
        print(ratio_line("ingest into memory / sha256 alone", hash_only / in_memory, 0.6))
