"""Two Waystation instances in one test run.

Each instance has a data directory of its own with its own key-slot file (so its own master
key, card keys, field and blob keys) and its own blob store. ``instances.here`` and
``instances.there`` switch the process's key ring (and the data and blob directories) to one
of them: ``with instances.there: ...``. They share the test database, as two instances never
do; each test reads its rows under the instance that wrote them, and rows encrypted under one
instance's keys cannot be read under the other's.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from waystation.core import keyslots
from waystation.core.keyring import KEYRING
from waystation.testing.plugin import TEST_PASSPHRASE

PARTNER_MANAGER_NAME = "command.partners.test"


@dataclass
class Instance:
    name: str
    data_dir: Path
    settings: object
    _previous: list = field(default_factory=list)

    @property
    def blobs(self) -> Path:
        return self.data_dir / "blobs"

    def __enter__(self) -> "Instance":
        self._previous.append(
            (
                KEYRING.master_for_key_management() if not KEYRING.sealed else None,
                django_settings.DATA_DIR,
                dict(django_settings.BLOB_STORE),
            )
        )
        self.activate()
        return self

    def activate(self) -> None:
        assert KEYRING.unseal(self.data_dir, TEST_PASSPHRASE), f"{self.name} did not unseal"
        self.settings.DATA_DIR = self.data_dir
        self.settings.BLOB_STORE = {**django_settings.BLOB_STORE, "root": str(self.blobs)}

    def __exit__(self, *exc_info) -> None:
        master, data_dir, blobs = self._previous.pop()
        self.settings.DATA_DIR, self.settings.BLOB_STORE = data_dir, blobs
        if master is None:
            KEYRING.drop()
        else:
            KEYRING.install(master, data_dir)


@dataclass
class Instances:
    here: Instance
    there: Instance
    elsewhere: Instance  # a third group, that neither of the two knows


def _instance(root: Path, name: str, settings) -> Instance:
    folder = root / name
    folder.mkdir(mode=0o700)
    (folder / "blobs").mkdir(mode=0o700)
    keyslots.create(folder, TEST_PASSPHRASE, name)
    return Instance(name=name, data_dir=folder, settings=settings)


@pytest.fixture
def instances(tmp_path, settings, restore_keyring) -> Instances:
    return Instances(
        here=_instance(tmp_path, "here", settings),
        there=_instance(tmp_path, "there", settings),
        elsewhere=_instance(tmp_path, "elsewhere", settings),
    )
