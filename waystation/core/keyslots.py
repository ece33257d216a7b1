"""The key-slot file: the instance's master key, wrapped once per passphrase.

Each slot holds AES-256-GCM(Argon2id(passphrase, salt), kind ‖ key). A normal slot's key is the
master key; a duress slot's is random filler, so a duress slot looks exactly like a normal one
to anyone reading the file. Slot labels (and which slots are duress slots) are encrypted under
the master key, readable only after a successful unseal.

Shredding overwrites the file in place with random data of the same shape: afterwards no
passphrase opens it, and it still looks like a key-slot file, so a shredded instance answers
"wrong passphrase" like any typo.

In PostgreSQL mode the same document lives in one row of the database instead
(core/shared_slots.py), shared by every process of the instance; a ``keyslots.json`` left in a
data directory from before is moved there at the next start (``move_into_database``). A
"place" below is a data directory (the file) or a ``shared_slots.Place`` (the row).
"""

import base64
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from . import crypto, shared_slots

FORMAT = "waystation-keyslots/1"
FILENAME = "keyslots.json"
MIN_PASSPHRASE_CHARS = 12
_KIND_NORMAL, _KIND_DURESS = b"\x01", b"\x02"
_LABEL_BLOCK = 256  # labels are padded so their length says little
_INSECURE_ENV = "WAYSTATION_INSECURE_TEST_KDF"


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int
    iterations: int
    lanes: int


PRODUCTION_KDF = KdfParams(memory_kib=65536, iterations=3, lanes=4)
# Only for the test suite: fast, and refused unless WAYSTATION_INSECURE_TEST_KDF=1.
INSECURE_TEST_KDF = KdfParams(memory_kib=64, iterations=1, lanes=1)


class KeySlotError(Exception):
    """A problem the operator must fix; the message says what to do."""


class PassphraseRejected(KeySlotError):
    pass


@dataclass(frozen=True)
class SlotInfo:
    index: int
    label: str
    duress: bool


@dataclass(frozen=True)
class Opened:
    master: bytes | None
    duress: bool


def insecure_kdf_allowed() -> bool:
    return os.environ.get(_INSECURE_ENV) == "1"


