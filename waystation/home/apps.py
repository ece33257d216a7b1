from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The top of the layers: the pages that know every feature (the overview, the navigation,
    the audit log's viewer, the emergency page). Nothing below imports it."""

    name = "waystation.home"
    label = "home"
