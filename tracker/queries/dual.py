"""Dual review: blinded entries, the adjudication queue, agreement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from tracker.models import (
    Citation,
    Claim,
    Document,
    DualEntry,
    DualEntryValue,
    DualItem,
    DualReviewDocument,
    EvidenceLink,
    ReviewAssignment,
    User,
)
from tracker.vocabulary import DualKind, DualState

# --- dual review -----------------------------------------------------------------------------
#
# Blinding lives here: every read of dual-review entries takes the reading user (`reader`, a
# user id; None for someone not signed in) and returns an entry only when its item is revealed
# (both entries are in) or the entry is the reader's own. Nothing else says whether an open
# item has an entry: not a count, not a state, not an audit event (`history` hides them too).


@dataclass(frozen=True, slots=True)
class DualReviewRow:
    """A document under dual review: who required it, when, why."""

    document_id: int
    required_by: str
    required_at: datetime
    reason: str


def dual_review(session: Session, document_id: int) -> DualReviewRow | None:
    row = session.execute(
        select(DualReviewDocument.document_id, User.username, DualReviewDocument.required_at,
               DualReviewDocument.reason)
        .join(User, User.id == DualReviewDocument.required_by_id)
        .where(DualReviewDocument.document_id == document_id)).first()
    return None if row is None else DualReviewRow(*row)


@dataclass(frozen=True, slots=True)
class DualEntryRow:
    reviewer: str
    payload: dict[str, Any]
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class DualItemRow:
    """A judgement under dual review and the entries the reader may see: while it is open,
    their own at most; once both are in, both (first entered first)."""

    id: int
    kind: str
    claim_id: int | None
    claim_text: str | None
    citation_id: int
    citation_key: str
    state: str
    revealed: bool
    entries: list[DualEntryRow]
    proposed_by: str | None
    proposed_reason: str | None
    decided_by: str | None
    decision: str | None
    decision_reason: str | None
    decided_payload: dict[str, Any] | None
    version: int


def _visible(reader: int | None) -> Any:
    """Entries the reader may see: those of revealed items, and their own."""
    revealed = DualItem.revealed_at.is_not(None)
    return revealed if reader is None else or_(revealed, DualEntry.reviewer_id == reader)


def dual_items(session: Session, document_id: int | None, *, reader: int | None,
               states: Sequence[str] | None = None, claim_ids: Sequence[int] | None = None,
               item_ids: Sequence[int] | None = None) -> list[DualItemRow]:
    """Dual-review items of a document (or of these claims, or these ids), oldest first,
    each with the entries `reader` may see: every revealed or proposed item, and an open
    one only when it holds the reader's own entry (nobody learns from this read that the
    other reviewer has entered)."""
    proposer, decider = aliased(User), aliased(User)
    query = (select(DualItem, Claim.text, Citation.key, proposer.username, decider.username)
             .join(Citation, Citation.id == DualItem.citation_id)
             .outerjoin(Claim, Claim.id == DualItem.claim_id)
             .outerjoin(proposer, proposer.id == DualItem.proposed_by_id)
             .outerjoin(decider, decider.id == DualItem.decided_by_id)
             .order_by(DualItem.id))
    if document_id is not None:
        query = query.where(DualItem.document_id == document_id)
    if states:
        query = query.where(DualItem.state.in_(list(states)))
    if claim_ids is not None:
        query = query.where(DualItem.claim_id.in_(list(claim_ids)))
    if item_ids is not None:
        query = query.where(DualItem.id.in_(list(item_ids)))
    # An open item exists because someone entered (or proposed) it: unless it was proposed
    # (visibly, by design) or holds the reader's own entry, even its existence is hidden.
    own = select(DualEntry.id).where(DualEntry.item_id == DualItem.id,
                                     DualEntry.reviewer_id == reader)
    shown = or_(DualItem.revealed_at.is_not(None), DualItem.proposed_by_id.is_not(None))
    query = query.where(shown if reader is None else or_(shown, own.exists()))
    heads = session.execute(query).all()
    entries: dict[int, list[DualEntryRow]] = {}
    for item_id, who, payload, at in session.execute(
            select(DualEntry.item_id, User.username, DualEntry.payload, DualEntry.submitted_at)
            .join(User, User.id == DualEntry.reviewer_id)
            .join(DualItem, DualItem.id == DualEntry.item_id)
            .where(DualEntry.item_id.in_([h[0].id for h in heads]), _visible(reader))
            .order_by(DualEntry.submitted_at, DualEntry.id)):
        entries.setdefault(item_id, []).append(DualEntryRow(who, payload, at))
    return [DualItemRow(
        item.id, item.kind, item.claim_id, text, item.citation_id, key, item.state,
        item.revealed_at is not None, entries.get(item.id, []), proposed, item.proposed_reason,
        decided, item.decision, item.decision_reason, item.decided_payload, item.version)
        for item, text, key, proposed, decided in heads]


def adjudication_queue(session: Session, document_id: int | None, *,
                       reader: int | None) -> list[DualItemRow]:
    """What waits for an editor: items whose two entries differ, with both entries."""
    return dual_items(session, document_id, reader=reader,
                      states=[DualState.AWAITING.value])


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One judgement in a reviewer's queue: what to judge, and where the reader stands —
    "to enter", "entered" (theirs is in; nothing is said of the other's), or the item's state
    once both are in."""

    kind: str
    claim_id: int | None
    claim_text: str | None
    citation_id: int
    citation_key: str
    design: str | None
    partner: str
    item_id: int | None
    standing: str
    mine: DualEntryRow | None
    other: DualEntryRow | None  # only once both entries are in
    decision: str | None
    decided_payload: dict[str, Any] | None


