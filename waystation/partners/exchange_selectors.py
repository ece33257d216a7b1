"""Reads for the case content of packages: the partners one may send to, the packages of a
case and their answers, the inbox."""

from .models import Decision, Inbound, Outbound, Partner


def partners_to_send_to() -> list[Partner]:
    return list(Partner.objects.filter(revoked_at__isnull=True).order_by("name"))


def partner_to_send_to(name: str) -> Partner | None:
    return Partner.objects.filter(revoked_at__isnull=True, name=name).first()


def packages_of(case) -> list[Outbound]:
    return list(Outbound.objects.filter(case=case).select_related("sent_by"))


def inbox() -> list[Inbound]:
    return list(
        Inbound.objects.exclude(kind="receipt")
        .select_related("sender")
        .order_by("status", "-received_at")
    )


def inbound(pk) -> Inbound | None:
    try:
        return Inbound.objects.select_related("sender").filter(pk=pk).first()
    except (ValueError, TypeError):
        return None


def decision_of(inbound_: Inbound) -> Decision | None:
    return Decision.objects.filter(package_id=inbound_.package_id).select_related("case").first()
