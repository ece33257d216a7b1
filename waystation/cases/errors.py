"""The cases' refusal root and the one rule other apps ask before they add to a case: whether
it was transferred to a partner group (then it is kept read-only here). In a module of its own,
not in ``services``, so that evidence can ask it without taking a service's door."""

from django.utils.translation import gettext as _

from waystation.core.refusals import Refusal


class CaseError(Refusal):
    """A refusal with a message for the user; nothing was written."""


class CaseTransferred(CaseError):
    """The case went to a partner group (an accepted transfer): kept here read-only."""


def require_open(case) -> None:
    """Refuse any change to a case whose transfer a partner accepted: what was handed over
    stays as it was sent; the work goes on at the partner's."""
    if case.transferred_at is not None:
        raise CaseTransferred(
            _(
                "This case was transferred to %(partner)s on %(date)s and is kept here "
                "read-only; the work on it goes on at the partner's."
            )
            % {"partner": case.transferred_to, "date": case.transferred_at.date().isoformat()}
        )
