"""Restoring a backup into an empty database, then upgrading it to this version's schema."""

from __future__ import annotations

import copy
import gzip
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from alembic import command
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    bindparam,
    insert,
    inspect,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError

from tracker import db
from tracker.backup import codec, format1, format2
from tracker.backup.codec import (
    _BadValue,
    _decoder,
    _kind,
)
from tracker.backup.reading import (
    Backup,
    Event,
    Header,
    Reader,
    TableEnd,
    TableStart,
    known,
)
from tracker.backup.schema import (
    RestoreReport,
    TableCount,
    _columns,
    _data_tables,
    _first_table_with_rows,
    _id_key,
    _revision,
    _scripts,
    head_revision,
)
from tracker.errors import Conflict, InvalidInput
from tracker.models import Base


def restore_backup(engine: Engine, path: Path) -> RestoreReport:
    """Load a backup into an empty database (no tables, or migrated with no rows), then
    upgrade it to this version's schema.

    The file's header is checked before the database is touched. Then one transaction (a
    schema change, `db.schema_change`: SQLite checks foreign keys at its end) checks that the
    database holds no rows (Conflict otherwise), migrates it to the backup's schema revision,
    inserts every table in the file's (foreign-key) order with bulk INSERTs, moves
    PostgreSQL's id sequences past the restored ids and upgrades to head: a file that turns
    out bad (InvalidInput) leaves the database as it was.

    No audit event is written: the trail itself is restored, and restoring then backing up
    again gives the same data, which is how a restore is checked. That the database was
    restored, when and by whom is the operator's record, like the file itself."""
    source = Path(path)
    if source.is_dir():
        raise InvalidInput(f"{source}: is a directory, not a backup file")
    if not source.exists():
        raise InvalidInput(f"{source}: no such file")
    if not source.is_file():
        raise InvalidInput(f"{source}: is not a regular file (a device or a pipe?), not a "
                           "backup file")
    try:
        with _open(source) as stream:
            backup = _read(stream, str(source))
            header, reader = backup.header, backup.reader
            with db.schema_change(engine) as connection:
                loader = _Loader(connection, reader, header)
                tables = loader.run(backup.events)
                if db.is_sqlite(engine):
                    _check_references(connection, reader)
                upgraded, notes = _finish(connection, tables, loader.issued)
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InvalidInput(f"{source}: cannot read the file ({exc})") from None
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read the file ({exc.strerror})") from None
    return RestoreReport(path=str(source), schema_revision=header.schema_revision,
                         upgraded_to=upgraded, taken_at=header.taken_at,
                         product_version=header.product_version, tables=tables,
                         notes=notes)


def _read(stream: IO[str], source: str) -> Backup:
    """The backup in `stream`, in either format: format 2 when its first line is a header,
    else format 1 (whose reader takes what was read of that line)."""
    first = stream.readline(format2.HEADER_CHARS)
    values = format2.header_of(first)
    if values is not None:
        return format2.read(stream, source, values)
    return format1.read(stream, source, first)


def _open(path: Path) -> IO[str]:
    """The file as text, gzip-compressed or not (by its first bytes)."""
    with path.open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    if compressed:
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


