from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "waystation.core"
    label = "core"
