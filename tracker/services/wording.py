"""Editors' decisions on proposed "overstated" flags (GRADE guideline 26).

The wording check (`tracker.grading.wording`, read by `tracker.queries.wording_check`)
proposes an "overstated" flag where a sentence asserts more firmly than the certainty of its
evidence allows. An editor accepts the proposal — the flag is raised through the flag service
(or an open "overstated" flag already on the claim is kept) — or dismisses it with a reason.
The decision is stored with the reading and the evidence it was made on; once either moves,
the proposal is made afresh.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from tracker.db import lock_sentences
from tracker.errors import InvalidInput, NotFound
from tracker.grading import wording
from tracker.limits import MAX_NOTE_CHARS, check_text
from tracker.models import Claim, Flag, WordingDecision
from tracker.services.access import Actor, authorize, record
from tracker.services.flags import raise_flag
from tracker.vocabulary import FlagKind, FlagState, WordingDecisionKind, WordingVerdict


@dataclass(frozen=True, slots=True)
class WordingDecisionInfo:
    id: int
    claim_id: int
    decision: str
    reason: str
    flag_id: int | None
    suggestion: str


def decide_wording(session: Session, actor: Actor, claim_id: int,
                   decision: WordingDecisionKind, reason: str = "") -> WordingDecisionInfo:
    """Accept (raise the "overstated" flag) or dismiss (with a reason) the over-statement the
    wording check proposes for this claim now."""
    decision = WordingDecisionKind(decision)
    accepted = decision is WordingDecisionKind.ACCEPTED
    authorize(actor, "wording.accept" if accepted else "wording.dismiss")
    why = check_text(reason, "the reason", MAX_NOTE_CHARS)
    if decision is WordingDecisionKind.DISMISSED and not why:
        raise InvalidInput("say why the proposed overstated flag is dismissed")
    lock_sentences(session, [claim_id])  # two editors at once decide once
    parent = aliased(Claim)
    found = session.execute(
        select(Claim, parent.text).outerjoin(parent, parent.id == Claim.parent_id)
        .where(Claim.id == claim_id)).one_or_none()
    if found is None:
        raise NotFound(f"no claim #{claim_id}")
    claim, parent_text = found
    if claim.retired:
        raise InvalidInput(f"claim #{claim_id} is retired (no longer in the article)")
    result = wording.check_claim(claim.text, parent_text, claim.certainty, claim.status,
                                 claim.track, claim.category)
    if result.verdict is not WordingVerdict.OVERSTATED or result.allowed_strength is None:
        raise InvalidInput(f"claim #{claim_id} is not over-stated ({result.verdict.value}: "
                           f"{result.reason}); there is no proposal to decide")
    flag_id: int | None = None
    if decision is WordingDecisionKind.ACCEPTED:
        flag_id = session.scalar(select(Flag.id).where(
            Flag.claim_id == claim_id, Flag.kind == FlagKind.OVERSTATED.value,
            Flag.state == FlagState.OPEN.value).order_by(Flag.id).limit(1))
        if flag_id is None:
            text = (f"GRADE 26 wording check: {result.reason}. The evidence allows: "
                    f"{result.suggestion}" + (f" ({why})" if why else ""))
            flag_id = raise_flag(session, actor, claim_id, FlagKind.OVERSTATED,
                                 text[:MAX_NOTE_CHARS]).id
    row = WordingDecision(
        claim_id=claim_id, decision=decision.value, strength=result.strength.value,
        allowed_strength=result.allowed_strength.value, certainty=claim.certainty,
        status=claim.status, suggestion=result.suggestion, reason=why, flag_id=flag_id,
        decided_by_id=actor.id)
    session.add(row)
    session.flush()
    verb = "accept" if decision is WordingDecisionKind.ACCEPTED else "dismiss"
    record(session, actor, f"wording.{verb}", "wording_decision", row.id,
           f"overstated proposal on claim #{claim_id} {decision.value}"
           + (f": {why}" if why else "") + (f" (flag #{flag_id})" if flag_id else ""),
           document_id=claim.document_id, claim_id=claim_id,
           after={"decision": decision.value, "strength": row.strength,
                  "allowed_strength": row.allowed_strength, "certainty": row.certainty,
                  "status": row.status, "reason": why, "flag_id": flag_id})
    return WordingDecisionInfo(row.id, claim_id, decision.value, why, flag_id,
                               result.suggestion)
