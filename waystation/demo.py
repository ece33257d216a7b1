"""Demo data for `make run`: a cast of members, one per role, outreach, cases, evidence,
screenings, pathways and a ledger. It is written through the same services as real use, so it
is audited too — except the synthetic cases, written in bulk with one audit row.

Its texts are in English and translated like the interface (context "demo"): the demo is
written in the language chosen when it is made (`waystation demo --language ru`), as a group
that works in that language would have written it."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import pgettext, pgettext_lazy

from waystation.accounts.models import User
from waystation.accounts.policy import Perm, system_actor
from waystation.accounts.roles import Role
from waystation.accounts.services import user_create, user_deactivate
from waystation.cases import services as cases
from waystation.cases.demo import generate_cases
from waystation.cases.models import (
    Case,
    DocumentKind,
    DocumentState,
    NeedKind,
    RiskKind,
    Status,
    Urgency,
)
from waystation.evidence.demo import demo_evidence
from waystation.knowledge.defaults import load_defaults
from waystation.ledger.demo import demo_ledger
from waystation.outreach.services import (
    approach_create,
    organisation_create,
    response_record,
)
from waystation.pathways import readiness
from waystation.pathways.catalogue import current
from waystation.pathways.services import case_pathway_choose, gap_task_create
from waystation.screening.demo import demo_screening

# Printed on purpose: demo only. The instance passphrase unseals; the password signs in.
DEMO_PASSPHRASE = "demo instance passphrase"  # noqa: S105
DEMO_PASSWORD = "demo-waystation-password"  # noqa: S105

DEMO_LANGUAGE = "en"
# username, display name, roles (names in the demo's language: a group names its members so)
DEMO_MEMBERS = [
    ("anna", pgettext_lazy("demo", "Anna (coordinator)"), [Role.COORDINATOR]),
    ("ilya", pgettext_lazy("demo", "Ilya T."), [Role.CASEWORKER]),
    ("marta", pgettext_lazy("demo", "Marta K."), [Role.CASEWORKER, Role.TREASURER]),
    ("vera", pgettext_lazy("demo", "Vera Petrovna, lawyer"), [Role.LAWYER]),
    ("sam", pgettext_lazy("demo", "Sam O'Neill"), [Role.DOCUMENTATION_OFFICER]),
    ("timur", pgettext_lazy("demo", "Timur"), [Role.SCREENER]),
    ("lena", pgettext_lazy("demo", "Lena"), [Role.SCREENER, Role.DOCUMENTATION_OFFICER]),
    ("oleg", pgettext_lazy("demo", "Oleg (treasurer)"), [Role.TREASURER]),
]
DEMO_DEACTIVATED = ("pavel", pgettext_lazy("demo", "Pavel (left the group)"), [Role.CASEWORKER])
DEMO_CASES = 24  # synthetic cases besides the few written by hand (`waystation demo --cases N`)
# Who makes the demo before its coordinator exists: she is created, and the shipped safety
# pages added, by these; everything after is written by the demo's members.
DEMO_MEMBERS_ACTOR = system_actor("demo.members", Perm.USERS_MANAGE)
DEMO_PAGES_ACTOR = system_actor("demo.knowledge", Perm.KNOWLEDGE_EDIT)


def _demo_outreach_rows():
    """organisation, kind, country, city, [(days ago, channel, contact, response kind, answer
    after days, what they said)]; read in the demo's language."""
    visa_section = pgettext("demo", "visa section")
    advice = pgettext("demo", "advice service")
    return [
        (
            pgettext("demo", "Embassy of Germany in Astana"),
            "embassy",
            "DE",
            pgettext("demo", "Astana"),
            [
                (120, "email", visa_section, "none", 0, ""),
                (
                    75,
                    "letter",
                    visa_section,
                    "declined",
                    24,
                    pgettext("demo", "humanitarian visas only for a narrow group"),
                ),
            ],
        ),
        (
            pgettext("demo", "Embassy of Canada in Astana"),
            "embassy",
            "CA",
            pgettext("demo", "Astana"),
            [
                (
                    60,
                    "email",
                    "",
                    "acknowledged",
                    1,
                    pgettext("demo", "automatic reply about resettlement programmes"),
                ),
            ],
        ),
        (
            "Pro Asyl",
            "ngo",
            "DE",
            pgettext("demo", "Frankfurt am Main"),
            [
                (
                    90,
                    "email",
                    advice,
                    "referred",
                    9,
                    pgettext("demo", "go to the embassy; they gave us a lawyer's contact"),
                ),
                (30, "messenger", advice, "none", 0, ""),
            ],
        ),
        (
            pgettext("demo", "UNHCR Kazakhstan"),
            "un_agency",
            "KZ",
            pgettext("demo", "Almaty"),
            [
                (
                    50,
                    "visit",
                    pgettext("demo", "protection unit"),
                    "acknowledged",
                    0,
                    pgettext("demo", "Kazakhstan decides on refugee status"),
                ),
            ],
        ),
        (
            pgettext("demo", "Ark Foundation"),
            "foundation",
            "",
            "",
            [(40, "web_form", "", "help_offered", 5, pgettext("demo", "will pay a month's rent"))],
        ),
        (
            "Connection e.V.",
            "ngo",
            "DE",
            pgettext("demo", "Offenbach"),
            [(28, "email", "", "help_offered", 3, pgettext("demo", "legal consultation offered"))],
        ),
        (
            "Amnesty International",
            "ngo",
            "GB",
            pgettext("demo", "London"),
            [(45, "web_form", "", "none", 0, "")],
        ),
        (
            pgettext("demo", "Embassy of France"),
            "embassy",
            "FR",
            pgettext("demo", "Astana"),
            [(35, "email", "", "none", 0, "")],
        ),
    ]


