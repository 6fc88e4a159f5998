"""Backups: everything in the database as one versioned JSON document, and its restore into an
empty database, exact across SQLite and PostgreSQL.

The file holds every row of every table, including each user's argon2 password hash and the
whole audit trail: it is as sensitive as the database itself (it is written readable by its
owner only). Backup and restore are operator actions of someone with access to the database,
like `tracker bootstrap`, not use cases of a signed-in user; they take no actor.

Tables and columns come from the database itself (reflected), never from a list kept here, so a
table added by a later migration is backed up as soon as it exists — except the full-text index
of the citations (`tracker.finder.index`), which is derived: it is left out, and the restored
citations fill it again through its triggers, so a restored database searches the same. The
format (README, *Backups*), one UTF-8 JSON document, gzip-compressed when the file name ends in
`.gz`:

    {"format": "evidence-tracker-backup", "format_version": 1,
     "schema_revision": "0007",              # the Alembic revision of the source database
     "taken_at": "2026-12-01T21:40:00.123456Z", "product_version": "0.1.0",
     "tables": [                             # foreign-key order: referenced tables first
       {"name": "users",
        "columns": [{"name": "id", "type": "integer"}, ...],
        "rows": [[1, "system", ...], ...],   # arrays in column order, by primary key
        "row_count": 2,
        "last_issued_id": 7},                # only when the source's id counter is past
       ...]}                                 # the largest id (rows deleted since)

Values by column type: integer, float, boolean and text as JSON numbers, booleans and strings;
datetime as ISO 8601 UTC with microseconds ("2026-12-01T21:40:00.123456Z"); date as ISO
8601; decimal as a string; binary as base64; json as a one-element array holding the stored
JSON value (`[{"a": 1}]`, `[null]` for a JSON null) so that it stays distinct from SQL NULL,
which is `null` in every type. Header keys come before "tables", and a table's "name" and
"columns" before its "rows": writer and reader stream table by table, chunk by chunk of rows,
and the reader takes any JSON layout of the same document.
"""

from __future__ import annotations

import base64
import copy
import gzip
import io
import json
import os
import re
import stat
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    bindparam,
    cast,
    insert,
    inspect,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from tracker import db
from tracker.errors import Conflict, InvalidInput, TrackerError
from tracker.finder.index import INDEX_TABLES
from tracker.models import Base

FORMAT = "evidence-tracker-backup"
FORMAT_VERSION = 1
CHUNK_ROWS = 1000  # rows per read from the database, per line batch written, per INSERT
READ_CHARS = 1 << 20  # characters read from the file at a time
MAX_VALUE_CHARS = 1 << 28  # one JSON value (a row) larger than this: refuse the file
# The revision is in the header instead; the full-text index is derived from the citations
# (the restored rows fill it again through its triggers, `tracker.finder.index`).
NOT_DATA = frozenset({"alembic_version"}) | INDEX_TABLES
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


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


# --- column types and value encodings --------------------------------------------------------


class _BadValue(ValueError):
    """A value that does not fit its column's type (reported with table, row and column)."""


def _kind(type_: TypeEngine[Any]) -> str | None:
    """The backup type of a column; None for a type backups do not handle."""
    for kind, types in _KINDS:
        if isinstance(type_, types):
            return kind
    return None


_KINDS: tuple[tuple[str, type[Any] | tuple[type[Any], ...]], ...] = (
    ("json", JSON), ("boolean", Boolean), ("datetime", DateTime), ("date", Date),
    ("integer", Integer), ("float", Float), ("decimal", Numeric), ("text", String),
    ("binary", LargeBinary),
)


def _expect(kind: str, value: Any) -> _BadValue:
    shown = repr(value)
    return _BadValue(f"expected {kind}, found {shown[:60] + '…' if len(shown) > 60 else shown}")


