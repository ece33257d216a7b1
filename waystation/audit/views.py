from django.shortcuts import render

from waystation.accounts.policy import Perm, requires
from waystation.accounts.selectors import users_for

from .details import describe
from .forms import AuditFilterForm
from .selectors import AuditFilter, audit_page_for


@requires(Perm.AUDIT_VIEW)
def events(request):
    form = AuditFilterForm(request.GET or None, users=users_for(request.user))
    filters = AuditFilter()
    if form.is_bound and form.is_valid():
        object_type, object_id = form.cleaned_data["object"]
        filters = AuditFilter(
            actor_id=form.cleaned_data["actor"],
            event=form.cleaned_data["event"],
            object_type=object_type,
            object_id=object_id,
            since=form.cleaned_data["since"],
            until=form.cleaned_data["until"],
        )
    try:
        before = int(request.GET.get("before", "")) or None
    except ValueError:
        before = None
    rows, next_before = audit_page_for(request.user, filters, before=before)
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/events.html",
        {
            "form": form,
            "rows": describe(rows),
            "next_before": next_before,
            "query": query.urlencode(),
        },
    )
