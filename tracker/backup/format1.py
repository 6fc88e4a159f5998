"""Reading format 1: the whole backup as one JSON document (any layout of it), read a value at
a time by `json_stream` so that memory holds a row, never the file. This version writes
format 2; format 1 files (written before) still restore.

    {"format": "evidence-tracker-backup", "format_version": 1, "schema_revision": "0007",
     "taken_at": "2026-12-01T21:40:00.123456Z", "product_version": "0.1.0",
     "tables": [{"name": "users", "columns": [{"name": "id", "type": "integer"}, ...],
                 "rows": [[1, "system", ...], ...], "row_count": 2, "last_issued_id": 7},
                ...]}

Header keys come before "tables", and a table's "name" and "columns" before its "rows"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from tracker.backup.json_stream import _Parser
from tracker.backup.reading import Backup, Event, Header, TableEnd, TableStart, check_header
from tracker.errors import InvalidInput


def read(stream: IO[str], source: str, start: str = "") -> Backup:
    """The backup in `stream`, whose first characters `start` were already read."""
    parser = _Parser(stream, source, start)
    header, members = _read_header(parser)
    return Backup(header, parser, _events(parser, members))


def _read_header(parser: _Parser) -> tuple[Header, Iterator[str]]:
    """The header members up to "tables", checked; returns the object's remaining members
    with the parser at the start of the tables array."""
    if parser.peek() != "{":
        raise InvalidInput(f"{parser.source} is not an Evidence Tracker backup (not a JSON "
                           "object)")
    members = parser.members()
    values: dict[str, Any] = {}
    for key in members:
        if key == "tables":
            break
        values[key] = parser.value()
    else:
        raise parser.error("no tables")
    return check_header(parser.source, values, 1), members


def _events(parser: _Parser, members: Iterator[str]) -> Iterator[Event]:
    for _ in parser.items():
        yield from _table(parser)
    for _key in members:  # members after "tables": none written, any ignored
        parser.value()
    parser.end()


def _table(parser: _Parser) -> Iterator[Event]:
    name = columns = count = issued = None
    rows = False
    for key in parser.members():
        if key == "name":
            name = parser.value()
        elif key == "columns":
            columns = parser.value()
        elif key == "rows":
            rows = True
            yield TableStart(name, columns)
            for _ in parser.items():
                yield parser.value()
        elif key == "row_count":
            count = parser.value()
        elif key == "last_issued_id":
            issued = parser.value()
        else:
            parser.value()
    if not rows:
        raise parser.error(f"table {name!r} has no rows array")
    yield TableEnd(count, issued)
