from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from waystation.accounts.policy import (
    Perm,
    Side,
    can,
    case_sides,
    get_for,
    may_hold_side,
    requires,
)
from waystation.core import corrections
from waystation.core.paging import page_of
from waystation.core.posts import arrived_incomplete

from . import services
from .forms import (
    CORRECT_FORMS,
    AssignForm,
    CaseEditForm,
    CaseFilterForm,
    CaseForm,
    DocumentForm,
    ExportForm,
    FamilyForm,
    IdentityForm,
    NeedForm,
    NoteForm,
    RevealForm,
    RiskForm,
    RiskOutcomeForm,
    ServiceForm,
    StatusForm,
    TaskForm,
    WithdrawForm,
)
from .models import Identity, Need, RiskEvent, Task
from .selectors import (
    case_detail,
    case_for,
    case_history_for,
    case_list_for,
    correctable_for,
    history_for,
    identity_versions_for,
    may_correct,
    pressing_for,
    tasks_for,
    team_for_tasks,
)

# section -> (form, service, side that shows the form, message on success). One view adds
# to any section; the service checks the side again.
SECTIONS = {
    "status": (StatusForm, services.status_record, Side.LEGAL, gettext_lazy("Status recorded.")),
    "risk": (RiskForm, services.risk_record, Side.LEGAL, gettext_lazy("Risk event recorded.")),
    "document": (DocumentForm, services.document_record, Side.LEGAL, gettext_lazy("Saved.")),
    "task": (TaskForm, services.task_add, Side.LEGAL, gettext_lazy("Task added.")),
    "family": (FamilyForm, services.family_add, Side.CARE, gettext_lazy("Saved.")),
    "need": (NeedForm, services.need_add, Side.CARE, gettext_lazy("Need noted.")),
    "service": (ServiceForm, services.service_record, Side.CARE, gettext_lazy("Help recorded.")),
    "note": (NoteForm, services.note_add, None, gettext_lazy("Note added.")),
}


def _case_list(request, *, mine: bool):
    """The filters may come in the address (links from other pages), but the search words
    only in a post: an address with them would stay in the browser's history. Pages of a
    search's results are posts too (``carried`` are the fields each page button sends)."""
    show_assignees = can(request.user, Perm.CASES_MANAGE)
    show_care = may_hold_side(request.user, Side.CARE)
    posted = request.method == "POST"
    data = request.POST.copy() if posted else request.GET.copy()
    if not posted:
        data.pop("q", None)
    page_number = data.pop("page", [None])[-1]
    data.pop("csrfmiddlewaretoken", None)
    form = CaseFilterForm(data or None, show_assignees=show_assignees, show_care=show_care)
    listed = case_list_for(request.user, form.filters(mine=mine))
    page = page_of(listed, data, number=page_number)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "params": "" if posted else page.params,
            "carried": [(name, value) for name, values in data.lists() for value in values]
            if posted
            else None,
            "mine": mine,
            "can_manage": show_assignees,
            "show_care": show_care,
        },
    )


@requires(Perm.CASES_VIEW)
def case_list(request):
    return _case_list(request, mine=False)


@requires(Perm.CASES_VIEW)
def my_cases(request):
    return _case_list(request, mine=True)


@requires(Perm.CASES_VIEW)
def my_tasks(request):
    return render(
        request,
        "cases/tasks.html",
        {
            "tasks": tasks_for(request.user, limit=200),
            "pressing": pressing_for(request.user),
            "today": timezone.localdate(),
        },
    )


@requires(Perm.CASES_MANAGE)
def case_new(request):
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(actor=request.user, **form.cleaned_data)
        except services.CaseError as problem:
            form.add_error("codename", str(problem))
        else:
            messages.success(request, _("Case %(codename)s opened.") % {"codename": case.codename})
            return redirect("cases:case", pk=case.pk)
    return render(
        request, "cases/case_form.html", {"form": form}, status=400 if form.errors else 200
    )


def _forms_for(case, sides, bound: dict) -> dict:
    team = team_for_tasks(case)
    forms = {}
    for name, (form_class, _service, side, _message) in SECTIONS.items():
        if side is not None and side not in sides:
            continue
        if name in bound:
            forms[name] = bound[name]
        elif form_class is TaskForm:
            forms[name] = TaskForm(prefix=name, team=team)
        else:
            forms[name] = form_class(prefix=name)
    return forms


def _case_page(request, case, *, status=200, bound=None, reveal_form=None, assign_form=None):
    detail = case_detail(request.user, case)
    sides = detail["sides"]
    context = {
        "case": case,
        "detail": detail,
        "forms": _forms_for(case, sides, bound or {}),
        "can_manage": Side.MANAGE in sides,
        "can_reveal": Side.IDENTITY in sides,
        "care": Side.CARE in sides,
        "legal": Side.LEGAL in sides,
        "reveal_form": reveal_form or RevealForm(),
        "export_form": ExportForm(auto_id="id_export_%s"),  # ids apart from the reveal form's
        "may_see_evidence": can(request.user, Perm.EVIDENCE_VIEW),
    }
    if Side.MANAGE in sides:
        context["assign_form"] = assign_form or AssignForm(
            initial={"caseworker": case.caseworker_id, "lawyer": case.lawyer_id}
        )
    return render(request, "cases/case.html", context, status=status)


