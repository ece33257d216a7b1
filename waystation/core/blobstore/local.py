"""The default backend: a directory on this machine's disk (``WAYSTATION_BLOB_DIR``), blobs
fanned out by the first characters of their names."""

import os
from pathlib import Path
from typing import BinaryIO

from .format import BlobMissing
from .seekable import RandomAccess
from .store import BlobStore


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
        target = self._path(name)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(spool_path, target)

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

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
