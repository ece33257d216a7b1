"""The web import of a list of people, for coordinators: upload → preview (how the file was
read, which column holds what — all changeable —, every refused row with every reason, the
first cases as they would be opened) → confirm or cancel. The upload waits in the encrypted
blob store between the steps (core/spreadsheets/web.py) and is deleted at the end.

Values of the columns that name a person are never shown: the preview says "filled"."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, requires
from waystation.core import spreadsheets as sheets
from waystation.core.spreadsheets.web import (
    PendingImport,
    build_preview,
    chosen_mode,
    preview_to_confirm,
    rejected_summary,
    upload_refusal,
)

from ..forms import PeopleUploadForm
from ..models import NeedKind, Status, Urgency, choice_label
from ..services import CaseError
from . import planning, services
from .schema import IDENTITY_NAMES, PEOPLE
from .values import RELATION_LABELS

_KIND = "cases"
_PREVIEW_ROWS = 30


@never_cache
@requires(Perm.CASES_MANAGE)
def import_upload(request):
    pending = PendingImport(request, _KIND)
    posted = request.method == "POST"
    form = PeopleUploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        refusal=upload_refusal(request, request.FILES.get("file")) if posted else None,
    )
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            sheets.read_grid(data)  # refuse what is not a spreadsheet at once
        except sheets.SpreadsheetError as problem:
            form.add_error("file", str(problem))
        else:
            pending.start(data, upload.name)
            return redirect("cases:import_preview")
    return render(
        request,
        "cases/import_upload.html",
        {"form": form, "rejected": pending.rejected},
        status=400 if form.errors else 200,
    )


def _family_text(members) -> str:
    counted: dict[str, list] = {}
    for relation, age in members:
        counted.setdefault(relation, []).append(age)
    parts = []
    for relation, ages in counted.items():
        label = str(RELATION_LABELS[relation])
        known = [str(age) for age in ages if age is not None]
        text = f"{len(ages)} × {label}" if len(ages) > 1 else label
        parts.append(f"{text} ({', '.join(known)})" if known else text)
    return ", ".join(parts)


def _shown(record) -> dict:
    """One record as the preview shows it: the case's fields in the reader's language, and
    for the identity only which vault fields are filled."""
    values = record.values
    arrival = values.get("arrival")
    return {
        "line": record.line,
        "codename": values.get("codename") or "",
        "city": values.get("city") or "",
        "status": choice_label(Status, values.get("status") or Status.IN_TRANSIT),
        "urgency": choice_label(Urgency, values.get("urgency") or Urgency.WATCH),
        "needs": ", ".join(
            note if kind == NeedKind.OTHER and note else str(choice_label(NeedKind, kind))
            for kind, note in values.get("needs") or ()
        ),
        "family": _family_text(values.get("family") or ()),
        "arrival": arrival,
        "languages": values.get("languages") or "",
        "has_note": bool(values.get("notes")),
        "identity": [str(f.label) for f in PEOPLE.fields if f.sensitive and values.get(f.name)],
    }


def _identity_headers(sheet: dict) -> list[str]:
    columns = {column["index"]: column for column in sheet.get("columns", [])}
    return [
        f"{columns[field['column']]['letter']}: {columns[field['column']]['header']}"
        for field in sheet.get("fields", [])
        if field["name"] in IDENTITY_NAMES and field["column"] in columns
    ]


@never_cache
@requires(Perm.CASES_MANAGE)
def import_preview(request):
    pending = PendingImport(request, _KIND)
    if not pending:
        return redirect("cases:import")
    if request.method == "POST":  # "Check again" with the user's corrections
        for problem in pending.correct(request.POST, PEOPLE):
            messages.error(request, problem)
        return redirect("cases:import_preview")
    preview = build_preview(pending, PEOPLE, review=planning.review)
    context = preview.context()
    plan = preview.plan
    records = plan.records[:_PREVIEW_ROWS] if plan else []
    context.update(
        {
            "confirm_url": reverse("cases:import_confirm"),
            "cancel_url": reverse("cases:import_cancel"),
            "preview": [_shown(record) for record in records],
            "more": (len(plan.records) - len(records)) if plan else 0,
            "identity_columns": _identity_headers(context["sheet"]),
            "may_fill_vault": planning.may_fill_vault(request.user),
        }
    )
    return render(request, "cases/import_preview.html", context)


@require_POST
@requires(Perm.CASES_MANAGE)
def import_confirm(request):
    pending = PendingImport(request, _KIND)
    mode = chosen_mode(request.POST)
    preview, problem = preview_to_confirm(pending, PEOPLE, review=planning.review)
    if preview is None:
        messages.error(request, problem)
        return redirect("cases:import_preview" if pending else "cases:import")
    plan = preview.plan
    try:
        result = services.cases_import(
            actor=request.user, plan=plan, filename=pending.filename, mode=mode
        )
    except (CaseError, sheets.ImportRefused) as problem:
        messages.error(request, str(problem))
        return redirect("cases:import_preview")
    pending.finish(plan, mode)
    messages.success(
        request,
        ngettext(
            "%(count)d case opened from the list (%(identities)d with identity details in "
            "the vault).",
            "%(count)d cases opened from the list (%(identities)d with identity details in "
            "the vault).",
            result.cases,
        )
        % {"count": result.cases, "identities": result.identities},
    )
    if pending.rejected:
        messages.warning(request, rejected_summary(result.rejected))
        return redirect("cases:import")
    return redirect("cases:list")


@never_cache
@requires(Perm.CASES_MANAGE)
def import_rejected(request):
    """The rows a "good rows" import left out, as a file in the format they came in. They
    hold the people's names as written: given once, to the session that imported, and then
    deleted from the store."""
    pending = PendingImport(request, _KIND)
    response = pending.rejected_response()
    if response is None:
        raise Http404
    pending.discard()
    return response


@require_POST
@requires(Perm.CASES_MANAGE)
def import_cancel(request):
    pending = PendingImport(request, _KIND)
    had_file = bool(pending)
    pending.discard()
    if had_file:
        messages.info(request, _("The import was cancelled; nothing was written."))
        return redirect("cases:list")
    return redirect("cases:import")