def _demo_outreach(coordinator) -> None:
    today = timezone.localdate()
    for name, kind, country, city, approaches in _demo_outreach_rows():
        organisation = organisation_create(
            actor=coordinator, name=name, kind=kind, country=country, city=city
        )
        for days_ago, channel, contact, answer, after, said in approaches:
            approach = approach_create(
                actor=coordinator,
                organisation=organisation,
                date=today - timedelta(days=days_ago),
                channel=channel,
                contact_name=contact,
            )
            if answer != "none":
                response_record(
                    actor=coordinator,
                    approach=approach,
                    kind=answer,
                    date=approach.date + timedelta(days=after),
                    text=said,
                )


def _demo_cases(coordinator) -> None:
    """A few cases written by hand through the services, to open first in the demo."""

    people = {user.username: user for user in User.objects.filter(is_active=True)}
    today = timezone.localdate()
    detained = cases.case_create(
        actor=coordinator,
        codename="amber-falcon-27",
        status=Status.DETAINED,
        urgency=Urgency.CRITICAL,
        languages=pgettext("demo", "Russian, English"),
        city=pgettext("demo", "Almaty"),
        summary=pgettext(
            "demo",
            "Refused mobilisation and is on the wanted list. Detained on an extradition request.",
        ),
        tags=[pgettext("demo", "deserter"), pgettext("demo", "wanted")],
        caseworker=people["ilya"],
        lawyer=people["vera"],
    )
    for status, days_ago in ((Status.IN_ORIGIN, 210), (Status.CROSSED, 160)):
        cases.status_record(
            actor=coordinator, case=detained, status=status, on=today - timedelta(days=days_ago)
        )
    cases.risk_record(
        actor=coordinator,
        case=detained,
        kind=RiskKind.DETENTION,
        on=today - timedelta(days=12),
        place=pgettext("demo", "Temporary detention facility, Almaty"),
        visits=pgettext(
            "demo", "Parcels on Tuesdays and Fridays, up to 10 kg; visits by the lawyer only."
        ),
    )
    cases.risk_record(
        actor=coordinator,
        case=detained,
        kind=RiskKind.HEARING,
        on=today + timedelta(days=3),
        place=pgettext("demo", "Bostandyk district court, Almaty"),
    )
    cases.need_add(actor=coordinator, case=detained, kind=NeedKind.PARCELS)
    cases.task_add(
        actor=coordinator,
        case=detained,
        title=pgettext("demo", "Hand in a parcel at the detention facility"),
        due_on=today + timedelta(days=1),
        assignee=people["ilya"],
    )
    cases.note_add(
        actor=people["vera"],
        case=detained,
        text=pgettext(
            "demo",
            "Filed a motion to replace detention with a milder measure; the prosecutor objects. "
            "We need a certificate of residence from the landlord.",
        ),
    )
    family = cases.case_create(
        actor=coordinator,
        codename="quiet-harbor-8",
        status=Status.IN_TRANSIT,
        urgency=Urgency.URGENT,
        languages=pgettext("demo", "Russian"),
        city=pgettext("demo", "Tbilisi"),
        summary=pgettext(
            "demo", "Family of four; the father received a call-up. Children need school places."
        ),
        tags=[pgettext("demo", "family"), pgettext("demo", "children")],
        caseworker=people["marta"],
    )
    for relation, age in (
        (pgettext("demo", "wife"), 34),
        (pgettext("demo", "son"), 9),
        (pgettext("demo", "daughter"), 5),
    ):
        cases.family_add(actor=coordinator, case=family, relation=relation, age=age)
    cases.need_add(
        actor=coordinator,
        case=family,
        kind=NeedKind.HOUSING,
        note=pgettext("demo", "from next month"),
    )
    cases.service_record(
        actor=coordinator,
        case=family,
        kind=NeedKind.MONEY,
        delivered_on=today - timedelta(days=6),
        delivered_by=people["marta"],
        note=pgettext("demo", "first month's rent"),
    )
    cases.task_add(
        actor=coordinator,
        case=family,
        title=pgettext("demo", "Find a school that teaches in Russian"),
        due_on=today - timedelta(days=2),
        assignee=people["marta"],
    )
    cases.note_add(
        actor=people["marta"],
        case=family,
        text=pgettext(
            "demo",
            "Met the family in Tbilisi. The landlord wants two months in advance; the children "
            "are well, the younger one asks when they go home.",
        ),
    )


