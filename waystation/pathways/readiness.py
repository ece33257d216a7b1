"""Readiness: each criterion of a pathway checked against what a case holds.

A criterion in the catalogue lists the kinds of evidence (``EvidenceKind``) that can show it;
any one of them is enough. This module says, in the tables below, which records of a case
count as which kind of evidence, and how strongly:

* **strong** — a form that an application can rely on: a paper held by the person (a
  ``Document`` in the state "held"), a fact the team recorded with its date (a ``RiskEvent``),
  a chat export that was verified or corroborated.
* **weak** — a sign that the evidence exists or can be had, but not the proof itself: a paper
  that is expired or was confiscated, a scan of an ID, an unverified chat export, a family
  member recorded without papers, and the person's own statement (a ``Testimony``) where the
  criterion also names other kinds of proof.

A criterion is then

* **met** when at least one of its evidence kinds is held in a strong form;
* **partly met** when none is strong but at least one is held in a weak form;
* **missing** when the case holds nothing for any of its kinds.

The person's own statement is strong only for a criterion that asks for nothing else (its
evidence is ``testimony`` alone); elsewhere a statement alone leaves the criterion partly met,
because an authority expects it corroborated. A testimony whose consent was withdrawn counts
for nothing. A ``Document`` recorded as "missing" counts for nothing either: it is a known gap.

What most evidence items (photos, videos, documents, recordings) show is in their content,
which readiness does not read. Whoever holds the case's legal side may therefore *mark* an item
as showing a kind of evidence (``models.EvidenceMark``; ``MARKABLE`` lists the kinds): a video
of a protest as anti-war activity, a letter from an organisation as ties to the country, a
photograph of a summons as a threat. A marked item is **strong** once verified or corroborated,
**weak** while unverified, and counts for nothing once disputed — as a chat export of threats.

Some kinds are never held by a case in Waystation (``NOT_RECORDED``): country information is
the group's general material, and sponsors and job offers live outside the case. They never
make a criterion met; the checklist says to check them by hand.

To extend the mapping: add a row to ``DOCUMENTS``, ``RISKS`` or ``ITEMS`` (a new kind of
document is added to ``cases.models.DocumentKind`` first), or take the kind out of
``NOT_RECORDED`` once something records it; a test asserts that every ``EvidenceKind`` is either
mapped or listed there.

Reading is deterministic and costs a fixed number of queries (one per kind of record, six in
all) whatever the case holds; only codes, dates and counts are read — never identity fields,
file names or testimony text.

A dossier asks for the holdings of what it carries (``gather(..., items=..., testimonies=...)``):
the case's documents and risk events, which the dossier lists, and only the items and
testimonies chosen for it, each named by its label there (E1, T1).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from waystation.cases.models import (
    Document,
    DocumentKind,
    DocumentState,
    FamilyMember,
    RiskEvent,
    RiskKind,
    choice_label,
)
from waystation.core.dates import short_date
from waystation.evidence import selectors as evidence_selectors
from waystation.evidence.models import ItemKind, Verification

from .catalogue import Criterion, Pathway
from .models import EvidenceMark
from .vocabulary import EvidenceKind as E

STRONG, WEAK = True, False

# A document held by the person: which evidence it is, and whether holding it is strong.
DOCUMENTS: dict[str, tuple[tuple[E, bool], ...]] = {
    DocumentKind.FOREIGN_PASSPORT: ((E.IDENTITY_DOCUMENT, STRONG),),
    DocumentKind.INTERNAL_PASSPORT: ((E.IDENTITY_DOCUMENT, STRONG),),
    # Neither shows nationality with a photograph as a passport does.
    DocumentKind.BIRTH_CERTIFICATE: ((E.IDENTITY_DOCUMENT, WEAK),),
    DocumentKind.DRIVING_LICENCE: ((E.IDENTITY_DOCUMENT, WEAK),),
    DocumentKind.MILITARY_ID: ((E.MILITARY_ID, STRONG),),
    # A permit proves the stay in the host country; the application may be made elsewhere.
    DocumentKind.RESIDENCE_PERMIT: (
        (E.RESIDENCE_IN_COUNTRY, STRONG),
        (E.PRESENCE_ON_TERRITORY, WEAK),
    ),
    DocumentKind.CALL_UP_NOTICE: ((E.CALL_UP_NOTICE, STRONG),),
    DocumentKind.CRIMINAL_CASE: ((E.CRIMINAL_CASE, STRONG),),
    DocumentKind.ANTI_WAR_ACTIVITY: ((E.ANTI_WAR_ACTIVITY, STRONG),),
    DocumentKind.FAMILY_PAPERS: ((E.FAMILY_TIE, STRONG),),
    DocumentKind.MEDICAL_RECORD: ((E.MEDICAL_RECORD, STRONG),),
    DocumentKind.UNHCR_REGISTRATION: ((E.UNHCR_REGISTRATION, STRONG),),
    DocumentKind.OTHER: ((E.OTHER, STRONG),),
}
# A paper that is expired or was confiscated still shows what it showed, but only weakly.
DOCUMENT_STATES_WEAK = frozenset({DocumentState.EXPIRED, DocumentState.CONFISCATED})

# A risk event recorded by the team (a dated fact the lawyer can document).
RISKS: dict[str, tuple[tuple[E, bool], ...]] = {
    RiskKind.WANTED: ((E.WANTED_LISTING, STRONG), (E.THREAT_EVIDENCE, WEAK)),
    RiskKind.DETENTION: ((E.DETENTION_RECORD, STRONG), (E.THREAT_EVIDENCE, WEAK)),
    # A request to extradite names the charge at home: the papers of that case must follow.
    RiskKind.EXTRADITION_REQUEST: ((E.THREAT_EVIDENCE, STRONG), (E.CRIMINAL_CASE, WEAK)),
    RiskKind.DEPORTATION_ORDER: ((E.THREAT_EVIDENCE, STRONG),),
    RiskKind.HEARING: ((E.CRIMINAL_CASE, WEAK),),
    RiskKind.RELEASE: ((E.DETENTION_RECORD, WEAK),),
}

# An evidence item (a file). What most files show is in their content, which readiness does
# not read; only these kinds say something by themselves. A disputed item counts for nothing.
ITEMS: dict[str, tuple[tuple[E, bool], ...]] = {
    ItemKind.ID_SCAN: ((E.IDENTITY_DOCUMENT, WEAK), (E.MILITARY_ID, WEAK)),
    ItemKind.CHAT_EXPORT: ((E.THREAT_EVIDENCE, WEAK),),
}
# A verified or corroborated chat export of threats is strong.
ITEMS_STRONG_WHEN_CHECKED = frozenset({(ItemKind.CHAT_EXPORT, E.THREAT_EVIDENCE)})
CHECKED = frozenset({Verification.VERIFIED, Verification.CORROBORATED})

# Family members recorded with the person show a tie, weakly; papers (FAMILY_PAPERS) prove it.
# Testimonies give E.TESTIMONY (see the module's docstring for when it is strong).

NOT_RECORDED = frozenset({E.COUNTRY_INFORMATION, E.SPONSOR, E.JOB_OR_STUDY_OFFER})

# What an item can be marked as showing: every kind a case records, except the person's own
# statement (a testimony is recorded as such).
MARKABLE = tuple(kind for kind in E if kind not in NOT_RECORDED and kind != E.TESTIMONY)


def markable_kinds(criterion: Criterion) -> list[E]:
    """The kinds of ``criterion``'s evidence that an evidence item can be marked as showing."""
    return [E(kind) for kind in criterion.evidence if kind in MARKABLE]


