"""Dual review: documents under it, reviewers' assignments, items and their entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, utcnow


class DualReviewDocument(Base):
    """A document under dual review: each stance, study appraisal and link directness of its
    claims is entered independently by two reviewers (`DualEntry`), never written directly
    (`tracker.services.dual`). No row: single review."""

    __tablename__ = "dual_review_documents"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    required_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    required_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")


class ReviewAssignment(Base):
    """An editor gave a claim (its links' stance and directness) or a study (its appraisal) of
    a document to a pair of reviewers: only they may enter its judgements, and it is in their
    queues. `target` is "claim:ID" or "study:ID"."""

    __tablename__ = "review_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    target: Mapped[str] = mapped_column(String(32))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    citation_id: Mapped[int | None] = mapped_column(ForeignKey("citations.id"), index=True)
    first_reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    second_reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("document_id", "target"),)


class DualItem(Base):
    """One judgement two reviewers make independently (`DualKind`): the stance of a citation
    on a claim, a study's appraisal, or a link's directness; its `state` (`DualState`) and,
    once decided, how (agreed, an editor chose the first or second entry, or their own),
    why, and what became the record. `target` ("stance:CLAIM:CITATION", "appraisal:CITATION",
    "directness:CLAIM:CITATION") is unique: two reviewers entering at once share one item."""

    __tablename__ = "dual_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    citation_id: Mapped[int] = mapped_column(ForeignKey("citations.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), default="open", index=True)
    #: A study proposed for a claim under dual review (a candidate both reviewers then judge);
    #: None for a link that already existed.
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the second entry arrived: from then on both entries are visible to everyone.
    revealed_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision: Mapped[str | None] = mapped_column(String(16))  # agreed, first, second, own
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class DualEntry(Base):
    """One reviewer's independent entry on a `DualItem`: what they judged (`payload`: the
    stance, the appraisal's domains or the directness of each element, each with its reason).
    Hidden from everyone else until the item's second entry arrives."""

    __tablename__ = "dual_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("dual_items.id", ondelete="CASCADE"),
                                         index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    values: Mapped[list[DualEntryValue]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="DualEntryValue.field")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("item_id", "reviewer_id"),)


class DualEntryValue(Base):
    """One measured judgement of an entry — "stance", an appraisal's "rob2:D1" or
    "rob2:overall", a directness element "population" — so agreement is counted in SQL."""

    __tablename__ = "dual_entry_values"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("dual_entries.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(24))
