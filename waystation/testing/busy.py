"""``python -m waystation.testing.busy DIR...``: keep directories busy the way other programs
do, for the ``busy_temp_dirs`` fixture. In each DIR, folders with a few files in them are made
and removed in a rolling window, so that at any moment some exist and any of them may vanish
while someone walks the directory. Prints ``busy`` once the first ones exist; when standard
input closes it removes what is left of its folders, prints how many rounds it made, and ends.
"""

import os
import shutil
import sys
import threading
import time
from pathlib import Path

WINDOW = 3  # folders alive at a time in each directory


def main(places: list[Path]) -> None:
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    prefix = f"waystation-busy-{os.getpid()}-"
    made: list[Path] = []
    rounds = 0
    try:
        while not stop.is_set():
            for place in places:
                folder = place / f"{prefix}{rounds}"
                deep = folder / "Default" / "Cache"
                try:
                    deep.mkdir(parents=True)
                    for n in range(3):
                        (deep / f"data_{n}").write_bytes(os.urandom(512))
                    (folder / "lockfile").write_bytes(b"")
                except OSError:
                    continue
                made.append(folder)
            while len(made) > WINDOW * len(places):
                shutil.rmtree(made.pop(0), ignore_errors=True)
            if rounds == 0:
                print("busy", flush=True)
            rounds += 1
            time.sleep(0.0002)
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        print(rounds, flush=True)


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]])
