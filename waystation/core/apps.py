from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "waystation.core"
    label = "core"

    def ready(self):
        from django.core.cache import caches

        from .keyring import KEYRING

        # Sessions are cached in memory in embedded mode: they go with the keys.
        KEYRING.on_destroy(lambda: caches["default"].clear())
