"""Staging folders: a backup or restore writes beside its target (for an atomic rename) in a
hidden folder it holds locked, so that a later run can remove what a killed one left."""

import contextlib
import fcntl
import shutil
import tempfile
import time
from pathlib import Path

_STAGING_PREFIXES = (".backup-", ".restore-")
_LOCK = ".in-use"


@contextlib.contextmanager
def staging(parent: Path, prefix: str):
    """A private folder beside the target (for an atomic rename), locked while in use, so that
    a later run can tell the leftover of a killed run from a run going on now."""
    removed = remove_leftovers(parent)
    with tempfile.TemporaryDirectory(dir=parent, prefix=prefix) as name:
        folder = Path(name)
        with open(folder / _LOCK, "wb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield folder, removed


def remove_leftovers(parent: Path) -> int:
    """Remove the staging folders that killed backups or restores left in ``parent`` (those no
    running process holds); returns how many there were. They hold only encrypted data, but
    they take room, and a hidden folder of a backup's size is conspicuous."""
    removed = 0
    try:
        candidates = [p for p in Path(parent).iterdir() if p.name.startswith(_STAGING_PREFIXES)]
    except OSError:
        return 0
    for folder in candidates:
        if not folder.is_dir() or folder.is_symlink():
            continue
        if not (folder / _LOCK).exists() and time.time() - folder.stat().st_mtime < 60:
            continue  # just made by a run that is about to lock it
        try:
            with open(folder / _LOCK, "ab") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(folder)
        except BlockingIOError:
            continue  # a backup or restore is running there now
        except FileNotFoundError:
            shutil.rmtree(folder, ignore_errors=True)  # killed before its lock was made
        removed += 1
    return removed
