"""What restoring reads from a backup of either format: its header, checked, then a stream of
events (a table starts, one of its rows, the table ends) that `restore` loads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from alembic.util import CommandError

from tracker.backup.codec import FORMAT, FORMAT_VERSION, _BadValue, _decode_datetime
from tracker.backup.schema import _scripts
from tracker.errors import InvalidInput


class Reader(Protocol):
    """Where a backup is being read: its file's name, and an error naming the place."""

    source: str

    def error(self, problem: str) -> InvalidInput: ...


@dataclass(frozen=True, slots=True)
class Header:
    source: str
    format_version: int
    schema_revision: str
    taken_at: datetime
    product_version: str


@dataclass(frozen=True, slots=True)
class TableStart:
    name: Any  # as the file has them; `restore` checks them against the schema
    columns: Any


@dataclass(frozen=True, slots=True)
class TableEnd:
    row_count: Any  # None when the file does not say
    last_issued_id: Any


#: What a reader yields: a table's start, each of its rows (a JSON array), its end.
Event = TableStart | TableEnd | list[Any]


@dataclass(frozen=True, slots=True)
class Backup:
    header: Header
    reader: Reader
    events: Iterator[Event]


def check_header(source: str, values: dict[str, Any], version: int) -> Header:
    """The header's values, checked: ours, a format this version reads (`version`: the one
    the file's layout is), a schema revision this version knows, a time."""
    if values.get("format") != FORMAT:
        raise InvalidInput(f"{source} is not an Evidence Tracker backup (format "
                           f"{values.get('format')!r}, expected {FORMAT!r})")
    found = values.get("format_version")
    if type(found) is not int or found < 1:
        raise InvalidInput(f"{source}: bad format_version {found!r}")
    if found > FORMAT_VERSION:
        raise InvalidInput(f"{source} was written by a newer Evidence Tracker (format version "
                           f"{found}; this version reads up to {FORMAT_VERSION}): upgrade "
                           "the tracker to restore it")
    if found != version:
        layouts = {1: "one JSON document", 2: "JSON Lines"}
        raise InvalidInput(f"{source}: format_version {found} is {layouts[found]}, but the "
                           f"file is laid out as {layouts[version]}")
    revision = values.get("schema_revision")
    if not isinstance(revision, str) or not known(revision):
        raise InvalidInput(f"{source}: schema revision {revision!r} is unknown to this version "
                           "of the tracker (a backup of a newer version?): upgrade the tracker "
                           "to restore it")
    try:
        taken_at = _decode_datetime(True)(values.get("taken_at"))
    except _BadValue as exc:
        raise InvalidInput(f"{source}: bad taken_at: {exc}") from None
    return Header(source, found, revision, taken_at, str(values.get("product_version", "")))


def known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False