def _plain(kind: str, *types: type[Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if type(value) in types:
            return value
        raise _expect(kind, value)

    return check


def _encode_datetime(value: Any) -> str:
    if not isinstance(value, datetime):
        raise _expect("datetime", value)
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _encode_date(value: Any) -> str:
    if type(value) is not date:
        raise _expect("date", value)
    return value.isoformat()


def _encode_decimal(value: Any) -> str:
    if not isinstance(value, Decimal | int | float):
        raise _expect("decimal", value)
    return str(value)


def _encode_json(value: Any) -> list[Any]:
    if not isinstance(value, str):
        raise _expect("json text", value)
    return [json.loads(value)]


def _encode_binary(value: Any) -> str:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise _expect("binary", value)
    return base64.b64encode(bytes(value)).decode("ascii")


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "integer": _plain("integer", int),
    "float": _plain("float", float, int),
    "text": _plain("text", str),
    "boolean": _plain("boolean", bool),
    "datetime": _encode_datetime,
    "date": _encode_date,
    "decimal": _encode_decimal,
    "json": _encode_json,
    "binary": _encode_binary,
}


def _decode_datetime(aware: bool) -> Callable[[Any], datetime]:
    def decode(value: Any) -> datetime:
        if not isinstance(value, str):
            raise _expect("datetime string", value)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _expect("ISO 8601 datetime", value) from None
        if moment.tzinfo is None:
            raise _expect("datetime with a time zone", value)
        moment = moment.astimezone(UTC)
        return moment if aware else moment.replace(tzinfo=None)

    return decode


def _decode_date(value: Any) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _expect("ISO 8601 date", value) from None


def _decode_decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise _expect("decimal string", value)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise _expect("decimal string", value) from None


def _decode_float(value: Any) -> float:
    if type(value) in (float, int):
        return float(value)
    raise _expect("float", value)


def _decode_json(value: Any) -> Any:
    if not isinstance(value, list) or len(value) != 1:
        raise _expect("json value wrapped in a one-element array", value)
    return JSON.NULL if value[0] is None else value[0]


def _decode_binary(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _expect("base64 string", value)
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise _expect("base64 string", value) from None


def _decoder(kind: str, column: Column[Any]) -> Callable[[Any], Any]:
    if kind == "datetime":
        return _decode_datetime(bool(getattr(column.type, "timezone", False)))
    decoders: dict[str, Callable[[Any], Any]] = {
        "integer": _plain("integer", int), "text": _plain("text", str),
        "boolean": _plain("boolean", bool), "float": _decode_float, "date": _decode_date,
        "decimal": _decode_decimal, "json": _decode_json, "binary": _decode_binary,
    }
    return decoders[kind]


# --- schema ----------------------------------------------------------------------------------


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


# --- backup ----------------------------------------------------------------------------------


def write_backup(engine: Engine, path: Path) -> BackupReport:
    """Write everything in the database to `path` (gzip-compressed when it ends in `.gz`).

    One read transaction (a snapshot, REPEATABLE READ on PostgreSQL) is streamed table by table
    and chunk by chunk, into a private (0600) temporary file beside `path` that replaces it
    only once complete: a failed backup leaves no partial file. The file holds password
    hashes."""
    target = Path(path)
    if target.is_dir():
        raise InvalidInput(f"{target} is a directory; name the backup file")
    if os.path.lexists(target) and not stat.S_ISREG(os.lstat(target).st_mode):
        kind = "a symbolic link" if target.is_symlink() else "a device, pipe or socket"
        raise InvalidInput(f"{target} exists and is {kind}, not a regular file; a backup "
                           "replaces only a regular file - name another path")
    if not target.parent.is_dir():
        raise InvalidInput(f"{target}: no directory {target.parent}")
    try:
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                       dir=target.parent)
    except OSError as exc:
        raise InvalidInput(f"{target}: cannot write there ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as raw:
            with _text_writer(raw, compress=target.suffix == ".gz") as out, \
                    _snapshot(engine) as connection:
                revision, taken_at, counts = dump(connection, out)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
    except OSError as exc:
        Path(partial).unlink(missing_ok=True)
        raise InvalidInput(f"{target}: cannot write the backup ({exc.strerror}); no file "
                           "was left") from None
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return BackupReport(path=str(target), schema_revision=revision, taken_at=taken_at,
                        product_version=product_version(), bytes=target.stat().st_size,
                        tables=counts)


@contextmanager
def _text_writer(raw: IO[bytes], *, compress: bool) -> Iterator[IO[str]]:
    compressed = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) if compress else None
    out = io.TextIOWrapper(compressed or raw, encoding="utf-8", newline="\n")
    try:
        yield out
    finally:
        out.detach()  # flushes, and leaves `raw` open for the fsync
        if compressed is not None:
            compressed.close()


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One consistent read transaction (`tracker.db.reading`: a snapshot on both databases)."""
    with db.reading(engine) as session:
        yield session.connection()


def product_version() -> str:
    try:
        return metadata.version("evidence-tracker")
    except metadata.PackageNotFoundError:
        return "unknown"


def dump(connection: Connection, out: IO[str]) -> tuple[str, datetime, list[TableCount]]:
    """Write the backup document of what `connection` sees to `out`; returns the schema
    revision, the time taken and the rows per table."""
    revision = _revision(connection)
    if revision is None:
        raise InvalidInput("the database is not initialised (no schema revision): nothing to "
                           "back up")
    taken_at = datetime.now(UTC)
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "schema_revision": revision,
              "taken_at": _encode_datetime(taken_at), "product_version": product_version()}
    out.write(_JSON_TEXT.encode(header)[:-1] + ',"tables":[')
    counts = []
    for n, table in enumerate(_data_tables(connection)):
        out.write("\n" if n == 0 else ",\n")
        counts.append(TableCount(table.name, _dump_table(connection, table, out)))
    out.write("\n]}\n")
    return revision, taken_at, counts


def _dump_table(connection: Connection, table: Table, out: IO[str]) -> int:
    described = _columns(table)
    columns = [{"name": c.name, "type": kind} for c, kind in described]
    out.write(_JSON_TEXT.encode({"name": table.name, "columns": columns})[:-1] + ',"rows":[')
    selected = [cast(c, Text).label(c.name) if kind == "json" else c for c, kind in described]
    statement = select(*selected).order_by(*_row_order(connection, table))
    encoders = [ENCODERS[kind] for _, kind in described]
    key = _id_key(table)
    at = [c for c, _ in described].index(key) if key is not None else 0
    count, largest = 0, 0
    result = connection.execute(statement, execution_options={"yield_per": CHUNK_ROWS})
    for rows in result.partitions():
        lines = []
        for row in rows:
            try:
                encoded = [None if v is None else enc(v)
                           for enc, v in zip(encoders, row, strict=True)]
            except _BadValue as exc:
                raise TrackerError(f"cannot back up table {table.name}, row {tuple(row)[:1]}: "
                                   f"{exc}") from None
            lines.append(_JSON_TEXT.encode(encoded))
        out.write(("\n" if count == 0 else ",\n") + ",\n".join(lines))
        count += len(lines)
        largest = rows[-1][at] if key is not None else 0
    issued = _last_issued_id(connection, table)
    beyond = f',"last_issued_id":{issued}' if issued is not None and issued > largest else ""
    out.write(f'\n],"row_count":{count}{beyond}}}')
    return count


def _id_key(table: Table) -> Column[Any] | None:
    """The table's single integer primary key column, whose values the database issues."""
    keys = list(table.primary_key.columns)
    return keys[0] if len(keys) == 1 and _kind(keys[0].type) == "integer" else None


def _last_issued_id(connection: Connection, table: Table) -> int | None:
    """The largest id the database has issued for `table`: its PostgreSQL sequence, or its
    SQLite AUTOINCREMENT counter; None where there is no counter (SQLite's plain tables give
    the largest id + 1, so they keep nothing beyond their rows)."""
    key = _id_key(table)
    if key is None:
        return None
    if connection.dialect.name == "postgresql":
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {
            "t": connection.dialect.identifier_preparer.quote(table.name), "c": key.name,
        }).scalar()
        if sequence is None:
            return None
        last, called = connection.execute(
            text(f"SELECT last_value, is_called FROM {sequence}")).one()
        return int(last) if called else int(last) - 1
    if not _has_sqlite_sequence(connection):
        return None
    issued = connection.execute(text("SELECT seq FROM sqlite_sequence WHERE name = :t"),
                                {"t": table.name}).scalar()
    return None if issued is None else int(issued)


