"""What a backup holds: the database's own tables (reflected) and schema revisions, and the
reports of a backup and a restore.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    inspect,
    literal,
    select,
)

from tracker import db
from tracker.backup.codec import _kind
from tracker.errors import TrackerError
from tracker.finder.index import INDEX_TABLES

# The revision is in the header instead; the full-text index is derived from the citations
# (the restored rows fill it again through its triggers, `tracker.finder.index`).
NOT_DATA = frozenset({"alembic_version"}) | INDEX_TABLES


@dataclass(frozen=True, slots=True)
class TableCount:
    name: str
    rows: int


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: str
    schema_revision: str
    taken_at: datetime
    product_version: str
    bytes: int
    tables: list[TableCount]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


@dataclass(frozen=True, slots=True)
class RestoreReport:
    path: str
    schema_revision: str  # the backup's
    upgraded_to: str  # the target's revision afterwards: this version's head
    taken_at: datetime
    product_version: str  # of the tracker that wrote the backup
    tables: list[TableCount]
    notes: list[str] = field(default_factory=list)  # what the target could not keep

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _data_tables(connection: Connection) -> list[Table]:
    """The database's own tables (reflected), in foreign-key order, without alembic_version
    and the full-text index."""
    reflected = MetaData()
    reflected.reflect(bind=connection, only=lambda name, _metadata: name not in NOT_DATA)
    return [t for t in reflected.sorted_tables if t.name not in NOT_DATA]


def _columns(table: Table) -> list[tuple[Column[Any], str]]:
    described = []
    for column in table.columns:
        kind = _kind(column.type)
        if kind is None:
            raise TrackerError(f"backups cannot hold column {table.name}.{column.name} of type "
                               f"{column.type!r} yet")
        described.append((column, kind))
    return described


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(db.alembic_config())


def head_revision() -> str:
    """This version's newest schema revision."""
    head = _scripts().get_current_head()
    assert head is not None
    return head


def _first_table_with_rows(connection: Connection) -> str | None:
    for name in inspect(connection).get_table_names():
        if name in NOT_DATA:
            continue
        probe = select(literal(1)).select_from(Table(name, MetaData())).limit(1)
        if connection.execute(probe).first() is not None:
            return name
    return None


def _id_key(table: Table) -> Column[Any] | None:
    """The table's single integer primary key column, whose values the database issues."""
    keys = list(table.primary_key.columns)
    return keys[0] if len(keys) == 1 and _kind(keys[0].type) == "integer" else None
