from csp.decorators import csp_update
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, requires

from .forms import PeriodForm
from .statistics import months_chart, no_answer_chart, outreach_statistics, rate_chart

_GROUP_TITLES = {
    "kind": lambda: _("Answered, by kind of organisation"),
    "country": lambda: _("Answered, by country"),
    "channel": lambda: _("Answered, by channel"),
}


def _period(request) -> dict:
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return {"since": form.cleaned_data["since"], "until": form.cleaned_data["until"]}, form
    return {}, form


@requires(Perm.OUTREACH_VIEW)
def statistics(request):
    period, form = _period(request)
    figures = outreach_statistics(request.user, **period)
    groups = [(name, title(), figures[name]) for name, title in _GROUP_TITLES.items()]
    return render(
        request,
        "outreach/statistics.html",
        {
            "form": form,
            "figures": figures,
            "groups": groups,
            "query": request.GET.urlencode(),
        },
    )


# The chart is an image: its own inline <style> (pygal's) is allowed here and nowhere else.
@csp_update({"style-src": ["'unsafe-inline'"]})
@requires(Perm.OUTREACH_VIEW)
def chart(request, name):
    period, _form = _period(request)
    figures = outreach_statistics(request.user, **period)
    if name == "months":
        svg = months_chart(figures["months"])
    elif name == "no-answer":
        svg = no_answer_chart(figures["no_answer"])
    elif name in _GROUP_TITLES:
        svg = rate_chart(figures[name], _GROUP_TITLES[name]())
    else:
        raise Http404
    return HttpResponse(svg, content_type="image/svg+xml")
