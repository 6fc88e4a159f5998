"""Reviewers' decisions on PICO tags (`tracker.pico`): confirm or reject a rule's proposal, or
add a tag of their own, on a claim or on a citation. The rules keep proposing; a decision
wins over them. A citation's decisions live beside its gap-map topics (`citation_topics`,
with a state), so the gap map leaves a rejected tag out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import pico
from tracker.db import lock_sentences
from tracker.errors import InvalidInput, NotFound
from tracker.limits import MAX_NOTE_CHARS, check_text
from tracker.models import Citation, CitationTopic, Claim, ClaimTag, utcnow
from tracker.services.access import Actor, authorize, record
from tracker.vocabulary import PicoFacet, TagState

MAX_TAG_CHARS = 64


@dataclass(frozen=True, slots=True)
class TagDecision:
    facet: str
    value: str
    state: str
    source: str


def _checked(facet: PicoFacet, value: str, state: TagState) -> tuple[PicoFacet, str, TagState]:
    facet, state = PicoFacet(facet), TagState(state)
    if state is TagState.PROPOSED:
        raise InvalidInput("a reviewer confirms or rejects a tag")
    clean = " ".join(check_text(value, "the tag's value", MAX_TAG_CHARS).split())
    if not clean:
        raise InvalidInput("name the tag's value")
    return facet, clean, state


def decide_claim_tag(session: Session, actor: Actor, claim_id: int, facet: PicoFacet,
                     value: str, state: TagState, reason: str = "") -> TagDecision:
    """Confirm, reject or add one PICO tag of a claim."""
    authorize(actor, "tags.decide")
    facet, value, state = _checked(facet, value, state)
    why = check_text(reason, "the reason", MAX_NOTE_CHARS)
    lock_sentences(session, [claim_id])
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"no claim #{claim_id}")
    parent_text = claim.parent.text if claim.parent is not None else None
    proposed = {(t.facet, t.value) for t in pico.for_claim(claim.text, parent_text)}
    source = "rule" if (facet, value) in proposed else "reviewer"
    if source == "reviewer" and state is TagState.REJECTED:
        raise InvalidInput(f"no rule proposes {facet.value} {value!r} for claim #{claim_id}; "
                           "there is nothing to reject")
    row = session.get(ClaimTag, (claim_id, facet.value, value))
    before = None if row is None else {"state": row.state, "source": row.source}
    if row is None:
        row = ClaimTag(claim_id=claim_id, facet=facet.value, value=value)
        session.add(row)
    row.source, row.state, row.reason = source, state.value, why
    row.decided_by_id, row.decided_at = actor.id, utcnow()
    session.flush()
    record(session, actor, "tag.decide", "claim_tag", claim_id,
           f"{facet.value} {value!r} {state.value} on claim #{claim_id}"
           + (f": {why}" if why else ""), document_id=claim.document_id, claim_id=claim_id,
           before=before, after={"facet": facet.value, "value": value, "state": state.value,
                                 "source": source})
    return TagDecision(facet.value, value, state.value, source)


def decide_citation_tag(session: Session, actor: Actor, key: str, facet: PicoFacet,
                        value: str, state: TagState, reason: str = "") -> TagDecision:
    """Confirm, reject or add one PICO tag of a citation."""
    authorize(actor, "tags.decide")
    facet, value, state = _checked(facet, value, state)
    why = check_text(reason, "the reason", MAX_NOTE_CHARS)
    citation = session.scalar(select(Citation).where(Citation.key == key).with_for_update())
    if citation is None:
        raise NotFound(f"no citation with key {key!r}")
    finding = (citation.extra or {}).get("finding")
    proposals = {(t.facet, t.value): t.trigger for t in pico.propose(
        [citation.title, citation.abstract, " ".join(citation.keywords or []),
         finding if isinstance(finding, str) else None])}
    row = session.get(CitationTopic, (citation.id, facet.value, value))
    if (facet, value) not in proposals and row is None and state is TagState.REJECTED:
        raise InvalidInput(f"no rule proposes {facet.value} {value!r} for {key}; there is "
                           "nothing to reject")
    before = None if row is None else {"state": row.state or TagState.PROPOSED.value,
                                       "source": row.source}
    if row is None:
        source = "rule" if (facet, value) in proposals else "reviewer"
        row = CitationTopic(citation_id=citation.id, facet=facet.value, value=value,
                            source=source, trigger=proposals.get((facet, value), ""))
        session.add(row)
    row.state = state.value
    if row.trigger is None and (facet, value) in proposals:
        row.trigger = proposals[(facet, value)]
    session.flush()
    record(session, actor, "tag.decide", "citation_tag", citation.id,
           f"{facet.value} {value!r} {state.value} on {key}" + (f": {why}" if why else ""),
           before=before, after={"facet": facet.value, "value": value, "state": state.value,
                                 "source": row.source, "reason": why})
    return TagDecision(facet.value, value, state.value, row.source)
