"""Demo data for `make run`: a cast of members, one per role, with realistic names in Russian
and English, outreach, and cases. It is written through the same services as real use, so it is
audited too — except the synthetic cases, written in bulk with one audit row."""

from django.db import transaction

from waystation.accounts.roles import Role

# Printed on purpose: demo only. The instance passphrase unseals; the password signs in.
DEMO_PASSPHRASE = "demo instance passphrase"  # noqa: S105
DEMO_PASSWORD = "demo-waystation-password"  # noqa: S105

# username, display name, roles
DEMO_MEMBERS = [
    ("anna", "Анна (coordinator)", [Role.COORDINATOR]),
    ("ilya", "Илья Т.", [Role.CASEWORKER]),
    ("marta", "Marta K.", [Role.CASEWORKER, Role.TREASURER]),
    ("vera", "Вера Петровна, адвокат", [Role.LAWYER]),
    ("sam", "Sam O'Neill", [Role.DOCUMENTATION_OFFICER]),
    ("timur", "Тимур", [Role.SCREENER]),
    ("lena", "Лена", [Role.SCREENER, Role.DOCUMENTATION_OFFICER]),
    ("oleg", "Олег (treasurer)", [Role.TREASURER]),
]
DEMO_DEACTIVATED = ("pavel", "Павел (left the group)", [Role.CASEWORKER])
DEMO_CASES = 24  # synthetic cases besides the few written by hand (`waystation demo --cases N`)


# organisation, kind, country, city, [(days ago, channel, contact, response kind, answer after
# days, what they said)]
DEMO_OUTREACH = [
    (
        "Посольство Германии в Астане",
        "embassy",
        "DE",
        "Астана",
        [
            (120, "email", "визовый отдел", "none", 0, ""),
            (75, "letter", "визовый отдел", "declined", 24, "гумвиза только узкому кругу"),
        ],
    ),
    (
        "Embassy of Canada, Astana",
        "embassy",
        "CA",
        "Astana",
        [
            (60, "email", "", "acknowledged", 1, "auto-reply about resettlement programmes"),
        ],
    ),
    (
        "Pro Asyl",
        "ngo",
        "DE",
        "Frankfurt am Main",
        [
            (
                90,
                "email",
                "Beratung",
                "referred",
                9,
                "обратитесь в посольство; дали контакт юриста",
            ),
            (30, "messenger", "Beratung", "none", 0, ""),
        ],
    ),
    (
        "UNHCR Kazakhstan",
        "un_agency",
        "KZ",
        "Almaty",
        [
            (50, "visit", "protection unit", "acknowledged", 0, "статус определяет Казахстан"),
        ],
    ),
    (
        "Фонд «Ковчег»",
        "foundation",
        "",
        "",
        [
            (40, "web_form", "", "help_offered", 5, "оплатят месяц жилья"),
        ],
    ),
    (
        "Connection e.V.",
        "ngo",
        "DE",
        "Offenbach",
        [
            (28, "email", "", "help_offered", 3, "legal consultation offered"),
        ],
    ),
    ("Amnesty International", "ngo", "GB", "London", [(45, "web_form", "", "none", 0, "")]),
    ("Посольство Франции", "embassy", "FR", "Астана", [(35, "email", "", "none", 0, "")]),
]


def _demo_outreach() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from waystation.outreach.services import (
        approach_create,
        organisation_create,
        response_record,
    )

    today = timezone.localdate()
    for name, kind, country, city, approaches in DEMO_OUTREACH:
        organisation = organisation_create(
            actor=None, name=name, kind=kind, country=country, city=city
        )
        for days_ago, channel, contact, answer, after, said in approaches:
            approach = approach_create(
                actor=None,
                organisation=organisation,
                date=today - timedelta(days=days_ago),
                channel=channel,
                contact_name=contact,
            )
            if answer != "none":
                response_record(
                    actor=None,
                    approach=approach,
                    kind=answer,
                    date=approach.date + timedelta(days=after),
                    text=said,
                )


