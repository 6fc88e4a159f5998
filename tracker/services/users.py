"""Users, roles and passwords (argon2); signing in, its rate limit and how long it lasts.

Sign-in rate limit: after `SIGN_IN_MAX_FAILURES` failed passwords for one username within
`SIGN_IN_WINDOW`, further attempts for that name are refused without checking the password
until the oldest of those failures leaves the window; a success clears the count, and so does an
admin (`unlock`). Failures are rows in the database, so the limit holds across dashboard
processes; unknown names are limited exactly like real ones.

Dashboard sessions end `SESSION_MAX_AGE` after signing in, or after `SESSION_IDLE_TIMEOUT`
without activity (`session_expiry`, a pure rule). A sign-in survives a reload of the page:
the browser keeps a random token in a cookie, the database its SHA-256 with the sign-in's
times and the browser it belongs to (`start_browser_session`, `resume_browser_session`);
activity is written at most every `SESSION_TOUCH_EVERY`, so the idle limit is exact to that.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracker.db import advisory_lock
from tracker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tracker.models import ApiToken, BrowserSession, SignInAttempt, User, utcnow
from tracker.services.access import Actor, authorize, record
from tracker.vocabulary import Role

_hasher = PasswordHasher()
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8
REFUSED = "unknown user or wrong password"
SIGN_IN_MAX_FAILURES = 5
SIGN_IN_WINDOW = timedelta(minutes=15)
SESSION_MAX_AGE = timedelta(hours=8)
SESSION_IDLE_TIMEOUT = timedelta(hours=1)


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


def check_first_admin(session: Session, role: Role) -> None:
    """Refuse (PermissionDenied) a user added without an acting admin, unless it is the first
    admin of an installation that has none. Callers check before asking for a password."""
    if has_admin(session) or role is not Role.ADMIN:
        raise PermissionDenied(
            "name the acting admin (--as or TRACKER_USER); only the first admin of a new "
            "installation can be created without one"
        )


def _active_admins(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.is_system.is_(False), User.active.is_(True))) or 0)


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
        check_first_admin(session, role)
    else:
        authorize(actor, "user.add")
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
    authorize(actor, "user.set-role")
    user = _user(session, username)
    if user.is_system:
        raise PermissionDenied("the system user's role cannot change")
    before = user.role
    if before == Role.ADMIN.value and role is not Role.ADMIN and user.active \
            and _active_admins(session) <= 1:
        raise Conflict(f"{username} is the last active admin; make another admin first")
    user.role = role.value
    session.flush()
    record(session, actor, "user.set-role", "user", user.id,
           f"{username}: {before} → {role.value}", before={"role": before},
           after={"role": role.value})
    return _info(user)


def set_password(session: Session, actor: Actor, username: str, password: str) -> UserInfo:
    """Users change their own password; admins anyone's."""
    authorize(actor, "user.passwd" if actor.username == username else "user.passwd-other")
    user = _user(session, username)
    if user.is_system:
        raise PermissionDenied("the system user cannot have a password")
    _check_password(password)
    had_password = user.password_hash is not None
    user.password_hash = _hasher.hash(password)
    session.flush()
    record(session, actor, "user.passwd", "user", user.id, f"password of {username} changed",
           before={"password_set": had_password}, after={"password_set": True})
    return _info(user)


def set_active(session: Session, actor: Actor, username: str, active: bool) -> UserInfo:
    """Admins deactivate (or activate again) a user; the last active admin stays active.
    A user already in that state is left alone (no audit event)."""
    authorize(actor, "user.activate" if active else "user.deactivate")
    user = _user(session, username)
    if user.is_system:
        raise PermissionDenied("the system user cannot be deactivated")
    if not active and user.active and user.role == Role.ADMIN.value \
            and _active_admins(session) <= 1:
        raise Conflict(f"{username} is the last active admin; make another admin first")
    before = user.active
    if before == active:
        return _info(user)
    user.active = active
    session.flush()
    record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id,
           f"{username} {'activated' if active else 'deactivated'}",
           before={"active": before}, after={"active": active})
    return _info(user)


def list_users(session: Session) -> list[UserInfo]:
    users = session.scalars(select(User).where(User.is_system.is_(False)).order_by(User.username))
    return [_info(u) for u in users]


# --- API tokens for the command line ----------------------------------------------------------