@dataclass(slots=True)
class _Loader:
    """Inserts the tables the file's events give, table by table, chunk by chunk."""

    connection: Connection
    reader: Reader
    header: Header
    schema: dict[str, Table] = field(default_factory=dict)
    loaded: list[TableCount] = field(default_factory=list)
    issued: dict[str, tuple[str, int]] = field(default_factory=dict)  # table: (id column, id)

    def run(self, events: Iterator[Event]) -> list[TableCount]:
        self._prepare()
        rows: _TableRows | None = None
        for event in events:
            if isinstance(event, TableStart):
                table = self._target(event.name, event.columns)
                rows = _TableRows(self.connection, table, [c["name"] for c in event.columns],
                                  self.reader, self.header.schema_revision)
            elif isinstance(event, TableEnd):
                assert rows is not None  # the readers end only a table they started
                self._end(rows, event)
                rows = None
            else:
                assert rows is not None  # the readers give rows only inside a table
                rows.add(event)
        missing = [name for name in self.schema if name not in {t.name for t in self.loaded}]
        if missing:
            raise self.reader.error(f"no table {missing[0]!r}, which schema revision "
                                    f"{self.header.schema_revision} has")
        return self.loaded

    def _prepare(self) -> None:
        occupied = _first_table_with_rows(self.connection)
        if occupied is not None:
            raise Conflict(f"the database holds data (table {occupied} has rows); restore only "
                           "goes into an empty database: nothing was written")
        current = _revision(self.connection)
        if current is None and inspect(self.connection).get_table_names():
            raise Conflict("the database has tables but no tracker schema revision; restore "
                           "only goes into an empty database: nothing was written")
        if current is not None and not known(current):
            raise Conflict(f"the database is at schema revision {current!r}, unknown to this "
                           "version of the tracker: nothing was written")
        _migrate_to(self.connection, current, self.header.schema_revision)
        self.schema = {t.name: t for t in _data_tables(self.connection)}

    def _end(self, rows: _TableRows, end: TableEnd) -> None:
        """The table's last rows in; its row count and id counter checked."""
        rows.finish()
        name, count, issued = rows.table.name, end.row_count, end.last_issued_id
        if count is not None and count != rows.count:
            raise self.reader.error(f"table {name}: row_count says {count!r}, the file holds "
                                    f"{rows.count} rows")
        if issued is not None:
            id_column = _id_key(self.schema[name])
            if id_column is None or type(issued) is not int or issued < 0:
                raise self.reader.error(f"table {name}: bad last_issued_id {issued!r}")
            self.issued[name] = (id_column.name, issued)
        self.loaded.append(TableCount(name, rows.count))

    def _target(self, name: Any, columns: Any) -> Table:
        """The target table for the file's table `name`, checked against its columns."""
        error = self.reader.error
        if not isinstance(name, str) or not isinstance(columns, list):
            raise error("each table needs a name and columns before its rows")
        table = self.schema.get(name)
        if table is None:
            raise error(f"table {name!r} is not in schema revision "
                        f"{self.header.schema_revision}")
        if name in {t.name for t in self.loaded}:
            raise error(f"table {name!r} appears twice")
        done = {t.name for t in self.loaded}
        for fk in table.foreign_keys:
            if fk.column.table is not table and fk.column.table.name not in done:
                raise error(f"table {name!r} comes before {fk.column.table.name!r}, which it "
                            "refers to")
        given = {c.get("name"): c.get("type") for c in columns if isinstance(c, dict)}
        expected = {c.name: kind for c, kind in _columns(table)}
        if given != expected or len(columns) != len(expected):
            differences = [f"no column {n}" for n in expected if n not in given] + [
                f"column {n} is {given[n]}, not {kind}" for n, kind in expected.items()
                if n in given and given[n] != kind] + [
                f"unknown column {n}" for n in given if n not in expected]
            raise error(f"table {name!r}: the columns do not match schema revision "
                        f"{self.header.schema_revision} ({'; '.join(differences) or 'repeated'})")
        return table


class _TableRows:
    """Inserts one table's rows in chunks. A row referring to a row of its own table that is
    not in yet (a claim part before its sentence) goes in with that reference empty, filled in
    once the table is complete: any row order loads under immediate foreign-key checks."""

    def __init__(self, connection: Connection, table: Table, names: list[str],
                 reader: Reader, revision: str) -> None:
        self.connection, self.table, self.names, self.reader = connection, table, names, reader
        by_name = {c.name: c for c in table.columns}
        self.decoders = [_decoder(_kind(by_name[n].type) or "", by_name[n]) for n in names]
        self.vocabularies = _vocabularies(table.name, names, revision)
        self.insert = insert(_bulk_table(table))
        self.self_refs = [(fk.parent.name, fk.column.name) for fk in table.foreign_keys
                          if fk.column.table is table]
        self.key = [c.name for c in table.primary_key.columns]
        self.inserted: set[Any] = set()
        self.deferred: list[tuple[str, dict[str, Any]]] = []
        self.chunk: list[dict[str, Any]] = []
        self.count = 0

    def add(self, row: Any) -> None:
        where = f"table {self.table.name}, row {self.count + 1}"
        if not isinstance(row, list) or len(row) != len(self.names):
            raise self.reader.error(f"{where}: expected an array of {len(self.names)} values")
        values: dict[str, Any] = {}
        for name, decode, value in zip(self.names, self.decoders, row, strict=True):
            try:
                values[name] = None if value is None else decode(value)
            except _BadValue as exc:
                raise self.reader.error(f"{where}, column {name}: {exc}") from None
        for name, allowed in self.vocabularies:
            if values[name] is not None and values[name] not in allowed:
                raise self.reader.error(
                    f"{where}, column {name}: {_shown(values[name])!r} is not one of "
                    f"{', '.join(sorted(allowed))}")
        for column, referred in self.self_refs:
            target = values[column]
            if target is not None and target not in self.inserted \
                    and target != values[referred]:
                if not self.key:
                    raise self.reader.error(f"{where}: refers to a later row of its table")
                self.deferred.append((column, {**{f"k_{k}": values[k] for k in self.key},
                                               "v": target}))
                values[column] = None
            self.inserted.add(values[referred])
        self.chunk.append(values)
        self.count += 1
        if len(self.chunk) >= codec.CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self.chunk:
            return
        first = self.count - len(self.chunk) + 1
        self._execute(self.insert, self.chunk, f"rows {first}-{self.count}")
        self.chunk = []

    def finish(self) -> None:
        self._flush()
        for column in {c for c, _ in self.deferred}:
            params = [p for c, p in self.deferred if c == column]
            statement = update(self.table).where(
                *(self.table.c[k] == bindparam(f"k_{k}") for k in self.key)
            ).values({column: bindparam("v")})
            for start in range(0, len(params), codec.CHUNK_ROWS):
                self._execute(statement, params[start:start + codec.CHUNK_ROWS],
                              f"references in {column}")

    def _execute(self, statement: Any, params: list[dict[str, Any]], what: str) -> None:
        try:
            self.connection.execute(statement, params)
        except DBAPIError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise self.reader.error(
                f"table {self.table.name}, {what}: the database refused them ({detail})"
            ) from None