class State(StrEnum):
    MET = "met"
    PARTIAL = "partial"
    MISSING = "missing"

    @property
    def label(self):
        return {
            State.MET: pgettext_lazy("criterion", "Met"),
            State.PARTIAL: pgettext_lazy("criterion", "Partly met"),
            State.MISSING: pgettext_lazy("criterion", "Missing"),
        }[self]


@dataclass(frozen=True)
class Support:
    """One thing the case holds, as shown in a checklist: a label without personal details,
    and for a marked item the mark (its id), which the checklist offers to take back."""

    label: str
    strong: bool
    mark: int | None = None


@dataclass
class Holdings:
    """What a case holds, by evidence kind. ``own_statements`` are kept apart: whether they are
    strong depends on the criterion."""

    by_kind: dict[str, list[Support]] = field(default_factory=lambda: defaultdict(list))
    own_statements: list[Support] = field(default_factory=list)


def _item_label(kind: str, verification: str, acquired_on, label: str = "") -> str:
    values = {
        "kind": choice_label(ItemKind, kind),
        "verification": choice_label(Verification, verification),
        "date": short_date(acquired_on),
        "label": label,
    }
    if label:
        return _("Evidence %(label)s: %(kind)s, %(verification)s") % values
    return _("Evidence item: %(kind)s, %(verification)s, acquired %(date)s") % values


