"""The article as a reader sees it, and what it cites itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tracker.models import Citation, CitedSource, Claim, EvidenceLink
from tracker.queries.claims import ClaimFilter, ClaimRow, claims
from tracker.queries.documents import DocumentRow, _documents, sections
from tracker.vocabulary import Stance

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
    rows = claims(session, ClaimFilter(document_id, include_parts=False))
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
