"""Column types of a backup and their JSON encodings: integer, float, boolean and text as
JSON numbers, booleans and strings; datetime as ISO 8601 UTC with microseconds; date as ISO
8601; decimal as a string; binary as base64; json as a one-element array holding the stored
value (so a JSON null stays distinct from SQL NULL, which is `null` in every type).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
)
from sqlalchemy.types import TypeEngine

FORMAT = "evidence-tracker-backup"
FORMAT_VERSION = 2  # JSON Lines (`format2`); format 1 (`format1`) is still read
CHUNK_ROWS = 1000  # rows per read from the database, per line batch written, per INSERT
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


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
