"""Coverage and verdicts: how many claims stand where, by section, category and time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, literal, select
from sqlalchemy.orm import Session, aliased

from tracker.models import Claim, Flag, Section, StatusChange
from tracker.queries.claims import WITHOUT_EVIDENCE, _section_of_claim
from tracker.queries.statements import DOCUMENT, _count_if, _for_document, _run, split_path
from tracker.vocabulary import Certainty, ClaimStatus, ClaimTrack, FlagState, Standing

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
