"""Readiness of a case for the pathways of the shipped catalogue: met, partly met and missing
per criterion against what the case holds; the comparison; gaps made into tasks; who may see."""

from datetime import date

import pytest
from django.urls import reverse

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases import services as case_services
from waystation.cases.models import (
    Document,
    DocumentKind,
    DocumentState,
    FamilyMember,
    RiskEvent,
    RiskKind,
    Task,
)
from waystation.cases.services import CaseAccessDenied
from waystation.cases.tests.factories import make_case
from waystation.core.refusals import Forbidden
from waystation.evidence.models import Item, ItemKind, Testimony, Verification
from waystation.pathways import catalogue, readiness, selectors, services
from waystation.pathways.catalogue import Criterion
from waystation.pathways.models import CasePathway, EvidenceMark, GapTask
from waystation.pathways.readiness import NOT_RECORDED, State
from waystation.pathways.vocabulary import EvidenceKind

MET, PARTIAL, MISSING = State.MET, State.PARTIAL, State.MISSING


@pytest.fixture
def shipped_catalogue():
    catalogue.current.cache_clear()
    yield catalogue.current()
    catalogue.current.cache_clear()


def add_item(case, kind, verification=Verification.UNVERIFIED):
    return Item.objects.create(
        case=case,
        kind=kind,
        blob="0" * 64,
        sha256="0" * 64,
        size=1,
        media_type="application/octet-stream",
        verification=verification,
    )


def add_testimony(case, user, withdrawn=None):
    return Testimony.objects.create(
        case=case,
        interviewer=user,
        recorded_by=user,
        language="ru",
        consent_withdrawn_on=withdrawn,
    )


@pytest.fixture
def held_case(cast):
    """A case holding a little of everything, some of it only in weak forms."""
    case = make_case(caseworker=cast["caseworker"], lawyer=cast["lawyer"])
    Document.objects.create(
        case=case, kind=DocumentKind.INTERNAL_PASSPORT, state=DocumentState.EXPIRED
    )
    Document.objects.create(case=case, kind=DocumentKind.MILITARY_ID, state=DocumentState.MISSING)
    Document.objects.create(case=case, kind=DocumentKind.RESIDENCE_PERMIT, state=DocumentState.HELD)
    RiskEvent.objects.create(case=case, kind=RiskKind.WANTED, on=date(2025, 3, 1))
    FamilyMember.objects.create(case=case, relation="wife", age=30)
    add_testimony(case, cast["documentation_officer"])
    add_testimony(case, cast["documentation_officer"], withdrawn=date(2025, 5, 1))
    add_item(case, ItemKind.ID_SCAN)
    add_item(case, ItemKind.CHAT_EXPORT, Verification.DISPUTED)
    return case


# Written by hand from the YAML files and the rules in readiness.py's docstring.
EXPECTED = {
    "de-aufenthg-22": {
        "anti_war_work": MISSING,  # no proof of anti-war activity, nothing marked as such
        "individual_danger": MET,  # the wanted listing, recorded as a risk event
        "danger_in_current_country": MET,  # the wanted listing; the residence permit
        "connection_to_germany": PARTIAL,  # a wife recorded, no papers; sponsors unrecorded
        "identity": PARTIAL,  # an expired passport and a scan of an ID
    },
    "de-asylum": {
        "presence_in_germany": PARTIAL,  # a residence permit shows presence weakly
        "germany_responsible": PARTIAL,
        "well_founded_fear": MET,
        "refusal_of_service": PARTIAL,  # the military ID is missing; a scan and a statement
        "no_exclusion": PARTIAL,  # the person's statement alone
    },
    "ca-private-sponsorship": {
        "sponsor": MISSING,  # never recorded in Waystation
        "refugee_definition": MET,
        "refugee_recognition": MISSING,  # no UNHCR registration, no other paper
        "no_durable_solution": MET,  # the residence permit
        "admissible": PARTIAL,
        "identity": PARTIAL,
    },
}


@pytest.mark.parametrize("pathway_id", sorted(EXPECTED))
def test_readiness_matches_a_hand_written_expectation(shipped_catalogue, held_case, pathway_id):
    pathway = shipped_catalogue.get(pathway_id)
    result = readiness.assess(pathway, readiness.gather(held_case))
    assert {c.criterion.id: c.state for c in result.criteria} == EXPECTED[pathway_id]