def _case_items(case) -> tuple[list, list]:
    """The case's items that say by themselves what they show, as (kind, verification, label),
    and its marked items, as (mark id, evidence kind, verification, label): two queries."""
    rows = evidence_selectors.item_kinds_of(case, ITEMS)
    marks = (
        EvidenceMark.objects.filter(case=case)
        .exclude(item__verification=Verification.DISPUTED)
        .values_list("pk", "kind", "item__kind", "item__verification", "item__acquired_on")
        .order_by("item__acquired_on", "item_id", "pk")
    )
    return (
        [(kind, checked, _item_label(kind, checked, on)) for kind, checked, on in rows],
        [
            (pk, shows, checked, _item_label(kind, checked, on))
            for pk, shows, kind, checked, on in marks
        ],
    )


def _chosen_items(items) -> tuple[list, list]:
    """The same for the (label, item) pairs a dossier carries: one query, for the marks."""
    kept = {item.pk: (label, item) for label, item in items}
    kept = {pk: pair for pk, pair in kept.items() if pair[1].verification != Verification.DISPUTED}
    labels = {
        pk: _item_label(item.kind, item.verification, item.acquired_on, label)
        for pk, (label, item) in kept.items()
    }
    rows = [
        (item.kind, item.verification, labels[pk])
        for pk, (_label, item) in kept.items()
        if item.kind in ITEMS
    ]
    marked = EvidenceMark.objects.filter(item_id__in=list(kept)).order_by("item_id", "pk")
    marks = [
        (pk, shows, kept[item][1].verification, labels[item])
        for pk, shows, item in marked.values_list("pk", "kind", "item_id")
    ]
    return rows, marks


def gather(case, *, family: bool = True, items=None, testimonies=None) -> Holdings:
    """Read what ``case`` holds: six queries, whatever it holds. The caller has checked that
    the viewer may open the case; ``family`` says whether he may see its care side, where the
    family is (a lawyer does not: even how many relatives are recorded is not his to see).

    For a dossier, ``items`` and ``testimonies`` are the (label, record) pairs it carries:
    only those count, named by their label."""
    held = Holdings()
    for kind, state in Document.objects.filter(case=case).values_list("kind", "state"):
        if state == DocumentState.MISSING:
            continue
        weak_state = state in DOCUMENT_STATES_WEAK
        label = _("Document: %(kind)s (%(state)s)") % {
            "kind": choice_label(DocumentKind, kind),
            "state": choice_label(DocumentState, state),
        }
        for evidence, strong in DOCUMENTS.get(kind, ()):
            held.by_kind[evidence].append(Support(label, strong and not weak_state))

    for kind, on in RiskEvent.objects.filter(case=case).values_list("kind", "on"):
        label = _("Risk event: %(kind)s, %(date)s") % {
            "kind": choice_label(RiskKind, kind),
            "date": short_date(on),
        }
        for evidence, strong in RISKS.get(kind, ()):
            held.by_kind[evidence].append(Support(label, strong))

    rows, marks = _case_items(case) if items is None else _chosen_items(items)
    for kind, verification, label in rows:
        for evidence, strong in ITEMS[kind]:
            strong = strong or (
                (kind, evidence) in ITEMS_STRONG_WHEN_CHECKED and verification in CHECKED
            )
            held.by_kind[evidence].append(Support(label, strong))
    for pk, evidence, verification, label in marks:
        held.by_kind[evidence].append(Support(label, verification in CHECKED, mark=pk))

    family = FamilyMember.objects.filter(case=case).count() if family else 0
    if family:
        label = _("Family members recorded: %(count)s") % {"count": family}
        held.by_kind[E.FAMILY_TIE].append(Support(label, WEAK))

    if testimonies is None:
        labels = [
            _("Testimony taken %(date)s") % {"date": short_date(on)}
            for on in evidence_selectors.statement_dates_of(case)
        ]
    else:
        labels = [
            _("Testimony %(label)s, taken %(date)s")
            % {"label": label, "date": short_date(t.interviewed_on)}
            for label, t in testimonies
            if t.consent_withdrawn_on is None
        ]
    held.own_statements += [Support(label, WEAK) for label in labels]
    return held


