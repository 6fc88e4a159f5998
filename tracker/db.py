"""Engine and sessions, SQLite pragmas, and schema migration.

SQLite (the embedded default) gets foreign keys, WAL, a busy timeout, and explicit transactions:
reads begin with `BEGIN`, writes with `BEGIN IMMEDIATE`, so two processes writing at once wait for
each other (up to the busy timeout) instead of failing on a lock upgrade. PostgreSQL URLs are
routed to psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tracker.errors import ConfigurationError, Conflict

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE = "tracker_write"


def parse_url(url: str) -> URL:
    """Validate a database URL and pick the driver; a bad URL is a one-line ConfigurationError."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"bad database URL {url!r}: {exc}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"bad database URL {url!r}: only sqlite:/// and postgresql:// are supported"
        )
    return parsed


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for `url`; for SQLite files, create the parent directory."""
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, **kwargs)
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigurationError(f"bad database URL {url!r}: {exc}") from None


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if database not in ("", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads: one consistent snapshot, never writes."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A session for one use case: commits at the end of the block, rolls back on error.

    On SQLite the transaction takes the write lock up front (BEGIN IMMEDIATE)."""
    bound = engine.execution_options(**{_WRITE: True})
    try:
        with Session(bound, expire_on_commit=False) as session, session.begin():
            yield session
    except StaleDataError:
        raise Conflict(
            "someone else changed the same record at the same time; nothing was saved — "
            "reload and apply your change again"
        ) from None
    except IntegrityError as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise Conflict(
            f"the change clashes with existing data ({detail}); nothing was saved"
        ) from None


def alembic_config(engine: Engine | None = None, connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at `migrations/`; the URL comes from the engine given,
    else from tracker's settings (see migrations/env.py)."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    elif engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), revision)


def revision_of(session: Session) -> int:
    """The database revision: the id of the newest audit event. Every write appends one, so
    a cache keyed on this number is invalidated by any write, from any process."""
    from tracker.models import AuditEvent

    return int(session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0))) or 0)