def _has_sqlite_sequence(connection: Connection) -> bool:
    return connection.execute(text(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
    )).first() is not None


def _row_order(connection: Connection, table: Table) -> list[ColumnElement[Any]]:
    """By primary key (else every orderable column), comparing text by code point on both
    databases so that both write rows in the same order."""
    keys = list(table.primary_key.columns) or [
        c for c in table.columns if _kind(c.type) != "json"]
    postgres = connection.dialect.name == "postgresql"
    return [c.collate("C") if postgres and isinstance(c.type, String) else c for c in keys]


# --- restore ---------------------------------------------------------------------------------


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
            parser = _Parser(stream, str(source))
            header, members = _read_header(parser)
            with db.schema_change(engine) as connection:
                loader = _Loader(connection, parser, header)
                tables = loader.run()
                for _key in members:  # members after "tables": none written, any ignored
                    parser.value()
                parser.end()
                if db.is_sqlite(engine):
                    _check_references(connection, parser)
                upgraded, notes = _finish(connection, tables, loader.issued)
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InvalidInput(f"{source}: cannot read the file ({exc})") from None
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read the file ({exc.strerror})") from None
    return RestoreReport(path=str(source), schema_revision=header.schema_revision,
                         upgraded_to=upgraded, taken_at=header.taken_at,
                         product_version=header.product_version, tables=tables,
                         notes=notes)


