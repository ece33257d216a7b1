"""A blob written over many requests (resumable uploads): whatever the pieces and however the
writing is broken off, the blob stored at the end is the file, its SHA-256 is hashlib's, and
only ciphertext was ever on disk."""

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from waystation.core.blobstore import LocalBlobStore, resumable

MARKER = b"PLAINTEXT-MARKER-7f3a"
KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(LocalBlobStore, "chunk_bytes", 64)  # chunk boundaries cheap to reach
    monkeypatch.setattr(resumable, "_HASHES", {})
    return LocalBlobStore(tmp_path / "blobs")


def _data(size: int) -> bytes:
    unit = MARKER + os.urandom(11)
    return (unit * (size // len(unit) + 1))[:size]


def _on_disk(store) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(store.root.rglob("*")) if p.is_file())


def _upload(store, data: bytes, pieces, *, forget_hash=False) -> tuple:
    resumable.begin(store, KEY, len(data))
    sent = 0
    for size in pieces:
        with resumable.ResumableBlob(store, KEY, len(data)) as blob:
            assert blob.offset == sent
            blob.write(data[sent : sent + size])
            sent += size
            if blob.offset == len(data):
                return blob.finish()
        assert MARKER not in _on_disk(store)
        if forget_hash:  # as after a restart: the hash state is gone from memory
            resumable._HASHES.clear()
    raise AssertionError("not all sent")


@pytest.mark.parametrize(
    "size, pieces",
    [
        (0, [0]),
        (10, [10]),
        (64, [64]),  # exactly one chunk: the final one
        (128, [1, 63, 64]),  # a multiple of the chunk: the last whole chunk is the final one
        (1000, [7, 100, 0, 300, 64, 529]),
        (1000, [1000]),
    ],
)
@pytest.mark.parametrize("forget_hash", [False, True])
def test_pieces_make_the_file_and_its_hash(store, size, pieces, forget_hash):
    data = _data(size)
    stored, created = _upload(store, data, pieces, forget_hash=forget_hash)
    assert created and stored.size == size
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(store.open(stored.name)) == data
    assert not list((store.root / resumable.FOLDER).iterdir())  # nothing left behind
    assert MARKER not in _on_disk(store)


def test_a_crash_mid_write_resumes_from_what_was_durably_written(store):
    data = _data(500)
    resumable.begin(store, KEY, len(data))
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        blob.write(data[:150])  # two whole chunks and 22 bytes in the tail
    part = store.root / resumable.FOLDER / f"{KEY}.part"
    with open(part, "ab") as torn:  # half a chunk record, as a kill during write leaves
        torn.write(os.urandom(40))
    resumable._HASHES.clear()
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        assert blob.offset == 150
        blob.write(data[150:])
        stored, _created = blob.finish()
    assert b"".join(store.open(stored.name)) == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_a_tail_older_than_the_chunks_is_ignored(store):
    data = _data(300)
    resumable.begin(store, KEY, len(data))
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        blob.write(data[:30])
    tail = store.root / resumable.FOLDER / f"{KEY}.tail"
    stale = tail.read_bytes()
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        blob.write(data[30:140])  # two chunks now, and 12 bytes of tail
    tail.write_bytes(stale)  # a crash after the chunks, before the new tail
    resumable._HASHES.clear()
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        assert blob.offset == 128
        blob.write(data[128:])
        stored, _created = blob.finish()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_what_fails_authentication_counts_as_not_received(store):
    """A crash of the machine can leave a torn tail or a chunk that never reached the disk
    whole (or someone altered them): after a restart they count as not received, and the
    upload goes on from before them, its hash still hashlib's."""
    data = _data(400)
    resumable.begin(store, KEY, len(data))
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        blob.write(data[:230])  # three whole chunks and 38 bytes of tail
    tail = store.root / resumable.FOLDER / f"{KEY}.tail"
    raw = bytearray(tail.read_bytes())
    raw[-1] ^= 1
    tail.write_bytes(bytes(raw))
    resumable._HASHES.clear()
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        assert blob.offset == 192
    part = store.root / resumable.FOLDER / f"{KEY}.part"
    torn = bytearray(part.read_bytes())
    torn[-5] ^= 1  # the third chunk
    part.write_bytes(bytes(torn))
    resumable._HASHES.clear()
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        assert blob.offset == 128
        blob.write(data[128:])
        stored, _created = blob.finish()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(store.open(stored.name)) == data


def test_one_writer_at_a_time_no_more_than_the_length_and_cancel(store):
    resumable.begin(store, KEY, 100)
    with resumable.ResumableBlob(store, KEY, 100) as blob:
        with pytest.raises(resumable.UploadBusy), resumable.ResumableBlob(store, KEY, 100):
            pass
        with pytest.raises(resumable.TooMuchData):
            blob.write(b"y" * 101)
        blob.write(b"y" * 100)
        blob.discard()
    assert not list((store.root / resumable.FOLDER).iterdir())
    with pytest.raises(resumable.UploadGone), resumable.ResumableBlob(store, KEY, 100):
        pass


def test_same_content_twice_keeps_the_first_blob(store):
    data = _data(200)
    first, created = _upload(store, data, [200])
    assert created
    second, created = _upload(store, data, [50, 150])
    assert second == first and not created
    assert b"".join(store.open(first.name)) == data


def _takes_o_direct(folder) -> bool:
    probe = folder / "probe"
    probe.write_bytes(b"")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_DIRECT))
        return True
    except OSError:
        return False
    finally:
        probe.unlink()


