import pytest

from waystation.cases.tests.factories import make_case
from waystation.screening.demo import demo_screening
from waystation.screening.models import Outcome, Stage
from waystation.screening.selectors import status_of

from .factories import second_screener

pytestmark = pytest.mark.django_db


def test_demo_has_one_screening_in_progress_and_one_decided_by_two(cast):
    first, second = cast["screener"], second_screener()
    in_progress, decided = make_case(), make_case()
    demo_screening(first=first, second=second, in_progress=in_progress, decided=decided)
    assert status_of(in_progress.screening).stage == Stage.IN_PROGRESS
    status = status_of(decided.screening)
    assert (status.stage, status.outcome) == (Stage.DECIDED, Outcome.PROCEED_WITH_CONDITIONS)
    actors = {d.actor_id for d in decided.screening.decisions.all()}
    assert actors == {first.pk, second.pk}