def default_kdf() -> KdfParams:
    return INSECURE_TEST_KDF if insecure_kdf_allowed() else PRODUCTION_KDF


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise PassphraseRejected(
            f"a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters; "
            "several unrelated words are easy to remember and hard to guess"
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _check_kdf(kdf: KdfParams) -> None:
    strong = (
        kdf.memory_kib >= PRODUCTION_KDF.memory_kib and kdf.iterations >= PRODUCTION_KDF.iterations
    )
    if not strong and not insecure_kdf_allowed():
        raise KeySlotError(
            "the key-slot file uses test-only key-derivation parameters, which are refused "
            "outside the test suite; create the instance again with `waystation init`"
        )


def _slot_aad(instance: bytes) -> bytes:
    return b"waystation/keyslot/v1|" + instance


def _labels_key(master: bytes) -> bytes:
    return crypto.hkdf(master, b"waystation/keyslot-labels/v1")


def _file_present(data_dir: Path) -> bool:
    path = Path(data_dir) / FILENAME
    return path.exists() or path.with_suffix(".tmp").exists()


def locate(where):
    """Where the slots of the instance in ``where`` (a data directory) live: the data
    directory itself (its file), or in PostgreSQL mode, unless a file from before is still
    there, the database's row. A ``shared_slots.Place`` is returned as it is."""
    if isinstance(where, shared_slots.Place):
        return where
    if shared_slots.enabled() and not _file_present(where):
        return shared_slots.current_place()
    return Path(where)


def describe(where) -> str:
    where = locate(where)
    if isinstance(where, shared_slots.Place):
        return f"the database {where.dbname}"
    return str(where / FILENAME)


class KeySlotFile:
    """The parsed file (or row). Methods that change it write it back atomically."""

    def __init__(
        self,
        path: Path,
        instance: bytes,
        kdf: KdfParams,
        slots: list,
        labels: bytes,
        *,
        place: "shared_slots.Place | None" = None,
    ):
        self.path, self.instance, self.kdf, self.slots, self.labels = (
            path,
            instance,
            kdf,
            slots,
            labels,
        )
        self.place = place

    # -- reading and writing -------------------------------------------------------------
    @classmethod
    def load(cls, data_dir) -> "KeySlotFile":
        where = locate(data_dir)
        if isinstance(where, shared_slots.Place):
            try:
                text = shared_slots.read(where).text
            except shared_slots.psycopg.Error as problem:
                raise KeySlotError(f"cannot reach the database {where.dbname}: {problem}") from None
            if text is None:
                raise KeySlotError(
                    f"no Waystation instance in the database {where.dbname}: create one with "
                    "`waystation init`, or restore one from a backup"
                )
            loaded = cls._parse(text, f"the key slots in the database {where.dbname}", None)
            loaded.place = where
            return loaded
        try:
            return cls._load(Path(data_dir))
        except KeySlotError:
            # A save interrupted after the old file was overwritten: finish it.
            temporary = Path(data_dir) / FILENAME
            temporary = temporary.with_suffix(".tmp")
            if not temporary.exists():
                raise
            loaded = cls._load(Path(data_dir), temporary)
            os.replace(temporary, Path(data_dir) / FILENAME)
            loaded.path = Path(data_dir) / FILENAME
            return loaded

    @classmethod
    def _load(cls, data_dir: Path, path: Path | None = None) -> "KeySlotFile":
        path = path or data_dir / FILENAME
        try:
            raw = json.loads(path.read_text(encoding="ascii"))
        except FileNotFoundError:
            raise KeySlotError(
                f"no key-slot file at {path}: create an instance with `waystation init "
                f"--data-dir {data_dir}`, or restore one from a backup"
            ) from None
        except (ValueError, UnicodeDecodeError):
            raise KeySlotError(f"{path} is damaged: restore it from a backup") from None
        return cls._parse(raw, str(path), path)

    @classmethod
    def _parse(cls, raw, name: str, path: Path | None) -> "KeySlotFile":
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise KeySlotError(f"{name} is damaged: restore it from a backup") from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise KeySlotError(f"{name} is not a Waystation key-slot file")
        try:
            kdf = KdfParams(**raw["kdf"])
            slots = [(_unb64(s["salt"]), _unb64(s["sealed"])) for s in raw["slots"]]
            return cls(path, bytes.fromhex(raw["instance"]), kdf, slots, _unb64(raw["labels"]))
        except (KeyError, TypeError, ValueError):
            raise KeySlotError(f"{name} is damaged: restore it from a backup") from None

    def to_bytes(self) -> bytes:
        document = {
            "format": FORMAT,
            "instance": self.instance.hex(),
            "kdf": asdict(self.kdf),
            "slots": [{"salt": _b64(salt), "sealed": _b64(sealed)} for salt, sealed in self.slots],
            "labels": _b64(self.labels),
        }
        return (json.dumps(document, indent=1) + "\n").encode("ascii")

    def save(self) -> None:
        """Write the new file beside the old one, overwrite the old one in place (so a removed
        passphrase does not survive in freed disk blocks), then rename. A crash between the
        two steps leaves the new file as `.tmp`, which `load()` picks up. In the database: one
        UPDATE, then VACUUM (shared_slots.write)."""
        if self.place is not None:
            shared_slots.write(self.place, self.to_bytes().decode("ascii"))
            return
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.to_bytes())
            handle.flush()
            os.fsync(handle.fileno())
        _overwrite_in_place(self.path)
        os.replace(temporary, self.path)
        _fsync_dir(self.path.parent)

    # -- slots ---------------------------------------------------------------------------
    def _wrap(self, passphrase: str, kind: bytes, key: bytes) -> tuple[bytes, bytes]:
        salt = crypto.random_bytes(16)
        wrapping = crypto.argon2id(passphrase, salt, **asdict(self.kdf))
        return salt, crypto.seal(wrapping, kind + key, _slot_aad(self.instance))

    def open(self, passphrase: str) -> Opened:
        """Try every slot (the work is the same whichever slot matches)."""
        _check_kdf(self.kdf)
        master, duress = None, False
        for salt, sealed in self.slots:
            wrapping = crypto.argon2id(passphrase, salt, **asdict(self.kdf))
            try:
                plain = crypto.unseal(wrapping, sealed, _slot_aad(self.instance))
            except crypto.DecryptionError:
                continue
            if plain[:1] == _KIND_DURESS:
                duress = True
            elif master is None:
                master = plain[1:]
        return Opened(None if duress else master, duress)

    def label_table(self, master: bytes) -> list[dict]:
        plain = crypto.unseal(_labels_key(master), self.labels, _slot_aad(self.instance))
        return json.loads(plain.decode("utf-8").rstrip(" "))

    def _set_label_table(self, master: bytes, table: list[dict]) -> None:
        text = json.dumps(table, ensure_ascii=False)
        padded = text.encode("utf-8")
        padded += b" " * (-len(padded) % _LABEL_BLOCK)
        self.labels = crypto.seal(_labels_key(master), padded, _slot_aad(self.instance))

    def holds_master(self, master: bytes) -> bool:
        try:
            self.label_table(master)
        except (crypto.DecryptionError, ValueError):
            return False
        return True

    def add(self, master: bytes, passphrase: str, label: str, *, duress: bool = False) -> None:
        check_passphrase(passphrase)
        table = self.label_table(master)
        if self.open(passphrase) != Opened(None, False):
            raise PassphraseRejected("that passphrase is already in use; choose another")
        filler = crypto.random_bytes(crypto.KEY_BYTES)
        self.slots.append(
            self._wrap(
                passphrase, _KIND_DURESS if duress else _KIND_NORMAL, filler if duress else master
            )
        )
        table.append({"label": label, "duress": duress})
        self._set_label_table(master, table)

    def remove(self, master: bytes, label: str) -> None:
        table = self.label_table(master)
        matches = [i for i, entry in enumerate(table) if entry["label"] == label]
        if not matches:
            raise KeySlotError(f"no slot labelled {label!r}; see `waystation passphrase list`")
        index = matches[0]
        normal_left = sum(1 for i, e in enumerate(table) if not e["duress"] and i != index)
        if normal_left == 0:
            raise KeySlotError("that is the last normal passphrase; add another one first")
        del self.slots[index], table[index]
        self._set_label_table(master, table)

    def list(self, master: bytes) -> list[SlotInfo]:
        return [
            SlotInfo(i, e["label"], e["duress"]) for i, e in enumerate(self.label_table(master))
        ]


