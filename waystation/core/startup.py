"""Refuse to start in a state that is unsafe or cannot work, with a message saying what to do."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class NotReady(Exception):
    """Raised with one line of text for the operator."""


def _secret() -> str:
    try:
        return settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty secret
        return ""


def require_ready() -> None:
    if not _secret():
        raise NotReady(
            "No instance secret. Set WAYSTATION_SECRET_KEY (or WAYSTATION_SECRET_KEY_FILE), "
            f"or create an instance first: waystation init --data-dir {settings.DATA_DIR}"
        )
    if (
        settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        and not settings.DATA_DIR.is_dir()
    ):
        raise NotReady(
            f"Data directory {settings.DATA_DIR} does not exist. Create an instance with "
            "`waystation init --data-dir DIR` or set WAYSTATION_DATA_DIR."
        )
