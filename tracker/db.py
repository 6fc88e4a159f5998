"""Engine and sessions, SQLite pragmas, and schema migration.

SQLite (the embedded default) gets foreign keys, WAL, a busy timeout, and explicit transactions:
reads begin with `BEGIN`, writes with `BEGIN IMMEDIATE`, so two processes writing at once wait for
each other (up to the busy timeout) instead of failing on a lock upgrade. PostgreSQL URLs are
routed to psycopg 3. A migration is one transaction on both (`schema_change`): a failed one
leaves the schema and the data as they were.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, column, create_engine, event, func, select, table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tracker import shipped
from tracker.errors import ConfigurationError, Conflict, TrackerError

if TYPE_CHECKING:  # Alembic is imported by the commands that migrate, not by every command
    from alembic.config import Config

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = shipped.folder("migrations")  # the source tree's, or a wheel's tracker/migrations
SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE = "tracker_write"
_ROLLED_BACK_FOR_ANOTHER = ("40P01", "40001")  # deadlock detected, serialization failure
#: The claims as the sentence locks see them (`tracker.models.Claim`, not imported: every
#: command imports this module, and most of them never load the schema).
_CLAIMS = table("claims", column("id"), column("parent_id"), column("document_id"))
_IN_CLAUSE = 5000  # ids per IN (...): well under every driver's parameter limit


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


def make_engine(url: str, *, create: bool = True, **kwargs: Any) -> Engine:
    """Create the engine for `url`. A SQLite file that does not exist is created (with its
    directory) only when `create`; otherwise — reads, and writes that are not set-up — it is a
    ConfigurationError telling the user to run `tracker bootstrap`, and nothing is created.
    A SQLite file this process may not write is opened read-only."""
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(_sqlite_file(parsed, create), **kwargs)
        return _postgresql_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigurationError(f"bad database URL {url!r}: {exc}") from None


def _postgresql_engine(url: URL, **kwargs: Any) -> Engine:
    """psycopg prepares a statement from its fifth execution on, and PostgreSQL then plans it
    once for any parameters. For the import's `key IN (2,000 values)` look-ups that generic
    plan is a sequential scan comparing each row with every value: re-importing 50,000 entries
    took 25x the parse instead of 2x (benchmarks/run.py, import). Custom plans keep the
    prepared statements' saved parsing and plan each execution for its values."""
    connect_args = dict(kwargs.pop("connect_args", {}))
    options = connect_args.get("options", "")
    connect_args["options"] = f"{options} -c plan_cache_mode=force_custom_plan".strip()
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _sqlite_file(url: URL, create: bool) -> URL:
    """Check (or create the directory of) a SQLite database file; a file this process cannot
    write is opened read-only (`mode=ro`; `immutable` too when its directory cannot hold the
    write-ahead log's shared-memory file either)."""
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database).expanduser()
    if not path.exists():
        if not create:
            raise ConfigurationError(
                f"no database at {path}; create it with `tracker bootstrap` (or point "
                "TRACKER_DATABASE_URL at an existing one)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(f"cannot create the database's directory {path.parent} "
                                     f"({exc.strerror or exc})") from None
        return url
    if path.is_dir():
        raise ConfigurationError(f"{path} is a directory, not a database file")
    if os.access(path, os.W_OK):
        return url
    query = {"mode": "ro", "uri": "true"}
    if not os.access(path.parent, os.W_OK):
        query["immutable"] = "1"
    return url.set(database=f"file:{path}", query=query)


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database or ""
    read_only = url.query.get("mode") == "ro"
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if database not in ("", ":memory:") and not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads: one consistent snapshot, never writes.

    SQLite's BEGIN reads one snapshot (WAL). PostgreSQL's default, READ COMMITTED, gives each
    statement its own, so a page's figures could disagree with each other (or a backup mix two
    states): reads run REPEATABLE READ, READ ONLY (psycopg sets both on the BEGIN it sends; no
    extra round trip)."""
    if not is_sqlite(engine):
        engine = engine.execution_options(isolation_level="REPEATABLE READ",
                                          postgresql_readonly=True)
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
    except OperationalError as exc:
        # PostgreSQL broke a deadlock (or a serialization failure) by rolling this one back.
        if getattr(exc.orig, "sqlstate", None) not in _ROLLED_BACK_FOR_ANOTHER:
            raise
        raise Conflict(
            "someone else was changing the same records at the same time; nothing was saved — "
            "apply your change again"
        ) from None


def advisory_lock(session: Session, name: str) -> None:
    """Hold the lock `name` until the transaction ends, so that transactions taking the same
    lock run one after another (count-then-decide rules: the sign-in limit, an import's
    matching). PostgreSQL: a transaction-level advisory lock on a 64-bit hash of the name (two
    names sharing a hash merely wait for each other). SQLite needs none: a write transaction
    holds the database's write lock from its BEGIN IMMEDIATE."""
    if is_sqlite(session.connection()):
        return
    key = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def lock_sentences(session: Session, claim_ids: Iterable[int]) -> None:
    """Make writers of the same sentence (a claim with its parts) wait for each other.

    Each write that regrades a claim or checks a rule over its rows (one link per citation,
    one open flag per kind) takes this lock before reading them. Without it, on PostgreSQL
    (READ COMMITTED), two such transactions each graded the claim without the other's evidence
    — the second then failed on the claim's version though nobody had changed what it read —
    and both could add the same open flag. The lock is on the sentence's row, in id order, so
    parts and their sentence are locked in one order. On SQLite, where BEGIN IMMEDIATE already
    serialises writers, there is nothing to lock and no query is run."""
    if is_sqlite(session.get_bind()):
        return
    ids = sorted(set(claim_ids))
    claim_id, parent_id = _CLAIMS.c.id, _CLAIMS.c.parent_id
    tops: set[int] = set()
    for start in range(0, len(ids), _IN_CLAUSE):
        tops.update(session.scalars(select(func.coalesce(parent_id, claim_id))
                                    .where(claim_id.in_(ids[start:start + _IN_CLAUSE]))))
    ordered = sorted(tops)
    for start in range(0, len(ordered), _IN_CLAUSE):
        session.execute(select(claim_id).where(claim_id.in_(ordered[start:start + _IN_CLAUSE]))
                        .order_by(claim_id).with_for_update(key_share=True)).all()


