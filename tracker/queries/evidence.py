"""One claim in full: its evidence, appraisals, history (the audit trail) and detail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from tracker import grading
from tracker.errors import InvalidInput, NotFound
from tracker.models import (
    Appraisal,
    AuditEvent,
    BodyJudgement,
    Citation,
    Claim,
    Document,
    DualItem,
    EvidenceLink,
    EvidenceSearch,
    LinkDirectness,
    OpenQuestion,
    QuestionClaim,
    User,
)
from tracker.queries.article import CitedRow, cited_sources
from tracker.queries.citations import AppraisalRow, NoticeRow, appraisals, retraction_notices
from tracker.queries.claims import ClaimRow, claim
from tracker.queries.dual import DualItemRow, dual_items
from tracker.queries.flags import FlagFilter, FlagRow, flags
from tracker.vocabulary import CITO_TERMS, DualKind, Stance, StudyDesign

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
            judgements={n: getattr(link, n) for n in grading.JUDGEMENT_NAMES},
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
        flags=flags(session, FlagFilter(claim_id=claim_id)), questions=question_titles,
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
