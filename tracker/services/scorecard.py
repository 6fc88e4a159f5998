"""Editors rate the criteria of a document's scorecard: confirm the rules' proposal or override
it, always with a reason; or clear their rating so the proposal stands again. Each is audited
with the rating before and after and what the rules proposed (docs/scorecard.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import Conflict, InvalidInput, NotFound
from tracker.limits import MAX_NOTE_CHARS, check_text
from tracker.models import Document, ScorecardRating, utcnow
from tracker.queries import scorecard_facts
from tracker.scorecard import RULES, check_rating, criterion
from tracker.scorecard.instruments import Criterion
from tracker.services.access import Actor, authorize, record


@dataclass(frozen=True, slots=True)
class RatingInfo:
    document_id: int
    instrument: str
    criterion: str
    rating: str
    reason: str
    proposed: str | None
    decision: str  # "confirms" (the rules' proposal) or "overrides" it
    rated_at: datetime
    version: int


def _proposed(session: Session, document_id: int, item: Criterion) -> str | None:
    rule = RULES.get((item.instrument, item.key))
    return rule(scorecard_facts(session, document_id)).rating if rule else None


def _stored(session: Session, document_id: int, item: Criterion) -> ScorecardRating | None:
    return session.scalar(select(ScorecardRating).where(
        ScorecardRating.document_id == document_id,
        ScorecardRating.instrument == item.instrument.value,
        ScorecardRating.criterion == item.key))


def _document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document #{document_id}")
    return document


def rate_criterion(
    session: Session, actor: Actor, document_id: int, instrument: str, key: str,
    rating: str, reason: str, *, expected_version: int | None = None,
) -> RatingInfo:
    """Rate one criterion of a document's scorecard (HNR: satisfactory, not-satisfactory,
    not-applicable; DISCERN: 1–5) with a reason; replaces the editor's earlier rating."""
    authorize(actor, "scorecard.rate")
    item = criterion(instrument, key)
    value = check_rating(item.instrument, rating)
    why = check_text(reason, "the reason", MAX_NOTE_CHARS)
    if not why:
        raise InvalidInput(f"say why {item.label} ({item.key}) is rated {value}")
    document = _document(session, document_id)
    proposed = _proposed(session, document_id, item)
    row = _stored(session, document_id, item)
    if expected_version is not None and (row.version if row else 0) != expected_version:
        raise Conflict(f"{item.label} of {document.slug} was rated by someone else since you "
                       "read it; reload")
    before = ({"rating": row.rating, "reason": row.reason} if row else None)
    if row is None:
        row = ScorecardRating(document_id=document_id, instrument=item.instrument.value,
                              criterion=item.key, rating=value, reason=why, proposed=proposed,
                              rated_by_id=actor.id)
        session.add(row)
    else:
        row.rating, row.reason, row.proposed = value, why, proposed
        row.rated_by_id, row.rated_at = actor.id, utcnow()
    session.flush()
    decision = "confirms" if value == proposed else "overrides"
    said = f"the rules' proposal ({proposed})" if proposed else "no proposal"
    record(session, actor, "scorecard.rate", "scorecard_rating", row.id,
           f"{item.label} ({item.key}) of {document.slug} rated {value}, {decision} {said}: "
           f"{why}", document_id=document_id, before=before,
           after={"rating": value, "reason": why, "proposed": proposed, "decision": decision})
    return RatingInfo(document_id, item.instrument.value, item.key, value, why, proposed,
                      decision, row.rated_at, row.version)


def clear_rating(session: Session, actor: Actor, document_id: int, instrument: str, key: str,
                 reason: str) -> None:
    """Remove an editor's rating of one criterion, so the rules' proposal stands again."""
    authorize(actor, "scorecard.clear")
    item = criterion(instrument, key)
    why = check_text(reason, "the reason", MAX_NOTE_CHARS)
    if not why:
        raise InvalidInput(f"say why the rating of {item.label} ({item.key}) is cleared")
    document = _document(session, document_id)
    row = _stored(session, document_id, item)
    if row is None:
        raise NotFound(f"{item.label} ({item.key}) of {document.slug} has no editor's rating")
    before = {"rating": row.rating, "reason": row.reason}
    row_id = row.id
    session.delete(row)
    session.flush()
    record(session, actor, "scorecard.clear", "scorecard_rating", row_id,
           f"{item.label} ({item.key}) of {document.slug}: editor's rating cleared: {why}",
           document_id=document_id, before=before, after={"why": why})