def _vocabularies(table: str, names: list[str], revision: str
                  ) -> list[tuple[str, frozenset[str]]]:
    """The columns of `table` whose values come from a vocabulary (the models' `info`), with
    the values allowed: a restore refuses any other, as the services would. A backup from an
    earlier revision is held to no vocabulary: its values are those of its time, and the
    revisions' data migrations carry them forward (0008's statuses, for one)."""
    model = Base.metadata.tables.get(table)
    if model is None or revision != head_revision():
        return []
    found = []
    for name in names:
        column = model.columns.get(name)
        values = column.info.get("vocabulary") if column is not None else None
        if values is not None:
            found.append((name, frozenset(v.value for v in values)))
    return found


def _shown(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bulk_table(table: Table) -> Table:
    """`table`'s columns only (no defaults); JSON writes SQL NULL for None, 'null' for
    JSON.NULL."""
    columns = []
    for column in table.columns:
        type_ = column.type
        if isinstance(column.type, JSON):
            as_json = copy.copy(column.type)
            as_json.none_as_null = True
            type_ = as_json
        columns.append(Column(column.name, type_, primary_key=column.primary_key,
                              autoincrement=False))
    return Table(table.name, MetaData(), *columns)


def _check_references(connection: Connection, reader: Reader) -> None:
    """SQLite checks no foreign keys during a schema change (`db.schema_change`): check the
    restored rows here, where the file can be named."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise reader.error(f"{len(broken)} row(s) refer to rows the file does not hold "
                           f"(e.g. table {table}, row id {rowid} → {parent})")


def _migrate_to(connection: Connection, current: str | None, revision: str) -> None:
    if current == revision:
        return
    config = db.alembic_config(connection=connection)
    below = current is not None and any(
        r.revision == revision for r in _scripts().iterate_revisions(current, "base"))
    if below:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


def _finish(connection: Connection, tables: Sequence[TableCount],
            issued: dict[str, tuple[str, int]]) -> tuple[str, list[str]]:
    """Id counters past the restored ids (and past the source's own counters), this
    version's schema; returns the revision and notes on counters SQLite cannot keep."""
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        _reset_sequences(connection, {t.name for t in tables}, issued)
    head = head_revision()
    _migrate_to(connection, _revision(connection), head)
    return head, ([] if postgres else _keep_sqlite_counters(connection, issued))


def _reset_sequences(connection: Connection, tables: set[str],
                     issued: dict[str, tuple[str, int]]) -> None:
    """serial and identity columns: the next id is one past the largest restored one, or past
    the largest the source had issued (ids of deleted rows are not given again)."""
    owned = connection.execute(text(
        "SELECT table_name, column_name, "
        "pg_get_serial_sequence(quote_ident(table_name), column_name) "
        "FROM information_schema.columns WHERE table_schema = current_schema()"
    )).all()
    quote = connection.dialect.identifier_preparer.quote
    for table_name, column_name, sequence in owned:
        if sequence is None or table_name not in tables:
            continue
        column, last = issued.get(table_name, (column_name, 0))
        connection.execute(text(
            f"SELECT setval(CAST(:sequence AS regclass), GREATEST(COALESCE("
            f"(SELECT MAX({quote(column_name)}) FROM {quote(table_name)}), 0), :issued) + 1, "
            "false)"), {"sequence": sequence, "issued": last if column == column_name else 0})


def _keep_sqlite_counters(connection: Connection, issued: dict[str, tuple[str, int]]
                          ) -> list[str]:
    """AUTOINCREMENT tables keep the source's counter; plain SQLite tables have none."""
    notes = []
    for table, (_column, last) in issued.items():
        declared = connection.execute(text(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
        ).scalar()
        if "AUTOINCREMENT" not in str(declared or "").upper():
            notes.append(f"table {table}: SQLite keeps no id counter for it, so ids up to "
                         f"{last} that the source had given may be given again")
            continue
        params = {"t": table, "n": last}
        kept = connection.execute(text(
            "UPDATE sqlite_sequence SET seq = MAX(seq, :n) WHERE name = :t"), params).rowcount
        if not kept:
            connection.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"),
                               params)
    return notes