def _open(path: Path) -> IO[str]:
    """The file as text, gzip-compressed or not (by its first bytes)."""
    with path.open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    if compressed:
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


@dataclass(frozen=True, slots=True)
class _Header:
    source: str
    schema_revision: str
    taken_at: datetime
    product_version: str


def _read_header(parser: _Parser) -> tuple[_Header, Iterator[str]]:
    """The header members up to "tables", checked; returns the object's remaining members
    with the parser at the start of the tables array."""
    source = parser.source
    if parser.peek() != "{":
        raise InvalidInput(f"{source} is not an Evidence Tracker backup (not a JSON object)")
    members = parser.members()
    values: dict[str, Any] = {}
    for key in members:
        if key == "tables":
            break
        values[key] = parser.value()
    else:
        raise parser.error("no tables")
    if values.get("format") != FORMAT:
        raise InvalidInput(f"{source} is not an Evidence Tracker backup (format "
                           f"{values.get('format')!r}, expected {FORMAT!r})")
    version = values.get("format_version")
    if type(version) is not int or version < 1:
        raise InvalidInput(f"{source}: bad format_version {version!r}")
    if version > FORMAT_VERSION:
        raise InvalidInput(f"{source} was written by a newer Evidence Tracker (format version "
                           f"{version}; this version reads up to {FORMAT_VERSION}): upgrade "
                           "the tracker to restore it")
    revision = values.get("schema_revision")
    if not isinstance(revision, str) or not _known(revision):
        raise InvalidInput(f"{source}: schema revision {revision!r} is unknown to this version "
                           "of the tracker (a backup of a newer version?): upgrade the tracker "
                           "to restore it")
    try:
        taken_at = _decode_datetime(True)(values.get("taken_at"))
    except _BadValue as exc:
        raise InvalidInput(f"{source}: bad taken_at: {exc}") from None
    return _Header(source, revision, taken_at, str(values.get("product_version", ""))), members


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


