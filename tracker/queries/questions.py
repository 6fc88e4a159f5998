"""The open questions of a document."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from tracker.models import Citation, Claim, OpenQuestion, QuestionClaim, QuestionEvidence
from tracker.vocabulary import Priority, QuestionStatus

# --- open questions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionRow:
    id: int
    slug: str
    title: str
    description: str
    status: str
    priority: str
    claims: list[int]
    evidence: list[tuple[str, str, str | None, str]]  # (key, title, design, note)
    version: int


def questions(session: Session, document_id: int, *, status: str | None = None
              ) -> list[QuestionRow]:
    query = select(OpenQuestion).where(OpenQuestion.document_id == document_id)
    if status:
        query = query.where(OpenQuestion.status == status)
    rank = case({p.value: i for i, p in enumerate(Priority)}, value=OpenQuestion.priority)
    found = list(session.scalars(query.order_by(rank, OpenQuestion.title)))
    ids = [q.id for q in found]
    claims_of: dict[int, list[int]] = {}
    for qid, cid in session.execute(select(QuestionClaim.question_id, QuestionClaim.claim_id)
                                    .join(Claim, Claim.id == QuestionClaim.claim_id)
                                    .where(QuestionClaim.question_id.in_(ids))
                                    .order_by(Claim.ordinal)):
        claims_of.setdefault(qid, []).append(cid)
    evidence_of: dict[int, list[tuple[str, str, str | None, str]]] = {}
    for qid, key, title, design, note in session.execute(
            select(QuestionEvidence.question_id, Citation.key, Citation.title, Citation.design,
                   QuestionEvidence.note)
            .join(Citation, Citation.id == QuestionEvidence.citation_id)
            .where(QuestionEvidence.question_id.in_(ids)).order_by(Citation.key)):
        evidence_of.setdefault(qid, []).append((key, title, design, note))
    return [QuestionRow(q.id, q.slug, q.title, q.description, q.status, q.priority,
                        claims_of.get(q.id, []), evidence_of.get(q.id, []), q.version)
            for q in found]


def questions_by_status(session: Session, document_id: int) -> dict[str, int]:
    counts = {s: n for s, n in session.execute(
        select(OpenQuestion.status, func.count()).where(OpenQuestion.document_id == document_id)
        .group_by(OpenQuestion.status))}
    return {s.value: int(counts.get(s.value, 0)) for s in QuestionStatus}
