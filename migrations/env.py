"""Alembic environment: the URL comes from tracker's configuration, never from alembic.ini.

`tracker.db.migrate()` passes its own connection in `config.attributes["connection"]`; the
`alembic` command line builds an engine from `TRACKER_DATABASE_URL`.

A downgrade that would delete data — drop a table that holds rows, or a column that holds
values — is refused (the whole migration is one transaction, so nothing changes) unless it
is forced: `alembic downgrade base -x force=yes`, or `tracker.db.downgrade(..., force=True)`.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, MetaData, func, inspect, select

from tracker.config import load_settings
from tracker.db import make_engine, schema_change
from tracker.finder.index import is_index_table
from tracker.models import Base

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """The full-text index (`tracker.finder.index`) is made by its revision in raw SQL, not
    modelled: it is not compared (nor reflected) by autogenerate."""
    return not (type_ == "table" and name is not None and is_index_table(name))


def _forced() -> bool:
    given = context.get_x_argument(as_dictionary=True).get("force", "")
    return bool(config.attributes.get("force")) or given.lower() in ("yes", "true", "1")


def _going_down(connection: Connection) -> bool:
    """Whether this run takes the schema to an earlier revision."""
    heads = MigrationContext.configure(connection).get_current_heads()
    try:
        destination = context.get_revision_argument()
    except KeyError:  # `alembic check`, `revision --autogenerate`: nothing is applied
        return False
    if isinstance(destination, tuple):
        destination = destination[0] if destination else None
    if not heads:
        return False
    if destination in (None, "base") or str(destination).startswith("-"):
        return True  # alembic gives None for "base"
    script = ScriptDirectory.from_config(config)
    try:
        target = script.get_revision(str(destination))
    except Exception:  # noqa: BLE001 - an unresolvable argument: alembic reports it
        return False
    if target is None:
        return True
    below = {r.revision for r in script.iterate_revisions(heads[0], "base")}
    return target.revision in below and target.revision != heads[0]


def _holdings(connection: Connection) -> dict[tuple[str, str], int]:
    """(table, "*") → rows and (table, column) → non-null values, of every data table."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    held: dict[tuple[str, str], int] = {}
    for table in metadata.sorted_tables:
        if table.name == "alembic_version" or is_index_table(table.name):
            continue  # the full-text index is derived from citations: nothing of its own
        columns = list(table.columns)
        counts = connection.execute(select(func.count(), *(func.count(c) for c in columns))
                                    .select_from(table)).one()
        held[(table.name, "*")] = int(counts[0])
        held.update({(table.name, c.name): int(n) for c, n in zip(columns, counts[1:],
                                                                  strict=True)})
    return held


def _refuse_lost_data(connection: Connection, before: dict[tuple[str, str], int]) -> None:
    """After a downgrade's steps, still in its transaction: refuse it if it dropped a table
    with rows or a column with values."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in tables}
    for (table, column), held in before.items():
        gone = table not in tables if column == "*" else (
            table in tables and column not in columns[table])
        if held and gone:
            noun = ("row" if column == "*" else "value") + ("" if held == 1 else "s")
            what = (f"table {table} ({held} {noun})" if column == "*"
                    else f"column {table}.{column} ({held} {noun})")
            raise CommandError(
                f"refusing to downgrade: it would delete {what}; nothing was changed. Take a "
                "`tracker backup` first, then force it with -x force=yes")


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    guard = _going_down(connection) and not _forced()
    before = _holdings(connection) if guard else {}
    with context.begin_transaction():
        context.run_migrations()
        if guard:
            _refuse_lost_data(connection, before)


def run_migrations_offline() -> None:
    context.configure(
        url=load_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    engine = config.attributes.get("engine") or make_engine(load_settings().database_url)
    with schema_change(engine) as conn:
        run_with(conn)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
