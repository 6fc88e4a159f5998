"""People and accountability: users, their API tokens and browser sessions, sign-in attempts,
the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, utcnow, vocabulary
from tracker.vocabulary import (
    Role,
)


class User(Base):
    """Someone who reads or works in the tracker. `role` is a `Role` value."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), info=vocabulary(Role))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ApiToken(Base):
    """A credential for the command line on a shared database (`TRACKER_TOKEN`): an admin
    issues it (`tracker users token NAME`), it is shown once, and only its SHA-256 is kept
    (it is 32 random bytes, so a plain hash is enough). Issuing a new one revokes the user's
    others; revoked rows stay, as a record of what was issued when."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class BrowserSession(Base):
    """A dashboard sign-in that survives a reload of the page (`tracker.services.users`).

    The browser keeps a random token in a cookie; only its SHA-256 is stored, with the
    digest of the browser it was made in (`dashboard.sessions.client_binding`). It ends
    `SESSION_MAX_AGE` after `created_at`, `SESSION_IDLE_TIMEOUT` after `last_active_at`, or
    when the user signs out (`ended_at`); ended rows are deleted as new ones are made."""

    __tablename__ = "browser_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    binding: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()


class SignInAttempt(Base):
    """A failed password sign-in, kept for the rate limit's window (`tracker.services.users`).

    Keyed by the username as typed (lower-cased), not by a user: unknown names are limited
    too, so the limit reveals nothing about which names exist. Rows older than the window are
    deleted as new failures arrive; a successful sign-in deletes that name's rows."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (Index("ix_sign_in_attempts_username_at", "username", "at"),)


class AuditEvent(Base):
    """Append-only record of every write: who, when, what, and the values before and after."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)
