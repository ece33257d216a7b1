"""The outreach directory and log: who may see and change it, deduplication, approaches and
responses, follow-ups at the edge of the waiting time, merging."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from waystation.accounts.policy import Perm, system_actor
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.outreach import selectors, services
from waystation.outreach.models import Approach, Organisation, ResponseKind
from waystation.outreach.selectors import follow_ups_for

pytestmark = pytest.mark.django_db

# Writes in these tests are made as an operator's command would make them.
EDITOR = system_actor("test.outreach", Perm.OUTREACH_EDIT)


@pytest.fixture
def embassy(cast):
    return services.organisation_create(
        actor=cast["coordinator"],
        name="Посольство Германии в Астане",
        kind="embassy",
        country="DE",
        city="Астана",
    )


@pytest.mark.parametrize(
    ("name", "view", "edit"),
    [
        ("coordinator", 200, 200),
        ("caseworker", 200, 403),
        ("lawyer", 200, 403),
        ("treasurer", 403, 403),
        ("screener", 403, 403),
        ("documentation_officer", 403, 403),
    ],
)
def test_who_may_see_and_change_the_directory(client_for, embassy, name, view, edit):
    client = client_for(name)
    assert client.get(reverse("outreach:directory")).status_code == view
    assert client.get(reverse("outreach:organisation", args=[embassy.pk])).status_code == view
    assert client.get(reverse("outreach:organisation_new")).status_code == edit
    response = client.post(
        reverse("outreach:approach_new", args=[embassy.pk]),
        {"date": "2026-01-05", "channel": "email"},
    )
    assert response.status_code == (302 if edit == 200 else 403)
    assert Approach.objects.count() == (1 if edit == 200 else 0)


def test_same_name_in_other_case_or_spacing_is_found_not_duplicated(cast, embassy):
    for variant in ["посольство  германии в астане", "«Посольство Германии в Астане»"]:
        assert selectors.organisation_by_name(variant) == embassy
        with pytest.raises(services.OutreachError, match="already in the directory"):
            services.organisation_create(actor=cast["coordinator"], name=variant)
    services.organisation_add_name(
        actor=cast["coordinator"], organisation=embassy, name="German Embassy Astana"
    )
    assert selectors.organisation_by_name("german embassy, astana") == embassy
    assert Organisation.objects.count() == 1


def test_new_organisation_form_explains_a_duplicate_and_keeps_input(client_for, embassy):
    page = client_for("coordinator").post(
        reverse("outreach:organisation_new"),
        {"name": "ПОСОЛЬСТВО германии в астане", "kind": "embassy", "city": "Astana"},
    )
    text = page.content.decode()
    assert "already in the directory" in text and 'value="Astana"' in text


def test_approach_form_refuses_a_future_date_and_keeps_input(client_for, embassy):
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    page = client_for("coordinator").post(
        reverse("outreach:approach_new", args=[embassy.pk]),
        {"date": future, "channel": "letter", "subject": "Visa for K."},
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "The date is in the future." in text and 'value="Visa for K."' in text
    assert not Approach.objects.exists()


def test_response_sets_the_outcome_and_answer_date(client_for, cast, embassy):
    approach = services.approach_create(
        actor=cast["coordinator"],
        organisation=embassy,
        date=timezone.localdate() - timedelta(days=30),
        channel="email",
    )
    client = client_for("coordinator")
    url = reverse("outreach:response_new", args=[approach.pk])
    early = client.post(
        url, {f"r{approach.pk}-kind": "declined", f"r{approach.pk}-date": "2000-01-01"}
    )
    assert early.status_code == 400
    assert "cannot be older than the approach" in early.content.decode()
    answer_day = timezone.localdate() - timedelta(days=20)
    client.post(
        url,
        {
            f"r{approach.pk}-kind": "referred",
            f"r{approach.pk}-date": answer_day.isoformat(),
            f"r{approach.pk}-text": "Write to the consulate",
        },
    )
    approach.refresh_from_db()
    assert approach.outcome == ResponseKind.REFERRED and approach.answered_on == answer_day
    page = client.get(reverse("outreach:organisation", args=[embassy.pk])).content.decode()
    assert "Referred elsewhere" in page and "Write to the consulate" in page


@pytest.mark.parametrize(("age", "due"), [(20, False), (21, True), (22, True)])
def test_follow_up_after_the_waiting_time(cast, embassy, settings, age, due):
    settings.OUTREACH_FOLLOW_UP_DAYS = 21
    services.approach_create(
        actor=cast["coordinator"],
        organisation=embassy,
        date=timezone.localdate() - timedelta(days=age),
        channel="email",
    )
    assert bool(follow_ups_for(cast["coordinator"])) is due
    assert follow_ups_for(cast["treasurer"]) == []


def test_answered_approach_is_no_follow_up_and_dashboard_lists_open_ones(client_for, cast, embassy):
    old = timezone.localdate() - timedelta(days=40)
    answered = services.approach_create(
        actor=cast["coordinator"], organisation=embassy, date=old, channel="email"
    )
    services.response_record(
        actor=cast["coordinator"], approach=answered, kind="declined", date=old + timedelta(days=3)
    )
    services.approach_create(
        actor=cast["coordinator"], organisation=embassy, date=old, channel="letter"
    )
    assert [a.channel for a in follow_ups_for(cast["coordinator"])] == ["letter"]
    page = client_for("coordinator").get("/").content.decode()
    assert "Follow-ups" in page and "Посольство Германии в Астане" in page


def test_merging_moves_everything_and_is_audited(cast, embassy):
    other = services.organisation_create(actor=cast["coordinator"], name="German Embassy")
    services.approach_create(
        actor=cast["coordinator"],
        organisation=other,
        date=timezone.localdate(),
        channel="visit",
        contact_name="Herr M.",
    )
    services.organisations_merge(actor=cast["coordinator"], keep=embassy, merge=other)
    assert Organisation.objects.count() == 1
    assert embassy.approaches.count() == 1 and embassy.contacts.get().name == "Herr M."
    assert selectors.organisation_by_name("german embassy") == embassy
    assert AuditEvent.objects.filter(event=Event.ORGANISATIONS_MERGED).exists()


def test_directory_query_count_does_not_grow(client_for, cast, django_assert_max_num_queries):
    for i in range(40):
        org = services.organisation_create(actor=EDITOR, name=f"Foundation {i}", kind="foundation")
        services.approach_create(
            actor=EDITOR, organisation=org, date=timezone.localdate(), channel="email"
        )
    client = client_for("coordinator")
    with django_assert_max_num_queries(8):
        page = client.get(reverse("outreach:directory")).content.decode()
    assert page.count('href="/outreach/') >= 40
    filtered = client.get(reverse("outreach:directory"), {"q": "foundation 3"}).content.decode()
    assert "Foundation 3<" in filtered and "Foundation 12<" not in filtered


def test_names_merge_and_contacts_through_the_page(client_for, cast, embassy):
    other = services.organisation_create(actor=EDITOR, name="German Embassy")
    client = client_for("coordinator")
    page = reverse("outreach:organisation", args=[embassy.pk])
    taken = client.post(
        reverse("outreach:organisation_alias", args=[embassy.pk]), {"name": "german  embassy"}
    )
    assert taken.status_code == 400 and "merge the two instead" in taken.content.decode()
    client.post(reverse("outreach:organisation_merge", args=[embassy.pk]), {"other": other.pk})
    assert Organisation.objects.count() == 1
    client.post(
        reverse("outreach:organisation_alias", args=[embassy.pk]),
        {"name": "Deutsche Botschaft Astana"},
    )
    client.post(
        reverse("outreach:contact_add", args=[embassy.pk]),
        {"name": "Frau K.", "role": "visa section", "addresses": "visa@example.org"},
    )
    text = client.get(page).content.decode()
    assert "German Embassy" in text and "Deutsche Botschaft Astana" in text
    assert "Frau K." in text and "visa@example.org" in text
    edited = client.post(
        reverse("outreach:organisation_edit", args=[embassy.pk]),
        {"name": "Embassy of Germany, Astana", "kind": "embassy", "country": "DE"},
    )
    assert edited["Location"] == page
    assert selectors.organisation_by_name("Посольство Германии в Астане") == embassy
    assert selectors.organisation_by_name("embassy of germany astana") == embassy
    assert (
        client_for("caseworker")
        .post(reverse("outreach:contact_add", args=[embassy.pk]), {"name": "x"})
        .status_code
        == 403
    )