def _demo_cases(coordinator) -> None:
    """A few cases written by hand through the services, to open first in the demo."""
    from datetime import timedelta

    from django.utils import timezone

    from waystation.accounts.models import User
    from waystation.cases import services as cases
    from waystation.cases.models import NeedKind, RiskKind, Status, Urgency

    people = {user.username: user for user in User.objects.filter(is_active=True)}
    today = timezone.localdate()
    detained = cases.case_create(
        actor=coordinator,
        codename="amber-falcon-27",
        status=Status.DETAINED,
        urgency=Urgency.CRITICAL,
        languages="Russian, English",
        city="Almaty",
        summary="Отказался от мобилизации, объявлен в розыск. Задержан по запросу об экстрадиции.",
        tags=["deserter", "wanted"],
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
        place="Temporary detention facility, Almaty",
        visits="Передачи по вторникам и пятницам, до 10 кг; свидания только с адвокатом.",
    )
    cases.risk_record(
        actor=coordinator,
        case=detained,
        kind=RiskKind.HEARING,
        on=today + timedelta(days=3),
        place="Суд Бостандыкского района, Алматы",
    )
    cases.need_add(actor=coordinator, case=detained, kind=NeedKind.PARCELS)
    cases.task_add(
        actor=coordinator,
        case=detained,
        title="Передать посылку в ИВС",
        due_on=today + timedelta(days=1),
        assignee=people["ilya"],
    )
    cases.note_add(
        actor=people["vera"],
        case=detained,
        text="Подала ходатайство о замене меры пресечения; прокурор против. Нужна справка о "
        "месте жительства от арендодателя.",
    )
    family = cases.case_create(
        actor=coordinator,
        codename="quiet-harbor-8",
        status=Status.IN_TRANSIT,
        urgency=Urgency.URGENT,
        languages="Russian",
        city="Tbilisi",
        summary="Family of four; the father received a call-up. Children need school places.",
        tags=["family", "children"],
        caseworker=people["marta"],
    )
    for relation, age in (("wife", 34), ("son", 9), ("daughter", 5)):
        cases.family_add(actor=coordinator, case=family, relation=relation, age=age)
    cases.need_add(actor=coordinator, case=family, kind=NeedKind.HOUSING, note="from next month")
    cases.service_record(
        actor=coordinator,
        case=family,
        kind=NeedKind.MONEY,
        delivered_on=today - timedelta(days=6),
        delivered_by=people["marta"],
        note="first month's rent",
    )
    cases.task_add(
        actor=coordinator,
        case=family,
        title="Find a school that teaches in Russian",
        due_on=today - timedelta(days=2),
        assignee=people["marta"],
    )
    cases.note_add(
        actor=people["marta"],
        case=family,
        text="Met the family in Tbilisi. The landlord wants two months in advance; the children "
        "are well, the younger one asks when they go home.",
    )


def _demo_evidence() -> None:
    from waystation.accounts.models import User
    from waystation.cases.models import Case
    from waystation.evidence.demo import demo_evidence

    demo_evidence(
        officer=User.objects.get(username="sam"),
        case=Case.objects.get(codename="amber-falcon-27"),
    )


def _demo_pathways(coordinator) -> None:
    """Two pathways chosen for the detained man, whose papers make their checklists show a
    criterion met, one partly met and one missing, and one gap already made a task."""
    from datetime import timedelta

    from django.utils import timezone

    from waystation.cases import services as cases
    from waystation.cases.models import Case, DocumentKind, DocumentState, RiskKind
    from waystation.pathways import readiness
    from waystation.pathways.catalogue import current
    from waystation.pathways.services import case_pathway_choose, gap_task_create

    case = Case.objects.get(codename="amber-falcon-27")
    cases.risk_record(
        actor=coordinator,
        case=case,
        kind=RiskKind.WANTED,
        on=timezone.localdate() - timedelta(days=150),
        place="Розыск МВД",
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
            gap_task_create(actor=coordinator, case=case, pathway=pathway, gap=gap)


def _demo_screening() -> None:
    from waystation.accounts.models import User
    from waystation.cases.models import Case
    from waystation.screening.demo import demo_screening

    demo_screening(
        first=User.objects.get(username="timur"),
        second=User.objects.get(username="lena"),
        in_progress=Case.objects.get(codename="amber-falcon-27"),
        decided=Case.objects.get(codename="quiet-harbor-8"),
    )


def _demo_ledger(coordinator) -> None:
    from waystation.accounts.models import User
    from waystation.cases.models import Case
    from waystation.ledger.demo import demo_ledger

    demo_ledger(
        treasurer=User.objects.get(username="oleg"),
        approver=coordinator,
        cases=(
            Case.objects.get(codename="amber-falcon-27"),
            Case.objects.get(codename="quiet-harbor-8"),
        ),
    )


def demo_populate(cases: int = DEMO_CASES) -> bool:
    """Fill a new demo instance; False (and no members, outreach or cases written) when it
    holds members already. The safety pages that come with Waystation are added either way
    (only those missing), so an older demo gets them too."""
    # Imported here so that the demo credentials can be read without a configured Django.
    from waystation.accounts.models import User
    from waystation.accounts.services import user_create, user_deactivate
    from waystation.cases.demo import generate_cases
    from waystation.knowledge.defaults import load_defaults

    load_defaults()
    if User.objects.exists():
        return False
    with transaction.atomic():
        coordinator = None
        for username, display_name, roles in [*DEMO_MEMBERS, DEMO_DEACTIVATED]:
            user = user_create(
                actor=coordinator,
                username=username,
                password=DEMO_PASSWORD,
                roles=roles,
                display_name=display_name,
            )
            coordinator = coordinator or user
        former = User.objects.get(username=DEMO_DEACTIVATED[0])
        user_deactivate(actor=coordinator, user=former)
        _demo_outreach()
        _demo_cases(coordinator)
        _demo_evidence()
        _demo_screening()
        _demo_pathways(coordinator)
        _demo_ledger(coordinator)
        generate_cases(cases)
    return True


def demo_cases_line(*, written: bool, generated: int) -> str:
    """What `waystation demo` says about the cases: all of them, as the case list counts them
    (the ones written by hand and the generated ones)."""
    from waystation.cases.models import Case

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
    from waystation.accounts.models import User

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