ISSUED_PREFIX = "trk_"
NOT_ISSUED = ("TRACKER_TOKEN is not a valid token (never issued, revoked, or its user "
             "deactivated); an admin issues one with `tracker users token NAME`")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(session: Session, actor: Actor, username: str) -> str:
    """An admin issues `username` a new command-line token (returned once; only its SHA-256
    is stored) and so revokes the user's earlier ones."""
    authorize(actor, "user.token")
    user = _user(session, username)
    if user.is_system or not user.active:
        raise PermissionDenied(f"{username} cannot act: "
                               f"{'the built-in user' if user.is_system else 'deactivated'}")
    now = utcnow()
    revoked = _revoke(session, user.id, now)
    token = ISSUED_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=now,
                   created_by=actor.username)
    session.add(row)
    session.flush()
    record(session, actor, "user.token", "user", user.id,
           f"issued a command-line token to {username}"
           + (f" (revoking {revoked} earlier)" if revoked else ""),
           before={"active_tokens": revoked}, after={"active_tokens": 1, "token_id": row.id})
    return token


def revoke_tokens(session: Session, actor: Actor, username: str) -> int:
    """An admin revokes every command-line token of `username`; returns how many."""
    authorize(actor, "user.token-revoke")
    user = _user(session, username)
    revoked = _revoke(session, user.id, utcnow())
    if revoked:
        record(session, actor, "user.token-revoke", "user", user.id,
               f"revoked {revoked} command-line token(s) of {username}",
               before={"active_tokens": revoked}, after={"active_tokens": 0})
    return revoked


