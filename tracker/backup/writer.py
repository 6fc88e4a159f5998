"""Writing a backup: one read snapshot streamed table by table, chunk by chunk, into a private
file that replaces the target only once complete.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    Table,
    Text,
    cast,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

from tracker import db
from tracker.backup import codec
from tracker.backup.codec import (
    ENCODERS,
    FORMAT,
    FORMAT_VERSION,
    _BadValue,
    _encode_datetime,
    _kind,
)
from tracker.backup.format2 import line
from tracker.backup.schema import (
    BackupReport,
    TableCount,
    _columns,
    _data_tables,
    _id_key,
    _revision,
)
from tracker.errors import InvalidInput, TrackerError


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
    """Write the backup (format 2, JSON Lines: `format2`) of what `connection` sees to `out`;
    returns the schema revision, the time taken and the rows per table."""
    revision = _revision(connection)
    if revision is None:
        raise InvalidInput("the database is not initialised (no schema revision): nothing to "
                           "back up")
    taken_at = datetime.now(UTC)
    out.write(line({"format": FORMAT, "format_version": FORMAT_VERSION,
                    "schema_revision": revision, "taken_at": _encode_datetime(taken_at),
                    "product_version": product_version()}))
    counts = [TableCount(table.name, _dump_table(connection, table, out))
              for table in _data_tables(connection)]
    out.write(line({"end_of_backup": True, "tables": len(counts)}))
    return revision, taken_at, counts


def _dump_table(connection: Connection, table: Table, out: IO[str]) -> int:
    described = _columns(table)
    columns = [{"name": c.name, "type": kind} for c, kind in described]
    out.write(line({"table": table.name, "columns": columns}))
    selected = [cast(c, Text).label(c.name) if kind == "json" else c for c, kind in described]
    statement = select(*selected).order_by(*_row_order(connection, table))
    encoders = [ENCODERS[kind] for _, kind in described]
    key = _id_key(table)
    at = [c for c, _ in described].index(key) if key is not None else 0
    count, largest = 0, 0
    result = connection.execute(statement, execution_options={"yield_per": codec.CHUNK_ROWS})
    for rows in result.partitions():
        lines = []
        for row in rows:
            try:
                encoded = [None if v is None else enc(v)
                           for enc, v in zip(encoders, row, strict=True)]
            except _BadValue as exc:
                raise TrackerError(f"cannot back up table {table.name}, row {tuple(row)[:1]}: "
                                   f"{exc}") from None
            lines.append(line(encoded))
        out.write("".join(lines))
        count += len(lines)
        largest = rows[-1][at] if key is not None else 0
    end: dict[str, Any] = {"end": table.name, "row_count": count}
    issued = _last_issued_id(connection, table)
    if issued is not None and issued > largest:
        end["last_issued_id"] = issued
    out.write(line(end))
    return count


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
