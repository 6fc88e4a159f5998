"""Backups: everything in the database in one versioned file, and its restore into an empty
database, exact across SQLite and PostgreSQL.

The file holds every row of every table, including each user's argon2 password hash and the
whole audit trail: it is as sensitive as the database itself (it is written readable by its
owner only). Backup and restore are operator actions of someone with access to the database,
like `tracker bootstrap`, not use cases of a signed-in user; they take no actor.

Tables and columns come from the database itself (reflected, `schema`), never from a list kept
here, so a table added by a later migration is backed up as soon as it exists — except the
full-text index of the citations (`tracker.finder.index`), which is derived: it is left out,
and the restored citations fill it again through its triggers, so a restored database
searches the same.

The format (README, *Backups*): UTF-8, gzip-compressed when the file name ends in `.gz`.
Format 2, written since this package was split (`format2`), is JSON Lines: a header line,
then each table as a start line, one line per row and an end line, then an end-of-backup
line. Format 1 (`format1`), one JSON document in any layout, is still restored, read a value
at a time by `json_stream`. Values by column type (`codec`): integer, float, boolean and text
as JSON numbers, booleans and strings; datetime as ISO 8601 UTC with microseconds
("2026-12-01T21:40:00.123456Z"); date as ISO 8601; decimal as a string; binary as base64;
json as a one-element array holding the stored JSON value (`[{"a": 1}]`, `[null]` for a JSON
null) so that it stays distinct from SQL NULL, which is `null` in every type. Writer
(`writer`) and restore (`restore`) stream table by table, chunk by chunk of rows: memory holds
a chunk, never the file.
"""

from tracker.backup.codec import CHUNK_ROWS, ENCODERS, FORMAT, FORMAT_VERSION
from tracker.backup.json_stream import MAX_VALUE_CHARS, READ_CHARS
from tracker.backup.restore import restore_backup
from tracker.backup.schema import (
    NOT_DATA,
    BackupReport,
    RestoreReport,
    TableCount,
    head_revision,
)
from tracker.backup.writer import dump, product_version, write_backup

__all__ = [
    "CHUNK_ROWS", "ENCODERS", "FORMAT", "FORMAT_VERSION", "MAX_VALUE_CHARS", "NOT_DATA",
    "READ_CHARS", "BackupReport", "RestoreReport", "TableCount", "dump", "head_revision",
    "product_version", "restore_backup", "write_backup",
]
