"""Flags, open questions (with their claims and evidence) and claims' status changes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, utcnow, vocabulary
from tracker.vocabulary import (
    ClaimStatus,
    FlagKind,
    FlagState,
    Priority,
    QuestionStatus,
)

if TYPE_CHECKING:
    from tracker.models.articles import Claim


class Flag(Base):
    """An editor's flag on a claim: open, then resolved or dismissed, with who, when and why."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    kind: Mapped[str] = mapped_column(String(32), info=vocabulary(FlagKind))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open", info=vocabulary(FlagState))
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    claim: Mapped[Claim] = relationship()

    __mapper_args__ = {"version_id_col": version}
    # "Open flags of these claims": the queue's NOT EXISTS, open-flag counts and kinds. (No
    # index on state alone: three values, and SQLite's planner preferred it to this one.)
    __table_args__ = (Index("ix_flags_claim_id_state", "claim_id", "state"),)


class OpenQuestion(Base):
    """A research question the article raises, the claims it comes from and the citations
    that address it."""

    __tablename__ = "open_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), default="open",
                                        info=vocabulary(QuestionStatus))
    priority: Mapped[str] = mapped_column(String(16), default="medium",
                                          info=vocabulary(Priority))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("document_id", "slug"),)


class QuestionClaim(Base):
    __tablename__ = "question_claims"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("open_questions.id", ondelete="CASCADE"), primary_key=True
    )
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)


class QuestionEvidence(Base):
    __tablename__ = "question_evidence"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("open_questions.id", ondelete="CASCADE"), primary_key=True
    )
    citation_id: Mapped[int] = mapped_column(ForeignKey("citations.id"), primary_key=True)
    note: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusChange(Base):
    """Append-only history of claim statuses (NULL: not yet / no longer a live claim).

    Written whenever grading moves a claim, so coverage over time is a sum in SQL."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24), info=vocabulary(ClaimStatus))
    to_status: Mapped[str | None] = mapped_column(String(24), info=vocabulary(ClaimStatus))