def dual_queue(session: Session, document_id: int, reader: int) -> list[QueueItem]:
    """The judgements assigned to `reader` in a document: the stance and directness of each
    link (and the stance of each proposed study) of the claims assigned to them and their
    parts, and the appraisal of each study assigned to them."""
    first, second = ReviewAssignment.first_reviewer_id, ReviewAssignment.second_reviewer_id
    assigned = session.execute(
        select(ReviewAssignment.claim_id, ReviewAssignment.citation_id, first, second)
        .where(ReviewAssignment.document_id == document_id, or_(first == reader,
                                                                second == reader))
        .order_by(ReviewAssignment.id)).all()
    partner_ids = {a if b == reader else b for _, _, a, b in assigned}
    names = dict(session.execute(select(User.id, User.username).where(
        User.id.in_(partner_ids))).all())
    claim_partner = {c: names[a if b == reader else b] for c, _, a, b in assigned
                     if c is not None}
    study_partner = {s: names[a if b == reader else b] for _, s, a, b in assigned
                     if s is not None}
    parts: dict[int, int] = {p: s for p, s in session.execute(select(Claim.id, Claim.parent_id)
                             .where(Claim.parent_id.in_(list(claim_partner)),
                                    Claim.retired.is_(False))).all() if s is not None}
    claims = list(claim_partner) + list(parts)

    def partner_of(claim_id: int) -> str:
        return claim_partner.get(claim_id) or claim_partner[parts[claim_id]]

    texts = dict(session.execute(select(Claim.id, Claim.text).where(
        Claim.id.in_(claims))).all())
    wanted: list[tuple[str, int | None, int, str]] = []  # kind, claim, citation, partner
    linked = session.execute(
        select(EvidenceLink.claim_id, EvidenceLink.citation_id)
        .where(EvidenceLink.claim_id.in_(claims))
        .order_by(EvidenceLink.claim_id, EvidenceLink.id)).all()
    for claim_id, citation_id in linked:
        wanted += [(DualKind.STANCE.value, claim_id, citation_id, partner_of(claim_id)),
                   (DualKind.DIRECTNESS.value, claim_id, citation_id, partner_of(claim_id))]
    links = set(linked)
    for proposed_claim, citation_id in session.execute(
            select(DualItem.claim_id, DualItem.citation_id)
            .where(DualItem.claim_id.in_(claims), DualItem.proposed_by_id.is_not(None))
            .order_by(DualItem.id)).all():
        if proposed_claim is not None and (proposed_claim, citation_id) not in links:
            wanted.append((DualKind.STANCE.value, proposed_claim, citation_id,
                           partner_of(proposed_claim)))
    wanted += [(DualKind.APPRAISAL.value, None, s, p) for s, p in study_partner.items()]
    studies = {c: (k, d) for c, k, d in session.execute(
        select(Citation.id, Citation.key, Citation.design).where(
            Citation.id.in_({c for _, _, c, _ in wanted}))).all()}
    targets = [f"{k}:{cl}:{ci}" if cl is not None else f"{k}:{ci}" for k, cl, ci, _ in wanted]
    items = {row.id: row for row in dual_items(session, None, reader=reader, item_ids=list(
        session.scalars(select(DualItem.id).where(DualItem.target.in_(targets)))))}
    by_target = {(i.kind, i.claim_id, i.citation_id): i for i in items.values()}
    reader_name = session.scalar(select(User.username).where(User.id == reader))
    queue: list[QueueItem] = []
    for kind, target_claim, citation_id, partner in wanted:
        item = by_target.get((kind, target_claim, citation_id))
        mine = next((e for e in item.entries if e.reviewer == reader_name), None) if item \
            else None
        other = next((e for e in item.entries if e.reviewer != reader_name), None) if item \
            else None
        standing = (item.state if item is not None and item.revealed
                    else "entered" if mine is not None else "to enter")
        key, design = studies[citation_id]
        queue.append(QueueItem(kind, target_claim,
                               texts.get(target_claim) if target_claim else None,
                               citation_id, key, design, partner, item.id if item else None,
                               standing, mine, other, item.decision if item else None,
                               item.decided_payload if item else None))
    return queue


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """Agreement on one measured judgement, for a document's pairs pooled (`pair` None) or
    for one pair of reviewers ("ana & rui"); kappas as values with 95 % CIs (None where
    undefined; `note` says why)."""

    document: str | None  # the document's slug; None for every document
    pair: str | None
    kind: str
    measure: str
    field: str
    n: int
    agreed: int
    percent: float | None
    kappa: float | None
    kappa_se: float | None
    kappa_ci_low: float | None
    kappa_ci_high: float | None
    linear: float | None
    linear_ci_low: float | None
    linear_ci_high: float | None
    quadratic: float | None
    quadratic_ci_low: float | None
    quadratic_ci_high: float | None
    note: str


