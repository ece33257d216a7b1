"""A write-only file that hands back what was written, for files made while they are sent
(a ZIP streamed to the browser: zipfile writes into it, the response yields ``take()``)."""

import io


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
