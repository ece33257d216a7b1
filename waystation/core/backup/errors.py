"""The one refusal of backups and restores."""


class BackupError(Exception):
    """One line for the operator; nothing was changed."""
