"""Suggested studies for a claim (the evidence finder)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import InvalidInput, NotFound
from tracker.models import Citation, Claim, EvidenceLink

# --- suggested studies (the evidence finder) -------------------------------------------------

NOT_EVIDENCE = ("Suggestions come from matching words, not from reading the studies: a "
                "suggested study is not evidence until a reviewer links it to the claim with a "
                "stance.")
MAX_SUGGESTIONS = 100


@dataclass(frozen=True, slots=True)
class SuggestedSentence:
    """A sentence of a suggested study's abstract (numbered from 0) with the spans of the
    words that match the claim (offsets in `text`)."""

    index: int
    text: str
    score: float
    highlights: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Suggestion:
    rank: int
    citation_id: int
    key: str
    title: str
    year: int | None
    design: str | None
    verified: bool
    retracted: bool
    score: float
    matched_terms: list[str]
    sentences: list[SuggestedSentence]
    linked: bool  # already linked to this claim
    stance: str | None  # the stance of that link


@dataclass(frozen=True, slots=True)
class Suggestions:
    claim_id: int
    claim_text: str
    terms: list[str]  # what was looked for: each concept's forms, "ketamine | esketamine"
    suggestions: list[Suggestion]
    note: str = NOT_EVIDENCE


def suggestions(session: Session, claim_id: int, *, limit: int = 10,
                extra_terms: Sequence[str] = ()) -> Suggestions:
    """The studies of the library most likely to bear on a claim, best first
    (`tracker.finder`), each marked when it is already linked to the claim. `extra_terms` are
    further things to look for, such as the claim's confirmed PICO tags. A read: suggestions
    never count as evidence."""
    if not 1 <= limit <= MAX_SUGGESTIONS:
        raise InvalidInput(f"the number of suggestions must be 1 to {MAX_SUGGESTIONS}, "
                           f"not {limit}")
    text = session.scalar(select(Claim.text).where(Claim.id == claim_id))
    if text is None:
        raise NotFound(f"no claim #{claim_id}")
    from tracker import finder  # the finder's stemmer and ranking: only for this read

    found = finder.find(session, text, limit=limit, extra_terms=extra_terms)
    ids = [r.citation_id for r in found.ranked]
    meta = {row.id: row for row in session.execute(
        select(Citation.id, Citation.key, Citation.title, Citation.year, Citation.design,
               Citation.verified, Citation.retracted).where(Citation.id.in_(ids)))}
    stances = dict(session.execute(
        select(EvidenceLink.citation_id, EvidenceLink.stance)
        .where(EvidenceLink.claim_id == claim_id, EvidenceLink.citation_id.in_(ids))).all())
    return Suggestions(
        claim_id=claim_id, claim_text=text,
        terms=[" | ".join(c.forms) for c in found.concepts],
        suggestions=[
            Suggestion(
                rank=number, citation_id=r.citation_id, key=meta[r.citation_id].key,
                title=meta[r.citation_id].title, year=meta[r.citation_id].year,
                design=meta[r.citation_id].design, verified=meta[r.citation_id].verified,
                retracted=meta[r.citation_id].retracted, score=r.score,
                matched_terms=list(r.matched),
                sentences=[SuggestedSentence(s.index, s.text, s.score, list(s.highlights))
                           for s in r.sentences],
                linked=r.citation_id in stances, stance=stances.get(r.citation_id))
            for number, r in enumerate(found.ranked, start=1)
        ],
    )
