"""The identity vault: every read and every change audited, earlier versions kept."""

import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, Side, check
from waystation.audit.events import Event
from waystation.audit.services import record

from ..models import (
    Case,
    Identity,
    IdentityVersion,
)
from .common import (
    CaseError,
    NothingChanged,
    RevealReason,
    require_side,
    require_writable,
)


def identity_reveal(*, actor, case: Case, reason: str) -> Identity:
    """Open the vault for one reading. The audit row, with the reason, is written before a
    single field is decrypted."""
    check(actor, Perm.CASES_VIEW)
    require_side(actor, case, Side.IDENTITY)
    if reason not in RevealReason.CODES:
        raise CaseError(_("Choose why you need to see the identity."))
    with transaction.atomic():
        record(Event.IDENTITY_REVEALED, actor=actor, obj=case, data={"reason": reason})
        identity, _created = Identity.objects.get_or_create(case=case)
    return identity


def identity_save(*, actor, case: Case, erase_all: bool = False, **values) -> Identity:
    """Change the identity; the fields not given stay as they are. The state it replaces is
    kept as a numbered, encrypted version (``identity_restore`` brings it back). Refused when
    it changes nothing, and when it would leave a filled identity empty unless ``erase_all``
    says that is meant."""
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, case, Side.IDENTITY)
    unknown = set(values) - set(Identity.FIELDS)
    if unknown:
        raise ValueError(f"not identity fields: {sorted(unknown)}")
    with transaction.atomic():
        identity, _created = Identity.objects.select_for_update().get_or_create(case=case)
        current = identity.values()
        after = {name: values.get(name, current[name]).strip() for name in Identity.FIELDS}
        changed = sorted(name for name in Identity.FIELDS if getattr(identity, name) != after[name])
        if not changed:
            raise NothingChanged(_("Nothing was changed: the identity is as it was."))
        if not identity.is_empty and not any(after.values()) and not erase_all:
            raise CaseError(
                _(
                    "This would erase the whole identity. Nothing was changed. To erase it on "
                    "purpose, tick “Erase the whole identity” and save again."
                )
            )
        kept = _identity_keep(identity, actor)
        for name in changed:
            setattr(identity, name, after[name])
        identity.updated_at = timezone.now()
        identity.save()
        record(
            Event.IDENTITY_CHANGED,
            actor=actor,
            obj=case,
            data={"fields": changed, "revision": kept.number},
        )
    return identity


def _identity_keep(identity: Identity, actor) -> IdentityVersion:
    last = identity.case.identity_versions.order_by("-number").values_list("number", flat=True)
    version = IdentityVersion(
        case=identity.case,
        number=(last.first() or 0) + 1,
        contents=json.dumps(identity.values(), ensure_ascii=False),
        replaced_by=actor,
    )
    version.save()
    return version


def identity_restore(*, actor, case: Case, number: int) -> Identity:
    """Bring back kept version ``number`` (a coordinator's undo). What it replaces is kept as a
    version in turn, so a restore can be undone too."""
    check(actor, Perm.CASES_MANAGE)
    require_writable(actor, case, Side.MANAGE)
    with transaction.atomic():
        identity, _created = Identity.objects.select_for_update().get_or_create(case=case)
        version = case.identity_versions.filter(number=number).first()
        if version is None:
            raise CaseError(_("There is no such earlier version of this identity."))
        earlier = json.loads(version.contents)
        after = {name: earlier.get(name, "") for name in Identity.FIELDS}
        changed = sorted(name for name in Identity.FIELDS if getattr(identity, name) != after[name])
        if not changed:
            raise NothingChanged(_("The identity is already as in that version."))
        kept = _identity_keep(identity, actor)
        for name in changed:
            setattr(identity, name, after[name])
        identity.updated_at = timezone.now()
        identity.save()
        record(
            Event.IDENTITY_CHANGED,
            actor=actor,
            obj=case,
            data={"fields": changed, "revision": kept.number, "restored_revision": number},
        )
    return identity
