"""Alembic environment: the URL comes from tracker's configuration, never from alembic.ini.

`tracker.db.migrate()` passes its own connection in `config.attributes["connection"]`; the
`alembic` command line builds an engine from `TRACKER_DATABASE_URL`.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

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


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


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
