"""Retraction notices matched to citations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, utcnow, vocabulary
from tracker.vocabulary import (
    NoticeNature,
)


class RetractionNotice(Base):
    """A notice about a cited paper (retraction, expression of concern, correction,
    reinstatement) read from the Retraction Watch database (`tracker citations
    check-retractions`), matched to the citation by DOI or PMID. A retraction also marks the
    citation `retracted` (it stops counting); the others are shown beside it."""

    __tablename__ = "retraction_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    citation_id: Mapped[int] = mapped_column(ForeignKey("citations.id", ondelete="CASCADE"),
                                             index=True)
    #: the database's "Record ID" (the notice's identity there)
    record_id: Mapped[str] = mapped_column(String(32))
    nature: Mapped[str] = mapped_column(String(32), info=vocabulary(NoticeNature))
    notice_date: Mapped[date | None] = mapped_column(Date)
    notice_doi: Mapped[str | None] = mapped_column(String(255))
    notice_pmid: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: "doi" or "pmid": what matched the citation
    matched_on: Mapped[str] = mapped_column(String(8))
    source_file: Mapped[str] = mapped_column(String(1000))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("citation_id", "record_id"),)