@dataclass(frozen=True)
class CriterionReadiness:
    criterion: Criterion
    state: State
    supports: tuple[Support, ...]  # what the case holds for it, strong first
    wanted: tuple[E, ...]  # kinds recordable in Waystation that would make it met
    unrecorded: tuple[E, ...]  # kinds of it that Waystation does not record: check by hand


@dataclass(frozen=True)
class PathwayReadiness:
    pathway: Pathway
    criteria: tuple[CriterionReadiness, ...]

    def count(self, state: State) -> int:
        return sum(1 for c in self.criteria if c.state == state)

    @property
    def met(self) -> int:
        return self.count(State.MET)

    @property
    def partial(self) -> int:
        return self.count(State.PARTIAL)

    @property
    def missing(self) -> int:
        return self.count(State.MISSING)

    def rank_key(self, name: str = "") -> tuple:
        """Most criteria met first, then most partly met, then fewest missing; ties by name."""
        return (-self.met, -self.partial, self.missing, name.casefold(), self.pathway.id)


def _kind(value: str) -> E | None:
    try:
        return E(value)
    except ValueError:  # the schema allows only known kinds; stay safe if it ever does not
        return None


def assess_criterion(criterion: Criterion, held: Holdings) -> CriterionReadiness:
    kinds = [k for k in (_kind(v) for v in criterion.evidence) if k is not None]
    statement_strong = kinds == [E.TESTIMONY]
    supports: list[Support] = []
    for kind in kinds:
        if kind == E.TESTIMONY:
            supports += [Support(s.label, statement_strong) for s in held.own_statements]
        else:
            supports += held.by_kind.get(kind, [])
    # One record can show two kinds of one criterion (a wanted listing: the listing, weakly a
    # threat): list it once, as strongly as it counts. A mark stays apart: it can be taken back.
    strongest: dict[tuple, bool] = {}
    for support in supports:
        key = (support.label, support.mark)
        strongest[key] = strongest.get(key, False) or support.strong
    # An item that shows a kind by itself and is marked as showing it too: once, as the mark.
    for label, mark in [key for key in strongest if key[1] is not None]:
        strongest[(label, mark)] = strongest[(label, mark)] or strongest.pop((label, None), False)
    supports = sorted(
        (Support(label, strong, mark) for (label, mark), strong in strongest.items()),
        key=lambda s: not s.strong,
    )
    if any(s.strong for s in supports):
        state = State.MET
    elif supports:
        state = State.PARTIAL
    else:
        state = State.MISSING
    # What would make it met: a statement only where it alone suffices.
    wanted = tuple(
        k for k in kinds if k not in NOT_RECORDED and (k != E.TESTIMONY or statement_strong)
    )
    unrecorded = tuple(k for k in kinds if k in NOT_RECORDED)
    return CriterionReadiness(criterion, state, tuple(supports), wanted, unrecorded)


def assess(pathway: Pathway, held: Holdings) -> PathwayReadiness:
    return PathwayReadiness(
        pathway, tuple(assess_criterion(criterion, held) for criterion in pathway.criteria)
    )
