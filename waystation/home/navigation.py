from functools import cache

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from waystation.accounts.policy import Perm, permissions_of

# (label, url name, permission) in the order they appear in the header.
_ITEMS = [
    (_("Overview"), "home:dashboard", Perm.DASHBOARD_VIEW),
    (_("Requests"), "triage:queue", Perm.INTAKE_TRIAGE),
    (_("Cases"), "cases:list", Perm.CASES_VIEW),
    (_("My tasks"), "cases:tasks", Perm.CASES_VIEW),
    (_("Pathways"), "pathways:list", Perm.PATHWAYS_VIEW),
    (_("Evidence"), "evidence:index", Perm.EVIDENCE_VIEW),
    (_("Screening"), "screening:queue", Perm.SCREENING_VIEW),
    (_("Outreach"), "outreach:directory", Perm.OUTREACH_VIEW),
    (_("Ledger"), "ledger:overview", Perm.LEDGER_VIEW),
    (_("Partners"), "partners:index", Perm.PARTNERS_MANAGE),
    (_("Safety"), "knowledge:index", Perm.KNOWLEDGE_VIEW),
    (_("Team"), "accounts:users", Perm.USERS_MANAGE),
    (_("Audit log"), "home:audit", Perm.AUDIT_VIEW),
    (_("My account"), "accounts:account", Perm.SIGNED_IN),
]


@cache
def _resolved_items() -> list[tuple]:
    return [(label, reverse(name), perm) for label, name, perm in _ITEMS]


def navigation_for(user, current_path: str) -> list[dict]:
    perms = permissions_of(user)
    items = []
    for label, url, perm in _resolved_items():
        if perm in perms:
            active = current_path == url or (url != "/" and current_path.startswith(url))
            items.append({"label": label, "url": url, "active": active})
    return items
