"""`tracker backup` and `tracker restore`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import app
from tracker.cli.options import JsonFlag
from tracker.cli.output import _print_json
from tracker.cli.session import _database
from tracker.jsonready import plain
from tracker.lazy import lazy_function, lazy_module

if TYPE_CHECKING:
    from tracker.backup import restore_backup, write_backup
    from tracker.services import setup as setup_service
else:  # imported when a command first uses it (start-up time is benchmarked)
    restore_backup = lazy_function("tracker.backup", "restore_backup")
    setup_service = lazy_module("tracker.services.setup")
    write_backup = lazy_function("tracker.backup", "write_backup")


# --- backups ---------------------------------------------------------------------------------


@app.command("backup")
def backup_cmd(
    path: Annotated[Path, typer.Argument(help="file to write; ending in .gz: compressed")],
    as_json: JsonFlag = False,
) -> None:
    """Write everything in the database to one JSON Lines file (operators; backup format 2).
    The file holds every user's password hash: keep it as private as the database."""
    with _database() as engine:
        report = write_backup(engine, path)
    if as_json:
        _print_json({**plain(report), "rows": report.rows})
        return
    typer.echo(f"backed up {report.rows} rows of {len(report.tables)} tables (schema "
               f"{report.schema_revision}) to {report.path}, {report.bytes:,} bytes")


@app.command("restore")
def restore_cmd(
    path: Annotated[Path, typer.Argument(help="a file written by `tracker backup`")],
    as_json: JsonFlag = False,
) -> None:
    """Load a backup into an empty database (operators), then upgrade its schema to this
    version's. A database that holds data is refused; a bad file changes nothing."""
    with _database(create=True) as engine:
        report = restore_backup(engine, path)
        regraded = setup_service.upgrade(engine)
    if regraded:
        report.notes.append(f"{regraded} claims regraded under the current grading rules")
    if as_json:
        _print_json({**plain(report), "rows": report.rows})
        return
    typer.echo(f"restored {report.rows} rows of {len(report.tables)} tables from {report.path} "
               f"(taken {report.taken_at:%Y-%m-%d %H:%M} UTC at schema "
               f"{report.schema_revision}; now at {report.upgraded_to})")
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
