"""Evidence: ingest of a 2 GiB file on disk (services.item_ingest_stream) against hashlib
SHA-256 alone over the same file; peak memory of ingest for 256 MiB and 2 GiB; export of a
10 GB case as a BagIt directory against decrypting the same blobs alone; verifying it.

The steps that use the instance run in worker processes (`python -m bench.evidence ...`, as
for the cases benchmark) on a throwaway encrypted instance whose data directory and local blob
store are in the benchmark's temporary directory, on disk, removed at the end. Nothing is
dropped from the page cache: the files read were mostly written just before and are read from
memory, as the lines on the page cache say. BENCH_EVIDENCE_EXPORT_GB sets the export's size in
GB of 10^9 bytes (default 10); it is skipped when the disk lacks three times that.
"""

import io
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bench.blobs import disk_alone
from bench.report import ratio_line, table
from bench.workers import run_worker

MIB = 1 << 20
PIECE = MIB  # what the hash baseline reads in; item_ingest_stream reads 1 MiB too
LARGE = 2 << 30
SMALL = 256 << 20
EXPORT_GB = float(os.environ.get("BENCH_EVIDENCE_EXPORT_GB", "10"))
ITEM_MAX = 2 << 30  # the export's case holds items of at most 2 GiB
INGEST_GOAL = 0.6  # ingest MiB/s ÷ hashlib SHA-256 MiB/s
MEMORY_GOAL = 200_000_000  # bytes: peak memory of an ingest or export process, any size
FLAT_SLACK = 16 * MIB  # 8× the data may cost at most this much more memory
PASSPHRASE = "benchmark instance passphrase"
SAMPLE_EVERY = 0.05  # seconds between looks at VmRSS


# --- data: random-ish, every MiB different ---------------------------------------------------


def _pieces(size: int) -> Iterator[bytes]:
    """``size`` bytes in 1 MiB pieces: a 16 MiB random block (new for every call, so no two
    files are equal) repeated, each piece stamped with its number, so no two pieces are
    equal either. Fast to make; nothing compresses or deduplicates it."""
    block = os.urandom(16 * MIB)
    for index in range(math.ceil(size / PIECE)):
        start = (index * PIECE) % len(block)
        piece = bytearray(block[start : start + min(PIECE, size - index * PIECE)])
        stamp = index.to_bytes(8, "big")
        piece[: len(stamp)] = stamp[: len(piece)]
        yield bytes(piece)


class _Generated(io.RawIOBase):
    """A file that exists only as it is read (the export's items)."""

    def __init__(self, size: int):
        self._pieces, self._pending = _pieces(size), b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if not self._pending:
            self._pending = next(self._pieces, b"")
        if n is None or n < 0:
            n = len(self._pending)
        out, self._pending = self._pending[:n], self._pending[n:]
        return out


