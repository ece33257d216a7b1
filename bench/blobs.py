"""Stored files: ingest of 1 GiB (encrypt + SHA-256 in one pass, to the local store) against
hashlib SHA-256 alone over the same stream; peak memory; verified read-back; the disk alone."""

import fcntl
import hashlib
import io
import mmap
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


def disk_alone(directory: Path, size: int) -> tuple[float, str]:
    """Seconds to write ``size`` bytes of random data into a new file in ``directory`` and
    fsync it, the way the blob store writes its spool (4 MiB writes from an aligned buffer,
    O_DIRECT where the file system takes it), and how ("O_DIRECT" or "page cache"): the
    physical limit of an ingest that must have its blob on disk before it records it."""
    segment = 4 << 20
    block = os.urandom(16 << 20)  # random: nothing for a disk or host to compress
    buffer = mmap.mmap(-1, segment)
    fd, name = tempfile.mkstemp(dir=directory, prefix="disk-alone-")
    how = "page cache"
    try:
        try:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_DIRECT)
            how = "O_DIRECT"
        except (OSError, AttributeError):
            pass
        started = time.perf_counter()
        for offset in range(0, size, segment):
            start = offset % len(block)
            buffer[:] = block[start : start + segment]
            buffer[:8] = offset.to_bytes(8, "big")  # no two segments alike
            view, at = memoryview(buffer)[: min(segment, size - offset)], offset
            while view:
                written = os.pwrite(fd, view, at)
                view, at = view[written:], at + written
        os.fsync(fd)
        return time.perf_counter() - started, how
    finally:
        os.close(fd)
        os.unlink(name)


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
        disk, how = disk_alone(Path(folder), SIZE)  # right after, on the same disk

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
    print(
        f"  the disk alone (1 GiB random, {how} + fsync): {_mib_per_s(disk):.0f} MiB/s: "
        f"no ingest to it passes {hash_only / disk:.2f}; load {os.getloadavg()[0]:.1f}"
    )
    if in_memory is not None:
        print(f"  same ingest into memory (tmpfs): {_mib_per_s(in_memory):.0f} MiB/s")
        print(ratio_line("ingest into memory / sha256 alone", hash_only / in_memory, 0.6))
