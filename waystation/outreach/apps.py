from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "waystation.outreach"
    label = "outreach"
