"""One family of refusals (issue 20): every feature's refusal derives from
``core.refusals.Refusal``, and the two permission refusals are answered by Django in one place,
403 and 404, without a view catching them."""

import importlib
import pkgutil

import pytest
from django.test import override_settings
from django.urls import path
from django.utils.translation import gettext_lazy, ngettext_lazy

from waystation.cases.services import CaseAccessDenied, CaseError
from waystation.core.refusals import Forbidden, NotVisible, Refusal
from waystation.evidence import gate
from waystation.evidence.services import EvidenceError
from waystation.pathways.dossier.services import DossierError, DossierRefused
from waystation.pathways.services import CasePathwayError, PathwaysError, ProposalError

FEATURES = (
    "accounts",
    "cases",
    "evidence",
    "intake",
    "knowledge",
    "ledger",
    "outreach",
    "pathways",
    "screening",
)
# Exceptions in the features that are not a member's refusal: a bug, a task runner's signal.
NOT_REFUSALS = {
    "waystation.evidence.gate.GateBypassed",  # a writer handed what the gate did not release
    "waystation.outreach.tasks.ImportJobFailed",  # marks the task failed; the page says why
    "waystation.evidence.metadata.common.OverBudget",  # a parser's time or size limit, internal
}


def _feature_exceptions():
    found = {}
    for app in FEATURES:
        package = importlib.import_module(f"waystation.{app}")
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if ".tests" in info.name or ".migrations" in info.name:
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if (
                    isinstance(value, type)
                    and issubclass(value, BaseException)
                    and value.__module__ == module.__name__
                    and not name.startswith("_")
                ):
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


EXCEPTIONS = _feature_exceptions()


def test_the_features_define_refusals():
    assert "waystation.cases.errors.CaseError" in EXCEPTIONS
    assert len(EXCEPTIONS) > 10


@pytest.mark.parametrize("name", sorted(set(EXCEPTIONS) - NOT_REFUSALS))
def test_every_feature_exception_is_a_refusal(name):
    """Found in the modules, so a new exception class is covered without being listed."""
    assert issubclass(EXCEPTIONS[name], Refusal), f"{name} should subclass core.refusals.Refusal"


def test_one_root_per_app_and_the_access_refusals_are_403_or_404():
    assert issubclass(ProposalError, PathwaysError)
    assert issubclass(CasePathwayError, PathwaysError)
    assert issubclass(DossierError, PathwaysError)
    assert issubclass(CaseAccessDenied, NotVisible)
    assert not issubclass(CaseAccessDenied, CaseError)  # `except CaseError` never swallows it
    assert issubclass(DossierRefused, NotVisible)
    assert issubclass(gate.Refused, Forbidden) and issubclass(gate.Refused, EvidenceError)


def test_a_refusal_reads_its_message_in_the_language_active_when_read():
    from django.utils import translation

    refusal = Refusal(
        ngettext_lazy("%(count)d file is too big.", "%(count)d files are too big.", "count"),
        count=2,
    )
    assert str(refusal) == "2 files are too big."
    lazy = Refusal(gettext_lazy("Choose at least one role."))
    with translation.override("de"):
        german = str(lazy)
    assert german != "Choose at least one role." and german  # translated when read
    assert str(CaseAccessDenied(5)) == "5"


def _raise(exception):
    def view(request):
        raise exception

    return view


urlpatterns = [
    path("forbidden/", _raise(Forbidden("cases.manage"))),
    path("not-visible/", _raise(NotVisible())),
    path("case-hidden/", _raise(CaseAccessDenied(7))),
    path("gate-refused/", _raise(gate.Refused("screening holds the case"))),
]


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("url", "status"),
    [("/forbidden/", 403), ("/not-visible/", 404), ("/case-hidden/", 404), ("/gate-refused/", 403)],
)
def test_an_uncaught_refusal_is_answered_403_or_404(client_for, url, status):
    response = client_for("coordinator").get(url)
    assert response.status_code == status
    assert b"Traceback" not in response.content