@pytest.mark.parametrize("forget_hash", [False, True])
def test_whole_blocks_written_directly_across_requests_make_the_file(
    store, monkeypatch, tmp_path, forget_hash
):
    """The part file is written in whole 4 KiB blocks with O_DIRECT from a buffer (segments
    made small here), the block begun at the end of one request read back and written again
    by the next: every cut lands somewhere else in a block."""
    monkeypatch.setattr(resumable, "_SEGMENT_BYTES", 10_000)
    opened = []
    made = resumable._Appender.__init__

    def spy(appender, *args, **kwargs):
        made(appender, *args, **kwargs)
        opened.append(appender.direct)

    monkeypatch.setattr(resumable._Appender, "__init__", spy)
    data = _data(200_000)
    pieces = [5_000, 33_333, 1, 4_095, 61_666, 95_905]
    stored, created = _upload(store, data, pieces, forget_hash=forget_hash)
    assert created and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(store.open(stored.name)) == data
    assert MARKER not in _on_disk(store)
    assert len(opened) == 5  # the request of 1 byte sealed no chunk: it changed the tail
    assert all(opened) == _takes_o_direct(tmp_path)


@pytest.fixture
def held_hashing(monkeypatch):
    """The lanes' hashing held back until ``release()``: one thread, its first task waits."""
    hashing = ThreadPoolExecutor(max_workers=1)
    gate = threading.Event()
    hashing.submit(gate.wait, 60)
    monkeypatch.setattr(resumable, "_HASHING", hashing)
    yield gate.set
    gate.set()
    hashing.shutdown(wait=True)


def test_the_hash_goes_on_after_a_request_and_the_next_takes_it_up(
    store, monkeypatch, held_hashing
):
    """A request answers once its chunks are sealed and written, not hashed: the hash of its
    last chunks goes on after it (here: not begun at all), and the next request takes the
    same lane up instead of hashing the part file again; the hash is still hashlib's."""
    rehashed = []
    rehash = resumable.ResumableBlob._rehash
    monkeypatch.setattr(
        resumable.ResumableBlob, "_rehash", lambda blob: rehashed.append(1) or rehash(blob)
    )
    data = _data(1000)
    resumable.begin(store, KEY, len(data))
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        blob.write(data[:700])  # ten whole chunks and 60 bytes of tail
    lane = resumable._HASHES[KEY]
    assert lane.chunks == 10 and lane._bytes == 640  # none hashed yet: the request ended
    assert rehashed == [1]  # the first request's, on a new upload (nothing to read)
    held_hashing()
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        assert blob._lane is lane and blob.offset == 700
        blob.write(data[700:])
        stored, _created = blob.finish()
    assert rehashed == [1]
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(store.open(stored.name)) == data


def test_sealing_waits_when_the_hash_is_too_far_behind(store, monkeypatch, held_hashing):
    """At most ``_HASH_AHEAD_BYTES`` of plaintext wait for the hash: memory per upload is
    bounded however fast the bytes arrive."""
    monkeypatch.setattr(resumable, "_HASH_AHEAD_BYTES", 192)  # three chunks of 64
    data = _data(1000)
    resumable.begin(store, KEY, len(data))
    done = threading.Event()

    def send():
        with resumable.ResumableBlob(store, KEY, len(data)) as blob:
            blob.write(data[:640])
            done.set()

    sender = threading.Thread(target=send)
    sender.start()
    assert not done.wait(0.5)  # three chunks wait for the hash: the fourth is not sealed
    held_hashing()
    sender.join(60)
    assert done.is_set()
    stored, _created = _upload_rest(store, data, 640)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def _upload_rest(store, data: bytes, sent: int) -> tuple:
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        assert blob.offset == sent
        blob.write(data[sent:])
        return blob.finish()


def test_a_hash_that_failed_is_computed_again_from_the_disk(store):
    """A lane whose hashing failed is not taken up again: the next request hashes the stored
    chunks again, and the upload still ends with hashlib's SHA-256."""
    data = _data(300)
    resumable.begin(store, KEY, len(data))
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        blob.write(data[:200])
    lane = resumable._HASHES[KEY]
    lane.hexdigest()  # all hashed: now break it for what comes

    class Broken:
        def update(self, chunk):
            raise RuntimeError("the hash broke")

    lane._sha256 = Broken()
    with pytest.raises(RuntimeError), resumable.ResumableBlob(store, KEY, len(data)) as blob:
        blob.write(data[200:])
        blob.finish()
    with resumable.ResumableBlob(store, KEY, len(data)) as blob:
        assert blob._lane is not lane
        blob.write(data[blob.offset :])
        stored, _created = blob.finish()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(store.open(stored.name)) == data
