"""The editorial queue and the flags on claims."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from tracker.models import Claim, Document, EvidenceLink, Flag, User, utcnow
from tracker.queries.claims import ClaimRow, _claim_row, _claim_select
from tracker.queries.coverage import _graded_claims
from tracker.queries.statements import DOCUMENT, _count_if, _for_document, _run
from tracker.vocabulary import ClaimStatus, FlagState

# --- the editorial queue, flags --------------------------------------------------------------

#: Weakest first (tracker.grading.STATUS_ORDER without "supported").
QUEUE_STATUSES = (ClaimStatus.CONTRADICTED.value, ClaimStatus.CONTESTED.value,
                  ClaimStatus.NO_EVIDENCE_FOUND.value, ClaimStatus.INSUFFICIENT.value,
                  ClaimStatus.NOT_REVIEWED.value)


def queue(session: Session, document_id: int | None = None, *, limit: int | None = None,
          offset: int = 0) -> list[ClaimRow]:
    """Claims the editors should look at: every status but supported, without an open flag
    (weakest first — contradicted, contested, no evidence found, insufficient, not reviewed —
    then in document order)."""
    params = _for_document(document_id) | {"offset": offset}
    if limit is not None:
        params["limit"] = limit
    rows = _run(session, _queue_statement(document_id is not None, limit is not None), params)
    return [_claim_row(r, {}) for r in rows.all()]


def _queued() -> list[Any]:
    has_open = exists().where(Flag.claim_id == Claim.id, Flag.state == FlagState.OPEN.value)
    # OR of equalities, not IN: an IN list is re-rendered on every execution.
    return [or_(*(Claim.status == s for s in QUEUE_STATUSES)), ~has_open]


@cache
def _queue_statement(per_document: bool, limited: bool) -> Select[Any]:
    weakest = case({s: i for i, s in enumerate(QUEUE_STATUSES)}, value=Claim.status)
    query = (_claim_select(bindparam(DOCUMENT) if per_document else None)
             .where(*_graded_claims(per_document), *_queued())
             .order_by(weakest, Document.id, Claim.ordinal).offset(bindparam("offset")))
    return query.limit(bindparam("limit")) if limited else query


def queue_size(session: Session, document_id: int | None = None) -> int:
    return int(_run(session, _queue_size_statement(document_id is not None),
                    _for_document(document_id)).scalar() or 0)


@cache
def _queue_size_statement(per_document: bool) -> Select[Any]:
    return select(func.count()).where(*_graded_claims(per_document), *_queued())


@dataclass(frozen=True, slots=True)
class FlagRow:
    id: int
    claim_id: int
    claim_text: str
    kind: str
    reason: str
    state: str
    raised_by: str
    raised_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    resolution: str | None
    new_evidence: int  # links added to the claim since the flag was raised
    version: int


@dataclass(frozen=True, slots=True)
class FlagFilter:
    """Which flags `flags()` and `flag_count()` return: of a document's claims, in a state,
    on one claim (None: any)."""

    document_id: int | None = None
    state: str | None = None
    claim_id: int | None = None


EVERY_FLAG = FlagFilter()


def flags(session: Session, where: FlagFilter = EVERY_FLAG, *, limit: int | None = None,
          offset: int = 0) -> list[FlagRow]:
    """Flags, open ones first, newest first; `limit` and `offset` give one page of them."""
    raiser = aliased(User)
    closer = aliased(User)
    new_links = (select(func.count()).where(EvidenceLink.claim_id == Flag.claim_id,
                                            EvidenceLink.created_at > Flag.raised_at)
                 .correlate(Flag).scalar_subquery())
    query = (select(Flag.id, Flag.claim_id, Claim.text, Flag.kind, Flag.reason, Flag.state,
                    raiser.username, Flag.raised_at, closer.username, Flag.closed_at,
                    Flag.resolution, new_links, Flag.version)
             .join(Claim, Claim.id == Flag.claim_id)
             .join(raiser, raiser.id == Flag.raised_by_id)
             .outerjoin(closer, closer.id == Flag.closed_by_id))
    query = _flags_where(query, where)
    query = query.order_by(Flag.state != FlagState.OPEN.value, Flag.raised_at.desc(),
                           Flag.id.desc())
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [FlagRow(*cast(tuple[Any, ...], r)) for r in session.execute(query).all()]


def flag_count(session: Session, where: FlagFilter = EVERY_FLAG) -> int:
    """How many flags `flags()` returns with the same filter (for paging)."""
    query = select(func.count()).select_from(Flag).join(Claim, Claim.id == Flag.claim_id)
    return int(session.scalar(_flags_where(query, where)) or 0)


def _flags_where(query: Any, where: FlagFilter) -> Any:
    if where.document_id is not None:
        query = query.where(Claim.document_id == where.document_id)
    if where.state:
        query = query.where(Flag.state == where.state)
    if where.claim_id is not None:
        query = query.where(Flag.claim_id == where.claim_id)
    return query


@dataclass(frozen=True, slots=True)
class FlagSummary:
    kind: str
    open: int
    resolved: int
    dismissed: int
    open_over_7_days: int
    open_over_30_days: int


def flag_summary(session: Session, document_id: int | None = None,
                 now: datetime | None = None) -> list[FlagSummary]:
    """Flags by kind and state, and how long the open ones have waited."""
    moment = now or utcnow()
    params = _for_document(document_id) | {
        "week_ago": moment - timedelta(days=7), "month_ago": moment - timedelta(days=30)}
    rows = _run(session, _flag_summary_statement(document_id is not None), params)
    return [FlagSummary(r[0], *(int(v) for v in r[1:])) for r in rows]


@cache
def _flag_summary_statement(per_document: bool) -> Select[Any]:
    is_open = Flag.state == FlagState.OPEN.value
    query = (select(Flag.kind, *(_count_if(Flag.state == s.value) for s in FlagState),
                    _count_if(is_open & (Flag.raised_at < bindparam("week_ago"))),
                    _count_if(is_open & (Flag.raised_at < bindparam("month_ago"))))
             .group_by(Flag.kind).order_by(Flag.kind))
    if not per_document:
        return query
    return query.join(Claim, Claim.id == Flag.claim_id).where(
        Claim.document_id == bindparam(DOCUMENT))
