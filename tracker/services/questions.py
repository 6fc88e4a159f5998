"""Open research questions: what the article leaves open, where it comes from, and the
literature that addresses it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import Conflict, InvalidInput, NotFound
from tracker.limits import MAX_NOTE_CHARS, MAX_QUESTION_TITLE_CHARS, check_text
from tracker.models import Citation, Claim, OpenQuestion, QuestionClaim, QuestionEvidence
from tracker.services.access import Actor, authorize, record
from tracker.vocabulary import Priority, QuestionStatus

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    id: int
    slug: str
    title: str
    status: str
    priority: str
    version: int


def _info(q: OpenQuestion) -> QuestionInfo:
    return QuestionInfo(id=q.id, slug=q.slug, title=q.title, status=q.status,
                        priority=q.priority, version=q.version)


def question_by_slug(session: Session, document_id: int, slug: str) -> OpenQuestion:
    question = session.scalar(select(OpenQuestion).where(
        OpenQuestion.document_id == document_id, OpenQuestion.slug == slug))
    if question is None:
        raise NotFound(f"no open question {slug!r}")
    return question


def add_question(
    session: Session,
    actor: Actor,
    document_id: int,
    slug: str,
    title: str,
    *,
    description: str = "",
    priority: Priority = Priority.MEDIUM,
    status: QuestionStatus = QuestionStatus.OPEN,
    claim_ids: Sequence[int] = (),
) -> QuestionInfo:
    authorize(actor, "question.add")
    if not SLUG.match(slug):
        raise InvalidInput(f"question slug {slug!r}: use lower-case letters, digits and '-'")
    if not title.strip():
        raise InvalidInput("an open question needs a title")
    if session.scalar(select(OpenQuestion.id).where(
            OpenQuestion.document_id == document_id, OpenQuestion.slug == slug)) is not None:
        raise Conflict(f"open question {slug!r} already exists")
    question = OpenQuestion(
        document_id=document_id, slug=slug,
        title=check_text(title, "the title", MAX_QUESTION_TITLE_CHARS),
        description=check_text(description, "the description", MAX_NOTE_CHARS),
        priority=Priority(priority).value,
        status=QuestionStatus(status).value, created_by_id=actor.id,
    )
    session.add(question)
    session.flush()
    for claim_id in dict.fromkeys(claim_ids):
        claim = session.get(Claim, claim_id)
        if claim is None or claim.document_id != document_id:
            raise NotFound(f"no claim #{claim_id} in this document")
        session.add(QuestionClaim(question_id=question.id, claim_id=claim_id))
    session.flush()
    record(session, actor, "question.add", "question", question.id,
           f"open question {slug!r} added", document_id=document_id,
           after={"slug": slug, "title": question.title, "status": question.status,
                  "priority": question.priority, "claims": list(claim_ids)})
    return _info(question)


def update_question(
    session: Session,
    actor: Actor,
    question_id: int,
    *,
    status: QuestionStatus | None = None,
    priority: Priority | None = None,
    expected_version: int | None = None,
) -> QuestionInfo:
    authorize(actor, "question.update")
    question = session.get(OpenQuestion, question_id)
    if question is None:
        raise NotFound(f"no open question #{question_id}")
    if expected_version is not None and expected_version != question.version:
        raise Conflict(f"open question #{question_id} was changed by someone else; reload")
    before = {"status": question.status, "priority": question.priority}
    if status is not None:
        question.status = QuestionStatus(status).value
    if priority is not None:
        question.priority = Priority(priority).value
    after = {"status": question.status, "priority": question.priority}
    if after == before:
        return _info(question)
    session.flush()
    record(session, actor, "question.update", "question", question.id,
           f"open question {question.slug!r}: "
           + ", ".join(f"{k} {before[k]} → {after[k]}" for k in after if after[k] != before[k]),
           document_id=question.document_id, before=before, after=after)
    return _info(question)


def address_question(
    session: Session, actor: Actor, question_id: int, citation_id: int, note: str = ""
) -> bool:
    """Record that a citation addresses a question. False when it already did."""
    authorize(actor, "question.evidence")
    question = session.get(OpenQuestion, question_id)
    if question is None:
        raise NotFound(f"no open question #{question_id}")
    citation = session.get(Citation, citation_id)
    if citation is None:
        raise NotFound(f"no citation #{citation_id}")
    if session.get(QuestionEvidence, (question_id, citation_id)) is not None:
        return False
    session.add(QuestionEvidence(question_id=question_id, citation_id=citation_id,
                                 note=check_text(note, "the note", MAX_NOTE_CHARS),
                                 added_by_id=actor.id))
    session.flush()
    record(session, actor, "question.evidence", "question", question_id,
           f"{citation.key} addresses {question.slug!r}", document_id=question.document_id,
           after={"citation": citation.key, "note": note.strip()})
    return True
