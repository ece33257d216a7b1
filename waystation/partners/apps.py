from django.apps import AppConfig


class PartnersConfig(AppConfig):
    """Referral and transfer between Waystation instances (issue 22): this instance's partner
    card, the partners it knows, packages sent through the exit gate and received into the
    inbox, and the signed receipts that answer them."""

    name = "waystation.partners"
    label = "partners"
