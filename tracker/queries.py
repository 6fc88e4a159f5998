"""The reads the CLI and the dashboard share. Counting and grouping happen in SQL.

Each function takes a session and returns small frozen rows; nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Executable,
    Result,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from tracker import grading, topics
from tracker import scorecard as scorecards
from tracker.config import Settings
from tracker.errors import InvalidInput, NotFound
from tracker.models import (
    PATH_SEPARATOR,
    Appraisal,
    AppraisalDomain,
    AuditEvent,
    BodyJudgement,
    Citation,
    CitationTopic,
    CitedSource,
    Claim,
    Document,
    DualEntry,
    DualEntryValue,
    DualItem,
    DualReviewDocument,
    EvidenceLink,
    EvidenceSearch,
    Flag,
    LinkDirectness,
    OpenQuestion,
    QuestionClaim,
    QuestionEvidence,
    Resource,
    RetractionNotice,
    ReviewAssignment,
    ScorecardRating,
    Section,
    StatusChange,
    User,
    utcnow,
)
from tracker.scorecard import claimreview
from tracker.vocabulary import (
    CITO_TERMS,
    Certainty,
    ClaimStatus,
    ClaimTrack,
    DualKind,
    DualState,
    FlagKind,
    FlagState,
    Instrument,
    Priority,
    QuestionStatus,
    Stance,
    Standing,
    StudyDesign,
    TagState,
    WordingDecisionKind,
    WordingVerdict,
)


def split_path(path_key: str | None) -> list[str]:
    return path_key.split(PATH_SEPARATOR) if path_key else []


# The reads every page and the CLI repeat are built once, with bound parameters, and cached
# (`@cache` on a builder per shape): building a SELECT and its cache key costs more than running
# it on one document's claims.
DOCUMENT = "document_id"


def _for_document(document_id: int | None) -> dict[str, Any]:
    return {} if document_id is None else {DOCUMENT: document_id}


def _run(session: Session, statement: Executable, params: dict[str, Any]
         ) -> Result[*tuple[Any, ...]]:
    """Run a prebuilt statement on the session's connection, in its transaction: these reads
    return plain rows, so the ORM's execution layer (a third of a small read's cost) is
    skipped; pending changes are flushed first, as `session.execute` would."""
    session.flush()
    return session.connection().execute(statement, params)


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# --- documents -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    slug: str
    title: str
    source_path: str
    claims: int
    sections: int
    resources: int
    ingested_at: datetime
    updated_at: datetime
    # What the document says about itself (never claims); None where it said nothing.
    author: str | None
    published: str | None
    language: str | None
    source_url: str | None
    source_format: str


def documents(session: Session) -> list[DocumentRow]:
    return _documents(session)


def _documents(session: Session, document_id: int | None = None) -> list[DocumentRow]:
    """Every document (or one) with its live claim, section and resource counts: each table
    counted in one grouped pass, not once per document."""
    rows = _run(session, _documents_statement(document_id is not None),
                           _for_document(document_id))
    return [DocumentRow(*row) for row in rows]


@cache
def _documents_statement(one: bool) -> Select[Any]:
    def counted(model: Any, *where: Any) -> Any:
        if one:
            where += (model.document_id == bindparam(DOCUMENT),)
        return (select(model.document_id, func.count().label("n"))
                .where(model.retired.is_(False), *where).group_by(model.document_id).subquery())

    claims = counted(Claim, Claim.parent_id.is_(None))
    sections = counted(Section)
    resources = counted(Resource)
    query = (
        select(Document.id, Document.slug, Document.title, Document.source_path,
               func.coalesce(claims.c.n, 0), func.coalesce(sections.c.n, 0),
               func.coalesce(resources.c.n, 0), Document.ingested_at, Document.updated_at,
               Document.author, Document.published, Document.language, Document.source_url,
               Document.source_format)
        .outerjoin(claims, claims.c.document_id == Document.id)
        .outerjoin(sections, sections.c.document_id == Document.id)
        .outerjoin(resources, resources.c.document_id == Document.id)
        .order_by(Document.title)
    )
    return query.where(Document.id == bindparam(DOCUMENT)) if one else query


def resolve_document(session: Session, slug: str | None) -> Document:
    """The document named by `slug`, or the only one when there is just one."""
    if slug:
        document = session.scalar(select(Document).where(Document.slug == slug))
        if document is None:
            raise NotFound(f"no document {slug!r}; `tracker documents` lists them")
        return document
    found = list(session.scalars(select(Document).order_by(Document.id).limit(2)))
    if not found:
        raise NotFound("no document yet; `tracker ingest PATH` adds one")
    if len(found) > 1:
        raise InvalidInput("several documents are tracked; name one with --document SLUG")
    return found[0]


# --- sections --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectionRow:
    id: int
    title: str
    level: int
    kind: str
    path: list[str]
    ordinal: int
    claims: int


def sections(session: Session, document_id: int) -> list[SectionRow]:
    counts = (
        select(Claim.section_id, func.count().label("n"))
        .where(Claim.document_id == document_id, Claim.retired.is_(False),
               Claim.parent_id.is_(None))
        .group_by(Claim.section_id).subquery()
    )
    rows = session.execute(
        select(Section.id, Section.title, Section.level, Section.kind, Section.path_key,
               Section.ordinal, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.section_id == Section.id)
        .where(Section.document_id == document_id, Section.retired.is_(False))
        .order_by(Section.ordinal)
    )
    return [
        SectionRow(id=r[0], title=r[1], level=r[2], kind=r[3], path=split_path(r[4]),
                   ordinal=r[5], claims=r[6])
        for r in rows
    ]


# --- claims ----------------------------------------------------------------------------------


# Not frozen: a frozen dataclass's __init__ costs twice as much, and a desk's claim lists and
# queue run to thousands of rows (benchmarks/run.py, "queue, in full").
@dataclass(slots=True)
class ClaimRow:
    id: int
    document: str
    section: list[str]
    text: str
    category: str
    ordinal: int
    incomplete: bool
    restates: int | None
    parent: int | None
    retired: bool
    status: str
    certainty: str | None
    standing: str | None
    track: str
    explanation: str
    open_flags: list[str]
    version: int


def _claim_select(document: Any = None) -> Select[*tuple[Any, ...]]:
    query: Select[*tuple[Any, ...]] = (
        select(Claim.id, Document.slug, Section.path_key, Claim.text, Claim.category,
               Claim.ordinal, Claim.incomplete, Claim.restates_id, Claim.parent_id,
               Claim.retired, Claim.status, Claim.certainty, Claim.standing, Claim.track,
               Claim.explanation, Claim.version)
        .join(Document, Document.id == Claim.document_id)
        .outerjoin(Section, _section_of_claim(document))
    )
    return query


def _section_of_claim(document: Any = None) -> Any:
    """The join to a claim's section; with `document` (a value or a bound parameter) also
    "of that document" — the same rows (a claim's section is of its document), but PostgreSQL
    then reads that document's sections instead of hashing every section of the desk."""
    on = Section.id == Claim.section_id
    return on if document is None else on & (Section.document_id == document)


def _claim_row(r: Any, flags: dict[int, list[str]]) -> ClaimRow:
    # Positional (the fields' order): this runs once per row of every claim list.
    (ident, document, path_key, text, category, ordinal, incomplete, restates, parent,
     retired, status, certainty, standing, track, explanation, version) = r
    return ClaimRow(ident, document, path_key.split(PATH_SEPARATOR) if path_key else [], text,
                    category, ordinal, bool(incomplete), restates, parent, bool(retired),
                    status, certainty, standing, track, explanation, flags.get(ident, []),
                    version)


def open_flag_kinds(session: Session, document_id: int | None = None,
                    claim_id: int | None = None) -> dict[int, list[str]]:
    """Claim id → kinds of its open flags (sorted)."""
    query = select(Flag.claim_id, Flag.kind).distinct().where(Flag.state == FlagState.OPEN.value)
    if claim_id is not None:
        query = query.where(Flag.claim_id == claim_id)
    if document_id is not None:
        query = query.join(Claim, Claim.id == Flag.claim_id).where(
            Claim.document_id == document_id)
    kinds: dict[int, list[str]] = {}
    for cid, kind in session.execute(query.order_by(Flag.claim_id, Flag.kind)):
        kinds.setdefault(cid, []).append(kind)
    return kinds


def claims(
    session: Session,
    *,
    document_id: int | None = None,
    section: str | None = None,
    category: str | None = None,
    include_retired: bool = False,
    include_parts: bool = True,
    status: str | None = None,
    certainty: str | None = None,
    flagged: bool | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ClaimRow]:
    """Claims in document order. `section` matches a heading title (case-insensitive) and
    includes its subsections. `limit` and `offset` give one page of them."""
    query = _claims_where(
        session, _claim_select(document_id), document_id=document_id, section=section,
        category=category, include_retired=include_retired, include_parts=include_parts,
        status=status, certainty=certainty, flagged=flagged)
    parent = aliased(Claim)
    order_key = func.coalesce(
        select(parent.ordinal).where(parent.id == Claim.parent_id).scalar_subquery(),
        Claim.ordinal,
    )
    query = query.order_by(Document.id, order_key, Claim.parent_id.is_not(None), Claim.ordinal)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    flags = open_flag_kinds(session, document_id=document_id)
    return [_claim_row(r, flags) for r in session.execute(query).all()]


def claim_count(
    session: Session,
    *,
    document_id: int | None = None,
    section: str | None = None,
    category: str | None = None,
    include_retired: bool = False,
    include_parts: bool = True,
    status: str | None = None,
    certainty: str | None = None,
    flagged: bool | None = None,
) -> int:
    """How many claims `claims()` returns with the same filters (for paging)."""
    query = select(func.count()).select_from(Claim).outerjoin(
        Section, _section_of_claim(document_id))
    query = _claims_where(
        session, query, document_id=document_id, section=section, category=category,
        include_retired=include_retired, include_parts=include_parts, status=status,
        certainty=certainty, flagged=flagged)
    return int(session.scalar(query) or 0)


def _claims_where(
    session: Session, query: Any, *, document_id: int | None, section: str | None,
    category: str | None, include_retired: bool, include_parts: bool, status: str | None,
    certainty: str | None, flagged: bool | None,
) -> Any:
    """`query` (over claims, sections outer-joined) restricted by the filters of `claims()`."""
    if document_id is not None:
        query = query.where(Claim.document_id == document_id)
    if not include_retired:
        query = query.where(Claim.retired.is_(False))
    if not include_parts:
        query = query.where(Claim.parent_id.is_(None))
    if category:
        query = query.where(Claim.category == category)
    if section:
        matching = aliased(Section)
        keys = select(matching.path_key).where(func.lower(matching.title) == section.lower())
        if document_id is not None:
            keys = keys.where(matching.document_id == document_id)
        prefixes = [k for k in session.scalars(keys)]
        if not prefixes:
            raise NotFound(f"no section titled {section!r}; `tracker sections` lists them")
        query = query.where(or_(*(
            or_(Section.path_key == k, Section.path_key.startswith(k + PATH_SEPARATOR))
            for k in prefixes
        )))
    if status in STATUS_GROUPS:
        query = query.where(Claim.status.in_(STATUS_GROUPS[status]))
    elif status:
        query = query.where(Claim.status == status)
    if certainty:
        query = query.where(Claim.certainty == certainty)
    if flagged is not None:
        has_open = exists().where(Flag.claim_id == Claim.id, Flag.state == FlagState.OPEN.value)
        query = query.where(has_open if flagged else ~has_open)
    return query


def claim(session: Session, claim_id: int) -> ClaimRow:
    row = session.execute(_claim_select().where(Claim.id == claim_id)).first()
    if row is None:
        raise NotFound(f"no claim #{claim_id}")
    return _claim_row(row, open_flag_kinds(session, claim_id=claim_id))


# --- coverage --------------------------------------------------------------------------------

STATUSES = tuple(s.value for s in ClaimStatus)
CERTAINTIES = tuple(c.value for c in Certainty)
STANDINGS = tuple(s.value for s in Standing)


def _graded_claims(per_document: bool) -> list[Any]:
    """Conditions for the claims coverage counts: live, whole sentences (a split sentence
    counts once, with the verdict combined from its parts); of the document bound as
    `document_id` when `per_document`."""
    conditions: list[Any] = [Claim.retired.is_(False), Claim.parent_id.is_(None)]
    if per_document:
        conditions.append(Claim.document_id == bindparam(DOCUMENT))
    return conditions


def _status_columns() -> list[Any]:
    return [func.count().label("total")] + [_count_if(Claim.status == s).label(s)
                                            for s in STATUSES]


@dataclass(frozen=True, slots=True)
class Coverage:
    """Headline figures: claims by status, by GRADE certainty (effect claims; "not-assessed"
    while a body is not appraised, "none" when nothing GRADE rates bears on it) and by
    standing (descriptive claims), signed off, open flags."""

    claims: int
    by_status: dict[str, int]
    by_certainty: dict[str, int]
    by_standing: dict[str, int]
    open_flags: int
    signed_off: int


def coverage(session: Session, document_id: int | None = None) -> Coverage:
    row = _run(session, _coverage_statement(document_id is not None),
                          _for_document(document_id)).one()
    total, *counts = (int(value or 0) for value in row)
    by_status = dict(zip(STATUSES, counts, strict=False))
    rest = counts[len(STATUSES):]
    by_certainty = dict(zip((*CERTAINTIES, "none"), rest, strict=False))
    rest = rest[len(CERTAINTIES) + 1:]
    by_standing = dict(zip(STANDINGS, rest, strict=False))
    signed_off, open_flags = counts[-2:]
    return Coverage(claims=total, by_status=by_status, by_certainty=by_certainty,
                    by_standing=by_standing, open_flags=open_flags, signed_off=signed_off)


@cache
def _coverage_statement(per_document: bool) -> Select[Any]:
    """One pass over the graded claims: total, by status, by certainty of effect claims
    ("none" last), by standing of descriptive claims, signed off at the current status; then
    the open flags on live claims (parts included)."""
    flagged = aliased(Claim)
    open_flags = (select(func.count()).select_from(Flag)
                  .join(flagged, flagged.id == Flag.claim_id)
                  .where(Flag.state == FlagState.OPEN.value, flagged.retired.is_(False)))
    if per_document:
        open_flags = open_flags.where(flagged.document_id == bindparam(DOCUMENT))
    return select(
        *_status_columns(),
        *(_count_if(Claim.certainty == c) for c in CERTAINTIES),
        _count_if(Claim.certainty.is_(None) & (Claim.track == ClaimTrack.EFFECT.value)),
        *(_count_if(Claim.standing == s) for s in STANDINGS),
        _count_if(Claim.signed_off_status == Claim.status),
        open_flags.scalar_subquery(),
    ).where(*_graded_claims(per_document))


#: Statuses of a claim with nothing counted behind it: what "no evidence" means in the
#: verdict, the gaps and the `status` filter of `claims()` ("without-evidence").
WITHOUT_EVIDENCE = (ClaimStatus.NOT_REVIEWED.value, ClaimStatus.NO_EVIDENCE_FOUND.value)
STATUS_GROUPS: dict[str, tuple[str, ...]] = {"without-evidence": WITHOUT_EVIDENCE}
#: What "well supported" means in the verdict: supported, and at moderate or high GRADE
#: certainty (effect claims) or established (descriptive claims, which GRADE does not rate).
STRONG_CERTAINTIES = (Certainty.HIGH.value, Certainty.MODERATE.value)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer in one line: how many claims are well supported, how many have no
    evidence, of how many (whole sentences, as in `coverage`)."""

    claims: int
    well_supported: int
    without_evidence: int

    def percent(self, count: int) -> int:
        return round(100 * count / self.claims) if self.claims else 0

    def sentence(self) -> str:
        """ "24 of 63 claims (38 %) supported at moderate or high certainty; 28 (44 %) have
        no evidence"."""
        return (f"{self.well_supported} of {self.claims} claims "
                f"({self.percent(self.well_supported)} %) supported at moderate or high "
                f"certainty; {self.without_evidence} ({self.percent(self.without_evidence)} %)"
                " have no evidence")


def verdict(session: Session, document_id: int | None = None) -> Verdict:
    total, strong, none = _run(session, _verdict_statement(document_id is not None),
                               _for_document(document_id)).one()
    return Verdict(int(total or 0), int(strong or 0), int(none or 0))


@cache
def _verdict_statement(per_document: bool) -> Select[Any]:
    strong = (Claim.status == ClaimStatus.SUPPORTED.value) & (
        Claim.certainty.in_(STRONG_CERTAINTIES) | (Claim.standing == Standing.ESTABLISHED.value))
    return select(func.count(), _count_if(strong),
                  _count_if(Claim.status.in_(WITHOUT_EVIDENCE))
                  ).where(*_graded_claims(per_document))


@dataclass(frozen=True, slots=True)
class Gap:
    """A top-level section and how many of its claims have no evidence."""

    section: str  # its title, or INTRODUCTION
    without_evidence: int
    claims: int


def biggest_gaps(session: Session, document_id: int, limit: int = 5) -> list[Gap]:
    """The sections with the most claims without evidence, most first (none without: left
    out)."""
    rows = coverage_by_section(session, document_id)
    gaps = [Gap(r.group, sum(r.count(s) for s in WITHOUT_EVIDENCE), r.total) for r in rows]
    ranked = sorted((g for g in gaps if g.without_evidence),
                    key=lambda g: (-g.without_evidence, -g.claims))
    return ranked[:limit]


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """Claims of one group (a top-level section, a category) by status."""

    group: str
    ordinal: int
    total: int
    supported: int  # the fields follow ClaimStatus's order (STATUSES)
    contested: int
    contradicted: int
    insufficient: int
    no_evidence_found: int
    not_reviewed: int

    def count(self, status: str) -> int:
        """Claims with this status (a `ClaimStatus` value, hyphens and all)."""
        return int(getattr(self, status.replace("-", "_")))


INTRODUCTION = "(introduction)"


def coverage_by_section(session: Session, document_id: int) -> list[CoverageRow]:
    """Per top-level section (the introduction first); subsections count in their section.

    A group's ordinal is the smallest of the live sections under that top-level title."""
    tops: dict[str, list[int]] = {}
    ordinals: dict[str, int] = {INTRODUCTION: -1}
    for counted, path_key, ordinal, *values in _run(
            session, _section_coverage_statement(), {DOCUMENT: document_id}):
        top = split_path(path_key)[0] if path_key else INTRODUCTION
        if not counted:  # a live section of the outline
            ordinals[top] = min(ordinal, ordinals.get(top, ordinal))
            continue
        totals = tops.setdefault(top, [0] * (1 + len(STATUSES)))
        for i, value in enumerate(values):
            totals[i] += int(value)
    return sorted(
        (CoverageRow(group, ordinals.get(group, 0), *values)
         for group, values in tops.items()),
        key=lambda r: r.ordinal,
    )


@cache
def _section_coverage_statement() -> Any:
    """Claims by status per live section (NULL: the introduction, or a retired section), then
    every live section of the document with zero counts (for the groups' ordinals)."""
    live = _section_of_claim(bindparam(DOCUMENT)) & Section.retired.is_(False)
    counted = (select(literal(1), Section.path_key, Section.ordinal, *_status_columns())
               .select_from(Claim).outerjoin(Section, live)
               .where(*_graded_claims(True)).group_by(Section.path_key, Section.ordinal))
    outline = (select(literal(0), Section.path_key, Section.ordinal,
                      *(literal(0) for _ in range(1 + len(STATUSES))))
               .where(Section.document_id == bindparam(DOCUMENT), Section.retired.is_(False)))
    return counted.union_all(outline)


def coverage_by_category(session: Session, document_id: int | None = None) -> list[CoverageRow]:
    rows = _run(session, _category_coverage_statement(document_id is not None),
                           _for_document(document_id))
    return [CoverageRow(category, i, *(int(v) for v in values))
            for i, (category, *values) in enumerate(rows)]


@cache
def _category_coverage_statement(per_document: bool) -> Select[Any]:
    return (select(Claim.category, *_status_columns()).where(*_graded_claims(per_document))
            .group_by(Claim.category).order_by(Claim.category))


@dataclass(frozen=True, slots=True)
class CoveragePoint:
    day: str
    status: str
    claims: int


def coverage_over_time(session: Session, document_id: int) -> list[CoveragePoint]:
    """Claims per status at the end of each day with a change, from the status history."""
    rows = _run(session, _over_time_statement(), {DOCUMENT: document_id})
    return [CoveragePoint(str(r[0]), r[1], int(r[2])) for r in rows.all()]


@cache
def _over_time_statement() -> Select[Any]:
    # The claim is of the same document as its history: saying so lets the database read only
    # this document's claims (PostgreSQL otherwise scans them all for `parent_id IS NULL`).
    changes = (select(StatusChange.at, StatusChange.from_status, StatusChange.to_status)
               .join(Claim, Claim.id == StatusChange.claim_id)
               .where(StatusChange.document_id == bindparam(DOCUMENT),
                      Claim.document_id == bindparam(DOCUMENT), Claim.parent_id.is_(None))
               .subquery())
    entering = (select(func.date(changes.c.at).label("day"), changes.c.to_status.label("status"),
                       func.count().label("delta"))
                .where(changes.c.to_status.is_not(None))
                .group_by(func.date(changes.c.at), changes.c.to_status))
    leaving = (select(func.date(changes.c.at).label("day"), changes.c.from_status.label("status"),
                      (-func.count()).label("delta"))
               .where(changes.c.from_status.is_not(None))
               .group_by(func.date(changes.c.at), changes.c.from_status))
    moves = entering.union_all(leaving).subquery()
    per_day = (select(moves.c.day, moves.c.status, func.sum(moves.c.delta).label("delta"))
               .group_by(moves.c.day, moves.c.status).subquery())
    running = func.sum(per_day.c.delta).over(
        partition_by=per_day.c.status, order_by=per_day.c.day)
    return (select(per_day.c.day, per_day.c.status, running)
            .order_by(per_day.c.day, per_day.c.status))


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


def flags(session: Session, document_id: int | None = None, *, state: str | None = None,
          claim_id: int | None = None, limit: int | None = None,
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
    query = _flags_where(query, document_id, state, claim_id)
    query = query.order_by(Flag.state != FlagState.OPEN.value, Flag.raised_at.desc(),
                           Flag.id.desc())
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [FlagRow(*cast(tuple[Any, ...], r)) for r in session.execute(query).all()]


def flag_count(session: Session, document_id: int | None = None, *, state: str | None = None,
               claim_id: int | None = None) -> int:
    """How many flags `flags()` returns with the same filters (for paging)."""
    query = select(func.count()).select_from(Flag).join(Claim, Claim.id == Flag.claim_id)
    return int(session.scalar(_flags_where(query, document_id, state, claim_id)) or 0)


def _flags_where(query: Any, document_id: int | None, state: str | None,
                 claim_id: int | None) -> Any:
    if document_id is not None:
        query = query.where(Claim.document_id == document_id)
    if state:
        query = query.where(Flag.state == state)
    if claim_id is not None:
        query = query.where(Flag.claim_id == claim_id)
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


# --- one claim in full -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    link_id: int
    claim_id: int
    citation_id: int
    citation_key: str
    citation_title: str
    authors: str
    year: int | None
    design: str | None
    design_source: str
    level: int | None
    verified: bool
    retracted: bool
    stance: str
    cito: str
    locator: str
    note: str
    judgements: dict[str, Any]
    directness: dict[str, tuple[str, str]]  # element → (judgement, reason); absent: not judged
    effect: dict[str, Any]  # outcome, measure, estimate, ci_low, ci_high, participants, …
    appraisal: tuple[str, str, str | None] | None  # (tool, overall, pools) of the study
    created_by: str
    created_at: datetime
    version: int
    #: the study's identifiers, for links to its DOI, PubMed and PubMed Central pages
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None


_EFFECT_COLUMNS = {"outcome": EvidenceLink.effect_outcome, "measure": EvidenceLink.effect_measure,
                   "estimate": EvidenceLink.effect_estimate, "ci_low": EvidenceLink.effect_ci_low,
                   "ci_high": EvidenceLink.effect_ci_high,
                   "participants": EvidenceLink.participants, "studies": EvidenceLink.studies,
                   "follow_up": EvidenceLink.follow_up}


def evidence(session: Session, claim_ids: Sequence[int]) -> list[EvidenceRow]:
    """Evidence links of these claims, best evidence first, with each study's appraisal and
    each link's directness."""
    creator = aliased(User)
    ids = list(claim_ids)
    rows = session.execute(
        select(EvidenceLink, Citation.key, Citation.title, Citation.authors_text, Citation.year,
               Citation.design, Citation.design_source, Citation.verified, Citation.retracted,
               creator.username, Appraisal.tool, Appraisal.overall, Appraisal.pools,
               Citation.doi, Citation.pmid, Citation.extra)
        .join(Citation, Citation.id == EvidenceLink.citation_id)
        .join(creator, creator.id == EvidenceLink.created_by_id)
        .outerjoin(Appraisal, Appraisal.citation_id == Citation.id)
        .where(EvidenceLink.claim_id.in_(ids))
    ).all()
    directness: dict[int, dict[str, tuple[str, str]]] = {}
    for link_id, element, judgement, reason in session.execute(
            select(LinkDirectness.link_id, LinkDirectness.element, LinkDirectness.judgement,
                   LinkDirectness.reason)
            .join(EvidenceLink, EvidenceLink.id == LinkDirectness.link_id)
            .where(EvidenceLink.claim_id.in_(ids))):
        directness.setdefault(link_id, {})[element] = (judgement, reason)
    result = []
    for (link, key, title, authors, year, design, source, verified, retracted, who, tool,
         overall, pools, doi, pmid, extra) in rows:
        result.append(EvidenceRow(
            link_id=link.id, claim_id=link.claim_id, citation_id=link.citation_id,
            citation_key=key, citation_title=title, authors=authors, year=year, design=design,
            design_source=source, level=grading.level(StudyDesign(design) if design else None),
            verified=verified, retracted=retracted, stance=link.stance,
            cito=CITO_TERMS[Stance(link.stance)], locator=link.locator, note=link.note,
            judgements={n: getattr(link, n) for n in (
                "risk_of_bias", "inconsistency", "indirectness", "imprecision",
                "publication_bias", "large_effect", "dose_response")},
            directness=directness.get(link.id, {}),
            effect={name: getattr(link, column.key) for name, column in _EFFECT_COLUMNS.items()},
            appraisal=None if tool is None else (tool, overall, pools),
            created_by=who, created_at=link.created_at, version=link.version,
            doi=doi, pmid=pmid, pmcid=(extra or {}).get("pmcid"),
        ))
    return sorted(result, key=lambda e: (e.claim_id, e.level or 9, e.stance, e.citation_key))


@dataclass(frozen=True, slots=True)
class HistoryRow:
    id: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: int | None
    claim_id: int | None
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def history(session: Session, *, claim_id: int | None = None, document_id: int | None = None,
            action: str | None = None, limit: int = 200,
            reader: int | None = None) -> list[HistoryRow]:
    """Audit events, newest first; for a claim, those about it, its parts, links and flags.
    A `limit` below 1 is InvalidInput. A dual-review entry's event is left out until both
    entries of its item are in, except for its own reviewer (`reader`): the trail must not
    show one reviewer the other's."""
    if limit < 1:
        raise InvalidInput(f"the limit must be at least 1 (got {limit})")
    hidden = and_(AuditEvent.action == "dual.entry", AuditEvent.entity_id.in_(
        select(DualItem.id).where(DualItem.revealed_at.is_(None))))
    if reader is not None:
        hidden = and_(hidden, AuditEvent.actor_id != reader)
    query = select(AuditEvent).where(~hidden)
    if claim_id is not None:
        parts = select(Claim.id).where(Claim.parent_id == claim_id)
        query = query.where(or_(AuditEvent.claim_id == claim_id,
                                AuditEvent.claim_id.in_(parts)))
    if document_id is not None:
        query = query.where(AuditEvent.document_id == document_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    query = query.order_by(AuditEvent.id.desc()).limit(limit)
    return [
        HistoryRow(e.id, e.at, e.actor_name, e.action, e.entity_type, e.entity_id, e.claim_id,
                   e.summary, e.before, e.after)
        for e in session.scalars(query)
    ]


@dataclass(frozen=True, slots=True)
class AppraisalRow:
    """A study's appraisal with its domains, as the claim detail and the citation show it."""

    citation_key: str
    tool: str
    overall: str
    escalated: bool
    pools: str | None
    domains: list[tuple[str, str, str]]  # (domain, judgement, reason), in the tool's order
    note: str
    appraised_by: str
    appraised_at: datetime
    version: int


def appraisals(session: Session, citation_ids: Sequence[int]) -> dict[str, AppraisalRow]:
    """The appraisals of these citations, by citation key."""
    ids = list(set(citation_ids))
    if not ids:
        return {}
    appraiser = aliased(User)
    heads = session.execute(
        select(Appraisal, Citation.key, appraiser.username)
        .join(Citation, Citation.id == Appraisal.citation_id)
        .join(appraiser, appraiser.id == Appraisal.appraised_by_id)
        .where(Appraisal.citation_id.in_(ids))).all()
    domains: dict[int, list[tuple[str, str, str]]] = {}
    for appraisal_id, domain, judgement, reason in session.execute(
            select(AppraisalDomain.appraisal_id, AppraisalDomain.domain,
                   AppraisalDomain.judgement, AppraisalDomain.reason)
            .where(AppraisalDomain.appraisal_id.in_([a.id for a, _, _ in heads]))
            .order_by(AppraisalDomain.appraisal_id, AppraisalDomain.ordinal)):
        domains.setdefault(appraisal_id, []).append((domain, judgement, reason))
    return {key: AppraisalRow(key, a.tool, a.overall, a.escalated, a.pools,
                              domains.get(a.id, []), a.note, who, a.appraised_at, a.version)
            for a, key, who in heads}


@dataclass(frozen=True, slots=True)
class BodyJudgementRow:
    domain: str
    value: str
    reason: str
    judged_by: str
    judged_at: datetime


@dataclass(frozen=True, slots=True)
class SearchRow:
    searched_at: datetime
    searched_by: str
    sources: str
    note: str


@dataclass(frozen=True, slots=True)
class ClaimDetail:
    claim: ClaimRow
    track_source: str
    track_reason: str
    body: list[BodyJudgementRow]
    searches: list[SearchRow]
    appraisals: dict[str, AppraisalRow]
    requirement: str
    override_reason: str | None
    category_rule: str
    signed_off_by: str | None
    signed_off_at: datetime | None
    signed_off_status: str | None
    parts: list[ClaimRow]
    restates: ClaimRow | None
    restated_by: list[ClaimRow]
    evidence: list[EvidenceRow]
    flags: list[FlagRow]
    questions: list[str]
    history: list[HistoryRow]
    list_items: list[str]  # the fragments of the list the sentence introduces
    cited: list[CitedRow]  # what the article itself cites in this sentence (candidates)
    #: Dual review of the claim, its parts and its studies' appraisals, entries as `reader`
    #: may see them (`dual_items`).
    dual: list[DualItemRow] = field(default_factory=list)
    #: notices about the linked studies (retractions, expressions of concern, corrections)
    notices: list[NoticeRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ClaimAnchors:
    """Where a document's claims stand in the text the tracker stored (for annotations that
    anchor over the original): the text, its address, and each claim's character span."""

    slug: str
    title: str
    source_text: str
    source_url: str | None
    source_path: str
    language: str | None
    spans: dict[int, tuple[int, int]]


def claim_anchors(session: Session, document_id: int) -> ClaimAnchors:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document #{document_id}")
    spans = {cid: (start, end) for cid, start, end in session.execute(
        select(Claim.id, Claim.span_start, Claim.span_end).where(
            Claim.document_id == document_id, Claim.retired.is_(False)))}
    return ClaimAnchors(document.slug, document.title, document.source_text,
                        document.source_url, document.source_path, document.language, spans)


def body_judgements(session: Session, claim_ids: Sequence[int]
                    ) -> dict[int, list[tuple[str, str, str]]]:
    """Each claim's judgements of its whole body of evidence: (domain, value, reason)."""
    found: dict[int, list[tuple[str, str, str]]] = {}
    if not claim_ids:
        return found
    for claim_id, domain, value, reason in session.execute(
            select(BodyJudgement.claim_id, BodyJudgement.domain, BodyJudgement.value,
                   BodyJudgement.reason).where(BodyJudgement.claim_id.in_(list(claim_ids)))
            .order_by(BodyJudgement.claim_id, BodyJudgement.domain)):
        found.setdefault(claim_id, []).append((domain, value, reason))
    return found


def claim_detail(session: Session, claim_id: int, reader: int | None = None) -> ClaimDetail:
    """Everything about one claim, read as `reader` (None: nobody signed in), which decides
    only which dual-review entries and audit events are visible."""
    row = claim(session, claim_id)
    model = session.get(Claim, claim_id)
    assert model is not None
    parts = [claim(session, p.id) for p in model.parts if not p.retired]
    restated_by = [
        claim(session, cid) for cid in session.scalars(
            select(Claim.id).where(Claim.restates_id == claim_id, Claim.retired.is_(False))
            .order_by(Claim.ordinal))
    ]
    signer = session.get(User, model.signed_off_by_id) if model.signed_off_by_id else None
    question_titles = list(session.scalars(
        select(OpenQuestion.title).join(QuestionClaim, QuestionClaim.question_id ==
                                        OpenQuestion.id)
        .where(QuestionClaim.claim_id == claim_id).order_by(OpenQuestion.title)))
    judge = aliased(User)
    body = [BodyJudgementRow(d, v, r, who, at) for d, v, r, who, at in session.execute(
        select(BodyJudgement.domain, BodyJudgement.value, BodyJudgement.reason, judge.username,
               BodyJudgement.judged_at).join(judge, judge.id == BodyJudgement.judged_by_id)
        .where(BodyJudgement.claim_id == claim_id).order_by(BodyJudgement.domain))]
    searches = [SearchRow(at, who, sources, note) for at, who, sources, note in session.execute(
        select(EvidenceSearch.searched_at, judge.username, EvidenceSearch.sources,
               EvidenceSearch.note).join(judge, judge.id == EvidenceSearch.searched_by_id)
        .where(EvidenceSearch.claim_id == claim_id).order_by(EvidenceSearch.searched_at))]
    linked = evidence(session, [claim_id] + [p.id for p in parts])
    return ClaimDetail(
        claim=row, track_source=model.track_source, track_reason=model.track_reason, body=body,
        searches=searches, appraisals=appraisals(session, [e.citation_id for e in linked]),
        requirement=model.requirement, override_reason=model.override_reason,
        category_rule=model.category_rule,
        signed_off_by=signer.username if signer else None, signed_off_at=model.signed_off_at,
        signed_off_status=model.signed_off_status, parts=parts,
        restates=claim(session, model.restates_id) if model.restates_id else None,
        restated_by=restated_by,
        evidence=linked, notices=retraction_notices(session, [e.citation_id for e in linked]),
        flags=flags(session, claim_id=claim_id), questions=question_titles,
        history=history(session, claim_id=claim_id, limit=100, reader=reader),
        list_items=list(model.list_items or []),
        cited=cited_sources(session, model.document_id, claim_id=claim_id),
        dual=_claim_dual(session, [claim_id] + [p.id for p in parts],
                         [e.citation_id for e in linked], reader),
    )


def _claim_dual(session: Session, claim_ids: list[int], citation_ids: list[int],
                reader: int | None) -> list[DualItemRow]:
    ids = session.scalars(select(DualItem.id).where(or_(
        DualItem.claim_id.in_(claim_ids),
        (DualItem.kind == DualKind.APPRAISAL.value) & DualItem.citation_id.in_(citation_ids)))
    ).all()
    return dual_items(session, None, reader=reader, item_ids=list(ids)) if ids else []


# --- what the article itself cites -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CitedRow:
    """A study the article itself cites: a candidate for a reviewer, never evidence."""

    id: int
    claim_id: int | None  # the claim citing it; None outside claims (a reference list)
    ordinal: int
    kind: str  # doi, pmid, pmcid, journal, phrase
    identifier: str  # normalised
    url: str | None
    link_text: str
    sentence: str
    in_library: str | None  # key of the library citation with this DOI or PMID, if any


def cited_sources(session: Session, document_id: int, *, claim_id: int | None = None
                  ) -> list[CitedRow]:
    """The document's own citations in order of appearance (one claim's with `claim_id`),
    each with the library citation that has the same DOI or PMID, when there is one."""
    same = or_(
        (CitedSource.kind == "doi") & (func.lower(Citation.doi) == CitedSource.identifier),
        (CitedSource.kind == "pmid") & (Citation.pmid == CitedSource.identifier),
    )
    query = (
        select(CitedSource.id, CitedSource.claim_id, CitedSource.ordinal, CitedSource.kind,
               CitedSource.identifier, CitedSource.url, CitedSource.link_text,
               CitedSource.sentence, func.min(Citation.key))
        .outerjoin(Citation, same)
        .where(CitedSource.document_id == document_id)
        .group_by(CitedSource.id)
        .order_by(CitedSource.ordinal)
    )
    if claim_id is not None:
        query = query.where(CitedSource.claim_id == claim_id)
    return [CitedRow(*row) for row in session.execute(query)]


# --- open questions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionRow:
    id: int
    slug: str
    title: str
    description: str
    status: str
    priority: str
    claims: list[int]
    evidence: list[tuple[str, str, str | None, str]]  # (key, title, design, note)
    version: int


def questions(session: Session, document_id: int, *, status: str | None = None
              ) -> list[QuestionRow]:
    query = select(OpenQuestion).where(OpenQuestion.document_id == document_id)
    if status:
        query = query.where(OpenQuestion.status == status)
    rank = case({p.value: i for i, p in enumerate(Priority)}, value=OpenQuestion.priority)
    found = list(session.scalars(query.order_by(rank, OpenQuestion.title)))
    ids = [q.id for q in found]
    claims_of: dict[int, list[int]] = {}
    for qid, cid in session.execute(select(QuestionClaim.question_id, QuestionClaim.claim_id)
                                    .join(Claim, Claim.id == QuestionClaim.claim_id)
                                    .where(QuestionClaim.question_id.in_(ids))
                                    .order_by(Claim.ordinal)):
        claims_of.setdefault(qid, []).append(cid)
    evidence_of: dict[int, list[tuple[str, str, str | None, str]]] = {}
    for qid, key, title, design, note in session.execute(
            select(QuestionEvidence.question_id, Citation.key, Citation.title, Citation.design,
                   QuestionEvidence.note)
            .join(Citation, Citation.id == QuestionEvidence.citation_id)
            .where(QuestionEvidence.question_id.in_(ids)).order_by(Citation.key)):
        evidence_of.setdefault(qid, []).append((key, title, design, note))
    return [QuestionRow(q.id, q.slug, q.title, q.description, q.status, q.priority,
                        claims_of.get(q.id, []), evidence_of.get(q.id, []), q.version)
            for q in found]


def questions_by_status(session: Session, document_id: int) -> dict[str, int]:
    counts = {s: n for s, n in session.execute(
        select(OpenQuestion.status, func.count()).where(OpenQuestion.document_id == document_id)
        .group_by(OpenQuestion.status))}
    return {s.value: int(counts.get(s.value, 0)) for s in QuestionStatus}


# --- citations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CitationRow:
    id: int
    key: str
    title: str
    authors: str
    year: int | None
    container: str | None
    doi: str | None
    pmid: str | None
    design: str | None
    design_source: str
    level: int | None
    verified: bool
    retracted: bool
    links: int
    version: int


def _level_of(design: str | None) -> int | None:
    return grading.level(StudyDesign(design) if design else None)


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def citations(session: Session, *, search: str | None = None, design: str | None = None,
              verified: bool | None = None, document_id: int | None = None,
              limit: int | None = 100, offset: int = 0) -> list[CitationRow]:
    """Citations matching a search, most-linked first. Each word of the search must match
    (case-insensitive), and each "quoted phrase" as a phrase: in the title, abstract, keywords
    or recorded finding (the full-text index: stemmed, with the synonyms of
    `tracker.finder.terms`), or in the key, authors, DOI or PMID."""
    if (limit is not None and limit < 0) or offset < 0:
        raise InvalidInput(f"limit and offset cannot be negative (got {limit}, {offset})")
    # Rank first on narrow columns (key and id come from the index on key in SQLite), ordering
    # by the label so each count is computed once; then read the wide rows of one page only.
    links = (select(func.count()).where(EvidenceLink.citation_id == Citation.id)
             .correlate(Citation).scalar_subquery().label("links"))
    ranked = _citation_filters(session, select(Citation.id, links), search=search,
                               design=design, verified=verified, document_id=document_id)
    ranked = ranked.order_by(links.desc(), Citation.key).offset(offset)
    if limit is not None:
        ranked = ranked.limit(limit)
    page = ranked.subquery()
    query = (select(Citation.id, Citation.key, Citation.title, Citation.authors_text,
                    Citation.year, Citation.container, Citation.doi, Citation.pmid,
                    Citation.design, Citation.design_source, Citation.verified,
                    Citation.retracted, page.c.links, Citation.version)
             .join(page, page.c.id == Citation.id).order_by(page.c.links.desc(), Citation.key))
    return [
        CitationRow(r.id, r.key, r.title, r.authors_text, r.year, r.container, r.doi, r.pmid,
                    r.design, r.design_source, _level_of(r.design), r.verified, r.retracted,
                    r.links, r.version)
        for r in session.execute(query)
    ]


def citation_count(session: Session, *, search: str | None = None, design: str | None = None,
                   verified: bool | None = None, document_id: int | None = None) -> int:
    query = _citation_filters(session, select(func.count(Citation.id)), search=search,
                              design=design, verified=verified, document_id=document_id)
    return int(session.scalar(query) or 0)


def _citation_filters(session: Session, query: Any, *, search: str | None,
                      design: str | None, verified: bool | None, document_id: int | None
                      ) -> Any:
    if search and search.strip():
        # Words separately, "quoted phrases" as phrases, each in the full-text index or in
        # the key, authors, DOI or PMID (tracker.finder.index.search_condition).
        from tracker.finder import index as finder_index  # imported by the reads that search

        query = query.where(finder_index.search_condition(session, search))
    if design:
        query = query.where(Citation.design == design)
    if verified is not None:
        query = query.where(Citation.verified.is_(verified))
    if document_id is not None:
        linked = (select(EvidenceLink.citation_id).join(Claim, Claim.id == EvidenceLink.claim_id)
                  .where(Claim.document_id == document_id))
        query = query.where(Citation.id.in_(linked))
    return query


@dataclass(frozen=True, slots=True)
class CitationDetail:
    row: CitationRow
    entry_type: str
    volume: str | None
    number: str | None
    pages: str | None
    isbn: str | None
    url: str | None
    abstract: str | None
    keywords: list[str]
    design_reason: str
    verification_note: str | None
    retraction_note: str | None
    extra: dict[str, Any]
    raw: str
    source: str | None
    imported_at: datetime
    topics: list[tuple[str, str]]
    claims: list[tuple[int, str, str]]  # (claim id, stance, claim text)
    appraisal: AppraisalRow | None
    tool: str | None  # the appraisal tool its design calls for (None: GRADE does not rate it)
    #: notices about the paper (retractions, expressions of concern, corrections), newest first
    notices: list[NoticeRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NoticeRow:
    """A Retraction Watch notice recorded on a citation."""

    citation_key: str
    record_id: str
    nature: str
    notice_date: date | None
    notice_doi: str | None
    notice_pmid: str | None
    reason: str
    matched_on: str


def retraction_notices(session: Session, citation_ids: Sequence[int]) -> list[NoticeRow]:
    """The notices recorded on these citations, newest first (for a citation's page, the
    evidence lists and `tracker citations show`)."""
    if not citation_ids:
        return []
    rows = session.execute(
        select(Citation.key, RetractionNotice.record_id, RetractionNotice.nature,
               RetractionNotice.notice_date, RetractionNotice.notice_doi,
               RetractionNotice.notice_pmid, RetractionNotice.reason,
               RetractionNotice.matched_on)
        .join(Citation, Citation.id == RetractionNotice.citation_id)
        .where(RetractionNotice.citation_id.in_(list(citation_ids)))
        .order_by(Citation.key, RetractionNotice.notice_date.desc(),
                  RetractionNotice.record_id))
    return [NoticeRow(*row) for row in rows]


def citation_detail(session: Session, key: str) -> CitationDetail:
    citation = session.scalar(select(Citation).where(Citation.key == key))
    if citation is None:
        raise NotFound(f"no citation {key!r}")
    row = _citation_row(session, citation)
    linked = [(cid, stance, text) for cid, stance, text in session.execute(
        select(Claim.id, EvidenceLink.stance, Claim.text)
        .join(EvidenceLink, EvidenceLink.claim_id == Claim.id)
        .where(EvidenceLink.citation_id == citation.id).order_by(Claim.ordinal))]
    found_topics = [(f, v) for f, v in session.execute(
        select(CitationTopic.facet, CitationTopic.value)
        .where(CitationTopic.citation_id == citation.id)
        .order_by(CitationTopic.facet, CitationTopic.value))]
    source = (f"{citation.source_file}:{citation.source_line}" if citation.source_line
              else citation.source_file)
    return CitationDetail(
        row=row, entry_type=citation.entry_type, volume=citation.volume,
        number=citation.number, pages=citation.pages, isbn=citation.isbn, url=citation.url,
        abstract=citation.abstract, keywords=list(citation.keywords),
        design_reason=citation.design_reason, verification_note=citation.verification_note,
        retraction_note=citation.retraction_note, extra=dict(citation.extra), raw=citation.raw,
        source=source, imported_at=citation.imported_at, topics=found_topics, claims=linked,
        appraisal=appraisals(session, [citation.id]).get(citation.key),
        tool=_tool_of(citation.design), notices=retraction_notices(session, [citation.id]),
    )


def _tool_of(design: str | None) -> str | None:
    tool = grading.tool_for(StudyDesign(design) if design else None)
    return tool.value if tool else None


def _citation_row(session: Session, c: Citation) -> CitationRow:
    links = int(session.scalar(select(func.count()).where(EvidenceLink.citation_id == c.id))
                or 0)
    return CitationRow(c.id, c.key, c.title, c.authors_text, c.year, c.container, c.doi, c.pmid,
                       c.design, c.design_source, _level_of(c.design), c.verified, c.retracted,
                       links, c.version)


# --- the evidence gap map --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GapCell:
    condition: str
    route: str
    studies: int
    best_level: int | None


def _level_case() -> Any:
    levels = {d.value: grading.level(d) for d in StudyDesign if grading.level(d) is not None}
    return case(levels, value=Citation.design, else_=None)


def _not_rejected(topic: Any) -> Any:
    return or_(topic.state.is_(None), topic.state != TagState.REJECTED.value)


def gap_map(session: Session, *, document_id: int | None = None,
            verified_only: bool = True) -> list[GapCell]:
    """Conditions × routes: how many studies address each pair and their best CEBM level
    (a topic a reviewer rejected does not count; `tracker.services.tags`).
    Every pair is returned, empty ones with 0 studies. With a document, only studies linked to
    its claims or questions count."""
    condition = aliased(CitationTopic)
    route = aliased(CitationTopic)
    query = (select(condition.value, route.value, func.count(func.distinct(Citation.id)),
                    func.min(_level_case()))
             .join(condition, (condition.citation_id == Citation.id)
                   & (condition.facet == "condition") & _not_rejected(condition))
             .join(route, (route.citation_id == Citation.id) & (route.facet == "route")
                   & _not_rejected(route))
             .where(Citation.retracted.is_(False),
                    Citation.design.is_not(None), Citation.design != StudyDesign.BOOK.value)
             .group_by(condition.value, route.value))
    if verified_only:
        query = query.where(Citation.verified.is_(True))
    if document_id is not None:
        # One IN over the union: both databases then start from the (few) cited citations;
        # an OR of two INs makes them read every citation with a topic.
        linked = (select(EvidenceLink.citation_id).join(Claim, Claim.id == EvidenceLink.claim_id)
                  .where(Claim.document_id == document_id))
        addressing = (select(QuestionEvidence.citation_id)
                      .join(OpenQuestion, OpenQuestion.id == QuestionEvidence.question_id)
                      .where(OpenQuestion.document_id == document_id))
        query = query.where(Citation.id.in_(linked.union(addressing)))
    found = {(c, r): (n, lvl) for c, r, n, lvl in session.execute(query)}
    return [GapCell(c, r, *found.get((c, r), (0, None)))
            for c in topics.CONDITIONS for r in topics.ROUTES]


# --- the article as a reader sees it ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleClaim:
    claim: ClaimRow
    markers: list[int]  # numbers of the references cited for it (supports/contradicts/mixed)
    span_start: int
    span_end: int
    cited: list[CitedRow] = field(default_factory=list)  # what the article cites here
    #: Sources linked to the claim (not as background) that do not count as evidence: not yet
    #: verified against their record, or retracted.
    unverified: int = 0
    retracted: int = 0
    counted: int = 0  # linked sources that count: verified, not retracted


@dataclass(frozen=True, slots=True)
class ArticleSection:
    title: str
    level: int
    kind: str
    claims: list[ArticleClaim]


@dataclass(frozen=True, slots=True)
class ArticleView:
    document: DocumentRow
    introduction: list[ArticleClaim]
    sections: list[ArticleSection]
    references: list[tuple[int, str, str]]  # (number, key, formatted reference)


def article_view(session: Session, document_id: int) -> ArticleView:
    """Sections in order with their claims and numbered references, numbered by first use."""
    [document] = _documents(session, document_id)
    rows = claims(session, document_id=document_id, include_parts=False)
    spans = {cid: (s, e) for cid, s, e in session.execute(
        select(Claim.id, Claim.span_start, Claim.span_end)
        .where(Claim.document_id == document_id, Claim.retired.is_(False)))}
    cited = session.execute(
        select(func.coalesce(Claim.parent_id, Claim.id), Citation.id, Citation.key,
               Citation.authors_text, Citation.title, Citation.year, Citation.container,
               Citation.verified, Citation.retracted)
        .join(EvidenceLink, EvidenceLink.citation_id == Citation.id)
        .join(Claim, Claim.id == EvidenceLink.claim_id)
        .where(Claim.document_id == document_id, Claim.retired.is_(False),
               EvidenceLink.stance != Stance.BACKGROUND.value)
    ).all()
    order = {r.id: i for i, r in enumerate(rows)}
    numbers: dict[int, int] = {}
    references: list[tuple[int, str, str]] = []
    markers: dict[int, list[int]] = {}
    sources: dict[int, list[int]] = {}  # claim -> [unverified, retracted, counted]
    for top, cid, key, authors, title, year, container, verified, retracted in sorted(
            cited, key=lambda r: (order.get(r[0], 1 << 30), r[2])):
        tally = sources.setdefault(top, [0, 0, 0])
        tally[0] += not verified and not retracted
        tally[1] += bool(retracted)
        tally[2] += bool(verified) and not retracted
        if cid not in numbers:
            numbers[cid] = len(numbers) + 1
            references.append((numbers[cid], key,
                                _reference_text(authors, title, year, container)))
        markers.setdefault(top, [])
        if numbers[cid] not in markers[top]:
            markers[top].append(numbers[cid])
    by_section: dict[tuple[str, ...], list[ArticleClaim]] = {}
    by_claim: dict[int, list[CitedRow]] = {}
    for cited_row in cited_sources(session, document_id):
        if cited_row.claim_id is not None:
            by_claim.setdefault(cited_row.claim_id, []).append(cited_row)
    for row in rows:
        start, end = spans.get(row.id, (0, 0))
        by_section.setdefault(tuple(row.section), []).append(
            ArticleClaim(row, sorted(markers.get(row.id, [])), start, end,
                         by_claim.get(row.id, []), *sources.get(row.id, [0, 0, 0])))
    return ArticleView(
        document=document, introduction=by_section.get((), []),
        sections=[ArticleSection(s.title, s.level, s.kind, by_section.get(tuple(s.path), []))
                  for s in sections(session, document_id)],
        references=references,
    )


def sections_with_claims(view: ArticleView) -> list[ArticleSection]:
    """The sections with a claim in them or in a section below them: a heading with nothing
    under it (a list of further reading) is left out rather than shown empty."""
    kept: list[ArticleSection] = []
    for at, section in enumerate(view.sections):
        filled = bool(section.claims)
        for later in view.sections[at + 1:]:
            if filled or later.level <= section.level:
                break
            filled = bool(later.claims)
        if filled:
            kept.append(section)
    return kept


def _reference_text(authors: str, title: str, year: int | None, container: str | None) -> str:
    people = authors.split("; ")
    who = people[0] + (" et al." if len(people) > 2 or authors.endswith("et al.") else
                       (" & " + people[1] if len(people) == 2 else ""))
    parts = [p for p in (who.strip(), f"({year})" if year else "", title,
                         container or "") if p]
    return ". ".join(parts).replace(". (", " (")


# --- suggested studies (the evidence finder) -------------------------------------------------

NOT_EVIDENCE = ("Suggestions come from matching words, not from reading the studies: a "
                "suggested study is not evidence until a reviewer links it to the claim with a "
                "stance.")
MAX_SUGGESTIONS = 100


@dataclass(frozen=True, slots=True)
class SuggestedSentence:
    """A sentence of a suggested study's abstract (numbered from 0) with the spans of the
    words that match the claim (offsets in `text`)."""

    index: int
    text: str
    score: float
    highlights: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Suggestion:
    rank: int
    citation_id: int
    key: str
    title: str
    year: int | None
    design: str | None
    verified: bool
    retracted: bool
    score: float
    matched_terms: list[str]
    sentences: list[SuggestedSentence]
    linked: bool  # already linked to this claim
    stance: str | None  # the stance of that link


@dataclass(frozen=True, slots=True)
class Suggestions:
    claim_id: int
    claim_text: str
    terms: list[str]  # what was looked for: each concept's forms, "ketamine | esketamine"
    suggestions: list[Suggestion]
    note: str = NOT_EVIDENCE


def suggestions(session: Session, claim_id: int, *, limit: int = 10,
                extra_terms: Sequence[str] = ()) -> Suggestions:
    """The studies of the library most likely to bear on a claim, best first
    (`tracker.finder`), each marked when it is already linked to the claim. `extra_terms` are
    further things to look for, such as the claim's confirmed PICO tags. A read: suggestions
    never count as evidence."""
    if not 1 <= limit <= MAX_SUGGESTIONS:
        raise InvalidInput(f"the number of suggestions must be 1 to {MAX_SUGGESTIONS}, "
                           f"not {limit}")
    text = session.scalar(select(Claim.text).where(Claim.id == claim_id))
    if text is None:
        raise NotFound(f"no claim #{claim_id}")
    from tracker import finder  # the finder's stemmer and ranking: only for this read

    found = finder.find(session, text, limit=limit, extra_terms=extra_terms)
    ids = [r.citation_id for r in found.ranked]
    meta = {row.id: row for row in session.execute(
        select(Citation.id, Citation.key, Citation.title, Citation.year, Citation.design,
               Citation.verified, Citation.retracted).where(Citation.id.in_(ids)))}
    stances = dict(session.execute(
        select(EvidenceLink.citation_id, EvidenceLink.stance)
        .where(EvidenceLink.claim_id == claim_id, EvidenceLink.citation_id.in_(ids))).all())
    return Suggestions(
        claim_id=claim_id, claim_text=text,
        terms=[" | ".join(c.forms) for c in found.concepts],
        suggestions=[
            Suggestion(
                rank=number, citation_id=r.citation_id, key=meta[r.citation_id].key,
                title=meta[r.citation_id].title, year=meta[r.citation_id].year,
                design=meta[r.citation_id].design, verified=meta[r.citation_id].verified,
                retracted=meta[r.citation_id].retracted, score=r.score,
                matched_terms=list(r.matched),
                sentences=[SuggestedSentence(s.index, s.text, s.score, list(s.highlights))
                           for s in r.sentences],
                linked=r.citation_id in stances, stance=stances.get(r.citation_id))
            for number, r in enumerate(found.ranked, start=1)
        ],
    )


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



# --- the wording against its evidence, PICO tags, summary of findings (own module) ----------

from tracker.wording_queries import IndirectnessPrompt as IndirectnessPrompt  # noqa: E402
from tracker.wording_queries import SofEffect as SofEffect  # noqa: E402
from tracker.wording_queries import SofRow as SofRow  # noqa: E402
from tracker.wording_queries import TagRow as TagRow  # noqa: E402
from tracker.wording_queries import WordingRow as WordingRow  # noqa: E402
from tracker.wording_queries import citation_tags as citation_tags  # noqa: E402
from tracker.wording_queries import claim_tags as claim_tags  # noqa: E402
from tracker.wording_queries import indirectness_prompts as indirectness_prompts  # noqa: E402
from tracker.wording_queries import summary_of_findings as summary_of_findings  # noqa: E402
from tracker.wording_queries import verdict_counts as verdict_counts  # noqa: E402
from tracker.wording_queries import wording_check as wording_check  # noqa: E402
from tracker.wording_queries import wording_proposals as wording_proposals  # noqa: E402

# --- the article scorecard -------------------------------------------------------------------


def article_sentences(text: str) -> tuple[str, ...]:
    """The sentences of a document's text, paragraph by paragraph (the scorecard reads every
    sentence, claims or not: a cost or an alternative may be named in a heading or a list)."""
    from tracker.article import sentence_spans  # the article parser: only for the scorecard

    found: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        flat = " ".join(paragraph.split())
        found.extend(flat[s:e] for s, e in sentence_spans(flat) if flat[s:e].strip())
    return tuple(found)


def scorecard_facts(session: Session, document_id: int, *, today: date | None = None,
                    overstated_count: int | None = None) -> scorecards.ArticleFacts:
    """What the scorecard's rules read about one document, counted in SQL: its live
    sentences' categories and verdicts, whether verified evidence supports each, what the
    text cites, the newest verified study linked, and the claims editors flag as overstated
    (`overstated_count` replaces that count, e.g. with the wording check's)."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document #{document_id}")
    top = func.coalesce(Claim.parent_id, Claim.id)
    evidence_of = (select(top.label("claim_id"), Citation.year, EvidenceLink.stance)
                   .join(EvidenceLink, EvidenceLink.claim_id == Claim.id)
                   .join(Citation, Citation.id == EvidenceLink.citation_id)
                   .where(Claim.document_id == document_id, Claim.retired.is_(False),
                          Citation.verified.is_(True), Citation.retracted.is_(False))
                   .subquery())
    supported = (select(evidence_of.c.claim_id)
                 .where(evidence_of.c.stance == Stance.SUPPORTS.value).distinct().subquery())
    claim_rows = session.execute(
        select(Claim.text, Claim.category, Claim.status, Claim.certainty, Claim.standing,
               supported.c.claim_id.is_not(None))
        .outerjoin(supported, supported.c.claim_id == Claim.id)
        .where(Claim.document_id == document_id, *_graded_claims(False))
        .order_by(Claim.ordinal)).all()
    cited, citing = session.execute(
        select(func.count(), func.count(CitedSource.claim_id.distinct()))
        .where(CitedSource.document_id == document_id)).one()
    resources = session.scalar(select(func.count()).select_from(Resource).where(
        Resource.document_id == document_id, Resource.retired.is_(False))) or 0
    newest = session.scalar(select(func.max(evidence_of.c.year)))
    if overstated_count is None:
        overstated_count = overstated_claims(session, document_id)
    return scorecards.ArticleFacts(
        sentences=article_sentences(document.source_text),
        claims=tuple(scorecards.ClaimFacts(text, category, status, certainty, standing,
                                           bool(backed))
                     for text, category, status, certainty, standing, backed in claim_rows),
        cited_sources=int(cited), claims_citing=int(citing), resources=int(resources),
        published=document.published, newest_evidence_year=newest,
        overstated_count=int(overstated_count), today=today or utcnow().date())


def overstated_claims(session: Session, document_id: int) -> int:
    """How many of a document's live sentences overstate their evidence, for the scorecard's
    quality-of-evidence rule: those with an editor's open "overstated" flag, and those the
    GRADE-26 wording check reads as overstated unless an editor dismissed that proposal (a
    split sentence counts once)."""
    top = func.coalesce(Claim.parent_id, Claim.id)
    flagged = set(session.scalars(
        select(top).distinct().select_from(Flag)
        .join(Claim, Claim.id == Flag.claim_id)
        .where(Claim.document_id == document_id, Claim.retired.is_(False),
               Flag.kind == FlagKind.OVERSTATED.value,
               Flag.state == FlagState.OPEN.value)))
    worded = {row.parent_id or row.claim_id for row in wording_check(session, document_id)
              if row.verdict == WordingVerdict.OVERSTATED.value
              and row.proposal != WordingDecisionKind.DISMISSED.value}
    return len(flagged | worded)


def editor_ratings(session: Session, document_id: int
                   ) -> dict[tuple[Instrument, str], scorecards.EditorRating]:
    """The editors' stored ratings of one document's scorecard, by criterion."""
    rows = session.execute(
        select(ScorecardRating, User.username)
        .join(User, User.id == ScorecardRating.rated_by_id)
        .where(ScorecardRating.document_id == document_id)).all()
    return {(Instrument(r.instrument), r.criterion): scorecards.EditorRating(
        r.rating, r.reason, username, r.rated_at, r.proposed, r.version)
        for r, username in rows}


def scorecard(session: Session, document_id: int, *, today: date | None = None,
              overstated_count: int | None = None) -> scorecards.Scorecard:
    """One document's scorecard: both instruments, each criterion with the rules' proposal
    and reason, and the editor's rating where there is one; the red-flag sentences."""
    facts = scorecard_facts(session, document_id, today=today,
                            overstated_count=overstated_count)
    document = session.get(Document, document_id)
    assert document is not None  # scorecard_facts checked
    return scorecards.assemble(document.id, document.slug, document.title,
                               scorecards.propose(facts), editor_ratings(session, document_id),
                               tuple(scorecards.red_flags(facts.sentences)))


@dataclass(frozen=True, slots=True)
class CriterionTally:
    """How one criterion fared across the desk's documents: how many fail it (HNR not
    satisfactory, DISCERN 1–2) and which, how many are rated at all, and how many of those
    ratings are editors' rather than the rules'."""

    instrument: str
    number: int
    key: str
    label: str
    question: str
    failed: int
    rated: int
    unrated: int
    by_editors: int
    documents: tuple[str, ...]  # slugs of the documents failing it


def scorecard_tally(session: Session, *, today: date | None = None) -> list[CriterionTally]:
    """Which criteria fail most often on this desk: every document's scorecard, counted per
    criterion, most failures first. (The proposals are computed per document: they read the
    text; the counts behind them come from SQL.)"""
    cards = [scorecard(session, d, today=today)
             for d in session.scalars(select(Document.id).order_by(Document.slug))]
    tallies: list[CriterionTally] = []
    for position, item in enumerate(cards[0].items if cards else ()):
        same = [card.items[position] for card in cards]
        failing = tuple(card.slug for card, it in zip(cards, same, strict=True) if it.fails)
        rated = sum(it.rating is not None for it in same)
        c = item.criterion
        tallies.append(CriterionTally(
            c.instrument.value, c.number, c.key, c.label, c.question, len(failing), rated,
            len(same) - rated, sum(it.editor is not None for it in same), failing))
    order = [i.value for i in Instrument]
    return sorted(tallies, key=lambda t: (-t.failed, order.index(t.instrument), t.number))


def claim_reviews(session: Session, document_id: int, settings: Settings
                  ) -> list[dict[str, Any]]:
    """schema.org ClaimReview JSON-LD for each reviewed live claim of a document, authored by
    the organisation `settings` name (TRACKER_ORGANISATION, TRACKER_ORGANISATION_URL)."""
    if not settings.organisation or not settings.organisation_url:
        raise InvalidInput("ClaimReview markup names the organisation that reviewed the claims: "
                           "set TRACKER_ORGANISATION and TRACKER_ORGANISATION_URL")
    organisation = claimreview.Organisation(settings.organisation, settings.organisation_url)
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document #{document_id}")
    article = claimreview.Article(document.slug, document.title, document.source_url,
                                  document.published)
    try:
        claimreview.review_url(settings.review_url, organisation, article, 0)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInput(f"TRACKER_REVIEW_URL {settings.review_url!r}: use only {{base}}, "
                           f"{{document}} and {{claim}} ({exc!r} is not one)") from None
    changed = (select(StatusChange.claim_id, func.max(StatusChange.at).label("at"))
               .where(StatusChange.document_id == document_id)
               .group_by(StatusChange.claim_id).subquery())
    rows = session.execute(
        select(Claim.id, Claim.text, Claim.status, Claim.certainty, Claim.standing,
               Claim.explanation, changed.c.at)
        .outerjoin(changed, changed.c.claim_id == Claim.id)
        .where(Claim.document_id == document_id, *_graded_claims(False),
               Claim.status != ClaimStatus.NOT_REVIEWED.value)
        .order_by(Claim.ordinal)).all()
    reviews: list[dict[str, Any]] = []
    for row in rows:
        claim_row = claimreview.ReviewedClaim(*row)
        markup = claimreview.claim_review(
            claim_row, article, organisation,
            claimreview.review_url(settings.review_url, organisation, article, claim_row.id))
        if markup is not None:
            reviews.append(markup)
    return reviews
