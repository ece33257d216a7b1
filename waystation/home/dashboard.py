"""What each role sees first. One panel per role the user holds; each says what to do next."""

from functools import cache, lru_cache

from django.conf import settings
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from waystation.accounts.policy import Perm, can
from waystation.accounts.roles import Role
from waystation.accounts.selectors import team_summary_for
from waystation.cases.selectors import PRESSING_DAYS, my_case_count, pressing_for, tasks_for
from waystation.intake.selectors import unread_count
from waystation.ledger.selectors import pending_counts_for
from waystation.outreach.selectors import follow_ups_for
from waystation.screening.selectors import open_disagreement_count

from .selectors import recent_events_for

_ROLE_GUIDANCE = {
    Role.CASEWORKER: _(
        "You look after the people assigned to you: housing, needs, tasks and notes. "
        "Nobody is assigned to you yet; your coordinator assigns cases."
    ),
    Role.LAWYER: _(
        "You see the clients assigned to you: detentions, court hearings, deadlines and documents. "
        "No client is assigned to you yet."
    ),
    Role.DOCUMENTATION_OFFICER: _(
        "You take testimonies, keep evidence and its chain of custody, and prepare exports for "
        "investigators. Nothing is waiting for you yet."
    ),
    Role.SCREENER: _(
        "You run screening interviews before relocation help, always with a second reviewer. "
        "No interview is waiting for you."
    ),
    Role.TREASURER: _(
        "You record donations and disbursements and report balances without naming "
        "beneficiaries. Nothing to record yet."
    ),
}


@cache
def _choice_labels(model, field_name: str) -> dict:
    # Lazy labels: translated when shown, in the language then.
    return dict(model._meta.get_field(field_name).flatchoices)


def _with_labels(rows: list, field_name: str) -> list:
    """Each row's ``<field>_label``: what ``get_<field>_display()`` gives, without its cost
    (Django makes every label of the field hashable on each call, translating all ~70 audit
    events for each row: 0.3 ms a row, most of the coordinator's page)."""
    if rows:
        labels = _choice_labels(type(rows[0]), field_name)
        for row in rows:
            value = getattr(row, field_name)
            setattr(row, f"{field_name}_label", labels.get(value, value))
    return rows


def dashboard_panels(user) -> list[dict]:
    panels = []
    team = team_summary_for(user)
    if team is not None:
        todo = []
        if team["active"] <= 1:
            todo.append(
                (
                    _("Invite your team: one account per person, never shared."),
                    reverse("accounts:invite_new"),
                )
            )
        if team["without_totp"]:
            todo.append((_("Some members have no second factor yet."), reverse("accounts:users")))
        panels.append(
            {
                "role": Role.COORDINATOR,
                "title": Role.COORDINATOR.label,
                "team": team,
                "todo": todo,
                "recent": _with_labels(recent_events_for(user, limit=8), "event"),
                "follow_ups": _with_labels(follow_ups_for(user, limit=10), "channel"),
                "follow_up_days": settings.OUTREACH_FOLLOW_UP_DAYS,
                "digest": can(user, Perm.OUTREACH_DIGEST),
                "unread_requests": unread_count(user),
            }
        )
    assigned = None
    for role, text in _ROLE_GUIDANCE.items():
        if role not in user.roles:
            continue
        # Every key the template asks of a panel, None where it has none: a missing key costs
        # the template three failed lookups (dict, attribute, index), each an exception.
        panel = {"role": role, "title": role.label, "text": text, "team": None, "my_cases": None}
        if role in (Role.CASEWORKER, Role.LAWYER):
            assigned = my_case_count(user) if assigned is None else assigned
            if assigned:
                panel["my_cases"] = assigned
                panel["my_tasks"] = tasks_for(user, limit=8, brief=True)
        panels.append(panel)
    return panels


def pressing_events(user) -> dict | None:
    """Detentions going on now, and detentions and hearings in the coming week, for the top of
    the page: they come before anything else on the dashboard."""
    if not can(user, Perm.CASES_VIEW):
        return None
    return {
        "events": pressing_for(user),
        "days": PRESSING_DAYS,
        "heading": _pressing_heading(get_language()),
    }


@lru_cache(maxsize=16)
def _pressing_heading(language: str) -> str:
    # Once per language: as a {% blocktranslate count %} it cost 40 µs on every dashboard.
    return ngettext(
        "Detained now, and detentions and hearings in the next %(days)s day",
        "Detained now, and detentions and hearings in the next %(days)s days",
        PRESSING_DAYS,
    ) % {"days": PRESSING_DAYS}


def waiting_for(user) -> list[dict]:
    """What waits for this member's hand, each with where one acts on it: disagreements for one
    who may resolve them, pending transactions for one who may approve them (recorded by someone
    else) and one's own, waiting for a second approver. One query per source."""
    waiting = []
    disagreements = open_disagreement_count(user)
    if disagreements is not None:
        waiting.append(
            {
                "label": _("Screening disagreements to resolve"),
                "count": disagreements,
                "url": reverse("screening:disagreements"),
            }
        )
    pending = pending_counts_for(user)
    if pending is not None:
        if pending["to_approve"] is not None:
            waiting.append(
                {
                    "label": _("Pending transactions waiting for your approval"),
                    "count": pending["to_approve"],
                    "url": reverse("ledger:pending"),
                }
            )
        if pending["own"] is not None:
            waiting.append(
                {
                    "label": _("Your transactions waiting for a second approver"),
                    "count": pending["own"],
                    "url": reverse("ledger:pending"),
                }
            )
    return waiting
