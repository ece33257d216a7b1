"""The screening state on the case page: ``{% screening_badge case %}``. Anyone who may see
the case and holds ``SCREENING_STATE`` gets the state and the outcome, never the record;
screeners and coordinators get a link to the record as well."""

from django import template
from django.template.loader import render_to_string

from waystation.accounts.policy import Perm, can

from ..models import Outcome, State
from ..selectors import state_of

register = template.Library()


@register.simple_tag(takes_context=True)
def screening_badge(context, case) -> str:
    user = context["request"].user
    status = state_of(user, case)
    if status is None:
        return ""
    return render_to_string(
        "screening/_badge.html",
        {
            "case": case,
            "status": status,
            "state_label": State(status.state).label,
            "outcome_label": Outcome(status.outcome).label if status.outcome else "",
            "may_open": can(user, Perm.SCREENING_VIEW),
        },
    )
