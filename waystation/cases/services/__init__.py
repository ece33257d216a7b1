"""Writes for cases. Each function is one transaction, checks that the actor holds the side of
the case it changes (views check first; this is the second lock), and audits what matters:
opening, assignment, status, risk events, every identity read or change, every export."""

# One package, one module per kind of write; every name is importable from here as before.
from .case import (  # noqa: F401
    case_assign,
    case_create,
    case_mark_transferred,
    case_update,
    risk_record,
    risk_update_outcome,
    status_record,
)
from .common import (  # noqa: F401
    CaseAccessDenied,
    CaseError,
    CaseTransferred,
    NothingChanged,
    RevealReason,
    require_side,
    require_writable,
)
from .corrections import (  # noqa: F401
    note_correct,
    note_withdraw,
    risk_correct,
    risk_withdraw,
    status_correct,
    status_withdraw,
)
from .identity import (  # noqa: F401
    identity_restore,
    identity_reveal,
    identity_save,
)
from .records import (  # noqa: F401
    document_record,
    family_add,
    need_add,
    need_mark_met,
    note_add,
    service_record,
    task_add,
    task_mark_done,
)