def test_supports_name_what_is_held_and_how_strongly(shipped_catalogue, held_case):
    result = readiness.assess(shipped_catalogue.get("de-aufenthg-22"), readiness.gather(held_case))
    by_id = {c.criterion.id: c for c in result.criteria}
    identity = by_id["identity"]
    assert [s.strong for s in identity.supports] == [False, False]
    assert any("Internal passport" in s.label and "Expired" in s.label for s in identity.supports)
    assert any("Scan of an ID" in s.label for s in identity.supports)
    danger = by_id["individual_danger"]
    assert danger.supports[0].strong and "Wanted listing" in danger.supports[0].label
    # The withdrawn testimony counts for nothing: one statement only.
    assert sum("Testimony" in s.label for s in danger.supports) == 1
    assert by_id["connection_to_germany"].unrecorded == (EvidenceKind.SPONSOR,)


def test_a_statement_is_strong_only_where_nothing_else_is_asked(cast):
    case = make_case(caseworker=cast["caseworker"])
    add_testimony(case, cast["documentation_officer"])
    held = readiness.gather(case)
    alone = Criterion("statement", {"en": "A statement"}, ("testimony",))
    among = Criterion("fear", {"en": "Fear"}, ("testimony", "wanted_listing"))
    assert readiness.assess_criterion(alone, held).state == MET
    assert readiness.assess_criterion(among, held).state == PARTIAL


def test_strong_forms_make_a_criterion_met(cast):
    case = make_case(caseworker=cast["caseworker"])
    crit = Criterion("c", {"en": "c"}, ("identity_document", "threat_evidence"))
    assert readiness.assess_criterion(crit, readiness.gather(case)).state == MISSING
    add_item(case, ItemKind.CHAT_EXPORT, Verification.UNVERIFIED)
    assert readiness.assess_criterion(crit, readiness.gather(case)).state == PARTIAL
    add_item(case, ItemKind.CHAT_EXPORT, Verification.CORROBORATED)
    assert readiness.assess_criterion(crit, readiness.gather(case)).state == MET


def test_every_evidence_kind_is_mapped_or_said_to_be_unrecorded():
    mapped = set(NOT_RECORDED) | {EvidenceKind.TESTIMONY, EvidenceKind.FAMILY_TIE}
    for table in (readiness.DOCUMENTS, readiness.RISKS, readiness.ITEMS):
        mapped |= {kind for rows in table.values() for kind, _strong in rows}
    mapped |= set(readiness.MARKABLE)
    assert mapped == set(EvidenceKind)
    # Every kind a case records can be shown by a marked item; nothing else can.
    assert set(readiness.MARKABLE) == set(EvidenceKind) - NOT_RECORDED - {EvidenceKind.TESTIMONY}
    assert set(readiness.DOCUMENTS) == set(DocumentKind)
    assert set(readiness.RISKS) == set(RiskKind)


def test_comparison_ranks_by_met_then_partly_met(shipped_catalogue, held_case):
    held = readiness.gather(held_case)
    chosen, others = selectors.readiness_compared(shipped_catalogue, held, {"de-asylum"})
    assert [r.pathway.id for r in chosen] == ["de-asylum"]
    keys = [(-r.met, -r.partial, r.missing) for r in others]
    assert keys == sorted(keys)
    ids = [r.pathway.id for r in others]
    # 2 met and 2 partly met ranks above 2 met, 2 partly met and 2 missing.
    assert ids.index("de-aufenthg-22") < ids.index("ca-private-sponsorship")
    assert len(chosen) + len(others) == len(shipped_catalogue.pathways)


