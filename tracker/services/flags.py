"""Editors' flags on claims: raise (one or many), then resolve or dismiss with a reason.

Linking evidence never closes a flag: the flag lists the evidence added since it was raised
(see `tracker.queries.flags`) and an editor decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db import lock_sentences
from tracker.errors import Conflict, InvalidInput, NotFound
from tracker.limits import MAX_NOTE_CHARS, check_text
from tracker.models import Claim, Flag, utcnow
from tracker.services.access import Actor, authorize, record
from tracker.vocabulary import FlagKind, FlagState


@dataclass(frozen=True, slots=True)
class FlagInfo:
    id: int
    claim_id: int
    kind: str
    reason: str
    state: str
    raised_at: datetime
    version: int


def _info(flag: Flag) -> FlagInfo:
    return FlagInfo(id=flag.id, claim_id=flag.claim_id, kind=flag.kind, reason=flag.reason,
                    state=flag.state, raised_at=flag.raised_at, version=flag.version)


def raise_flag(
    session: Session, actor: Actor, claim_id: int, kind: FlagKind, reason: str
) -> FlagInfo:
    """Flag a claim; an open flag of the same kind on the same claim is not repeated."""
    return raise_flags(session, actor, [claim_id], kind, reason)[0]


def raise_flags(
    session: Session, actor: Actor, claim_ids: Sequence[int], kind: FlagKind, reason: str
) -> list[FlagInfo]:
    """Flag several claims at once with the same kind and reason (one transaction)."""
    authorize(actor, "flag.raise")
    why = check_text(reason, "the reason", MAX_NOTE_CHARS)
    if not why:
        raise InvalidInput("a flag needs a reason")
    if not claim_ids:
        raise InvalidInput("name at least one claim to flag")
    kind = FlagKind(kind)
    lock_sentences(session, claim_ids)  # two editors at once must not both add the flag
    claims = {c.id: c for c in session.scalars(select(Claim).where(Claim.id.in_(claim_ids)))}
    missing = [i for i in claim_ids if i not in claims]
    if missing:
        raise NotFound(f"no claim #{missing[0]}")
    open_already = set(session.scalars(select(Flag.claim_id).where(
        Flag.claim_id.in_(claim_ids), Flag.kind == kind.value,
        Flag.state == FlagState.OPEN.value)))
    clash = [i for i in claim_ids if i in open_already]
    if clash:
        raise Conflict(f"claim #{clash[0]} already has an open {kind.value} flag")
    flags: list[Flag] = []
    for claim_id in dict.fromkeys(claim_ids):
        claim = claims[claim_id]
        if claim.retired:
            raise InvalidInput(f"claim #{claim_id} is retired (no longer in the article)")
        flag = Flag(claim_id=claim_id, kind=kind.value, reason=why, raised_by_id=actor.id,
                    state=FlagState.OPEN.value)
        session.add(flag)
        flags.append(flag)
    session.flush()
    for flag in flags:
        record(session, actor, "flag.raise", "flag", flag.id,
               f"{flag.kind} flag on claim #{flag.claim_id}: {why}",
               document_id=claims[flag.claim_id].document_id, claim_id=flag.claim_id,
               after={"kind": flag.kind, "reason": why, "state": flag.state})
    return [_info(f) for f in flags]


def close_flag(
    session: Session,
    actor: Actor,
    flag_id: int,
    state: FlagState,
    resolution: str,
    *,
    expected_version: int | None = None,
) -> FlagInfo:
    """Resolve (the problem was fixed) or dismiss (it was not a problem) an open flag."""
    authorize(actor, "flag.dismiss" if state == FlagState.DISMISSED else "flag.resolve")
    if state is FlagState.OPEN:
        raise InvalidInput("close a flag as resolved or dismissed")
    why = check_text(resolution, "the reason", MAX_NOTE_CHARS)
    if not why:
        raise InvalidInput(f"say why the flag is {state.value}")
    flag = session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(f"no flag #{flag_id}")
    if expected_version is not None and expected_version != flag.version:
        raise Conflict(f"flag #{flag_id} was changed by someone else since you read it; reload")
    if flag.state != FlagState.OPEN.value:
        raise Conflict(f"flag #{flag_id} is already {flag.state}")
    flag.state = state.value
    flag.resolution = why
    flag.closed_by_id = actor.id
    flag.closed_at = utcnow()
    session.flush()
    record(session, actor, f"flag.{'resolve' if state is FlagState.RESOLVED else 'dismiss'}",
           "flag", flag.id, f"{flag.kind} flag on claim #{flag.claim_id} {state.value}: {why}",
           document_id=flag.claim.document_id, claim_id=flag.claim_id,
           before={"state": FlagState.OPEN.value}, after={"state": state.value, "why": why})
    return _info(flag)
