"""Creating and opening an instance's data directory."""

import os
from pathlib import Path

from django.core.management import call_command

from . import keyslots, shared_slots
from .keyring import KEYRING


class InstanceExists(Exception):
    pass


def write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def instance_exists(data_dir: Path) -> bool:
    return (data_dir / keyslots.FILENAME).exists() or (data_dir / "waystation.sqlite3").exists()


def _refuse_a_second_instance(data_dir: Path) -> None:
    if instance_exists(data_dir):
        raise InstanceExists(f"{data_dir} already holds an instance")
    if shared_slots.enabled():
        place = shared_slots.current_place()
        try:
            held = shared_slots.read(place).text is not None
        except shared_slots.psycopg.Error as problem:
            raise InstanceExists(f"cannot reach the database {place.dbname}: {problem}") from None
        if held:
            raise InstanceExists(keyslots.database_holds_instance(place))


def instance_create(data_dir: Path, *, passphrase: str, label: str, demo: bool = False) -> None:
    """Make the directory (mode 0700), the key slots with a new master key, and the schema.
    The process is unsealed afterwards. In PostgreSQL mode the slots go into the database,
    and a database that holds an instance already (even a shredded one) is refused."""
    _refuse_a_second_instance(data_dir)
    keyslots.check_passphrase(passphrase)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    place = shared_slots.current_place() if shared_slots.enabled() else None
    try:
        master = keyslots.create(data_dir, passphrase, label, place=place)
    except keyslots.KeySlotError as problem:  # another init got there first
        raise InstanceExists(str(problem)) from None
    if demo:
        write_private(data_dir / "DEMO", b"This instance holds demo data only.\n")
        write_private(data_dir / "demo-passphrase", passphrase.encode() + b"\n")
    KEYRING.install(master, data_dir)
    call_command("migrate", interactive=False, verbosity=0)
