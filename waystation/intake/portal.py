"""The anonymous portal: no account, no JavaScript, nothing about the visitor's connection kept.

A visitor who sent a request, or typed its codename, holds the request's id in the session
(the only cookie, ending with the browser session) and nothing else.
"""

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from waystation.core.access import portal_view
from waystation.core.media import MediaRefused
from waystation.core.uploads import received_files, use_encrypting_uploads

from . import ratelimit, selectors, services
from .forms import CodenameForm, ReplyForm, RequestForm
from .models import IntakeRequest

_SESSION_KEY = "intake_request"

def _current_request(request) -> IntakeRequest | None:
    request_id = request.session.get(_SESSION_KEY)
    if not request_id:
        return None
    found = IntakeRequest.objects.filter(pk=request_id).first()
    if found is None:
        request.session.pop(_SESSION_KEY, None)
    return found


def _accept_uploads(request, action: str) -> bool:
    """Rate limit first; a visitor over the limit still gets the typed text back."""
    allowed = ratelimit.allowed(request, action)
    use_encrypting_uploads(
        request,
        max_bytes=settings.INTAKE_MAX_FILE_MB * 1024 * 1024,
        max_files=settings.INTAKE_MAX_FILES if allowed else 0,
    )
    return allowed


@portal_view
def start(request):
    return render(request, "intake/start.html", {"signed_in": _current_request(request)})


@portal_view
@csrf_exempt  # the upload handlers must be in place before CSRF reads the body
def request_new(request):
    allowed = _accept_uploads(request, "submit") if request.method == "POST" else True
    return _request_new(request, allowed)


@csrf_protect
def _request_new(request, allowed: bool):
    # Bound on every post, even an empty one: the errors below are added to it.
    form = RequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        files, refusals = received_files(request, "files")
        # Over the limit no file was received; one message says why, not one per file.
        problems = list(refusals) if allowed else [_too_many()]
        if form.is_valid() and not problems:
            data = form.cleaned_data
            try:
                created, codename = services.request_submit(
                    actor=services.PORTAL,
                    urgency=data["urgency"],
                    text=data["text"],
                    country=data["country"],
                    city=data["city"],
                    languages=data["languages"],
                    help_needed=data["help_needed"],
                    people_with=data["people_with"] or 0,
                    files=files,
                    keep_originals=data["keep_originals"],
                    consent_scope=data["consent_scope"],
                    codename_language=data["codename_language"],
                )
            except MediaRefused as refusal:
                problems.append(refusal.message)
            else:
                request.session.cycle_key()
                request.session[_SESSION_KEY] = str(created.pk)
                # The codename goes into this answer and nowhere else: not the session (its
                # table is not encrypted on PostgreSQL, and a page never loaded would leave
                # it there), not a redirect. Reloading asks to send the form again, which
                # the browser warns about.
                return render(
                    request,
                    "intake/codename.html",
                    {"words": codename.split(), "language": data["codename_language"]},
                )
        for problem in problems:
            form.add_error(None, problem)
        return _request_form(request, form, status=400)
    return _request_form(request, form)


def _request_form(request, form, status=200):
    limits = {"max_mb": settings.INTAKE_MAX_FILE_MB, "max_files": settings.INTAKE_MAX_FILES}
    return render(request, "intake/request_form.html", {"form": form, **limits}, status=status)


def _too_many() -> str:
    return _(
        "Too many requests are arriving right now. Wait an hour and send it again — your text "
        "is kept below; copy it somewhere safe if you must leave."
    )


@portal_view
@csrf_protect
def sign_in(request):
    form = CodenameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.allowed(request, "codename"):
            form.add_error(None, _too_many())
            return render(request, "intake/sign_in.html", {"form": form}, status=429)
        found = selectors.request_for_codename(form.cleaned_data["codename"])
        if found is not None:
            request.session.cycle_key()
            request.session[_SESSION_KEY] = str(found.pk)
            return redirect("intake:thread")
        # The same words whether the codename is wrong, mistyped or deleted.
        form.add_error(
            "codename", _("These words do not open a request. Check each word and try again.")
        )
        return render(request, "intake/sign_in.html", {"form": form}, status=400)
    return render(request, "intake/sign_in.html", {"form": form})


@portal_view
def thread(request):
    current = _current_request(request)
    if current is None:
        return redirect("intake:sign_in")
    return _thread_page(request, current, ReplyForm())


def _thread_page(request, current, form, status=200):
    messages = current.messages.prefetch_related("attachments")
    return render(
        request,
        "intake/thread.html",
        {"thread": current, "thread_messages": messages, "form": form},
        status=status,
    )


@portal_view
@csrf_exempt
@require_POST
def reply(request):
    allowed = _accept_uploads(request, "reply")
    return _reply(request, allowed)


@csrf_protect
def _reply(request, allowed: bool):
    current = _current_request(request)
    files, refusals = received_files(request, "files")
    if current is None:
        return redirect("intake:sign_in")
    form = ReplyForm(request.POST)
    problems = list(refusals) if allowed else [_too_many()]
    if form.is_valid() and not problems:
        try:
            services.requester_reply(
                actor=services.PORTAL,
                request=current,
                text=form.cleaned_data["text"],
                files=files,
                keep_originals=form.cleaned_data["keep_originals"],
                consent_scope=form.cleaned_data["consent_scope"],
            )
        except MediaRefused as refusal:
            problems.append(refusal.message)
        else:
            return redirect("intake:thread")
    for problem in problems:
        form.add_error(None, problem)
    return _thread_page(request, current, form, status=400)


@portal_view
@csrf_protect
def delete(request):
    current = _current_request(request)
    if current is None:
        return redirect("intake:sign_in")
    if request.method == "POST":
        services.request_delete_by_requester(actor=services.PORTAL, request=current)
        request.session.flush()
        return render(request, "intake/deleted.html")
    return render(
        request, "intake/delete.html", {"in_evidence": selectors.in_evidence(current)}
    )


@portal_view
@csrf_protect
@require_POST
def sign_out(request):
    request.session.flush()
    return redirect("intake:start")
