"""Refuse to start in a state that is unsafe or cannot work, with a message saying what to do."""

import stat

from django.conf import settings

from . import keyslots, shared_slots


class NotReady(Exception):
    """Raised with one line of text for the operator."""


def require_ready() -> None:
    data_dir = settings.DATA_DIR
    if not data_dir.is_dir():
        if shared_slots.enabled():
            raise NotReady(
                f"Data directory {data_dir} does not exist. A second server of an instance "
                f"in PostgreSQL needs only an empty one: mkdir -m 700 {data_dir} (for a new "
                "instance: `waystation init`)."
            )
        raise NotReady(
            f"Data directory {data_dir} does not exist. Create an instance with "
            "`waystation init --data-dir DIR`, or point WAYSTATION_DATA_DIR at one."
        )
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    if mode & 0o077:
        raise NotReady(
            f"Data directory {data_dir} can be read by other users of this machine "
            f"(mode {mode:o}). Fix it with: chmod 700 {data_dir}"
        )
    where = keyslots.locate(data_dir)
    if isinstance(where, shared_slots.Place):
        try:
            held = shared_slots.read(where).text is not None
        except shared_slots.psycopg.Error as problem:
            raise NotReady(f"Cannot reach the database {where.dbname}: {problem}") from None
        if not held:
            raise NotReady(
                f"No Waystation instance in the database {where.dbname}. Create one with "
                "`waystation init`, or restore a backup with `waystation restore FILE`."
            )
        return
    slots = data_dir / keyslots.FILENAME
    if not slots.exists():
        raise NotReady(
            f"No key slots in {data_dir}: this is not a Waystation instance. Create one with "
            "`waystation init`, or restore a backup with `waystation restore FILE`."
        )
    if stat.S_IMODE(slots.stat().st_mode) & 0o077:
        raise NotReady(f"{slots} can be read by other users. Fix it with: chmod 600 {slots}")