def test_comparison_page_lists_chosen_first_and_links_each_checklist(
    client_for, cast, shipped_catalogue, held_case
):
    client = client_for("caseworker")
    url = reverse("pathways:case_comparison", kwargs={"case": held_case.pk})
    response = client.post(
        reverse("pathways:case_choose", kwargs={"case": held_case.pk}),
        {"choose-pathway": "ca-private-sponsorship", "choose-note": "Has a sponsor group"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(event=Event.PATHWAY_CHOSEN).count() == 1
    page = client.get(url).content.decode()
    chosen_section, others_section = page.split('id="others"')
    readiness_of = reverse(
        "pathways:case_readiness",
        kwargs={"case": held_case.pk, "pathway": "ca-private-sponsorship"},
    )
    assert readiness_of in chosen_section and readiness_of not in others_section
    assert (
        reverse("pathways:case_readiness", kwargs={"case": held_case.pk, "pathway": "de-asylum"})
        in others_section
    )
    assert "Check before relying on it." in page
    again = client.post(
        reverse("pathways:case_choose", kwargs={"case": held_case.pk}),
        {"choose-pathway": "ca-private-sponsorship"},
    )
    assert again.status_code == 400  # no longer offered: it is chosen
    assert CasePathway.objects.filter(case=held_case).count() == 1


def test_a_gap_becomes_one_task_and_a_second_click_none(
    client_for, cast, shipped_catalogue, held_case
):
    client = client_for("lawyer")
    kwargs = {"case": held_case.pk, "pathway": "de-aufenthg-22"}
    gap = reverse("pathways:gap_task", kwargs={**kwargs, "criterion": "identity"})
    assert client.post(gap).status_code == 302
    assert not Task.objects.filter(case=held_case).exists()  # not chosen yet: refused
    client.post(
        reverse("pathways:case_choose", kwargs={"case": held_case.pk}),
        {"choose-pathway": "de-aufenthg-22"},
    )
    assert client.post(gap).status_code == 302
    assert client.post(gap).status_code == 302
    task = Task.objects.get(case=held_case)
    assert task.title.startswith("Obtain: Identity document")
    # The criterion by its number in the pathway (its id is a word for the files).
    assert task.title.endswith(", criterion 5") and task.created_by == cast["lawyer"]
    assert GapTask.objects.get().task == task
    assert AuditEvent.objects.filter(event=Event.PATHWAY_GAP_TASK).count() == 1
    page = client.get(reverse("pathways:case_readiness", kwargs=kwargs)).content.decode()
    assert task.title in page
    # A met criterion has no gap to make a task of.
    met = reverse("pathways:gap_task", kwargs={**kwargs, "criterion": "individual_danger"})
    client.post(met)
    assert Task.objects.filter(case=held_case).count() == 1
    # Once the task is done, the gap (still open) can be made a task again.
    case_services.task_mark_done(actor=cast["lawyer"], task=task)
    client.post(gap)
    assert Task.objects.filter(case=held_case).count() == 2


def test_removing_a_pathway_is_audited_and_keeps_its_tasks(client_for, cast, held_case):
    client = client_for("coordinator")
    client.post(
        reverse("pathways:case_choose", kwargs={"case": held_case.pk}),
        {"choose-pathway": "de-asylum"},
    )
    client.post(
        reverse(
            "pathways:gap_task",
            kwargs={"case": held_case.pk, "pathway": "de-asylum", "criterion": "no_exclusion"},
        )
    )
    client.post(
        reverse("pathways:case_remove", kwargs={"case": held_case.pk, "pathway": "de-asylum"})
    )
    assert not CasePathway.objects.filter(case=held_case).exists()
    assert Task.objects.filter(case=held_case).count() == 1
    assert AuditEvent.objects.filter(event=Event.PATHWAY_REMOVED).count() == 1


def _urls(case):
    kwargs = {"case": case.pk, "pathway": "de-asylum"}
    return [
        reverse("pathways:case_comparison", kwargs={"case": case.pk}),
        reverse("pathways:case_readiness", kwargs=kwargs),
    ]


@pytest.mark.parametrize(
    "name,expected",
    [
        ("coordinator", 200),
        ("caseworker", 404),  # not assigned to this case: the same as a missing case
        ("lawyer", 404),
        ("documentation_officer", 403),
        ("screener", 403),
        ("treasurer", 403),
        ("deactivated", 302),  # signed out: to the login page
    ],
)
def test_who_may_see_readiness(client_for, cast, shipped_catalogue, name, expected):
    case = make_case()  # assigned to nobody
    client = client_for(name)
    for url in _urls(case):
        assert client.get(url).status_code == expected, url
    choose = client.post(
        reverse("pathways:case_choose", kwargs={"case": case.pk}), {"choose-pathway": "de-asylum"}
    )
    assert choose.status_code == (302 if expected == 200 else expected)
    assert CasePathway.objects.exists() is (expected == 200)


def test_assigned_members_see_and_change_their_cases(client_for, cast, held_case):
    for name in ("caseworker", "lawyer"):
        client = client_for(name)
        for url in _urls(held_case):
            assert client.get(url).status_code == 200
    response = client_for("lawyer").post(
        reverse("pathways:case_choose", kwargs={"case": held_case.pk}),
        {"choose-pathway": "de-asylum"},
    )
    assert response.status_code == 302


def test_the_family_counts_only_for_those_who_see_the_care_side(client_for, held_case):
    url = reverse(
        "pathways:case_readiness", kwargs={"case": held_case.pk, "pathway": "de-aufenthg-22"}
    )
    assert "Family members recorded: 1" in client_for("caseworker").get(url).content.decode()
    assert "Family members recorded" not in client_for("lawyer").get(url).content.decode()


def test_readiness_pages_reveal_no_identity_and_need_no_script(client_for, cast, held_case):
    case_services.identity_save(
        actor=cast["coordinator"], case=held_case, legal_name="Ivan Zabolotny", phone="+7999"
    )
    reveals = AuditEvent.objects.filter(event=Event.IDENTITY_REVEALED).count()
    client = client_for("caseworker")
    for url in _urls(held_case):
        page = client.get(url).content.decode()
        assert "Zabolotny" not in page and "+7999" not in page
        assert "<script" not in page
        assert "Check before relying on it." in page
    assert AuditEvent.objects.filter(event=Event.IDENTITY_REVEALED).count() == reveals


def test_the_case_page_and_the_pathway_page_link_to_readiness(client_for, cast, held_case):
    client = client_for("caseworker")
    comparison = reverse("pathways:case_comparison", kwargs={"case": held_case.pk})
    assert (
        comparison
        in client.get(reverse("cases:case", kwargs={"pk": held_case.pk})).content.decode()
    )
    response = client.get(
        reverse("pathways:case_lookup", kwargs={"pathway": "de-asylum"}),
        {"codename": held_case.codename},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "pathways:case_readiness", kwargs={"case": held_case.pk, "pathway": "de-asylum"}
    )
    other = make_case()
    refused = client.get(
        reverse("pathways:case_lookup", kwargs={"pathway": "de-asylum"}),
        {"codename": other.codename},
    )
    assert refused.status_code == 302 and str(other.pk) not in refused["Location"]


def _fill(case, user, n):
    for _ in range(n):
        add_item(case, ItemKind.ID_SCAN)
        add_testimony(case, user)
        FamilyMember.objects.create(case=case, relation="son")
        RiskEvent.objects.create(case=case, kind=RiskKind.DETENTION, on=date(2025, 1, 1))


@pytest.mark.parametrize("view", ["case_comparison", "case_readiness"])
def test_query_count_does_not_grow_with_what_the_case_holds(
    client_for, cast, held_case, django_assert_max_num_queries, view
):
    client = client_for("caseworker")
    CasePathway.objects.create(case=held_case, pathway_id="de-asylum")
    kwargs = {"case": held_case.pk}
    if view == "case_readiness":
        kwargs["pathway"] = "de-asylum"
    url = reverse(f"pathways:{view}", kwargs=kwargs)
    client.get(url)  # warm the catalogue
    _fill(held_case, cast["documentation_officer"], 2)
    with django_assert_max_num_queries(14) as few:
        assert client.get(url).status_code == 200
    _fill(held_case, cast["documentation_officer"], 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_demo_case_shows_all_three_states(db, shipped_catalogue):
    from waystation.cases.models import Case
    from waystation.demo import demo_populate

    assert demo_populate(cases=1)
    case = Case.objects.get(codename="amber-falcon-27")
    held = readiness.gather(case)
    states = set()
    for chosen in CasePathway.objects.filter(case=case):
        result = readiness.assess(shipped_catalogue.get(chosen.pathway_id), held)
        states |= {c.state for c in result.criteria}
    assert states == {MET, PARTIAL, MISSING}
    assert GapTask.objects.filter(case=case).count() == 1


# -- Germany's § 22: what the embassy's answer asks for, and how a case shows it --------------


def test_the_german_humanitarian_admission_asks_what_the_embassy_asks(shipped_catalogue):
    """ "We require documentary evidence of your active work against the war, as well as
    evidence that you are being threatened by the Russian authorities ... You also have to prove
    your connections to Germany" — plus the identity every application needs."""
    pathway = shipped_catalogue.get("de-aufenthg-22")
    by_id = {c.id: c for c in pathway.criteria}
    assert pathway.criteria[0].id == "anti_war_work"
    assert by_id["anti_war_work"].evidence == ("anti_war_activity",)
    assert "active work against the war" in by_id["anti_war_work"].text["en"]
    assert "активной деятельности" in by_id["anti_war_work"].text["ru"]
    assert "aktive Engagement der Person gegen den Krieg" in by_id["anti_war_work"].text["de"]
    assert "threaten" in by_id["individual_danger"].text["en"]
    assert "Russian authorities" in by_id["individual_danger"].text["en"]
    assert "connection_to_country" in by_id["connection_to_germany"].evidence
    assert "other" not in by_id["connection_to_germany"].evidence  # any paper is no tie
    assert by_id["identity"].evidence == ("identity_document",)


def _state(case, criterion_id, pathway_id="de-aufenthg-22"):
    pathway = catalogue.current().get(pathway_id)
    result = readiness.assess(pathway, readiness.gather(case))
    return next(c for c in result.criteria if c.criterion.id == criterion_id)


def test_anti_war_work_is_met_by_papers_held(cast, shipped_catalogue):
    case = make_case(caseworker=cast["caseworker"])
    assert _state(case, "anti_war_work").state == MISSING
    paper = Document.objects.create(
        case=case, kind=DocumentKind.ANTI_WAR_ACTIVITY, state=DocumentState.CONFISCATED
    )
    assert _state(case, "anti_war_work").state == PARTIAL
    paper.state = DocumentState.HELD
    paper.save()
    found = _state(case, "anti_war_work")
    assert found.state == MET
    assert found.supports[0].label == "Document: Proof of anti-war activity (Held)"


def test_a_marked_item_counts_as_strongly_as_it_was_checked(cast, shipped_catalogue):
    case = make_case(caseworker=cast["caseworker"])
    video = add_item(case, ItemKind.VIDEO)
    services.evidence_mark(
        actor=cast["caseworker"], case=case, item=video, kind=EvidenceKind.ANTI_WAR_ACTIVITY
    )
    found = _state(case, "anti_war_work")
    assert found.state == PARTIAL  # unverified
    assert found.supports[0].mark == EvidenceMark.objects.get().pk
    assert "Evidence item: Video, Unverified" in found.supports[0].label
    for verification, state in (
        (Verification.CORROBORATED, MET),
        (Verification.VERIFIED, MET),
        (Verification.DISPUTED, MISSING),
    ):
        Item.objects.filter(pk=video.pk).update(verification=verification)
        assert _state(case, "anti_war_work").state == state
    # The mark says what the item shows for every pathway, not for this criterion alone.
    Item.objects.filter(pk=video.pk).update(verification=Verification.VERIFIED)
    assert _state(case, "link_to_ground", "eu-military-service-refusal").state == MET
    # A letter from an organisation in Germany marked as a tie to the country.
    letter = add_item(case, ItemKind.DOCUMENT, Verification.CORROBORATED)
    assert _state(case, "connection_to_germany").state == MISSING
    services.evidence_mark(
        actor=cast["caseworker"], case=case, item=letter, kind=EvidenceKind.CONNECTION_TO_COUNTRY
    )
    assert _state(case, "connection_to_germany").state == MET


def test_marking_needs_the_legal_side_and_a_kind_a_case_records(cast, shipped_catalogue):
    case = make_case(caseworker=cast["caseworker"])
    photo = add_item(case, ItemKind.PHOTO)
    for name in ("documentation_officer", "treasurer", "screener"):
        with pytest.raises(Forbidden):  # none of them opens cases
            services.evidence_mark(
                actor=cast[name], case=case, item=photo, kind=EvidenceKind.THREAT_EVIDENCE
            )
    for kind in (EvidenceKind.TESTIMONY, EvidenceKind.SPONSOR, "hearsay"):
        with pytest.raises(services.CasePathwayError):
            services.evidence_mark(actor=cast["caseworker"], case=case, item=photo, kind=kind)
    elsewhere = add_item(make_case(caseworker=cast["caseworker"]), ItemKind.PHOTO)
    with pytest.raises(CaseAccessDenied):  # an item of another case
        services.evidence_mark(
            actor=cast["caseworker"], case=case, item=elsewhere, kind=EvidenceKind.THREAT_EVIDENCE
        )
    assert not EvidenceMark.objects.exists()
    assert not AuditEvent.objects.filter(event=Event.PATHWAY_EVIDENCE_MARKED).exists()


def test_marking_from_the_checklist_and_taking_it_back(client_for, cast, shipped_catalogue):
    case = make_case(lawyer=cast["lawyer"])
    video = add_item(case, ItemKind.VIDEO, Verification.VERIFIED)
    video.original_name = "protest-tverskaya.mp4"
    video.save(update_fields=["original_name"])
    kwargs = {"case": case.pk, "pathway": "de-aufenthg-22"}
    page_url = reverse("pathways:case_readiness", kwargs=kwargs)
    mark_url = reverse("pathways:evidence_mark", kwargs={**kwargs, "criterion": "anti_war_work"})
    client = client_for("lawyer")
    page = client.get(page_url).content.decode()
    assert f'action="{mark_url}"' in page
    assert "protest-tverskaya.mp4 · Video" in page  # the item, as the form offers it
    assert 'name="kind" value="anti_war_activity"' in page  # the criterion's only kind

    # A kind the criterion does not name is refused, and nothing is marked.
    response = client.post(mark_url, {"item": str(video.pk), "kind": "threat_evidence"})
    assert response.status_code == 302 and response["Location"].endswith("#criterion-anti_war_work")
    assert not EvidenceMark.objects.exists()
    client.post(mark_url, {"item": "not-an-id", "kind": "anti_war_activity"})
    assert not EvidenceMark.objects.exists()

    client.post(mark_url, {"item": str(video.pk), "kind": "anti_war_activity"})
    client.post(mark_url, {"item": str(video.pk), "kind": "anti_war_activity"})  # twice: once
    mark = EvidenceMark.objects.get()
    assert (mark.item, mark.kind, mark.marked_by) == (video, "anti_war_activity", cast["lawyer"])
    row = AuditEvent.objects.get(event=Event.PATHWAY_EVIDENCE_MARKED)
    assert row.data == {"item": str(video.pk), "shows": "anti_war_activity"}
    page = client.get(page_url).content.decode()
    criterion = page.split('id="criterion-anti_war_work"')[1].split("</tr>")[0]
    assert "Met" in criterion and "(marked by the team)" in criterion
    held = criterion.split("<details")[0]
    assert "protest-tverskaya" not in held  # what the case holds names no file
    unmark = reverse(
        "pathways:evidence_unmark",
        kwargs={**kwargs, "criterion": "anti_war_work", "mark": mark.pk},
    )
    assert f'action="{unmark}"' in held

    # A caseworker not assigned to the case finds nothing to mark or unmark.
    outsider = client_for("caseworker")
    assert outsider.post(unmark).status_code == 404
    assert (
        outsider.post(mark_url, {"item": str(video.pk), "kind": "anti_war_activity"}).status_code
        == 404
    )
    assert client_for("treasurer").post(unmark).status_code == 403
    assert EvidenceMark.objects.exists()

    assert client.post(unmark).status_code == 302
    assert not EvidenceMark.objects.exists()
    row = AuditEvent.objects.get(event=Event.PATHWAY_EVIDENCE_UNMARKED)
    assert row.data == {"item": str(video.pk), "shows": "anti_war_activity"}
    assert _state(case, "anti_war_work").state == MISSING