@dataclass(slots=True)
class _Loader:
    """Reads the tables array and inserts it, table by table, chunk by chunk."""

    connection: Connection
    parser: _Parser
    header: _Header
    schema: dict[str, Table] = field(default_factory=dict)
    loaded: list[TableCount] = field(default_factory=list)
    issued: dict[str, tuple[str, int]] = field(default_factory=dict)  # table: (id column, id)

    def run(self) -> list[TableCount]:
        self._prepare()
        for _ in self.parser.items():
            self._table()
        missing = [name for name in self.schema if name not in {t.name for t in self.loaded}]
        if missing:
            raise self.parser.error(f"no table {missing[0]!r}, which schema revision "
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
        if current is not None and not _known(current):
            raise Conflict(f"the database is at schema revision {current!r}, unknown to this "
                           "version of the tracker: nothing was written")
        _migrate_to(self.connection, current, self.header.schema_revision)
        self.schema = {t.name: t for t in _data_tables(self.connection)}

    def _table(self) -> None:
        parser, name, columns, count, issued = self.parser, None, None, None, None
        loaded = None
        for key in parser.members():
            if key == "name":
                name = parser.value()
            elif key == "columns":
                columns = parser.value()
            elif key == "rows":
                loaded = self._rows(name, columns)
            elif key == "row_count":
                count = parser.value()
            elif key == "last_issued_id":
                issued = parser.value()
            else:
                parser.value()
        if loaded is None:
            raise parser.error(f"table {name!r} has no rows array")
        if count is not None and count != loaded.rows:
            raise parser.error(f"table {loaded.name}: row_count says {count!r}, the file holds "
                               f"{loaded.rows} rows")
        if issued is not None:
            id_column = _id_key(self.schema[loaded.name])
            if id_column is None or type(issued) is not int or issued < 0:
                raise parser.error(f"table {loaded.name}: bad last_issued_id {issued!r}")
            self.issued[loaded.name] = (id_column.name, issued)
        self.loaded.append(loaded)

    def _rows(self, name: Any, columns: Any) -> TableCount:
        table = self._target(name, columns)
        names = [c["name"] for c in columns]
        loader = _TableRows(self.connection, table, names, self.parser,
                            self.header.schema_revision)
        for _ in self.parser.items():
            loader.add(self.parser.value())
        loader.finish()
        return TableCount(table.name, loader.count)

    def _target(self, name: Any, columns: Any) -> Table:
        """The target table for the file's table `name`, checked against its columns."""
        error = self.parser.error
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
                 parser: _Parser, revision: str) -> None:
        self.connection, self.table, self.names, self.parser = connection, table, names, parser
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
            raise self.parser.error(f"{where}: expected an array of {len(self.names)} values")
        values: dict[str, Any] = {}
        for name, decode, value in zip(self.names, self.decoders, row, strict=True):
            try:
                values[name] = None if value is None else decode(value)
            except _BadValue as exc:
                raise self.parser.error(f"{where}, column {name}: {exc}") from None
        for name, allowed in self.vocabularies:
            if values[name] is not None and values[name] not in allowed:
                raise self.parser.error(
                    f"{where}, column {name}: {_shown(values[name])!r} is not one of "
                    f"{', '.join(sorted(allowed))}")
        for column, referred in self.self_refs:
            target = values[column]
            if target is not None and target not in self.inserted \
                    and target != values[referred]:
                if not self.key:
                    raise self.parser.error(f"{where}: refers to a later row of its table")
                self.deferred.append((column, {**{f"k_{k}": values[k] for k in self.key},
                                               "v": target}))
                values[column] = None
            self.inserted.add(values[referred])
        self.chunk.append(values)
        self.count += 1
        if len(self.chunk) >= CHUNK_ROWS:
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
            for start in range(0, len(params), CHUNK_ROWS):
                self._execute(statement, params[start:start + CHUNK_ROWS],
                              f"references in {column}")

    def _execute(self, statement: Any, params: list[dict[str, Any]], what: str) -> None:
        try:
            self.connection.execute(statement, params)
        except DBAPIError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise self.parser.error(
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


def _check_references(connection: Connection, parser: _Parser) -> None:
    """SQLite checks no foreign keys during a schema change (`db.schema_change`): check the
    restored rows here, where the file can be named."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise parser.error(f"{len(broken)} row(s) refer to rows the file does not hold "
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


# --- reading JSON a value at a time ----------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Parser:
    """Walks a JSON document's structure token by token and decodes one value (a row) at a
    time from a buffer refilled from the stream: memory holds a chunk, never the file."""

    def __init__(self, stream: IO[str], source: str) -> None:
        self.source = source
        self._stream = stream
        self._buffer = ""
        self._pos = 0
        self._dropped = 0  # characters consumed and dropped from the buffer's front
        self._eof = False

    def error(self, problem: str) -> InvalidInput:
        return InvalidInput(f"{self.source}: {problem} (at character "
                            f"{self._dropped + self._pos}); nothing was restored")

    def _more(self, at_least: int = 0) -> bool:
        if self._eof:
            return False
        data = self._stream.read(max(READ_CHARS, at_least))
        if not data:
            self._eof = True
            return False
        self._dropped += self._pos
        self._buffer = self._buffer[self._pos:] + data
        self._pos = 0
        return True

    def _grow(self) -> bool:
        pending = len(self._buffer) - self._pos
        if pending > MAX_VALUE_CHARS:
            raise self.error(f"a value longer than {MAX_VALUE_CHARS} characters")
        return self._more(at_least=pending)  # at least doubles: linear however long a row

    def peek(self) -> str:
        """The next non-blank character ('' at the end), not consumed."""
        while True:
            match = _WHITESPACE.match(self._buffer, self._pos)
            self._pos = match.end() if match else self._pos
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._more():
                return ""

    def _take(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            raise self.error(f"expected {what}, found "
                             f"{'the end of the file (truncated?)' if not found else repr(found)}")
        self._pos += 1

    def value(self) -> Any:
        if not self.peek():
            raise self.error("the file ends too early (truncated?)")
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._pos)
            except RecursionError:
                raise self.error("a value nested too deeply (arrays or objects within "
                                 "thousands of others)") from None
            except json.JSONDecodeError as exc:
                if self._grow():
                    continue
                raise self.error(f"not valid JSON ({exc.msg}; truncated or corrupted?)") \
                    from None
            if end == len(self._buffer) and self._grow():
                continue  # a number may go on in the next read
            self._pos = end
            return value

    def members(self) -> Iterator[str]:
        """The keys of the object starting here; the caller reads each one's value."""
        self._take("{", "an object")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise self.error(f"expected a key, found {key!r}")
            self._take(":", "':'")
            yield key
            if self.peek() == ",":
                self._pos += 1
                continue
            self._take("}", "',' or '}'")
            return

    def items(self) -> Iterator[None]:
        """One step per item of the array starting here; the caller reads each item."""
        self._take("[", "an array")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            yield None
            if self.peek() == ",":
                self._pos += 1
                continue
            self._take("]", "',' or ']'")
            return

    def end(self) -> None:
        if self.peek():
            raise self.error("unexpected data after the backup document")
