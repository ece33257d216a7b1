"""The four-eyes decision: one screener proposes, a second one confirms; neither can skip the
reasons or the conflict-of-interest declaration; disagreement goes to a coordinator; a
reopening keeps the history."""

import re

import pytest
from django.urls import reverse

from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.core.refusals import Forbidden
from waystation.screening import selectors, services
from waystation.screening.models import Decision, DecisionKind, Outcome, Stage, State

from .factories import decided, interviewed, proposed, second_screener

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cast):
    return make_case(caseworker=cast["caseworker"], lawyer=cast["lawyer"])


@pytest.fixture
def screening(case, cast):
    return interviewed(case, cast["screener"])


def _url(name, case):
    return reverse(f"screening:{name}", args=[case.pk])


def _data(prefix, **fields):
    return {f"{prefix}-{name}": value for name, value in fields.items()}


def _propose_data(prefix="propose", **overrides):
    fields = {"outcome": Outcome.PROCEED, "reasons": "Consistent account.", "no_conflict": "on"}
    return _data(prefix, **{**fields, **overrides})


def test_one_screener_cannot_finalise_alone(client_for, case, screening):
    client = client_for("screener")
    response = client.post(_url("propose", case), _propose_data())
    assert response.status_code == 302
    status = selectors.status_of(screening)
    assert status.stage == Stage.AWAITING_CONFIRMATION and status.state == State.IN_PROGRESS
    page = client.get(_url("case", case)).content.decode()
    assert "You proposed this decision" in page
    # Even posting the review form directly is refused, and nothing becomes final.
    refused = client.post(
        _url("review", case),
        _data("review", verdict="confirm", reasons="Me again.", no_conflict="on"),
    )
    assert refused.status_code == 400
    assert "a second screener must" in refused.content.decode()
    assert selectors.status_of(screening).stage == Stage.AWAITING_CONFIRMATION
    assert not Decision.objects.filter(kind=DecisionKind.CONFIRMED).exists()


def test_the_same_person_cannot_be_first_and_second(cast, screening):
    proposed(screening, cast["screener"])
    with pytest.raises(services.ScreeningError, match="a second screener must"):
        services.decision_review(
            actor=cast["screener"], screening=screening, agree=True, reasons="ok", no_conflict=True
        )
    assert selectors.status_of(screening).state == State.IN_PROGRESS


def test_a_second_screener_makes_it_final(client_for, cast, case, screening):
    proposed(screening, cast["screener"], Outcome.REFER)
    second = second_screener()
    client = client_for("coordinator")
    client.force_login(second)
    response = client.post(
        _url("review", case), _data("review", verdict="confirm", reasons="Agree.", no_conflict="on")
    )
    assert response.status_code == 302
    status = selectors.status_of(screening)
    assert (status.state, status.outcome) == (State.DECIDED, Outcome.REFER)
    rows = AuditEvent.objects.filter(event=Audit.SCREENING_DECISION).order_by("seq")
    kinds = [row.data["kind"] for row in rows]
    assert kinds == ["proposed", "confirmed"]


