"""Format 2, what this version writes: JSON Lines, one JSON value per line, read a line at a
time (memory holds a row, never the file).

    {"format": "evidence-tracker-backup", "format_version": 2, "schema_revision": "0012",
     "taken_at": "2026-12-01T21:40:00.123456Z", "product_version": "0.1.0"}
    {"table": "users", "columns": [{"name": "id", "type": "integer"}, ...]}
    [1, "system", ...]
    ...
    {"end": "users", "row_count": 2, "last_issued_id": 7}
    ...
    {"end_of_backup": true, "tables": 27}

The header line first; then each table (foreign-key order) as its start line, its rows (arrays
in column order, by primary key) and its end line (`last_issued_id` only when the source's
id counter is past the largest id); last, the end line of the backup, without which the file
is truncated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from tracker.backup.codec import _JSON_TEXT, FORMAT_VERSION
from tracker.backup.json_stream import MAX_VALUE_CHARS
from tracker.backup.reading import Backup, Event, TableEnd, TableStart, check_header
from tracker.errors import InvalidInput

HEADER_CHARS = 1 << 16  # a first line longer than this is not a format 2 header

_END = object()  # the end of the file


def line(value: Any) -> str:
    """`value` as one line of the file."""
    return _JSON_TEXT.encode(value) + "\n"


def header_of(first: str) -> dict[str, Any] | None:
    """The header, when the file's first line (`first`, read up to HEADER_CHARS) is one:
    a whole JSON object that is not a format 1 document."""
    if not first.endswith("\n"):
        return None
    try:
        value = json.loads(first)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) and "tables" not in value else None


def read(stream: IO[str], source: str, values: dict[str, Any]) -> Backup:
    """The backup in `stream`, whose header line (`values`) was already read."""
    lines = _Lines(stream, source)
    header = check_header(source, values, FORMAT_VERSION)
    return Backup(header, lines, _events(lines))


class _Lines:
    def __init__(self, stream: IO[str], source: str) -> None:
        self.source = source
        self._stream = stream
        self._number = 1  # the header's

    def error(self, problem: str) -> InvalidInput:
        return InvalidInput(f"{self.source}: {problem} (line {self._number}); nothing was "
                            "restored")

    def next(self) -> Any:
        """The next line's value (blank lines skipped); `_END` at the end of the file."""
        while True:
            text = self._stream.readline(MAX_VALUE_CHARS + 1)
            if not text:
                return _END
            self._number += 1
            if len(text) > MAX_VALUE_CHARS:
                raise self.error(f"a line longer than {MAX_VALUE_CHARS} characters")
            if text.strip():
                break
        try:
            return json.loads(text)
        except RecursionError:
            raise self.error("a value nested too deeply (arrays or objects within "
                             "thousands of others)") from None
        except json.JSONDecodeError as exc:
            raise self.error(f"not valid JSON ({exc.msg}; truncated or corrupted?)") from None


def _events(lines: _Lines) -> Iterator[Event]:
    table: Any = _END  # the table whose rows are being read
    tables = 0
    while (value := lines.next()) is not _END:
        if isinstance(value, list):
            if table is _END:
                raise lines.error("a row outside a table")
            yield value
        elif isinstance(value, dict) and "table" in value:
            if table is not _END:
                raise lines.error(f"table {table!r} has no end line")
            table = value["table"]
            yield TableStart(table, value.get("columns"))
        elif isinstance(value, dict) and "end" in value:
            if value["end"] != table:
                raise lines.error(f"the end of table {value['end']!r} where table "
                                  f"{None if table is _END else table!r} is read")
            table, tables = _END, tables + 1
            yield TableEnd(value.get("row_count"), value.get("last_issued_id"))
        elif isinstance(value, dict) and value.get("end_of_backup") is True:
            if table is not _END:
                raise lines.error(f"table {table!r} has no end line")
            if value.get("tables") != tables:
                raise lines.error(f"the end line says {value.get('tables')!r} tables, the "
                                  f"file holds {tables}")
            if lines.next() is not _END:
                raise lines.error("unexpected data after the end of the backup")
            return
        else:
            raise lines.error("expected a row (an array), a table's start or end, or the "
                              "backup's end")
    raise lines.error("the file ends too early (truncated?)")
