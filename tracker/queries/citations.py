"""Citations: the filtered list, one citation in full, the evidence gap map."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from tracker import grading, topics
from tracker.errors import InvalidInput, NotFound
from tracker.models import (
    Appraisal,
    AppraisalDomain,
    Citation,
    CitationTopic,
    Claim,
    EvidenceLink,
    OpenQuestion,
    QuestionEvidence,
    RetractionNotice,
    User,
)
from tracker.vocabulary import StudyDesign, TagState

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


def linked_to(document_id: int) -> Select[int]:
    """The ids of the citations linked as evidence to the document's claims."""
    return (select(EvidenceLink.citation_id).join(Claim, Claim.id == EvidenceLink.claim_id)
            .where(Claim.document_id == document_id))


def addressing(document_id: int) -> Select[int]:
    """The ids of the citations recorded as addressing the document's open questions."""
    return (select(QuestionEvidence.citation_id)
            .join(OpenQuestion, OpenQuestion.id == QuestionEvidence.question_id)
            .where(OpenQuestion.document_id == document_id))


@dataclass(frozen=True, slots=True)
class CitationFilter:
    """Which citations `citations()` and `citation_count()` return: matching a search, of a
    design, verified or not, linked to a document's claims (None: any)."""

    search: str | None = None
    design: str | None = None
    verified: bool | None = None
    document_id: int | None = None


EVERY_CITATION = CitationFilter()


def citations(session: Session, where: CitationFilter = EVERY_CITATION, *,
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
    ranked = _citation_filters(session, select(Citation.id, links), where)
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


def citation_count(session: Session, where: CitationFilter = EVERY_CITATION) -> int:
    query = _citation_filters(session, select(func.count(Citation.id)), where)
    return int(session.scalar(query) or 0)


def _citation_filters(session: Session, query: Any, where: CitationFilter) -> Any:
    search = where.search
    if search and search.strip():
        # Words separately, "quoted phrases" as phrases, each in the full-text index or in
        # the key, authors, DOI or PMID (tracker.finder.index.search_condition).
        from tracker.finder import index as finder_index  # imported by the reads that search

        query = query.where(finder_index.search_condition(session, search))
    if where.design:
        query = query.where(Citation.design == where.design)
    if where.verified is not None:
        query = query.where(Citation.verified.is_(where.verified))
    if where.document_id is not None:
        query = query.where(Citation.id.in_(linked_to(where.document_id)))
    return query


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
        query = query.where(Citation.id.in_(
            linked_to(document_id).union(addressing(document_id))))
    found = {(c, r): (n, lvl) for c, r, n, lvl in session.execute(query)}
    return [GapCell(c, r, *found.get((c, r), (0, None)))
            for c in topics.CONDITIONS for r in topics.ROUTES]
