"""The second lock (issue 20), generated from the modules: every public function of every app's
``services.py`` module and of every module inside a ``services/`` package is called with an
active member holding no role, and with ``actor=None``; each must refuse (``Forbidden``, or
``NotVisible``) before touching its other arguments or the database, and write nothing.

Nothing here lists the services: a new one is found and covered without being named. A public
function in such a module that is not a service (a helper, a read) fails here until it is made
private or moved to ``selectors.py`` or a domain module.

How it is checked: the other required arguments are placeholders that fail the test when
touched (an attribute read, a comparison, iteration); the queries are captured and there may be
none at all (the check reads the actor's roles, not the database); the row count of every table
is the same after. A member without roles holds only
``SIGNED_IN`` (their own account): a service guarded by that alone is stopped right after its
check, which the spy on ``policy.can`` sees, and passes.
"""

import importlib
import inspect
import pkgutil

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from waystation.accounts import policy
from waystation.accounts.tests.factories import UserFactory
from waystation.core.refusals import Forbidden, NotVisible

# The log's writer: it records what a service already checked, for the actor that service
# names (``audit.services.record``), so it takes the actor as data, not as a caller to check.
NOT_SERVICES = {"waystation.audit.services.record"}

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def _service_modules():
    """Every module named ``services`` in a Waystation app, and every module inside a package
    named ``services`` (as deep as they go)."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("waystation."):
            continue
        package = importlib.import_module(config.name)
        names = [config.name]
        names += [
            info.name
            for info in pkgutil.walk_packages(package.__path__, f"{config.name}.")
            if ".tests" not in info.name and ".migrations" not in info.name
        ]
        for name in names:
            parts = name.split(".")
            if "services" in parts[2:]:
                found.append(importlib.import_module(name))
    return found


def _public_functions():
    functions = []
    for module in _service_modules():
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            defined_in = {value.__module__, inspect.unwrap(value).__module__}
            if module.__name__ not in defined_in:  # imported, not defined here
                continue
            qualified = f"{module.__name__}.{name}"
            if qualified not in NOT_SERVICES:
                functions.append(pytest.param(value, id=qualified))
    return functions


SERVICES = _public_functions()


class Placeholder:
    """An argument a service must not touch before its permission check."""

    def __init__(self, service: str, name: str):
        object.__setattr__(self, "_where", f"{service}({name}=...)")

    def _touched(self, how: str):
        raise AssertionError(
            f"{self._where}: the argument was {how} before the permission check "
            "(call policy.check(actor, Perm.X) first)"
        )

    def __getattr__(self, name):
        self._touched(f"read (.{name})")

    def __setattr__(self, name, value):
        self._touched(f"changed (.{name})")

    def __bool__(self):
        self._touched("tested for truth")

    def __iter__(self):
        self._touched("iterated")

    def __len__(self):
        self._touched("measured")

    def __eq__(self, other):
        self._touched("compared")

    def __hash__(self):
        return id(self)

    def __str__(self):
        self._touched("made a string")

    def __getitem__(self, key):
        self._touched("indexed")

    def __fspath__(self):
        self._touched("used as a path")


class PassedTheLock(Exception):
    """The spy's stop: the actor held the permission checked (only SIGNED_IN may be)."""

    def __init__(self, perm):
        super().__init__(perm)
        self.perm = perm


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def test_the_services_are_found():
    """The discovery itself: a few services known by name are among those found, from both
    kinds of module (``services.py`` and a ``services/`` package)."""
    found = {param.id for param in SERVICES}
    assert "waystation.cases.services.case.case_create" in found
    assert "waystation.outreach.services.organisation_create" in found
    assert any(name.startswith("waystation.ledger.services.") for name in found)
    assert len(found) > 80


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["member without roles", "None"])
@pytest.mark.parametrize("service", SERVICES)
def test_every_public_service_refuses_an_actor_without_the_permission(service, who, monkeypatch):
    actor = UserFactory(roles=[]) if who != "None" else None
    assert actor is None or (actor.is_active and not actor.roles)
    held = policy.permissions_of(actor)
    real_can = policy.can

    def spy(user, perm):
        allowed = real_can(user, perm)
        if allowed and user is actor:
            raise PassedTheLock(perm)
        return allowed

    monkeypatch.setattr(policy, "can", spy)
    name = f"{service.__module__}.{service.__name__}"
    parameters = inspect.signature(service).parameters
    assert "actor" in parameters, (
        f"{name} is public in a services module but takes no actor: make it private (_name) "
        "or move it to selectors.py or a domain module"
    )
    arguments = {"actor": actor}
    for parameter in parameters.values():
        if parameter.name == "actor" or parameter.default is not inspect.Parameter.empty:
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        arguments[parameter.name] = Placeholder(name, parameter.name)
    positional = [
        arguments.pop(parameter.name)
        for parameter in parameters.values()
        if parameter.kind == parameter.POSITIONAL_ONLY and parameter.name in arguments
    ]
    before = _row_counts()
    with CaptureQueriesContext(connection) as queries:
        try:
            result = service(*positional, **arguments)
            if inspect.isgenerator(result):
                next(result)
        except (Forbidden, NotVisible):
            pass
        except PassedTheLock as passed:
            assert passed.perm in held and passed.perm == policy.Perm.SIGNED_IN, (
                f"{name} let {who} through holding {passed.perm}"
            )
        else:
            pytest.fail(f"{name} did not refuse {who}")
    sql = [query["sql"].lstrip().upper() for query in queries.captured_queries]
    writes = [statement for statement in sql if statement.startswith(WRITES)]
    assert not writes, f"{name} wrote before refusing: {writes[:2]}"
    assert not sql, f"{name} read the database before its permission check: {sql[:2]}"
    assert _row_counts() == before