def lock_document(session: Session, document_id: int) -> None:
    """`lock_sentences` for every sentence of a document: what a bulk writer of the document
    (a revised article, a review) takes before it reads the claims it will change."""
    if is_sqlite(session.get_bind()):
        return
    lock_sentences(session, session.scalars(select(_CLAIMS.c.id).where(
        _CLAIMS.c.document_id == document_id, _CLAIMS.c.parent_id.is_(None))).all())


def alembic_config(engine: Engine | None = None, connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at `migrations/`; the URL comes from the engine given,
    else from tracker's settings (see migrations/env.py)."""
    from alembic.config import Config

    cfg = Config()  # alembic.ini serves the developers' `alembic` command; a wheel has none
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    elif engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


@contextmanager
def schema_change(engine: Engine) -> Iterator[Connection]:
    """One transaction for a schema change: all of it or, on any error, none of it.

    SQLite rebuilds a table to alter it (Alembic's batch mode: copy, drop, rename); with foreign
    keys enforced, dropping a table that other rows reference fails, so — as SQLite's ALTER
    TABLE documentation prescribes — enforcement is off during the change (the pragma only
    works outside a transaction), `PRAGMA foreign_key_check` must find nothing before the
    commit, and enforcement is back on before the connection returns to the pool. The write
    lock is taken up front (BEGIN IMMEDIATE), as for any write."""
    with engine.execution_options(**{_WRITE: True}).connect() as connection:
        if not is_sqlite(engine):
            with connection.begin():
                yield connection
            return
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    table, rowid, parent, _ = broken[0]
                    raise TrackerError(
                        f"the migration left {len(broken)} rows pointing at missing rows (e.g. "
                        f"{table} row {rowid} → {parent}); nothing was changed")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent); a failed migration changes nothing."""
    from alembic import command

    with schema_change(engine) as connection:
        command.upgrade(alembic_config(connection=connection), revision)


def downgrade(engine: Engine, revision: str = "base", *, force: bool = False) -> None:
    """Take the schema down to `revision`. One that would delete data (a table with rows, a
    column with values) is refused, changing nothing (alembic's CommandError), unless
    `force` (migrations/env.py)."""
    from alembic import command

    with schema_change(engine) as connection:
        config = alembic_config(connection=connection)
        config.attributes["force"] = force
        command.downgrade(config, revision)
