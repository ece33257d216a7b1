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


def demo_logins() -> list[tuple[str, str]]:
    labels = dict(Role.choices)
    return [(u, ", ".join(str(labels[r]) for r in roles)) for u, _, roles in DEMO_MEMBERS]
