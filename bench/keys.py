"""Keys: time to unseal (Argon2id, 64 MiB, t=3, per key slot) and to destroy the keys (panic),
against one SHA-256 of 64 MiB as the baseline of this machine's speed."""

import hashlib
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.report import table


def _median_seconds(action, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run() -> None:
    os.environ.pop("WAYSTATION_INSECURE_TEST_KDF", None)  # production parameters only
    from waystation.core import keyslots
    from waystation.core.keyring import KeyRing

    buffer = os.urandom(64 << 20)
    baseline = _median_seconds(lambda: hashlib.sha256(buffer).digest())
    rows = [("sha256 of 64 MiB (baseline)", f"{baseline * 1000:7.1f} ms")]
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        master = keyslots.create(data_dir, "benchmark passphrase one", "one")
        ring = KeyRing()
        one = _median_seconds(lambda: ring.unseal(data_dir, "benchmark passphrase one"))
        rows.append(
            ("unseal, 1 key slot", f"{one * 1000:7.1f} ms   ({one / baseline:.1f}x baseline)")
        )
        slots = keyslots.KeySlotFile.load(data_dir)
        slots.add(master, "benchmark passphrase two", "two")
        slots.add(master, "benchmark duress words", "three", duress=True)
        slots.save()
        three = _median_seconds(lambda: ring.unseal(data_dir, "benchmark passphrase one"))
        rows.append(
            ("unseal, 3 key slots", f"{three * 1000:7.1f} ms   ({three / baseline:.1f}x baseline)")
        )
        shred = _median_seconds(lambda: keyslots.shred(data_dir), repeat=1)
        rows.append(("panic: shred the key slots", f"{shred * 1000:7.1f} ms   (goal < 1000 ms)"))
    table(rows)
