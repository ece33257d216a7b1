"""The default backend: a directory on this machine's disk (``WAYSTATION_BLOB_DIR``), blobs
fanned out by the first characters of their names."""

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .format import BlobMissing
from .seekable import RandomAccess
from .store import BLOB_NAME, SPOOL_PREFIX, BlobStore, StoredObject


class _LocalRandomAccess:
    def __init__(self, path: Path):
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.size = os.fstat(self._file.fileno()).st_size

    def read_at(self, offset: int, length: int) -> bytes:
        self._file.seek(offset)
        return self._file.read(length)

    def close(self) -> None:
        self._file.close()


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        return self.root / name[:2] / name[2:4] / name

    def _spool_dir(self) -> Path:
        return self.root

    def _install(self, spool_path: Path, name: str) -> None:
        """Renamed into place, and the rename synced (the folders it is in, and any folder
        made for it): a blob recorded after this survives a power cut under its name."""
        target = self._path(name)
        made = [folder for folder in (target.parent.parent, target.parent) if not folder.is_dir()]
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(spool_path, target)
        for folder in {spool_path.parent, target.parent, *(m.parent for m in made)}:
            _sync_folder(folder)

    def _open_stored(self, name: str) -> BinaryIO:
        try:
            return open(self._path(name), "rb")
        except FileNotFoundError:
            raise BlobMissing(name) from None

    def _open_random(self, name: str) -> RandomAccess:
        try:
            return _LocalRandomAccess(self._path(name))
        except FileNotFoundError:
            raise BlobMissing(name) from None

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def where(self) -> str:
        return f"the directory {self.root}"

    def objects(self) -> Iterator[StoredObject]:
        for first in _folders(self.root):
            for second in _folders(first):
                with os.scandir(second) as entries:
                    for entry in entries:
                        if BLOB_NAME.match(entry.name) and entry.is_file(follow_symlinks=False):
                            info = entry.stat(follow_symlinks=False)
                            yield StoredObject(entry.name, info.st_size, info.st_mtime)

    def install_stored(self, name: str, source: BinaryIO) -> None:
        """Written beside the store as a locked spool file (a killed restore leaves a leftover
        the next start removes), synced, then renamed into place."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, spool = tempfile.mkstemp(dir=self.root, prefix=SPOOL_PREFIX)
        try:
            with os.fdopen(fd, "wb") as sink:
                fcntl.flock(sink, fcntl.LOCK_EX)
                shutil.copyfileobj(source, sink, 1 << 20)
                sink.flush()
                os.fsync(sink.fileno())
                self._install(Path(spool), name)
        except BaseException:
            Path(spool).unlink(missing_ok=True)
            raise

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _folders(parent: Path) -> Iterator[Path]:
    """The two-character fan-out folders under ``parent`` (not ``resumable`` and the like)."""
    try:
        with os.scandir(parent) as entries:
            found = [Path(e.path) for e in entries if len(e.name) == 2 and e.is_dir()]
    except FileNotFoundError:
        return
    yield from found
