"""The article scorecard: editors' ratings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, utcnow, vocabulary
from tracker.vocabulary import (
    Instrument,
)


class ScorecardRating(Base):
    """An editor's rating of one criterion of a document's scorecard (`tracker.scorecard`):
    HealthNewsReview's ("satisfactory", "not-satisfactory", "not-applicable") or DISCERN's
    ("1"–"5"), with why and what the rules proposed at the time (None: no proposal). No row:
    the rules' proposal stands. Each change is in the audit trail."""

    __tablename__ = "scorecard_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    instrument: Mapped[str] = mapped_column(String(16), info=vocabulary(Instrument))
    criterion: Mapped[str] = mapped_column(String(32))
    rating: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    proposed: Mapped[str | None] = mapped_column(String(24))
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    # The unique constraint's index serves "this document's ratings" too.
    __table_args__ = (UniqueConstraint("document_id", "instrument", "criterion"),)
