"""The database revision: what a cache of reads is keyed on (the dashboard's)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import AuditEvent


def revision_of(session: Session) -> int:
    """The id of the newest audit event. Every write appends one, so a cache keyed on this
    number is invalidated by any write, from any process."""
    return int(session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0))) or 0)
