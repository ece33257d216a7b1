"""Who may open which case, and which side of it: the role cast, assigned and not."""

import pytest
from django.http import Http404

from waystation.accounts.policy import Side, case_sides
from waystation.cases import selectors, services
from waystation.cases.models import Note
from waystation.core.refusals import Forbidden

from .factories import make_case


@pytest.fixture
def cases(cast):
    return {
        "assigned": make_case(
            codename="amber-falcon-1", caseworker=cast["caseworker"], lawyer=cast["lawyer"]
        ),
        "other": make_case(codename="quiet-river-2"),
    }


def test_coordinator_holds_every_side_of_every_case(cast, cases):
    for case in cases.values():
        assert case_sides(cast["coordinator"], case) == frozenset(Side)


def test_caseworker_sees_only_assigned_cases_and_no_management(cast, cases):
    caseworker = cast["caseworker"]
    listed = {case.codename for case in selectors.cases_for(caseworker)}
    assert listed == {"amber-falcon-1"}
    assert case_sides(caseworker, cases["assigned"]) == {Side.CARE, Side.LEGAL, Side.IDENTITY}
    with pytest.raises(Http404):
        selectors.case_for(caseworker, cases["other"].pk)
    with pytest.raises(Http404):  # the same answer as for a case that does not exist
        selectors.case_for(caseworker, 999_999)


def test_lawyer_holds_only_the_legal_side_of_clients(cast, cases):
    lawyer = cast["lawyer"]
    assert case_sides(lawyer, cases["assigned"]) == {Side.LEGAL, Side.IDENTITY}
    assert case_sides(lawyer, cases["other"]) == frozenset()
    detail = selectors.case_detail(lawyer, cases["assigned"])
    assert "family" not in detail and "needs" not in detail and "services" not in detail
    assert "risks" in detail and "documents" in detail


@pytest.mark.parametrize("name", ["treasurer", "screener", "documentation_officer", "deactivated"])
def test_roles_without_cases_see_none(cast, cases, name):
    user = cast[name]
    assert list(selectors.cases_for(user)) == []
    for case in cases.values():
        assert case_sides(user, case) == frozenset()
        with pytest.raises(Http404):
            selectors.case_for(user, case.pk)
        with pytest.raises(Forbidden):  # they may open no case at all
            services.identity_reveal(actor=user, case=case, reason="contact")


def test_lawyer_reads_only_notes_marked_for_the_lawyer(cast, cases):
    case = cases["assigned"]
    services.note_add(actor=cast["caseworker"], case=case, text="Needs a warm coat")
    services.note_add(actor=cast["caseworker"], case=case, text="Hearing papers filed", legal=True)
    lawyer_notes = [note.text for note in selectors.case_detail(cast["lawyer"], case)["notes"]]
    assert lawyer_notes == ["Hearing papers filed"]
    caseworker_notes = selectors.case_detail(cast["caseworker"], case)["notes"]
    assert len(caseworker_notes) == 2
    # A lawyer's own note is always legal, so it never disappears from their view.
    note = services.note_add(actor=cast["lawyer"], case=case, text="Appeal drafted")
    assert Note.objects.get(pk=note.pk).legal is True


def test_lawyer_cannot_change_the_care_side(cast, cases):
    with pytest.raises(services.CaseAccessDenied):
        services.need_add(actor=cast["lawyer"], case=cases["assigned"], kind="housing")
    with pytest.raises(Forbidden):
        services.case_assign(
            actor=cast["caseworker"], case=cases["assigned"], caseworker=None, lawyer=None
        )


def test_only_coordinators_open_cases(cast):
    for name in ("caseworker", "lawyer", "treasurer"):
        with pytest.raises(Forbidden):
            services.case_create(actor=cast[name])
    assert services.case_create(actor=cast["coordinator"]).codename


def test_assignment_checks_the_roles(cast, cases):
    with pytest.raises(services.CaseError, match="caseworker role"):
        services.case_assign(
            actor=cast["coordinator"],
            case=cases["other"],
            caseworker=cast["treasurer"],
            lawyer=None,
        )
    with pytest.raises(services.CaseError, match="lawyer role"):
        services.case_assign(
            actor=cast["coordinator"],
            case=cases["other"],
            caseworker=None,
            lawyer=cast["deactivated"],
        )
