"""Claims in document order, filtered by one `ClaimFilter`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from tracker.errors import NotFound
from tracker.models import PATH_SEPARATOR, Claim, Document, Flag, Section
from tracker.vocabulary import ClaimStatus, FlagState

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


#: Statuses of a claim with nothing counted behind it: what "no evidence" means in the
#: verdict, the gaps and the `status` filter of `claims()` ("without-evidence").
WITHOUT_EVIDENCE = (ClaimStatus.NOT_REVIEWED.value, ClaimStatus.NO_EVIDENCE_FOUND.value)
STATUS_GROUPS: dict[str, tuple[str, ...]] = {"without-evidence": WITHOUT_EVIDENCE}


@dataclass(frozen=True, slots=True)
class ClaimFilter:
    """Which claims `claims()` and `claim_count()` return. `section` matches a heading title
    (case-insensitive) and includes its subsections; `status` is a claim status or a group of
    `STATUS_GROUPS`; `flagged` keeps claims with (True) or without (False) an open flag."""

    document_id: int | None = None
    section: str | None = None
    category: str | None = None
    include_retired: bool = False
    include_parts: bool = True
    status: str | None = None
    certainty: str | None = None
    flagged: bool | None = None


EVERY_CLAIM = ClaimFilter()


def claims(session: Session, where: ClaimFilter = EVERY_CLAIM, *, limit: int | None = None,
           offset: int = 0) -> list[ClaimRow]:
    """Claims in document order, those `where` keeps; `limit` and `offset` give one page."""
    query = _claims_where(session, _claim_select(where.document_id), where)
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
    flags = open_flag_kinds(session, document_id=where.document_id)
    return [_claim_row(r, flags) for r in session.execute(query).all()]


def claim_count(session: Session, where: ClaimFilter = EVERY_CLAIM) -> int:
    """How many claims `claims()` returns with the same filter (for paging)."""
    query = select(func.count()).select_from(Claim).outerjoin(
        Section, _section_of_claim(where.document_id))
    return int(session.scalar(_claims_where(session, query, where)) or 0)


def _claims_where(session: Session, query: Any, where: ClaimFilter) -> Any:
    """`query` (over claims, sections outer-joined) restricted to the claims `where` keeps."""
    document_id = where.document_id
    if document_id is not None:
        query = query.where(Claim.document_id == document_id)
    if not where.include_retired:
        query = query.where(Claim.retired.is_(False))
    if not where.include_parts:
        query = query.where(Claim.parent_id.is_(None))
    if where.category:
        query = query.where(Claim.category == where.category)
    if where.section:
        query = query.where(_in_section(session, where.section, document_id))
    if where.status in STATUS_GROUPS:
        query = query.where(Claim.status.in_(STATUS_GROUPS[where.status]))
    elif where.status:
        query = query.where(Claim.status == where.status)
    if where.certainty:
        query = query.where(Claim.certainty == where.certainty)
    if where.flagged is not None:
        has_open = exists().where(Flag.claim_id == Claim.id, Flag.state == FlagState.OPEN.value)
        query = query.where(has_open if where.flagged else ~has_open)
    return query


def _in_section(session: Session, section: str, document_id: int | None) -> Any:
    """Claims under a heading titled `section` (any case), its subsections included."""
    matching = aliased(Section)
    keys = select(matching.path_key).where(func.lower(matching.title) == section.lower())
    if document_id is not None:
        keys = keys.where(matching.document_id == document_id)
    prefixes = [k for k in session.scalars(keys)]
    if not prefixes:
        raise NotFound(f"no section titled {section!r}; `tracker sections` lists them")
    return or_(*(or_(Section.path_key == k, Section.path_key.startswith(k + PATH_SEPARATOR))
                 for k in prefixes))


def claim(session: Session, claim_id: int) -> ClaimRow:
    row = session.execute(_claim_select().where(Claim.id == claim_id)).first()
    if row is None:
        raise NotFound(f"no claim #{claim_id}")
    return _claim_row(row, open_flag_kinds(session, claim_id=claim_id))
