"""The member's pages for his API tokens: list, create (the token shown once, on the answer to
the form, never again), revoke."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, requires
from waystation.core.refusals import Refusal

from . import services
from .forms import TokenForm
from .selectors import token_get_for, tokens_visible


@requires(Perm.SIGNED_IN)
def token_list(request):
    form = TokenForm(request.POST or None, member=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.token_create(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
            )
        except Refusal as refused:
            form.add_error(None, str(refused))
        else:
            return render(
                request, "api/token_created.html",
                {"title": _("Token created"), "token": token, "raw": raw},
            )
    tokens = tokens_visible(request.user).filter(user=request.user)
    return render(
        request, "api/tokens.html", {"title": _("API tokens"), "form": form, "tokens": tokens}
    )


@require_POST
@requires(Perm.SIGNED_IN)
def token_revoke(request, pk):
    token = token_get_for(request.user, pk)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens:list")