def agreement_counts(session: Session, document_id: int | None
                     ) -> list[tuple[str, str, str, str, str, int]]:
    """(field, first reviewer, second reviewer, first's value, second's value, items): the
    revealed items' pairs of values counted in SQL, each pair oriented by username."""
    e1, e2 = aliased(DualEntry), aliased(DualEntry)
    v1, v2 = aliased(DualEntryValue), aliased(DualEntryValue)
    u1, u2 = aliased(User), aliased(User)
    query = (select(v1.field, u1.username, u2.username, v1.value, v2.value, func.count())
             .select_from(DualItem)
             .join(e1, e1.item_id == DualItem.id)
             .join(e2, (e2.item_id == DualItem.id) & (e2.id != e1.id))
             .join(u1, u1.id == e1.reviewer_id).join(u2, u2.id == e2.reviewer_id)
             .join(v1, v1.entry_id == e1.id)
             .join(v2, (v2.entry_id == e2.id) & (v2.field == v1.field))
             .where(DualItem.revealed_at.is_not(None), u1.username < u2.username)
             .group_by(v1.field, u1.username, u2.username, v1.value, v2.value)
             .order_by(v1.field, u1.username, u2.username, v1.value, v2.value))
    if document_id is not None:
        query = query.where(DualItem.document_id == document_id)
    return [(f, a, b, x, y, int(n)) for f, a, b, x, y, n in session.execute(query)]


def agreement(session: Session, document_id: int | None = None) -> list[AgreementRow]:
    """Percentage agreement and Cohen's kappa (weighted too, on ordered scales) for each
    measured judgement — stance, each appraisal domain and overall judgement, each
    directness element — over a document's revealed items (every document's: None), for all
    pairs together and for each pair. Counts come from SQL; the statistics from
    `tracker.agreement`."""
    slug = None
    if document_id is not None:
        slug = session.scalar(select(Document.slug).where(Document.id == document_id))
    pooled: dict[str, list[tuple[str, str]]] = {}
    paired: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for field_name, a, b, x, y, n in agreement_counts(session, document_id):
        pooled.setdefault(field_name, []).extend([(x, y)] * n)
        paired.setdefault((f"{a} & {b}", field_name), []).extend([(x, y)] * n)
    rows = [_agreement_row(slug, None, f, pairs) for f, pairs in pooled.items()]
    rows += [_agreement_row(slug, pair, f, pairs) for (pair, f), pairs in paired.items()]
    order = {k.value: n for n, k in enumerate(DualKind)}
    return sorted(rows, key=lambda r: (r.pair is not None, r.pair or "", order[r.kind],
                                       _field_rank(r.field), r.field))


def _field_rank(field_name: str) -> tuple[int, int]:
    name, _, part = field_name.partition(":")
    if not part:
        return (0, 0)
    return (1, int(part)) if part.isdigit() else (1, 100 if part in (
        "overall", "pools", "escalate") else int(part[1:]) if part[1:].isdigit() else 50)


def _agreement_row(document: str | None, pair: str | None, field_name: str,
                   pairs: list[tuple[str, str]]) -> AgreementRow:
    from tracker import agreement as agreement_stats

    measure = agreement_stats.measure_of(field_name)
    result = agreement_stats.agreement(pairs, measure.categories, order=measure.order)
    kappa, linear, quadratic = result.kappa, result.linear, result.quadratic
    notes = [k.note for k in (kappa, linear, quadratic) if k is not None and k.note]
    return AgreementRow(
        document, pair, measure.kind, measure.label, field_name, result.n, result.agreed,
        result.percent, kappa.value if kappa else None, kappa.se if kappa else None,
        kappa.ci_low if kappa else None, kappa.ci_high if kappa else None,
        linear.value if linear else None, linear.ci_low if linear else None,
        linear.ci_high if linear else None, quadratic.value if quadratic else None,
        quadratic.ci_low if quadratic else None, quadratic.ci_high if quadratic else None,
        "; ".join(dict.fromkeys(notes + ([result.note] if result.note else []))))
