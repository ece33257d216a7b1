"""The dossier page of a case: choose, then download the PDF or the ZIP (or either encrypted to
the recipient's age key). Works without JavaScript; a form with a mistake comes back with what
was chosen and says what to fix."""

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache

from waystation.accounts.policy import Perm, requires
from waystation.cases.selectors import case_for

from . import selectors, services
from .contents import LANGUAGE_CODES
from .forms import DossierForm


@never_cache
@requires(Perm.DOSSIER_BUILD)
def dossier(request, pk):
    case = case_for(request.user, pk)
    offer = selectors.offer(request.user, case)
    if offer is None:
        raise Http404
    language = (get_language() or "en").split("-")[0]
    form = DossierForm(
        request.POST or None,
        pathways=offer.pathways,
        testimonies=offer.testimonies,
        items=offer.items,
        identity=offer.identity,
        initial={"language": language if language in LANGUAGE_CODES else "en"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            built = services.dossier_build(actor=request.user, case=case, choices=form.choices())
        except services.DossierRefused:
            raise
        except services.DossierError as problem:
            form.add_error(None, str(problem))
        else:
            response = StreamingHttpResponse(built.chunks, content_type=built.content_type)
            response["Content-Disposition"] = content_disposition_header(True, built.file_name)
            return response
    return render(
        request,
        "pathways/dossier.html",
        {"case": case, "form": form, "may_include_identity": offer.identity},
        status=400 if form.errors else 200,
    )
