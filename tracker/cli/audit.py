"""`tracker history`: the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import app
from tracker.cli.options import MAX_ID, JsonFlag, ReadAs
from tracker.cli.output import _print_json, _table
from tracker.cli.session import _read, _reader
from tracker.lazy import lazy_module

if TYPE_CHECKING:
    from tracker import queries
else:  # imported when a command first uses it (start-up time is benchmarked)
    queries = lazy_module("tracker.queries")


@app.command()
def history(
    claim_id: Annotated[int | None, typer.Argument(
        min=1, max=MAX_ID, help="a claim (default: everything)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_ID, help="at most this many events")]
    = 50,
    as_user: ReadAs = None,
    as_json: JsonFlag = False,
) -> None:
    """The audit trail: who changed what, when (a dual-review entry shows only to its
    reviewer until both entries are in)."""
    with _read() as session:
        rows = queries.history(session, claim_id=claim_id, limit=limit,
                               reader=_reader(session, as_user))
    if as_json:
        _print_json(rows)
        return
    _table(["when", "who", "action", "what"],
           [(r.at.strftime("%Y-%m-%d %H:%M"), r.actor, r.action, r.summary) for r in rows],
           wrap=90)