@requires(Perm.CASES_VIEW)
def case_page(request, pk):
    return _case_page(request, case_for(request.user, pk))


@require_POST
@requires(Perm.CASES_VIEW)
def case_add(request, pk, section):
    case = case_for(request.user, pk)
    if section not in SECTIONS:
        raise Http404
    form_class, service, side, message = SECTIONS[section]
    if side is not None and side not in case_sides(request.user, case):
        raise Http404
    extra = {"team": team_for_tasks(case)} if form_class is TaskForm else {}
    form = form_class(request.POST, prefix=section, **extra)
    if form.is_valid():
        try:
            service(actor=request.user, case=case, **form.cleaned_data)
        except services.CaseError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, message)
            return redirect(f"{case_page_url(case)}#{section}")
    return _case_page(request, case, status=400, bound={section: form})


def case_page_url(case) -> str:
    return reverse("cases:case", kwargs={"pk": case.pk})


@require_POST
@requires(Perm.CASES_VIEW)
def need_met(request, pk):
    need = get_for(request.user, Need.objects.select_related("case"), pk, Perm.CASES_VIEW)
    services.need_mark_met(actor=request.user, need=need)  # CaseAccessDenied is a 404
    return redirect(f"{case_page_url(need.case)}#need")


@require_POST
@requires(Perm.CASES_VIEW)
def risk_update(request, pk):
    """The outcome of a hearing, or what is known about visits to a detention, added later."""
    event = get_for(request.user, RiskEvent.objects.select_related("case"), pk, Perm.CASES_VIEW)
    form = RiskOutcomeForm(request.POST, prefix=f"risk{event.pk}")
    if not form.is_valid():  # both fields are optional text: only over-long input gets here
        messages.error(request, _("The outcome is too long: keep it under 300 characters."))
        return redirect(f"{case_page_url(event.case)}#risk")
    services.risk_update_outcome(actor=request.user, event=event, **form.cleaned_data)
    messages.success(request, _("Saved."))
    return redirect(f"{case_page_url(event.case)}#risk")


@require_POST
@requires(Perm.CASES_VIEW)
def task_done(request, pk):
    task = get_for(request.user, Task.objects.select_related("case"), pk, Perm.CASES_VIEW)
    services.task_mark_done(actor=request.user, task=task)  # CaseAccessDenied is a 404
    messages.success(request, _("Task done."))
    if request.POST.get("next") == "tasks":
        return redirect("cases:tasks")
    return redirect(f"{case_page_url(task.case)}#task")


@requires(Perm.CASES_MANAGE)
def case_edit(request, pk):
    case = case_for(request.user, pk)
    if Side.MANAGE not in case_sides(request.user, case):
        raise Http404
    initial = {
        "urgency": case.urgency,
        "languages": case.languages,
        "city": case.city,
        "summary": case.summary,
        "tags": [tag.name for tag in case.tags.all()],
    }
    form = CaseEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.case_update(actor=request.user, case=case, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("cases:case", pk=case.pk)
    return render(
        request,
        "cases/case_form.html",
        {"form": form, "case": case},
        status=400 if form.errors else 200,
    )


@require_POST
@requires(Perm.CASES_MANAGE)
def case_assign(request, pk):
    case = case_for(request.user, pk)
    form = AssignForm(request.POST)
    if arrived_incomplete(form):
        form.is_valid()  # errors can be added to a checked form only
        form.add_error(None, _incomplete())
    elif form.is_valid():
        try:
            services.case_assign(actor=request.user, case=case, **form.cleaned_data)
        except services.NothingChanged as problem:
            messages.info(request, str(problem))
            return redirect("cases:case", pk=case.pk)
        except services.CaseError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("Assignment saved."))
            return redirect("cases:case", pk=case.pk)
    return _case_page(request, case, status=400, assign_form=form)


def _incomplete() -> str:
    return _("The form arrived incomplete, so nothing was changed. Reload the page and try again.")


