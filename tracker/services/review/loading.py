"""The two loads: a review file (`load_review`) and the open questions (`load_questions`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import db
from tracker.limits import MAX_NOTE_CHARS
from tracker.models import (
    OpenQuestion,
)
from tracker.queries import resolve_document
from tracker.services import evidence, questions
from tracker.services.access import Actor, authorize
from tracker.services.review.applying import (
    LoadReport,
    _apply_appraisal,
    _apply_body,
    _apply_candidate,
    _apply_flag,
    _apply_link,
    _apply_search,
    _apply_track,
    _withdraw,
)
from tracker.services.review.ledger import _Ledger
from tracker.services.review.reading import ReviewFile, ReviewFileError, _file, _Reader
from tracker.vocabulary import (
    Priority,
    QuestionStatus,
)


def load_review(session: Session, actor: Actor, source: Path | ReviewFile) -> LoadReport:
    """Load splits, evidence links (with directness and effect), appraisals, body judgements,
    searches, tracks, flags, question evidence and to-check candidates."""
    authorize(actor, "review.load")
    review = _file(source)
    document = resolve_document(session, review.data.get("document"))
    db.lock_document(session, document.id)  # reviewers of it finish first, then wait
    reader = _Reader(session, review, document.id)
    plan = reader.plan()
    if reader.problems:
        raise ReviewFileError(review.path, reader.problems)
    report = LoadReport(path=review.path)
    ledger = _Ledger(session, document.id)
    claims = reader.claims
    for claim, parts, reason in plan.splits:
        before = len(claims.parts.get(claim.id, {}))
        evidence.split_claim(session, actor, claim.id, parts, reason)
        claims.refresh()
        report.splits += int(len(claims.parts.get(claim.id, {})) > before)
    for link in plan.links:
        _apply_link(session, actor, claims.target(link.target.claim, link.target.part), link,
                    ledger, report)
    for item in plan.appraisals:
        _apply_appraisal(session, actor, item, ledger, report)
    for body in plan.bodies:
        _apply_body(session, actor, claims.target(body.target.claim, body.target.part), body,
                    ledger, report)
    for search in plan.searches:
        _apply_search(session, actor, claims.target(search.target.claim, search.target.part),
                      search, report)
    for track in plan.tracks:
        _apply_track(session, actor, claims.target(track.target.claim, track.target.part),
                     track, ledger, report)
    for claim, citation_id, note in plan.candidates:
        _apply_candidate(session, actor, claim, citation_id, note, ledger, report)
    for claim, key in plan.verified_candidates:
        ledger.seen.add(f"candidate:{claim.id}:{key}")
        report.skipped.append(f"to-check {key} on claim #{claim.id}: the file lists it to "
                              "check, but it is verified in this database; not listed (link "
                              "it as evidence, or record why it is no longer verified)")
    for raised in plan.flags:
        _apply_flag(session, actor, claims.target(raised.target.claim, raised.target.part),
                    raised, ledger, report)
    for question_id, citation_id, note in plan.addressing:
        report.question_evidence += int(
            questions.address_question(session, actor, question_id, citation_id, note))
    _withdraw(session, actor, ledger, report)
    session.flush()
    return report


def load_questions(session: Session, actor: Actor, source: Path | ReviewFile) -> LoadReport:
    """Seed open questions (new slugs only), each linked to the claims it comes from."""
    authorize(actor, "questions.load")
    review = _file(source)
    document = resolve_document(session, review.data.get("document"))
    reader = _Reader(session, review, document.id)
    existing = set(session.scalars(select(OpenQuestion.slug).where(
        OpenQuestion.document_id == document.id)))
    planned = []
    for n, entry in enumerate(reader.entries("question"), 1):
        where = f"{review.path}: [[question]] #{n} ({entry.get('slug')!r})"
        priority = reader.choice(where, Priority, entry.get("priority", "medium"), "priority")
        status = reader.choice(where, QuestionStatus, entry.get("status", "open"), "status")
        found = [reader.claims.find(f, where, reader.problems) for f in entry.get("claims", [])]
        if not entry.get("slug") or not entry.get("title"):
            reader.problems.append(f"{where}: needs 'slug' and 'title'")
            continue
        if len(str(entry.get("description", ""))) > MAX_NOTE_CHARS:
            reader.problems.append(f"{where}: the description is over {MAX_NOTE_CHARS:,} "
                                   "characters")
            continue
        if priority is not None and status is not None:
            planned.append((entry, priority, status, [c.id for c in found if c is not None]))
    if reader.problems:
        raise ReviewFileError(review.path, reader.problems)
    report = LoadReport(path=review.path)
    for entry, priority, status, claim_ids in planned:
        if entry["slug"] in existing:
            continue
        questions.add_question(session, actor, document.id, entry["slug"], entry["title"],
                               description=entry.get("description", ""), priority=priority,
                               status=status, claim_ids=claim_ids)
        report.questions_added += 1
    return report