def create(
    data_dir: Path,
    passphrase: str,
    label: str,
    kdf: KdfParams | None = None,
    *,
    master: bytes | None = None,
    instance: bytes | None = None,
    place: "shared_slots.Place | None" = None,
) -> bytes:
    """Write a new key-slot file with one passphrase (or, with ``place``, the database's row,
    refused when that database holds an instance already); returns the master key: a new
    one, or ``master`` of instance ``instance`` (a backup restored with its offline age key)."""
    check_passphrase(passphrase)
    kdf = kdf or default_kdf()
    _check_kdf(kdf)
    path = Path(data_dir) / FILENAME
    if place is None and path.exists():
        raise KeySlotError(f"{path} exists already")
    master = master or crypto.random_bytes(crypto.KEY_BYTES)
    slots = KeySlotFile(path, instance or crypto.random_bytes(16), kdf, [], b"")
    slots.slots.append(slots._wrap(passphrase, _KIND_NORMAL, master))
    slots._set_label_table(master, [{"label": label, "duress": False}])
    if place is None:
        slots.save()
    elif not shared_slots.create(place, slots.to_bytes().decode("ascii")):
        raise KeySlotError(database_holds_instance(place))
    return master


def database_holds_instance(place: "shared_slots.Place") -> str:
    return (
        f"the database {place.dbname} already holds a Waystation instance (shredded or not); "
        "a second server of it needs no init: make its data directory (mkdir -m 700 DIR) and "
        "start it"
    )


