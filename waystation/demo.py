"""Demo data for `make run`: a cast of members, one per role, with realistic names in Russian
and English. It is written through the same services as real use, so it is audited too."""

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


def demo_populate() -> None:
    # Imported here so that the demo credentials can be read without a configured Django.
    from waystation.accounts.models import User
    from waystation.accounts.services import user_create, user_deactivate

    if User.objects.exists():
        return
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


def demo_logins() -> list[tuple[str, str]]:
    labels = dict(Role.choices)
    return [(u, ", ".join(str(labels[r]) for r in roles)) for u, _, roles in DEMO_MEMBERS]
