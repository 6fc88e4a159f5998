"""Who is acting, what they may do, and the audit trail every write leaves.

Every write use case takes an `Actor`, calls `require()` first, and `record()`s what it did;
the caller's `tracker.db.writing()` block commits both in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import NotFound, PermissionDenied
from tracker.models import AuditEvent, User
from tracker.vocabulary import Role

SYSTEM_USERNAME = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in (dashboard) or named (CLI `--as`) user a use case runs for."""

    id: int
    username: str
    role: Role

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(id=user.id, username=user.username, role=Role(user.role))


def can(actor: Actor | None, role: Role) -> bool:
    """Whether `actor` (None: nobody signed in) has the rights of `role`; for showing only the
    actions a user may take. The use cases still check with `require()`."""
    return actor is not None and actor.role.includes(role)


def require(actor: Actor, role: Role, doing: str) -> None:
    """Refuse unless `actor`'s role includes `role`; `doing` completes "… needs the X role"."""
    if not actor.role.includes(role):
        raise PermissionDenied(
            f"{actor.username} is a {actor.role.value}; {doing} needs the {role.value} role"
        )


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | None,
    summary: str,
    *,
    document_id: int | None = None,
    claim_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event (never updated or deleted)."""
    event = AuditEvent(
        actor_id=actor.id,
        actor_name=actor.username,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        document_id=document_id,
        claim_id=claim_id,
        summary=summary,
        before=before,
        after=after,
    )
    session.add(event)
    return event


def actor_named(session: Session, username: str) -> Actor:
    """Resolve a username (CLI `--as`, `TRACKER_USER`) to an active user."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user named {username!r}; an admin adds one with `tracker users add`")
    if not user.active:
        raise PermissionDenied(f"user {username!r} is deactivated")
    return Actor.of(user)


def system_actor(session: Session) -> Actor:
    """The built-in `system` user that set-up (bootstrap, migrations' data) acts as.

    It has no password, so nobody can sign in as it."""
    user = session.scalar(select(User).where(User.username == SYSTEM_USERNAME))
    if user is None:
        user = User(
            username=SYSTEM_USERNAME,
            display_name="Evidence Tracker set-up",
            role=Role.ADMIN.value,
            is_system=True,
        )
        session.add(user)
        session.flush()
    return Actor.of(user)
