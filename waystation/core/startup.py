"""Refuse to start in a state that is unsafe or cannot work, with a message saying what to do."""

import stat

from django.conf import settings

from . import keyslots


class NotReady(Exception):
    """Raised with one line of text for the operator."""


def require_ready() -> None:
    data_dir = settings.DATA_DIR
    if not data_dir.is_dir():
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
    slots = data_dir / keyslots.FILENAME
    if not slots.exists():
        raise NotReady(
            f"No key slots in {data_dir}: this is not a Waystation instance. Create one with "
            "`waystation init`, or restore a backup with `waystation restore FILE`."
        )
    if stat.S_IMODE(slots.stat().st_mode) & 0o077:
        raise NotReady(f"{slots} can be read by other users. Fix it with: chmod 600 {slots}")