def _identity_page(request, case, identity, form, status=200):
    response = render(
        request,
        "cases/identity.html",
        {
            "case": case,
            "identity": identity,
            "form": form,
            "versions": identity_versions_for(request.user, case),
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_POST
@requires(Perm.CASES_VIEW)
def identity_reveal(request, pk):
    """A deliberate reveal: a POST with a reason, audited before anything is decrypted, answered
    with a page that is never cached. There is no GET that shows the identity."""
    case = case_for(request.user, pk)
    if Side.IDENTITY not in case_sides(request.user, case):
        raise Http404
    reveal_form = RevealForm(request.POST)
    if not reveal_form.is_valid():
        return _case_page(request, case, status=400, reveal_form=reveal_form)
    identity = services.identity_reveal(
        actor=request.user, case=case, reason=reveal_form.cleaned_data["reason"]
    )
    form = IdentityForm(initial={name: getattr(identity, name) for name in Identity.FIELDS})
    return _identity_page(request, case, identity, form)


@never_cache
@require_POST
@requires(Perm.CASES_VIEW)
def identity_save(request, pk):
    case = case_for(request.user, pk)
    if Side.IDENTITY not in case_sides(request.user, case):
        raise Http404
    form = IdentityForm(request.POST)
    if arrived_incomplete(form):
        messages.error(request, _incomplete())
        return redirect("cases:case", pk=case.pk)
    if not form.is_valid():
        return _identity_page(request, case, None, form, status=400)
    try:
        services.identity_save(actor=request.user, case=case, **form.cleaned_data)
    except services.NothingChanged as problem:
        messages.info(request, str(problem))
        return redirect("cases:case", pk=case.pk)
    except services.CaseError as problem:
        form.add_error(None, str(problem))
        return _identity_page(request, case, None, form, status=400)
    messages.success(request, _("The identity was saved. It is hidden again."))
    return redirect("cases:case", pk=case.pk)


@never_cache
@require_POST
@requires(Perm.CASES_VIEW)
def identity_restore(request, pk, number):
    """A coordinator's undo: bring back an earlier version of the identity."""
    case = case_for(request.user, pk)
    if Side.MANAGE not in case_sides(request.user, case):
        raise Http404
    try:
        services.identity_restore(actor=request.user, case=case, number=number)
    except services.CaseError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request,
            _("The identity was set back to version %(number)d. It is hidden again.")
            % {"number": number},
        )
    return redirect("cases:case", pk=case.pk)


# --- Corrections (core.corrections): each note, risk event and status step has a history
# page, which offers to correct or withdraw it to those who may.

_CORRECTIONS = {
    "note": ("note", services.note_correct, services.note_withdraw),
    "risk": ("event", services.risk_correct, services.risk_withdraw),
    "status": ("change", services.status_correct, services.status_withdraw),
}
_TITLES = {
    "note": gettext_lazy("Note"),
    "risk": gettext_lazy("Risk event"),
    "status": gettext_lazy("Status step"),
}


def _history_page(request, kind, record, *, correct_form=None, withdraw_form=None, status=200):
    offer = may_correct(request.user, record)
    context = {
        "kind": kind,
        "record": record,
        "case": record.case,
        "title": _TITLES[kind],
        "current": corrections.shown_now(record),
        "versions": history_for(request.user, record),
        "may_correct": offer,
    }
    if offer:
        initial = {name: getattr(record, name) for name in record.CORRECTABLE_FIELDS}
        context["correct_form"] = correct_form or CORRECT_FORMS[kind](
            prefix="correct", initial=initial
        )
        context["withdraw_form"] = withdraw_form or WithdrawForm(prefix="withdraw")
    return render(request, "cases/history.html", context, status=status)


@requires(Perm.CASES_MANAGE)
def case_history(request, pk):
    """What a case's details (urgency, languages, city, summary) were before each edit."""
    case = case_for(request.user, pk)
    versions = case_history_for(request.user, case)
    context = {
        "kind": "case",
        "record": case,
        "case": case,
        "title": _("Case details"),
        "current": corrections.shown_now(case),
        "versions": versions,
        "may_correct": False,
    }
    return render(request, "cases/history.html", context)


@requires(Perm.CASES_VIEW)
def record_history(request, kind, pk):
    """A note, risk event or status step with its earlier versions (or its withdrawal): for
    those who may read it; 404 for everyone else, as for the record itself."""
    return _history_page(request, kind, correctable_for(request.user, kind, pk))


@require_POST
@requires(Perm.CASES_VIEW)
def record_correct(request, kind, pk):
    record = correctable_for(request.user, kind, pk)
    form = CORRECT_FORMS[kind](request.POST, prefix="correct")
    if form.is_valid():
        argument, correct, _withdraw = _CORRECTIONS[kind]
        try:
            correct(actor=request.user, **{argument: record}, **form.cleaned_data)
        except services.NothingChanged as problem:
            messages.info(request, str(problem))
            return redirect(f"cases:{kind}_history", pk=record.pk)
        except services.CaseError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("Corrected. The earlier version is kept in its history."))
            return redirect(f"{case_page_url(record.case)}#{kind}")
    return _history_page(request, kind, record, correct_form=form, status=400)


@require_POST
@requires(Perm.CASES_VIEW)
def record_withdraw(request, kind, pk):
    record = correctable_for(request.user, kind, pk)
    form = WithdrawForm(request.POST, prefix="withdraw")
    if form.is_valid():
        argument, _correct, withdraw = _CORRECTIONS[kind]
        try:
            withdraw(actor=request.user, **{argument: record}, **form.cleaned_data)
        except services.CaseError as problem:
            form.add_error(None, str(problem))
        else:
            if kind == "note":
                messages.success(
                    request,
                    _(
                        "The note was withdrawn; it is kept in its history. If it belongs to "
                        "another case, write it there."
                    ),
                )
            else:
                messages.success(request, _("Withdrawn. It is kept in its history."))
            return redirect(f"{case_page_url(record.case)}#{kind}")
    return _history_page(request, kind, record, withdraw_form=form, status=400)