def test_reasons_are_required_and_the_form_keeps_the_input(client_for, case, screening):
    response = client_for("screener").post(
        _url("propose", case),
        _propose_data(outcome=Outcome.PROCEED_WITH_CONDITIONS, reasons="  ", conditions="Weekly"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required" in page
    assert "Weekly" in page  # what was typed is still there
    assert re.search(
        r'<input type="radio" name="propose-outcome" value="conditions"[^>]*checked', page
    )
    assert not Decision.objects.exists()


def test_conditions_are_required_for_proceed_with_conditions(client_for, case, screening):
    response = client_for("screener").post(
        _url("propose", case), _propose_data(outcome=Outcome.PROCEED_WITH_CONDITIONS)
    )
    assert response.status_code == 400 and "Say which conditions apply" in response.content.decode()
    assert not Decision.objects.exists()


def test_conflict_of_interest_declaration_is_required(client_for, cast, case, screening):
    data = _propose_data()
    del data["propose-no_conflict"]
    response = client_for("screener").post(_url("propose", case), data)
    assert response.status_code == 400
    assert "Declare that you have no conflict of interest" in response.content.decode()
    assert not Decision.objects.exists()
    proposed(screening, cast["screener"])
    second = second_screener()
    with pytest.raises(services.ScreeningError, match="conflict of interest"):
        services.decision_review(
            actor=second, screening=screening, agree=True, reasons="ok", no_conflict=False
        )
    assert selectors.status_of(screening).stage == Stage.AWAITING_CONFIRMATION


def test_disagreement_reaches_the_coordinator(client_for, cast, case, screening):
    proposed(screening, cast["screener"], Outcome.PROCEED)
    second = second_screener()
    services.decision_review(
        actor=second,
        screening=screening,
        agree=False,
        reasons="His account of the night contradicts the testimony.",
        no_conflict=True,
    )
    assert selectors.status_of(screening).stage == Stage.DISAGREEMENT
    coordinator = client_for("coordinator")
    listing = coordinator.get(reverse("screening:disagreements")).content.decode()
    assert case.codename in listing
    queue = coordinator.get(reverse("screening:queue")).content.decode()
    assert case.codename in queue and "Disagreements for a coordinator" in queue
    # A screener cannot resolve it; the coordinator can, with reasons.
    data = _propose_data("resolve", outcome=Outcome.DECLINE, reasons="Serious reasons; decline.")
    assert client_for("screener").post(_url("resolve", case), data).status_code == 403
    assert coordinator.post(_url("resolve", case), data).status_code == 302
    status = selectors.status_of(screening)
    assert (status.state, status.outcome) == (State.DECIDED, Outcome.DECLINE)
    assert case.codename not in coordinator.get(reverse("screening:disagreements")).content.decode()


def test_reopening_keeps_the_history(client_for, cast, case, screening):
    second = second_screener()
    decided(screening, cast["screener"], second, Outcome.PROCEED)
    response = client_for("coordinator").post(
        _url("reopen", case), {"reopen-reasons": "New testimony names his unit."}
    )
    assert response.status_code == 302
    assert selectors.status_of(screening).state == State.IN_PROGRESS
    # Decided again, differently: every step is still there, in order.
    decided(screening, second, cast["screener"], Outcome.DECLINE)
    rows = list(screening.decisions.order_by("number").values_list("kind", "outcome"))
    assert rows == [
        ("proposed", "proceed"),
        ("confirmed", "proceed"),
        ("reopened", ""),
        ("proposed", "decline"),
        ("confirmed", "decline"),
    ]
    page = client_for("screener").get(_url("case", case)).content.decode()
    assert "New testimony names his unit." in page and "Reopened" in page
    reopened = AuditEvent.objects.filter(event=Audit.SCREENING_DECISION, data__kind="reopened")
    assert reopened.count() == 1


def test_a_screener_cannot_reopen_what_two_people_decided(client_for, cast, case, screening):
    decided(screening, cast["screener"], second_screener(), Outcome.PROCEED)
    client = client_for("screener")
    assert "Reopen the decision" not in client.get(_url("case", case)).content.decode()
    refused = client.post(_url("reopen", case), {"reopen-reasons": "I changed my mind."})
    assert refused.status_code == 403
    with pytest.raises(Forbidden, match=r"screening\.resolve"):  # a coordinator's permission
        services.decision_reopen(actor=cast["screener"], screening=screening, reasons="Mine.")
    assert selectors.status_of(screening).stage == Stage.DECIDED
    assert not Decision.objects.filter(kind=DecisionKind.REOPENED).exists()


def test_reopening_needs_reasons_and_a_final_decision(client_for, case, screening):
    client = client_for("coordinator")
    refused = client.post(_url("reopen", case), {"reopen-reasons": "Why not"})
    assert refused.status_code == 400 and "no longer at that step" in refused.content.decode()
    assert client.post(_url("reopen", case), {"reopen-reasons": ""}).status_code == 400
    assert not Decision.objects.exists()


def test_queue_shows_what_awaits_a_second_screener(client_for, cast, case, screening):
    other = make_case()
    proposed(screening, cast["screener"])
    page = client_for("screener").get(reverse("screening:queue")).content.decode()
    assert case.codename in page and "by you: another screener must confirm" in page
    assert other.codename in page  # not screened yet


def test_a_coordinator_who_took_part_cannot_resolve(cast, screening):
    from waystation.accounts.roles import Role
    from waystation.accounts.tests.factories import UserFactory

    both = UserFactory(username="both", roles=[Role.SCREENER, Role.COORDINATOR])
    proposed(screening, both)
    services.decision_review(
        actor=cast["screener"], screening=screening, agree=False, reasons="No.", no_conflict=True
    )
    with pytest.raises(services.ScreeningError, match="another coordinator must resolve"):
        services.decision_resolve(
            actor=both,
            screening=screening,
            outcome=Outcome.PROCEED,
            reasons="Mine.",
            no_conflict=True,
        )
    assert selectors.status_of(screening).stage == Stage.DISAGREEMENT
