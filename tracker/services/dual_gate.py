"""The gate that keeps direct writes out of a document under dual review.

Under dual review (`tracker.services.dual`) a link's stance, a study's appraisal and a link's
directness are entered by two reviewers independently and become the record only through a
`Decision` — both reviewers agreed, or an editor adjudicated. The record's own services
(`evidence.link_evidence`, `evidence.update_link`, `appraisals.appraise`) call `check_*` here
first: without a decision they refuse, naming the document and what to do instead; with one,
they write and put the decision into their audit event (who agreed, who adjudicated, why).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tracker.errors import InvalidInput
from tracker.models import Claim, Document, DualItem, DualReviewDocument, EvidenceLink

__all__ = ["Decision", "check_appraisal", "check_claim", "dual_documents_of_study"]


@dataclass(frozen=True, slots=True)
class Decision:
    """How a dually reviewed judgement becomes the record (made only by `services.dual`)."""

    item_id: int
    how: str  # "agreed", or an editor's choice: "first", "second", "own"
    reviewers: tuple[str, str]  # the two reviewers, in the order they entered
    adjudicator: str | None = None
    reason: str | None = None

    def words(self) -> str:
        """For an audit summary: "dual review: rui and ana agreed"."""
        first, second = self.reviewers
        if self.how == "agreed":
            return f"dual review: {first} and {second} agreed"
        whose = {"first": f"{first}'s entry", "second": f"{second}'s entry",
                 "own": "their own judgement"}[self.how]
        return f"dual review: {self.adjudicator} adjudicated ({whose}): {self.reason}"

    def audit(self) -> dict[str, Any]:
        """For an audit event's `after`."""
        return {"item": self.item_id, "how": self.how, "reviewers": list(self.reviewers),
                "adjudicator": self.adjudicator, "reason": self.reason}


def _refusal(slug: str, what: str, command: str) -> InvalidInput:
    return InvalidInput(
        f"document {slug!r} is under dual review: {what} is entered by two reviewers "
        f"independently ({command}) and becomes the record when they agree or an editor "
        "adjudicates")


def check_claim(session: Session, claim_id: int, what: str, command: str,
                decision: Decision | None) -> None:
    """Refuse a direct write of a claim's stance or directness under dual review."""
    if decision is not None:
        return
    slug = session.scalar(
        select(Document.slug).join(Claim, Claim.document_id == Document.id)
        .join(DualReviewDocument, DualReviewDocument.document_id == Document.id)
        .where(Claim.id == claim_id))
    if slug is not None:
        raise _refusal(slug, what, command)


def dual_documents_of_study(session: Session, citation_id: int) -> list[int]:
    """The documents under dual review whose claims link the study or have it proposed."""
    linked = select(Claim.document_id).join(EvidenceLink, EvidenceLink.claim_id == Claim.id) \
        .where(EvidenceLink.citation_id == citation_id)
    proposed = select(DualItem.document_id).where(DualItem.citation_id == citation_id)
    return list(session.scalars(
        select(DualReviewDocument.document_id)
        .where(or_(DualReviewDocument.document_id.in_(linked),
                   DualReviewDocument.document_id.in_(proposed)))
        .order_by(DualReviewDocument.document_id)))


def check_appraisal(session: Session, citation_id: int, decision: Decision | None) -> None:
    """Refuse a direct appraisal of a study linked to a claim of a document under dual
    review."""
    if decision is not None:
        return
    documents = dual_documents_of_study(session, citation_id)
    if documents:
        slug = session.scalar(select(func.min(Document.slug)).where(
            Document.id.in_(documents)))
        raise _refusal(slug or "?", "a study's appraisal",
                       "`tracker dual appraise`, or the Dual review page")
