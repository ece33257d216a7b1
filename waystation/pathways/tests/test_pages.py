"""The catalogue pages and proposed corrections, as each member of the cast sees them."""

import re

import pytest
from django.urls import reverse

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.pathways import catalogue
from waystation.pathways.models import Proposal, ProposalStatus

from .test_catalogue import VALID

READERS = ["coordinator", "caseworker", "lawyer", "documentation_officer"]
REFUSED = ["screener", "treasurer"]


@pytest.fixture
def shipped_catalogue():
    catalogue.current.cache_clear()
    yield catalogue.current()
    catalogue.current.cache_clear()


@pytest.fixture
def own_catalogue(tmp_path, monkeypatch):
    """A catalogue folder of the test's own, served instead of the shipped one."""
    monkeypatch.setattr(catalogue, "CATALOGUE_DIR", tmp_path)
    catalogue.current.cache_clear()
    yield tmp_path
    catalogue.current.cache_clear()


def page(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("name", READERS + REFUSED)
def test_who_may_read_the_catalogue(client_for, shipped_catalogue, name):
    client = client_for(name)
    expected = 200 if name in READERS else 403
    for url in (
        reverse("pathways:list"),
        reverse("pathways:detail", kwargs={"pathway": "de-asylum"}),
        reverse("pathways:propose", kwargs={"pathway": "de-asylum"}),
        reverse("pathways:proposals"),
    ):
        assert client.get(url).status_code == expected, url
    refused = client.post(
        reverse("pathways:propose", kwargs={"pathway": "de-asylum"}), {"text": "A correction."}
    )
    assert refused.status_code == (302 if name in READERS else 403)
    navigation = page(client.get(reverse("home:dashboard")))
    assert ('href="/pathways/"' in navigation) is (name in READERS)


def test_the_menu_lists_pathways_after_the_case_work(client_for):
    navigation = page(client_for("caseworker").get(reverse("home:dashboard")))
    links = re.findall(r'<li><a href="([^"]+)"', navigation)
    assert links[links.index("/cases/tasks/") + 1] == "/pathways/"
    assert "/pathways/" not in page(client_for("treasurer").get(reverse("home:dashboard")))


def test_the_list_shows_every_pathway_and_filters(client_for, shipped_catalogue):
    client = client_for("lawyer")
    everything = page(client.get(reverse("pathways:list")))
    for pathway in shipped_catalogue.pathways:
        assert f'href="/pathways/{pathway.id}/"' in everything
    assert "Check before relying on it." in everything

    host_state = page(client.get(reverse("pathways:list"), {"kind": "host_state_refugee_status"}))
    assert 'href="/pathways/kz-refugee-status/"' in host_state
    assert 'href="/pathways/de-asylum/"' not in host_state

    germany = page(client.get(reverse("pathways:list"), {"country": "DE"}))
    assert 'href="/pathways/de-asylum/"' in germany
    assert 'href="/pathways/de-aufenthg-22/"' in germany
    assert 'href="/pathways/fr-asylum/"' not in germany

    bodies = page(client.get(reverse("pathways:list"), {"country": "none"}))
    assert 'href="/pathways/unhcr-resettlement/"' in bodies
    assert 'href="/pathways/de-asylum/"' not in bodies

    nonsense = page(client.get(reverse("pathways:list"), {"kind": "x", "country": "ZZ"}))
    listed = re.findall(r'href="/pathways/[a-z]{2,8}-[a-z0-9-]+/"', nonsense)
    assert len(listed) == len(shipped_catalogue.pathways)


def test_the_detail_page_shows_the_pathway_with_its_warnings(client_for, shipped_catalogue):
    body = page(
        client_for("caseworker").get(
            reverse("pathways:detail", args=["eu-military-service-refusal"])
        )
    )
    assert "Check before relying on it." in body
    assert "not legal advice" in body
    assert "No lawyer of the group has reviewed this entry yet" in body  # shipped as drafts
    assert 'id="criterion-conflict_with_excludable_acts"' in body
    assert "Country information (reports on the army, the war, treatment of deserters)" in body
    assert "C-472/13" in body and "C-238/19" in body
    assert "waystation/pathways/catalogue/eu-military-service-refusal.yaml" in body


def test_legal_sources_are_plain_external_links(client_for, shipped_catalogue):
    body = page(client_for("lawyer").get(reverse("pathways:detail", args=["de-aufenthg-22"])))
    link = 'href="https://www.gesetze-im-internet.de/aufenthg_2004/__22.html"'
    assert link in body
    for anchor in re.findall(r"<a [^>]*href=\"https?://[^>]*>", body):
        assert 'rel="noreferrer noopener"' in anchor, anchor
    # Linked, never loaded: nothing on the page pulls from another host.
    assert not re.search(r"<(img|script|link|iframe)[^>]+(src|href)=\"https?://", body)


def test_texts_follow_the_language_of_the_reader(client_for, shipped_catalogue):
    client = client_for("caseworker")
    url = reverse("pathways:detail", args=["fr-asylum"])
    english = page(client.get(url))
    assert '<h1><span lang="en">Asylum in France</span></h1>' in english
    assert "not yet translated" not in english

    client.cookies["ws_language"] = "ru"
    russian = page(client.get(url))
    assert '<h1><span lang="ru">Убежище во Франции</span></h1>' in russian
    assert "Кодекс о въезде и пребывании иностранцев" in russian
    assert "Как и любая страна ЕС" in russian
    assert "Этот текст ещё не переведён" not in russian
    listing = page(client.get(reverse("pathways:list")))
    assert "Гуманитарный пароль для въезда в США" in listing

    client.cookies["ws_language"] = "de"
    german = page(client.get(url))
    assert '<h1><span lang="de">Asyl in Frankreich</span></h1>' in german
    assert "Wie jeder EU-Staat" in german
    assert "Gesetzbuch über die Einreise und den Aufenthalt von Ausländern" in german

    client.cookies["ws_language"] = "uk"
    ukrainian = page(client.get(url))
    assert '<h1><span lang="uk">Притулок у Франції</span></h1>' in ukrainian
    assert "Як і будь-яка країна ЄС" in ukrainian


def test_names_of_laws_in_their_own_language_are_marked_so(client_for, shipped_catalogue):
    client = client_for("lawyer")
    client.cookies["ws_language"] = "uk"
    body = page(client.get(reverse("pathways:detail", args=["de-asylum"])))
    assert 'Закон про притулок (<span lang="de">Asylgesetz</span>, AsylG)' in body
    assert '<span lang="en">Shepherd</span>' in body
    assert "[[" not in body


def test_the_german_name_is_given_beside_the_readers_own(client_for, shipped_catalogue):
    client = client_for("lawyer")
    client.cookies["ws_language"] = "ru"
    body = page(client.get(reverse("pathways:detail", args=["de-aufenthg-22"])))
    assert '<span lang="de">Aufnahme aus dem Ausland nach § 22 Aufenthaltsgesetz</span>' in body
    # No English name on a Russian page, and none for a body without a country.
    assert "Humanitarian admission" not in body
    unhcr = page(client.get(reverse("pathways:detail", args=["unhcr-resettlement"])))
    assert "Также называется" not in unhcr


def test_a_text_not_yet_translated_is_shown_in_english_with_a_note(client_for, own_catalogue):
    # The sample has English and Russian only; its summary is written as plain English.
    text = VALID.replace("summary: {en: Summary., ru: Кратко.}", "summary: Only in English.")
    (own_catalogue / "xx-sample.yaml").write_text(text, encoding="utf-8")
    client = client_for("caseworker")
    url = reverse("pathways:detail", args=["xx-sample"])

    client.cookies["ws_language"] = "ru"
    russian = page(client.get(url))
    assert '<h1><span lang="ru">Пример</span></h1>' in russian
    note = (
        '<small class="muted untranslated" lang="ru">'
        "(Этот текст ещё не переведён; показан на английском)</small>"
    )
    assert '<span lang="en">Only in English.</span> ' + note in russian
    # The summary, and the source and reviewer the sample writes as plain English.
    assert russian.count(note) == 4
    assert 'lang="en">Some Act</a> ' + note in russian
    assert '<span lang="ru">Быть там.</span></p>' in russian  # translated: no note

    client.cookies["ws_language"] = "de"
    german = page(client.get(url))
    assert (
        '<h1><span lang="en">Sample pathway</span> <small class="muted untranslated" lang="de">'
        in german
    )
    assert "(Dieser Text ist noch nicht übersetzt; er wird auf Englisch angezeigt)" in german
    # Name, body, summary, who it is for, both criteria, the source and its article, the three
    # practical notes and the reviewer: every text the file gives without German.
    assert german.count('class="muted untranslated"') == 12
    listing = page(client.get(reverse("pathways:list")))
    assert "noch nicht übersetzt" in listing

    client.cookies["ws_language"] = "en"
    assert "untranslated" not in page(client.get(url))


def test_an_entry_reviewed_too_long_ago_is_flagged(client_for, own_catalogue, settings):
    (own_catalogue / "xx-sample.yaml").write_text(VALID, encoding="utf-8")  # reviewed 2025-01-15
    client = client_for("lawyer")
    settings.PATHWAYS_REVIEW_MAX_DAYS = 30
    listing = page(client.get(reverse("pathways:list")))
    assert "review overdue" in listing
    assert "1 entry was last reviewed more than 30 days ago" in listing
    detail = page(client.get(reverse("pathways:detail", args=["xx-sample"])))
    assert "Review overdue." in detail
    assert "longer than the 30 days the group allows" in detail

    settings.PATHWAYS_REVIEW_MAX_DAYS = 100_000
    assert "review overdue" not in page(client.get(reverse("pathways:list")))
    assert "Review overdue." not in page(client.get(reverse("pathways:detail", args=["xx-sample"])))


def test_an_invalid_file_is_left_out_and_coordinators_see_why(client_for, own_catalogue):
    (own_catalogue / "xx-sample.yaml").write_text(VALID, encoding="utf-8")
    broken = VALID.replace("xx-sample", "xx-broken").replace("kind: national_asylum", "kind: nope")
    (own_catalogue / "xx-broken.yaml").write_text(broken, encoding="utf-8")

    coordinator = page(client_for("coordinator").get(reverse("pathways:list")))
    assert 'href="/pathways/xx-sample/"' in coordinator
    assert 'href="/pathways/xx-broken/"' not in coordinator
    assert "xx-broken.yaml:2: kind: &#x27;nope&#x27; is not one of" in coordinator

    caseworker = page(client_for("caseworker").get(reverse("pathways:list")))
    assert 'href="/pathways/xx-sample/"' in caseworker
    assert "Some catalogue files could not be read" in caseworker
    assert "xx-broken.yaml" not in caseworker
    assert (
        client_for("caseworker").get(reverse("pathways:detail", args=["xx-broken"])).status_code
        == 404
    )


def test_an_unknown_pathway_is_not_found(client_for, shipped_catalogue):
    client = client_for("coordinator")
    assert client.get(reverse("pathways:detail", args=["xx-nothing"])).status_code == 404
    assert (
        client.post(reverse("pathways:propose", args=["xx-nothing"]), {"text": "x"}).status_code
        == 404
    )
    assert not Proposal.objects.exists()


def test_a_proposal_is_recorded_decided_and_audited(client_for, cast, shipped_catalogue):
    caseworker, lawyer, coordinator = (
        client_for("caseworker"),
        client_for("lawyer"),
        client_for("coordinator"),
    )
    url = reverse("pathways:propose", args=["kz-refugee-status"])
    empty = caseworker.post(url, {"text": "  "})
    assert empty.status_code == 400
    assert not Proposal.objects.exists()

    sent = caseworker.post(
        url, {"text": "The 2022 rules were replaced; see the new order."}, follow=True
    )
    assert "The catalogue changes only when someone edits the pathway" in page(sent)
    proposal = Proposal.objects.get()
    assert proposal.pathway_id == "kz-refugee-status"
    assert proposal.author == cast["caseworker"]
    assert proposal.status == ProposalStatus.OPEN
    proposed = AuditEvent.objects.get(event=Event.PATHWAY_EDIT_PROPOSED)
    assert proposed.actor == cast["caseworker"]
    assert proposed.object_id == str(proposal.pk)
    assert proposed.data == {"pathway": "kz-refugee-status"}

    # The author sees their own proposal, another member does not; coordinators see all.
    assert "The 2022 rules were replaced" in page(caseworker.get(reverse("pathways:proposals")))
    assert "The 2022 rules were replaced" not in page(lawyer.get(reverse("pathways:proposals")))
    queue = page(coordinator.get(reverse("pathways:proposals")))
    assert "The 2022 rules were replaced" in queue
    assert "Accepting a proposal does not change the catalogue" in queue
    assert "waystation/pathways/catalogue/kz-refugee-status.yaml" in queue
    assert 'class="badge">1<' in page(coordinator.get(reverse("pathways:list")))

    decide = reverse("pathways:decide", args=[proposal.pk])
    assert caseworker.post(decide, {"decision": "accept"}).status_code == 403
    assert lawyer.post(decide, {"decision": "accept"}).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN

    accepted = coordinator.post(
        decide, {"decision": "accept", "note": "Lawyer edits it."}, follow=True
    )
    assert "someone must now edit the file" in page(accepted)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.decided_by == cast["coordinator"]
    assert proposal.note == "Lawyer edits it."
    decided = AuditEvent.objects.get(event=Event.PATHWAY_PROPOSAL_DECIDED)
    assert decided.actor == cast["coordinator"]
    assert decided.data == {"pathway": "kz-refugee-status", "decision": "accepted"}

    again = coordinator.post(decide, {"decision": "decline"}, follow=True)
    assert "This proposal was already decided." in page(again)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert AuditEvent.objects.filter(event=Event.PATHWAY_PROPOSAL_DECIDED).count() == 1

    accepted_tab = page(caseworker.get(reverse("pathways:proposals"), {"status": "accepted"}))
    assert "Lawyer edits it." in accepted_tab
    assert page(caseworker.get(reverse("pathways:proposals"))).count("<article") == 0


def test_a_proposal_can_be_declined(client_for, shipped_catalogue):
    client_for("lawyer").post(
        reverse("pathways:propose", args=["de-asylum"]), {"text": "Add the 2025 statistics."}
    )
    proposal = Proposal.objects.get()
    client_for("coordinator").post(
        reverse("pathways:decide", args=[proposal.pk]),
        {"decision": "decline", "note": "No source."},
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DECLINED
    assert (
        AuditEvent.objects.get(event=Event.PATHWAY_PROPOSAL_DECIDED).data["decision"] == "declined"
    )


def test_deciding_an_unknown_proposal_is_not_found(client_for):
    response = client_for("coordinator").post(
        reverse("pathways:decide", args=["00000000-0000-4000-8000-000000000001"]),
        {"decision": "accept"},
    )
    assert response.status_code == 404
