from waystation.accounts.policy import Perm, system_actor
from waystation.cases import services

# Cases in tests are opened as the operator's command opens them.
OPENER = system_actor("test.cases", Perm.CASES_MANAGE)


def make_case(*, caseworker=None, lawyer=None, **fields):
    """A case opened the way the app opens one (timeline, empty vault, audit row)."""
    return services.case_create(actor=OPENER, caseworker=caseworker, lawyer=lawyer, **fields)
