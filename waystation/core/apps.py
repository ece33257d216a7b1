from django.apps import AppConfig
from django.core.cache import caches
from django.http import multipartparser
from django.middleware import csrf

from . import crypto, shared_slots
from .keyring import KEYRING


class CoreConfig(AppConfig):
    name = "waystation.core"
    label = "core"

    def ready(self):
        # Sessions are cached in memory in embedded mode: they go with the keys.
        KEYRING.on_destroy(lambda: caches["default"].clear())
        shared_slots.tag_connections()  # PostgreSQL: a panic ends this process's connections
        _room_for_long_file_names()
        # Every page with a form masks its CSRF token with 32 random characters: drawn in one
        # read of the system's generator instead of 32 (crypto.random_string says why).
        csrf.get_random_string = crypto.random_string


# Django refuses a whole form when one part's headers pass 1 KiB, and a file named with about
# a thousand characters (a phone's "share" can make one) does: the typed message was lost with
# a bare "Bad Request". With room for names of tens of kilobytes the form parses, and
# core.uploads.display_name shortens the name as for any long one.
MULTIPART_HEADER_BYTES = 64 * 1024


def _room_for_long_file_names() -> None:
    multipartparser.MAX_TOTAL_HEADER_SIZE = max(
        multipartparser.MAX_TOTAL_HEADER_SIZE, MULTIPART_HEADER_BYTES
    )
