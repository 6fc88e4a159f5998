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
