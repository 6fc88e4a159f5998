"""The database and the acting user of a command: read and write transactions, credentials."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tracker import db
from tracker.config import load_settings
from tracker.errors import InvalidInput, PermissionDenied
from tracker.lazy import lazy_function, lazy_module

if TYPE_CHECKING:
    from tracker.services import access, users
    from tracker.services.access import Actor, actor_named
else:  # imported when a command first uses it (start-up time is benchmarked)
    access = lazy_module("tracker.services.access")
    actor_named = lazy_function("tracker.services.access", "actor_named")
    users = lazy_module("tracker.services.users")


def _reader(session: Session, as_user: str | None) -> int | None:
    """The reading user's id for blinded reads; None when nobody is named."""
    username = as_user or load_settings().user
    return actor_named(session, username).id if username else None

# --- plumbing --------------------------------------------------------------------------------


@contextmanager
def _database(*, create: bool = False) -> Iterator[Engine]:
    """An engine on the configured database, disposed of when the command is done. Only the
    set-up commands (`init`, `bootstrap`, `restore`) `create` a missing SQLite file; every
    other command refuses, creating nothing."""
    engine = db.make_engine(load_settings().database_url, create=create)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _read() -> Iterator[Session]:
    with _database() as engine, db.reading(engine) as session:
        yield session


NEEDS_CREDENTIALS = (
    "this database is shared, so a write must prove who it acts for: set TRACKER_TOKEN to "
    "your token (an admin issues one with `tracker users token NAME`), or run the command in "
    "a terminal to be asked for your password")


@contextmanager
def _write(as_user: str | None) -> Iterator[tuple[Session, Actor]]:
    """A write transaction acting for the user `_write_as` resolves (one is required)."""
    with _write_as(as_user) as (session, actor):
        assert actor is not None
        yield session, actor


@dataclass(frozen=True, slots=True)
class _Acting:
    """Who a command acts for, its credentials checked (see `_acting`)."""

    engine: Engine
    username: str | None
    token: str | None

    def actor(self, session: Session, *, write: bool = True) -> Actor | None:
        """The acting user, read in `session` (a token's last use is noted by a `write`)."""
        if self.token:
            return users.actor_for_token(session, self.token, self.username, touch=write)
        return actor_named(session, self.username) if self.username else None


@contextmanager
def _acting(as_user: str | None, *, anyone: bool = False) -> Iterator[_Acting]:
    """The database and the user a command acts for. On a local SQLite file `--as` (or
    TRACKER_USER) names the user; on a shared database (PostgreSQL) a write needs
    credentials: TRACKER_TOKEN, or the user's password typed at a terminal (`--as` names
    whose), checked with the sign-in rate limit. `anyone`: no user named and no token is
    allowed, and acts as nobody (the first admin of a new installation)."""
    settings = load_settings()
    username = as_user or settings.user
    if not username and not settings.token and not anyone:
        raise InvalidInput("name the acting user with --as USER or TRACKER_USER")
    with _database() as engine:
        if username and not settings.token and access.cli_needs_credentials(
                engine.dialect.name):
            _sign_in(engine, username)
        yield _Acting(engine, username, settings.token)


@contextmanager
def _write_as(as_user: str | None, *, anyone: bool = False
              ) -> Iterator[tuple[Session, Actor | None]]:
    """A write transaction and the user it acts for (`_acting`)."""
    with _acting(as_user, anyone=anyone) as acting, db.writing(acting.engine) as session:
        yield session, acting.actor(session)


def _interactive() -> bool:
    """Whether a person is at the keyboard (a password may be asked for)."""
    return sys.stdin.isatty()


def _sign_in(engine: Engine, username: str) -> None:
    """Ask for `username`'s password and check it (a failure counts towards the lock) in a
    transaction of its own, before the write's."""
    if not _interactive():
        raise PermissionDenied(NEEDS_CREDENTIALS)
    password = str(typer.prompt(f"password for {username}", hide_input=True))
    with db.writing(engine) as session:
        outcome = users.authenticate(session, username, password)
    outcome.accepted()
