"""Creating an instance's data directory: private permissions, a random secret, the schema."""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management import call_command


class InstanceExists(Exception):
    pass


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def instance_exists(data_dir: Path) -> bool:
    return (data_dir / "secret.key").exists() or (data_dir / "waystation.sqlite3").exists()


def instance_create(data_dir: Path, *, demo: bool = False) -> None:
    """Make the directory (mode 0700), its secret (0600) and the database schema."""
    if instance_exists(data_dir):
        raise InstanceExists(f"{data_dir} already holds an instance")
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    secret = secrets.token_urlsafe(48)
    _write_private(data_dir / "secret.key", secret + "\n")
    if demo:
        _write_private(data_dir / "DEMO", "This instance holds demo data only.\n")
    # This process loaded settings before the secret existed.
    settings.SECRET_KEY = secret
    call_command("migrate", interactive=False, verbosity=0)
