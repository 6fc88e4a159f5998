"""Reads of the article's wording against its evidence (GRADE guideline 26), of PICO tags and
indirectness prompts, and of the summary of findings. Re-exported by `tracker.queries`
(callers use `queries.wording_check`, …); the rules themselves are pure
(`tracker.grading.wording`, `tracker.pico`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, aliased

from tracker.grading import wording
from tracker.models import Claim, Flag, User, WordingDecision
from tracker.vocabulary import FlagKind, FlagState, WordingVerdict

__all__ = ["WordingRow", "wording_check", "wording_proposals"]


@dataclass(frozen=True, slots=True)
class WordingRow:
    """One claim (a sentence, or a part split off one) read against its evidence."""

    claim_id: int
    parent_id: int | None
    text: str  # the claim's own text (a part's words)
    sentence: str  # what was read: the sentence (a part's parent)
    category: str
    track: str
    status: str
    certainty: str | None
    strength: str
    allowed_strength: str | None
    verdict: str  # WordingVerdict value
    suggestion: str
    reason: str
    trigger: str
    notes: tuple[str, ...]
    #: For an over-statement: "open" (an editor's decision is due), "accepted", "dismissed";
    #: None otherwise. A decision made on other evidence or wording no longer applies.
    proposal: str | None
    decision_reason: str | None
    decision_by: str | None
    open_flag_id: int | None  # an open "overstated" flag on the claim, whoever raised it


def _leaf_claims(document_id: int, claim_id: int | None) -> Select[Any]:
    parent = aliased(Claim)
    part = aliased(Claim)
    has_parts = exists().where(part.parent_id == Claim.id, part.retired.is_(False))
    flag = (select(func.min(Flag.id)).where(
        Flag.claim_id == Claim.id, Flag.kind == FlagKind.OVERSTATED.value,
        Flag.state == FlagState.OPEN.value).scalar_subquery())
    query = (select(Claim.id, Claim.parent_id, Claim.text, parent.text, Claim.category,
                    Claim.track, Claim.status, Claim.certainty, flag)
             .outerjoin(parent, parent.id == Claim.parent_id)
             .where(Claim.document_id == document_id, Claim.retired.is_(False), ~has_parts)
             .order_by(func.coalesce(parent.ordinal, Claim.ordinal), Claim.parent_id.is_not(None),
                       Claim.ordinal))
    if claim_id is not None:
        query = query.where(Claim.id == claim_id)
    return query


def wording_check(session: Session, document_id: int, *, claim_id: int | None = None
                  ) -> list[WordingRow]:
    """Every live claim of the document that carries its own evidence (sentences that are
    not split, and parts), in article order, with the GRADE 26 reading of its wording and
    the editors' decision on an over-statement where one applies."""
    rows = session.execute(_leaf_claims(document_id, claim_id)).all()
    ids = [r[0] for r in rows]
    decisions: dict[int, tuple[Any, ...]] = {}
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start:chunk_start + 5000]
        for d in session.execute(
                select(WordingDecision.claim_id, WordingDecision.strength,
                       WordingDecision.allowed_strength, WordingDecision.certainty,
                       WordingDecision.status, WordingDecision.decision,
                       WordingDecision.reason, User.username)
                .join(User, User.id == WordingDecision.decided_by_id)
                .where(WordingDecision.claim_id.in_(chunk))
                .order_by(WordingDecision.id)):
            decisions[d[0]] = tuple(d[1:])  # the latest wins
    found: list[WordingRow] = []
    for ident, parent_id, text, parent_text, category, track, status, certainty, flag in rows:
        result = wording.check_claim(text, parent_text, certainty, status, track, category)
        proposal = reason = by = None
        if result.verdict is WordingVerdict.OVERSTATED:
            proposal = "open"
            made = decisions.get(ident)
            if made is not None and made[:4] == (result.strength.value,
                                                 result.allowed_strength.value
                                                 if result.allowed_strength else None,
                                                 certainty, status):
                proposal, reason, by = made[4], made[5], made[6]
        found.append(WordingRow(
            claim_id=ident, parent_id=parent_id, text=text, sentence=parent_text or text,
            category=category, track=track, status=status, certainty=certainty,
            strength=result.strength.value,
            allowed_strength=result.allowed_strength.value if result.allowed_strength else None,
            verdict=result.verdict.value, suggestion=result.suggestion, reason=result.reason,
            trigger=result.classification.trigger, notes=result.classification.notes,
            proposal=proposal, decision_reason=reason, decision_by=by, open_flag_id=flag))
    return found


def wording_proposals(session: Session, document_id: int) -> list[WordingRow]:
    """The over-statements waiting for an editor's decision (the queue lists them)."""
    return [r for r in wording_check(session, document_id) if r.proposal == "open"]


def verdict_counts(rows: Sequence[WordingRow]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.verdict] += 1
    return dict(counts)
