from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "waystation.audit"
    label = "audit"
