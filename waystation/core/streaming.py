"""A write-only file that hands back what was written, for files made while they are sent
(a ZIP streamed to the browser: zipfile writes into it, the response yields ``take()``), and
the ZIP made that way from a stream of files."""

import io
import time
import zipfile
from collections.abc import Iterable, Iterator


class StreamedWrites(io.RawIOBase):
    """Not seekable, so zipfile puts each member's size and CRC after its data."""

    def __init__(self):
        self._parts: list[bytes] = []
        self._offset = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def take(self) -> bytes:
        """Everything written since the last call."""
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def zip_stream(files: Iterable[tuple[str, int, Iterable[bytes]]], root: str) -> Iterator[bytes]:
    """A ZIP (stored, ZIP64) of ``files`` — (path, size, chunks) — under ``root/``, made as
    it is sent: memory stays flat for any size."""
    sink = StreamedWrites()
    when = time.localtime()[:6]
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for path, _size, chunks in files:
            info = zipfile.ZipInfo(f"{root}/{path}", date_time=when)
            info.external_attr = 0o600 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    if data := sink.take():
        yield data