def _revoke(session: Session, user_id: int, now: datetime) -> int:
    rows = session.scalars(select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def actor_for_token(session: Session, token: str, username: str | None = None, *,
                    touch: bool = True) -> Actor:
    """The user a command-line token belongs to (its last use noted when `touch`: in a
    write transaction), or PermissionDenied:
    an unknown or revoked token, a deactivated user, or `username` (from --as) naming
    someone else — a token acts only as its own user."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token),
                                                ApiToken.revoked_at.is_(None)))
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or user.is_system or not user.active:
        raise PermissionDenied(NOT_ISSUED)
    if username is not None and username != user.username:
        raise PermissionDenied(f"the token in TRACKER_TOKEN is {user.username}'s; it cannot "
                               f"act as {username}")
    if touch:
        row.last_used_at = utcnow()
    return Actor.of(user)


# --- signing in ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of a password check: the actor, or why not. Returned rather than raised so
    that the caller's `writing()` block commits the failure `authenticate` recorded."""

    actor: Actor | None
    refusal: str = ""

    def accepted(self) -> Actor:
        """The signed-in actor, else PermissionDenied (raise it after the commit)."""
        if self.actor is None:
            raise PermissionDenied(self.refusal)
        return self.actor


def _attempt_name(username: str) -> str:
    """The rate limit's key: the name as typed, trimmed and lower-cased."""
    return username.strip().lower()[:64]


def _duration(span: timedelta) -> str:
    minutes = max(1, math.ceil(span.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def locked_for(session: Session, username: str, now: datetime) -> timedelta | None:
    """How long sign-ins for `username` stay refused, or None when it may try now."""
    recent = session.scalars(
        select(SignInAttempt.at)
        .where(SignInAttempt.username == _attempt_name(username),
               SignInAttempt.at > now - SIGN_IN_WINDOW)
        .order_by(SignInAttempt.at.desc()).limit(SIGN_IN_MAX_FAILURES)).all()
    if len(recent) < SIGN_IN_MAX_FAILURES:
        return None
    return recent[-1] + SIGN_IN_WINDOW - now  # when the oldest of them leaves the window


def too_many(username: str, wait: timedelta) -> str:
    return (f"too many failed sign-ins for {_attempt_name(username)}; "
            f"try again in {_duration(wait)}")


def authenticate(
    session: Session, username: str, password: str, *, now: datetime | None = None
) -> SignIn:
    """Check a password within the rate limit, recording a failure in the caller's
    transaction (use `db.writing`) and clearing the name's failures on success.

    A wrong name and a wrong password get the same message and cost the same (one argon2
    hash); a locked name, known or not, is refused without checking the password.
    Concurrent attempts for one name take turns (`db.advisory_lock`), so each counts the
    failures of those before it: no burst of guesses gets past the limit."""
    now = now or utcnow()
    advisory_lock(session, f"sign-in:{_attempt_name(username)}")
    wait = locked_for(session, username, now)
    if wait is not None:
        return SignIn(None, too_many(username, wait))
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.password_hash is None or not user.active:
        _hasher.hash(password)  # same cost either way: no user-name probing by timing
        return _failed(session, username, now)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return _failed(session, username, now)
    session.execute(delete(SignInAttempt).where(
        SignInAttempt.username == _attempt_name(username)))
    return SignIn(Actor.of(user))


def _failed(session: Session, username: str, now: datetime) -> SignIn:
    """Record a failure (and forget failures that have left everyone's window)."""
    session.execute(delete(SignInAttempt).where(SignInAttempt.at <= now - SIGN_IN_WINDOW))
    session.add(SignInAttempt(username=_attempt_name(username), at=now))
    session.flush()
    wait = locked_for(session, username, now)
    return SignIn(None, REFUSED if wait is None else f"{REFUSED}; {too_many(username, wait)}")


def unlock(session: Session, actor: Actor, username: str) -> int:
    """An admin clears the failed sign-ins of `username` (known or not); returns how many."""
    authorize(actor, "user.unlock")
    name = _attempt_name(username)
    failures = session.scalar(select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.username == name)) or 0
    if not failures:
        return 0
    session.execute(delete(SignInAttempt).where(SignInAttempt.username == name))
    user_id = session.scalar(select(User.id).where(User.username == name))
    record(session, actor, "user.unlock", "user", user_id,
           f"cleared {failures} failed sign-in(s) of {name}",
           before={"failed_sign_ins": failures}, after={"failed_sign_ins": 0})
    return failures


def session_expiry(signed_in_at: datetime, last_active_at: datetime,
                   now: datetime) -> str | None:
    """Why a dashboard sign-in has ended — `SESSION_MAX_AGE` since signing in, or
    `SESSION_IDLE_TIMEOUT` since the last activity — or None while it holds."""
    if now - signed_in_at >= SESSION_MAX_AGE:
        return (f"Your sign-in expired {_duration(SESSION_MAX_AGE)} after you signed in; "
                "sign in again.")
    if now - last_active_at >= SESSION_IDLE_TIMEOUT:
        return (f"You were signed out after {_duration(SESSION_IDLE_TIMEOUT)} without "
                "activity; sign in again.")
    return None


# --- sign-ins that survive a reload ----------------------------------------------------------

#: How often a dashboard run writes the sign-in's last activity (the idle limit's precision).
SESSION_TOUCH_EVERY = timedelta(minutes=5)
MOVED_BROWSER = ("This sign-in was made in another browser, so it was ended here; sign in "
                 "again.")


@dataclass(frozen=True, slots=True)
class Resumed:
    """A browser's sign-in found again after a reload: the user and when they signed in, or
    why it has ended (None when the token is unknown: nothing to say)."""

    actor: Actor | None
    signed_in_at: datetime | None = None
    ended: str | None = None


def start_browser_session(session: Session, signed_in: Actor, binding: str) -> str:
    """After a password sign-in (`authenticate`): the token the browser keeps in a cookie
    (only its SHA-256 is stored, tied to `binding`, the browser's digest). The user's ended
    and expired sign-ins are deleted. Part of signing in, not a use case of the access
    table: `signed_in` has just proved who they are."""
    now = utcnow()
    stale = now - SESSION_MAX_AGE
    session.execute(delete(BrowserSession).where(
        BrowserSession.user_id == signed_in.id,
        BrowserSession.ended_at.is_not(None) | (BrowserSession.created_at < stale)))
    token = secrets.token_urlsafe(32)
    session.add(BrowserSession(user_id=signed_in.id, token_hash=_token_hash(token),
                               binding=binding, created_at=now, last_active_at=now))
    session.flush()
    return token


def _live_browser_session(session: Session, token: str) -> BrowserSession | None:
    return session.scalar(select(BrowserSession).where(
        BrowserSession.token_hash == _token_hash(token), BrowserSession.ended_at.is_(None)))


def resume_browser_session(session: Session, token: str, binding: str,
                           now: datetime | None = None) -> Resumed:
    """The sign-in behind a browser's cookie, if it still holds: same browser, within
    `SESSION_MAX_AGE` and `SESSION_IDLE_TIMEOUT`, user active. One that no longer holds is
    ended. Notes the activity (a write)."""
    now = now or utcnow()
    row = _live_browser_session(session, token)
    if row is None:
        return Resumed(None)
    user = session.get(User, row.user_id)
    ended = (MOVED_BROWSER if row.binding != binding
             else session_expiry(row.created_at, row.last_active_at, now))
    if ended is None and (user is None or user.is_system or not user.active):
        ended = "Your account was deactivated; ask an admin."
    if ended is not None or user is None:
        row.ended_at = now
        return Resumed(None, ended=ended)
    row.last_active_at = now
    return Resumed(Actor.of(user), signed_in_at=row.created_at)


def touch_browser_session(session: Session, token: str, now: datetime) -> None:
    """Note activity on a browser's sign-in (the dashboard calls it at most every
    `SESSION_TOUCH_EVERY`)."""
    row = _live_browser_session(session, token)
    if row is not None:
        row.last_active_at = max(row.last_active_at, now)


def end_browser_session(session: Session, token: str) -> None:
    """Signing out: the cookie's token no longer resumes anything."""
    row = _live_browser_session(session, token)
    if row is not None:
        row.ended_at = utcnow()