def _demo_evidence() -> None:
    demo_evidence(
        officer=User.objects.get(username="sam"),
        case=Case.objects.get(codename="amber-falcon-27"),
    )


def _demo_pathways(coordinator) -> None:
    """Two pathways chosen for the detained man, whose papers make their checklists show a
    criterion met, one partly met and one missing, and one gap already made a task."""

    case = Case.objects.get(codename="amber-falcon-27")
    cases.risk_record(
        actor=coordinator,
        case=case,
        kind=RiskKind.WANTED,
        on=timezone.localdate() - timedelta(days=150),
        place=pgettext("demo", "Wanted list of the Russian interior ministry"),
    )
    for kind, state in (
        (DocumentKind.INTERNAL_PASSPORT, DocumentState.HELD),
        (DocumentKind.FOREIGN_PASSPORT, DocumentState.MISSING),
        (DocumentKind.MILITARY_ID, DocumentState.CONFISCATED),
    ):
        cases.document_record(actor=coordinator, case=case, kind=kind, state=state)
    catalogue = current()
    for pathway_id in ("unhcr-resettlement", "de-aufenthg-22"):
        pathway = catalogue.get(pathway_id)
        if pathway is None:  # a catalogue file with problems is left out; so is its demo
            continue
        case_pathway_choose(actor=coordinator, case=case, pathway=pathway)
    pathway = catalogue.get("unhcr-resettlement")
    if pathway is not None:
        result = readiness.assess(pathway, readiness.gather(case))
        gap = next(c for c in result.criteria if c.criterion.id == "refugee_recognition")
        if gap.state != readiness.State.MET:
            gap_task_create(
                actor=coordinator, case=case, pathway=pathway, criterion_id=gap.criterion.id
            )


def _demo_screening() -> None:
    demo_screening(
        first=User.objects.get(username="timur"),
        second=User.objects.get(username="lena"),
        in_progress=Case.objects.get(codename="amber-falcon-27"),
        decided=Case.objects.get(codename="quiet-harbor-8"),
    )


def _demo_ledger(coordinator) -> None:
    demo_ledger(
        treasurer=User.objects.get(username="oleg"),
        approver=coordinator,
        cases=(
            Case.objects.get(codename="amber-falcon-27"),
            Case.objects.get(codename="quiet-harbor-8"),
        ),
    )


def demo_populate(cases: int = DEMO_CASES, language: str = DEMO_LANGUAGE) -> bool:
    """Fill a new demo instance, its texts in ``language``; False (and no members, outreach or
    cases written) when it holds members already. The safety pages that come with Waystation
    are added either way (only those missing), so an older demo gets them too."""
    load_defaults(actor=DEMO_PAGES_ACTOR)
    if User.objects.exists():
        return False
    with transaction.atomic(), translation.override(language):
        coordinator = None
        for username, display_name, roles in [*DEMO_MEMBERS, DEMO_DEACTIVATED]:
            user = user_create(
                actor=coordinator or DEMO_MEMBERS_ACTOR,
                username=username,
                password=DEMO_PASSWORD,
                roles=roles,
                display_name=str(display_name),
            )
            coordinator = coordinator or user
        former = User.objects.get(username=DEMO_DEACTIVATED[0])
        user_deactivate(actor=coordinator, user=former)
        _demo_outreach(coordinator)
        _demo_cases(coordinator)
        _demo_evidence()
        _demo_screening()
        _demo_pathways(coordinator)
        _demo_ledger(coordinator)
        generate_cases(cases, actor=coordinator, language=language)
    return True


def demo_cases_line(*, written: bool, generated: int) -> str:
    """What `waystation demo` says about the cases: all of them, as the case list counts them
    (the ones written by hand and the generated ones)."""
    total = Case.objects.count()
    if not written:
        return f"The demo instance already holds its members, outreach and {total} cases"
    return (
        f"Wrote the demo members, outreach and {total} cases "
        f"({total - generated} written by hand, {generated} generated)"
    )


def demo_second_factor_line() -> str:
    """How the coordinator signs in: she sets up a second factor the first time, and uses it
    from then on."""
    username = DEMO_MEMBERS[0][0]
    coordinator = User.objects.filter(username=username).first()
    if coordinator is not None and coordinator.has_totp:
        return (
            f"The coordinator ({username}) has set up her second factor: she signs in with the "
            "code from her TOTP app."
        )
    return (
        f"The coordinator ({username}) sets up a second factor at first sign-in: any TOTP app "
        "works (e.g. Aegis or FreeOTP on Android, 2FAS on an iPhone)."
    )


def demo_logins() -> list[tuple[str, str]]:
    labels = dict(Role.choices)
    return [(u, ", ".join(str(labels[r]) for r in roles)) for u, _, roles in DEMO_MEMBERS]
