"""The second lock in pathways: every public service refuses a member without roles, and a
command's system actor holding nothing, before it reads its other arguments or the database."""

import inspect

import pytest

from waystation.accounts.policy import system_actor
from waystation.accounts.tests.factories import UserFactory
from waystation.audit.models import AuditEvent
from waystation.core.refusals import Forbidden
from waystation.pathways import services
from waystation.pathways.dossier import services as dossier_services

pytestmark = pytest.mark.django_db


def _services():
    for module in (services, dossier_services):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{module.__name__}.{name}", function


def test_the_modules_have_the_services_expected():
    names = {name.rsplit(".", 1)[1] for name, _function in _services()}
    assert names == {
        "proposal_create",
        "proposal_decide",
        "case_pathway_choose",
        "case_pathway_remove",
        "gap_task_create",
        "evidence_mark",
        "evidence_unmark",
        "dossier_build",
    }


@pytest.mark.parametrize("actor", ["member", "system"])
def test_every_service_refuses_an_actor_without_permissions(actor):
    nobody = UserFactory(username="nobody", roles=[]) if actor == "member" else system_actor("x")
    for name, function in _services():
        keywords = {
            parameter: object()  # never read: the check comes first
            for parameter in inspect.signature(function).parameters
            if parameter != "actor"
        }
        with pytest.raises(Forbidden):
            function(actor=nobody, **keywords)
        assert name
    assert not AuditEvent.objects.exists()