def _write_file(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        for piece in _pieces(size):
            out.write(piece)
        out.flush()
        os.fsync(out.fileno())  # its write-back does not land in a timed step


# --- measuring ------------------------------------------------------------------------------


def _status_bytes(field: str) -> int:
    """VmRSS or VmHWM of this process, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


class _PeakRss:
    """The highest resident size while the block runs, sampled by a thread every 50 ms."""

    def __enter__(self) -> "_PeakRss":
        self.before = self.peak = _status_bytes("VmRSS")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY):
            self.peak = max(self.peak, _status_bytes("VmRSS"))

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _status_bytes("VmRSS"))

    def figures(self) -> dict:
        return {
            "rss_before": self.before,
            "rss_growth": self.peak - self.before,
            "process_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        }


def _cached(paths: list[Path]) -> float | None:
    """The share of these files in the page cache (util-linux fincore), or None."""
    if not paths or not shutil.which("fincore"):
        return None
    result = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES,SIZE", *map(str, paths)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return None
    resident = size = 0
    for line in result.stdout.split("\n"):
        if line.strip():
            res, total = line.split()
            resident, size = resident + int(res), size + int(total)
    return resident / size if size else None


def _share(share: float | None) -> str:
    return "?" if share is None else f"{share:.0%}"


def _mib_s(size: int, seconds: float) -> float:
    return size / MIB / seconds


def _mib(size: int) -> str:
    return f"{size / MIB:5.0f} MiB"


def _hash_file(path: Path) -> tuple[float, str, float]:
    """Seconds, the SHA-256, and the CPU seconds it took."""
    import hashlib

    started, cpu = time.perf_counter(), time.thread_time()
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while piece := source.read(PIECE):
            digest.update(piece)
    return time.perf_counter() - started, digest.hexdigest(), time.thread_time() - cpu


# --- the benchmark (this process: files, hashing, workers, printing) -------------------------


def _bench_parent() -> Path:
    """A temporary directory on disk: the system's, unless that is tmpfs and /var/tmp is not."""
    default = Path(tempfile.gettempdir())
    if _filesystem(default)[0] == "tmpfs" and _filesystem(Path("/var/tmp"))[0] not in {
        "tmpfs",
        "?",
    }:
        return Path("/var/tmp")
    return default


def _filesystem(path: Path) -> tuple[str, str]:
    """(type, source) of the mount holding ``path``, from /proc/self/mounts."""
    path, best = path.resolve(), ("?", "?", "")
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return best[:2]
    for line in mounts:
        source, point, kind = line.split()[:3]
        point = point.replace("\\040", " ")
        if path.is_relative_to(point) and len(point) >= len(best[2]):
            best = (kind, source, point)
    return best[:2]


def _worker(folder: Path, *args) -> dict:
    blobs = {"WAYSTATION_BLOB_STORE": "local", "WAYSTATION_BLOB_DIR": str(folder / "blobs")}
    _progress, figures = run_worker(
        "bench.evidence", *args, data_dir=folder / "instance", env=blobs
    )
    return figures


class _Steps:
    def __init__(self):
        self.started = time.monotonic()

    def done(self, what: str) -> None:
        print(f"  ({what}: {time.monotonic() - self.started:.0f} s)", flush=True)
        self.started = time.monotonic()


def run() -> None:
    parent = _bench_parent()
    kind, source = _filesystem(parent)
    free = shutil.disk_usage(parent).free
    print(f"  data in {parent} ({kind} on {source}), {free / 1e9:.0f} GB free", flush=True)
    if kind == "tmpfs":
        print("  (tmpfs: memory, not disk; the ingest's write and fsync cost nothing here)")
    with tempfile.TemporaryDirectory(prefix="waystation-bench-evidence-", dir=parent) as name:
        folder = Path(name)
        steps = _Steps()
        ids = _worker(folder, "setup")
        steps.done("instance created")
        needed = 3 * (LARGE + SMALL)
        if shutil.disk_usage(folder).free < needed:
            print(f"  ingest: SKIPPED, needs {needed / 1e9:.1f} GB free on {parent}")
        else:
            _ingest(folder, ids["ingest_case"], steps)
        total = int(EXPORT_GB * 1e9)
        free = shutil.disk_usage(folder).free
        if free < 3 * total:
            print(
                f"  export: SKIPPED, {EXPORT_GB:g} GB needs {3 * total / 1e9:.0f} GB free on "
                f"{parent}, {free / 1e9:.0f} GB are (BENCH_EVIDENCE_EXPORT_GB sets the size)"
            )
        else:
            _export(folder, ids["export_case"], total, steps)
        steps.started = time.monotonic()
    steps.done("cleaned up")


def _ingest(folder: Path, case: str, steps: _Steps) -> None:
    large, small = folder / "large.bin", folder / "small.bin"
    _write_file(large, LARGE)
    _write_file(small, SMALL)
    steps.done(f"wrote the {LARGE >> 30} GiB and {SMALL >> 20} MiB files")
    cached = f"{_share(_cached([large]))} in the page cache"
    hashes, hash_cpu, ingests, disks, loads = [], [], [], [], []
    for _ in range(2):  # interleaved, best of each; every ingest stores the file anew
        loads.append(os.getloadavg()[0])
        seconds, digest, cpu = _hash_file(large)
        hashes.append(seconds)
        hash_cpu.append(cpu)
        ingests.append(_worker(folder, "ingest", large, case, digest))
        # The disk alone, right after, in the same directory: the physical limit.
        disk_seconds, disk_how = disk_alone(folder, LARGE)
        disks.append(disk_seconds)
    loads.append(os.getloadavg()[0])
    steps.done("hashed, ingested and wrote the 2 GiB file twice each")
    small_figures = _worker(folder, "ingest", small, case, _hash_file(small)[1])
    large.unlink()
    small.unlink()
    steps.done("ingested the 256 MiB file")

    hash_best = min(hashes)
    ingest_best = min(figure["seconds"] for figure in ingests)
    large_peak = max(figure["process_peak"] for figure in ingests)
    large_growth = max(figure["rss_growth"] for figure in ingests)
    rounds = "  ".join(f"{_mib_s(LARGE, s):5.0f}" for s in hashes)
    ingest_rounds = "  ".join(f"{_mib_s(LARGE, f['seconds']):5.0f}" for f in ingests)
    disk_rounds = "  ".join(f"{_mib_s(LARGE, s):5.0f}" for s in disks)
    best = min(range(2), key=lambda index: ingests[index]["seconds"])
    table(
        [
            ("the 2 GiB file before hashing", cached),
            (
                "sha256 alone (hashlib, 1 MiB reads)",
                f"{rounds}   best {_mib_s(LARGE, hash_best):5.0f} MiB/s",
            ),
            (
                "ingest (item_ingest_stream)",
                f"{ingest_rounds}   best {_mib_s(LARGE, ingest_best):5.0f} MiB/s",
            ),
            (
                f"the disk alone (2 GiB random, {disk_how} + fsync)",
                f"{disk_rounds}   best {_mib_s(LARGE, min(disks)):5.0f} MiB/s",
            ),
            (
                "CPU s: sha256 alone; ingest (main thread)",
                f"{min(hash_cpu):.2f}; {ingests[best]['cpu']:.2f} "
                f"({ingests[best]['main_cpu']:.2f}), the best round",
            ),
            ("load average during the rounds", "  ".join(f"{load:.1f}" for load in loads)),
            (
                "ingest 256 MiB: process peak, growth",
                f"{_mib(small_figures['process_peak'])}, {_mib(small_figures['rss_growth'])}",
            ),
            ("ingest 2 GiB:   process peak, growth", f"{_mib(large_peak)}, {_mib(large_growth)}"),
        ]
    )
    print(ratio_line("ingest / sha256 alone", hash_best / ingest_best, INGEST_GOAL))
    print(
        f"  the disk's ceiling for it (sha256 alone / the disk alone, best): "
        f"{hash_best / min(disks):.2f}; ingest / the disk alone: "
        f"{min(disks) / ingest_best:.2f}"
    )
    highest = max(large_peak, small_figures["process_peak"])
    flat = large_growth - small_figures["rss_growth"] <= FLAT_SLACK
    verdict = "PASS" if highest < MEMORY_GOAL and flat else "BELOW GOAL"
    print(
        f"  ingest peak memory, 256 MiB / 2 GiB: {small_figures['process_peak'] / 1e6:.0f} / "
        f"{large_peak / 1e6:.0f} MB (goal < 200 MB and flat) {verdict}"
    )


def _export(folder: Path, case: str, total: int, steps: _Steps) -> None:
    count = math.ceil(total / ITEM_MAX)
    filled = _worker(folder, "fill", case, total, count)
    speed = _mib_s(total, filled["seconds"])
    items = f"{count} item{'s' * (count > 1)}"
    steps.done(
        f"ingested {items}, {total / 1e9:.1f} GB, at {speed:.0f} MiB/s, from generated streams"
    )
    (folder / "export").mkdir()
    figures = _worker(folder, "export", case, folder / "export" / "package")
    steps.done("decrypted, exported and verified")
    size = figures["bytes"]
    table(
        [
            (
                "blobs in the page cache before decrypting, exporting",
                f"{_share(figures['cached_read'])}, {_share(figures['cached_export'])}",
            ),
            (
                "decrypt the blobs alone (open() to /dev/null)",
                f"{_mib_s(size, figures['read']):5.0f} MiB/s  ({figures['read']:.0f} s)",
            ),
            (
                "export to a BagIt directory (build_package)",
                f"{_mib_s(size, figures['export']):5.0f} MiB/s  ({figures['export']:.0f} s)",
            ),
            (
                "verify the package (verify_package)",
                f"{_mib_s(size, figures['verify']):5.0f} MiB/s  ({figures['verify']:.0f} s)",
            ),
            (
                "export: process peak, growth",
                f"{_mib(figures['process_peak'])}, {_mib(figures['rss_growth'])}",
            ),
        ]
    )
    print(f"  export / decrypt alone: {figures['read'] / figures['export']:.2f} (no goal)")
    verdict = "PASS" if figures["process_peak"] < MEMORY_GOAL else "BELOW GOAL"
    print(
        f"  export peak memory, {size / 1e9:.1f} GB: {figures['process_peak'] / 1e6:.0f} MB "
        f"(goal < 200 MB) {verdict}"
    )


# --- the workers: their own processes, on the instance in the bench's data directory --------


def _open():
    """Unseal the instance; the bench user."""
    from django.conf import settings

    from waystation.accounts.models import User
    from waystation.core.keyring import KEYRING

    if not KEYRING.unseal(settings.DATA_DIR, PASSPHRASE):
        raise RuntimeError("the benchmark instance did not unseal")
    return User.objects.get(username="bench")


def _setup() -> dict:
    from django.conf import settings

    from waystation.accounts.models import User
    from waystation.accounts.policy import Perm, system_actor
    from waystation.accounts.roles import Role
    from waystation.cases.services import case_create
    from waystation.core.instance import instance_create

    instance_create(settings.DATA_DIR, passphrase=PASSPHRASE, label="bench")
    User.objects.create_user("bench", roles=[Role.DOCUMENTATION_OFFICER])
    # Services refuse an actor of None (fail closed): the cases come from the bench's own.
    bench = system_actor("bench", Perm.CASES_MANAGE)
    return {
        "ingest_case": str(case_create(actor=bench).pk),
        "export_case": str(case_create(actor=bench).pk),
    }


def _ingest_worker(path: str, case_id: str, sha256: str) -> dict:
    """Ingest the file at ``path``, whose SHA-256 hashlib found to be ``sha256``."""
    from waystation.cases.models import Case
    from waystation.core.blobstore import blob_name, blob_store
    from waystation.evidence import services

    officer = _open()
    case = Case.objects.get(pk=case_id)
    if blob_store().exists(blob_name(sha256)):  # it would still be encrypted and written
        raise RuntimeError("the file is stored already: this ingest would not install it")
    with open(path, "rb") as source, _PeakRss() as rss:
        started, cpu, main_cpu = time.perf_counter(), time.process_time(), time.thread_time()
        item = services.item_ingest_stream(
            actor=officer, case=case, source=source, original_name=Path(path).name
        )
        seconds = time.perf_counter() - started
        cpu, main_cpu = time.process_time() - cpu, time.thread_time() - main_cpu
    if item.sha256 != sha256 or item.size != Path(path).stat().st_size:
        raise RuntimeError("the ingest's SHA-256 or size differs from the file's")
    # The next run must store the file again, not find it stored: the record stays, the
    # blob goes (outside the timing).
    blob_store().delete(item.blob)
    return {"seconds": seconds, "cpu": cpu, "main_cpu": main_cpu, **rss.figures()}


def _fill_worker(case_id: str, total: str, count: str) -> dict:
    from waystation.cases.models import Case
    from waystation.evidence import services

    officer = _open()
    case = Case.objects.get(pk=case_id)
    total, count = int(total), int(count)
    started = time.perf_counter()
    for index in range(count):
        size = total // count + (total % count if index == count - 1 else 0)
        services.item_ingest_stream(
            actor=officer,
            case=case,
            source=_Generated(size),
            original_name=f"video-{index}.bin",
            origin="open",  # the exit gate lets it go to anyone: the bench measures the copy
        )
    return {"seconds": time.perf_counter() - started}


def _export_worker(case_id: str, out: str) -> dict:
    from django.conf import settings

    from waystation.cases.models import Case
    from waystation.core import signing
    from waystation.core.blobstore import blob_store
    from waystation.evidence import export, gate
    from waystation.evidence.models import Item, Recipient

    officer = _open()
    case = Case.objects.get(pk=case_id)
    store = blob_store()
    blobs = [store._path(item.blob) for item in Item.objects.filter(case=case)]
    assert all(path.is_relative_to(settings.BLOB_STORE["root"]) for path in blobs)
    cached_read = _cached(blobs)
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        for item in Item.objects.filter(case=case).order_by("ingested_at", "pk"):
            for chunk in store.open(item.blob):
                sink.write(chunk)
    read = time.perf_counter() - started
    cached_export = _cached(blobs)
    with _PeakRss() as rss:
        started = time.perf_counter()
        result = export.build_package(
            actor=officer, case=case, addressee=gate.Addressee.of(Recipient.NGO), out=Path(out)
        )
        exported = time.perf_counter() - started
    figures = rss.figures()  # before verifying: its peak is the export's
    started = time.perf_counter()
    problems = export.verify_package(result.path, expected_key=signing.public_key_text())
    verified = time.perf_counter() - started
    if problems:
        raise RuntimeError(f"the package does not verify: {problems[:5]}")
    return {
        "bytes": result.bytes,
        "read": read,
        "export": exported,
        "verify": verified,
        "cached_read": cached_read,
        "cached_export": cached_export,
        **figures,
    }


def main(command: str, *args: str) -> None:
    import django

    django.setup()
    workers = {
        "setup": _setup,
        "ingest": _ingest_worker,
        "fill": _fill_worker,
        "export": _export_worker,
    }
    print(json.dumps(workers[command](*args)))


if __name__ == "__main__":
    main(*sys.argv[1:])