def read_text(data_dir) -> str:
    """The slot document (the file's text), wherever it lives; for backups."""
    return KeySlotFile.load(data_dir).to_bytes().decode("ascii")


def write_text(data_dir, text: str) -> None:
    """Replace the slots wherever they live (file or row) with ``text``, overwriting the old
    ones; for a restore. In PostgreSQL mode a database without an instance gets one."""
    parsed = KeySlotFile._parse(text, "the restored key slots", Path(data_dir) / FILENAME)
    where = locate(data_dir)
    if isinstance(where, shared_slots.Place):
        if not shared_slots.create(where, text):
            shared_slots.write(where, text, restored=True)
        return
    parsed.save()


def move_into_database(data_dir: Path) -> bool:
    """PostgreSQL mode: a ``keyslots.json`` left in the data directory (an instance made
    before the slots moved into the database, or a second server's copy of it) goes into the
    database, unless the database holds this instance already — then its row wins, a panic
    there included — and the file is shredded and removed. True when a file was taken."""
    if not shared_slots.enabled() or not _file_present(data_dir):
        return False
    mine = KeySlotFile.load(data_dir)
    place = shared_slots.current_place()
    if not shared_slots.create(place, mine.to_bytes().decode("ascii")):
        theirs = KeySlotFile._parse(shared_slots.read(place).text, "the database's slots", None)
        if theirs.instance != mine.instance:
            raise KeySlotError(
                f"{mine.path} belongs to another instance than the one in the database "
                f"{place.dbname}: move it out of the data directory"
            )
    path = Path(data_dir) / FILENAME
    for leftover in (path, path.with_suffix(".tmp")):
        _overwrite_in_place(leftover)
        leftover.unlink(missing_ok=True)
    _fsync_dir(Path(data_dir))
    return True


def _random_like(current: KeySlotFile) -> bytes:
    current.slots = [
        (crypto.random_bytes(len(s)), crypto.random_bytes(len(w))) for s, w in current.slots
    ]
    current.labels = crypto.random_bytes(len(current.labels))
    return current.to_bytes()


def shred(data_dir, *, panic: bool = False) -> bool:
    """Overwrite every slot and the labels with random bytes, in place, and fsync. Returns
    False when there was no key-slot file. Works without any passphrase and in well under a
    second: no key derivation is involved. In PostgreSQL mode the database's row is
    overwritten instead and every process is told (shared_slots.shred); ``panic`` records
    there that it was an explicit panic (a duress passphrase leaves no such mark)."""
    where = locate(data_dir)
    if isinstance(where, shared_slots.Place):
        try:
            current = KeySlotFile.load(where)
        except KeySlotError:
            if shared_slots.read(where).text is None:
                return False
            current = None  # damaged: overwrite it with random bytes of its length
            size = len(shared_slots.read(where).text)
        if current is None:
            return shared_slots.shred(
                where, lambda: crypto.random_bytes(size // 2).hex(), panic=panic
            )
        return shared_slots.shred(
            where, lambda: _random_like(current).decode("ascii"), panic=panic
        )
    path = Path(data_dir) / FILENAME
    try:
        current = KeySlotFile.load(data_dir)
    except KeySlotError:
        if not path.exists():
            return False
        current = None
    if current is not None:
        replacement = _random_like(current)
    else:  # unreadable: overwrite whatever is there
        replacement = crypto.random_bytes(path.stat().st_size)
    with open(path, "r+b") as handle:
        handle.write(replacement)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
    leftover = path.with_suffix(".tmp")
    _overwrite_in_place(leftover)
    leftover.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return True


def _overwrite_in_place(path: Path) -> None:
    """Random bytes over a file's own blocks, flushed to the disk. (A copy-on-write file
    system or an SSD's wear levelling can still keep the old blocks: docs/security.md.)"""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    with open(path, "r+b") as handle:
        handle.write(crypto.random_bytes(size))
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
