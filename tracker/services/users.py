"""Users, roles and passwords (argon2)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tracker.models import User
from tracker.services.access import Actor, record, require
from tracker.vocabulary import Role

_hasher = PasswordHasher()
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    can_sign_in: bool
    version: int


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        can_sign_in=user.password_hash is not None and user.active,
        version=user.version,
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password: at least {MIN_PASSWORD} characters, please")


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def has_admin(session: Session) -> bool:
    """True once a human admin exists (the built-in system user does not count)."""
    count = session.scalar(
        select(func.count()).select_from(User).where(
            User.role == Role.ADMIN.value, User.is_system.is_(False), User.active.is_(True)
        )
    )
    return bool(count)


def add_user(
    session: Session,
    actor: Actor | None,
    username: str,
    role: Role,
    password: str | None,
    display_name: str = "",
) -> UserInfo:
    """Create a user. Needs an admin — except the very first admin of a new installation,
    which anyone with access to the database may create (actor None)."""
    if actor is None:
        if has_admin(session) or role is not Role.ADMIN:
            raise PermissionDenied(
                "name the acting admin (--as or TRACKER_USER); only the first admin of a new "
                "installation can be created without one"
            )
    else:
        require(actor, Role.ADMIN, "adding users")
    if not USERNAME.match(username):
        raise InvalidInput(
            f"username {username!r}: use 2-64 lower-case letters, digits, '.', '_' or '-'"
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"a user named {username!r} already exists")
    if password is not None:
        _check_password(password)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=_hasher.hash(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    acting = actor or Actor(id=user.id, username=user.username, role=Role.ADMIN)
    record(session, acting, "user.add", "user", user.id, f"added {username} as {role.value}",
           after={"username": username, "role": role.value})
    return _info(user)


def set_role(session: Session, actor: Actor, username: str, role: Role) -> UserInfo:
    require(actor, Role.ADMIN, "changing roles")
    user = _user(session, username)
    if user.is_system:
        raise PermissionDenied("the system user's role cannot change")
    before = user.role
    if before == Role.ADMIN.value and role is not Role.ADMIN:
        admins = session.scalar(select(func.count()).select_from(User).where(
            User.role == Role.ADMIN.value, User.is_system.is_(False), User.active.is_(True)))
        if (admins or 0) <= 1:
            raise Conflict(f"{username} is the last admin; make another admin first")
    user.role = role.value
    session.flush()
    record(session, actor, "user.set-role", "user", user.id,
           f"{username}: {before} → {role.value}", before={"role": before},
           after={"role": role.value})
    return _info(user)


def set_password(session: Session, actor: Actor, username: str, password: str) -> UserInfo:
    """Users change their own password; admins anyone's."""
    if actor.username != username:
        require(actor, Role.ADMIN, "setting another user's password")
    user = _user(session, username)
    if user.is_system:
        raise PermissionDenied("the system user cannot have a password")
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    session.flush()
    record(session, actor, "user.passwd", "user", user.id, f"password of {username} changed")
    return _info(user)


def set_active(session: Session, actor: Actor, username: str, active: bool) -> UserInfo:
    require(actor, Role.ADMIN, "activating or deactivating users")
    user = _user(session, username)
    if user.is_system:
        raise PermissionDenied("the system user cannot be deactivated")
    user.active = active
    session.flush()
    record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id,
           f"{username} {'activated' if active else 'deactivated'}")
    return _info(user)


def list_users(session: Session) -> list[UserInfo]:
    users = session.scalars(select(User).where(User.is_system.is_(False)).order_by(User.username))
    return [_info(u) for u in users]


def authenticate(session: Session, username: str, password: str) -> Actor:
    """Check a password; the same vague error for a wrong name or a wrong password."""
    user = session.scalar(select(User).where(User.username == username))
    refused = PermissionDenied("unknown user or wrong password")
    if user is None or user.password_hash is None or not user.active:
        _hasher.hash(password)  # same cost either way: no user-name probing by timing
        raise refused
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise refused from None
    return Actor.of(user)
