"""The article scorecard: its facts, editors' ratings, tallies, ClaimReview markup."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import scorecard as scorecards
from tracker.config import Settings
from tracker.errors import InvalidInput, NotFound
from tracker.models import (
    Citation,
    CitedSource,
    Claim,
    Document,
    EvidenceLink,
    Flag,
    Resource,
    ScorecardRating,
    StatusChange,
    User,
    utcnow,
)
from tracker.queries.coverage import _graded_claims
from tracker.queries.wording import wording_check
from tracker.scorecard import claimreview
from tracker.vocabulary import (
    ClaimStatus,
    FlagKind,
    FlagState,
    Instrument,
    Stance,
    WordingDecisionKind,
    WordingVerdict,
)

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
