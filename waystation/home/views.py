from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import render
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, requires
from waystation.accounts.selectors import users_for
from waystation.core.panic import destroy_keys

from .audit_details import describe
from .dashboard import dashboard_panels, pressing_events, waiting_for
from .forms import AuditFilterForm
from .selectors import AuditFilter, audit_page_for


@requires(Perm.DASHBOARD_VIEW)
def dashboard(request):
    return render(
        request,
        "home/dashboard.html",
        {
            "panels": dashboard_panels(request.user),
            "pressing": pressing_events(request.user),
            "waiting": waiting_for(request.user),
        },
    )


@requires(Perm.PANIC)
def panic(request):
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "destroy":
            # Sign out first: once the keys are gone the session can no longer be written.
            request.session.flush()
            destroy_keys(settings.DATA_DIR)
            # Said here, once, to the coordinator who did it. The unseal page that every later
            # visit gets says nothing of a panic: after a duress passphrase it must look the
            # same as after a restart, or the one who forced it would learn what it did.
            request.user = AnonymousUser()
            return render(request, "home/panic_done.html")
        error = _("Tick the box to confirm. Nothing was destroyed.")
    return render(request, "home/panic.html", {"error": error}, status=400 if error else 200)


@requires(Perm.AUDIT_VIEW)
def audit_log(request):
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
        "home/audit.html",
        {
            "form": form,
            "rows": describe(rows),
            "next_before": next_before,
            "query": query.urlencode(),
        },
    )
