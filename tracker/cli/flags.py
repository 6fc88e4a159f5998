"""Flags and the editorial queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import app
from tracker.cli.options import MAX_ID, AsUser, DocumentOpt, FlagId, JsonFlag
from tracker.cli.output import _count, _print_json, _table
from tracker.cli.session import _read, _write
from tracker.lazy import lazy_module
from tracker.vocabulary import FlagKind, FlagState

if TYPE_CHECKING:
    from tracker import queries
    from tracker.services import flags
else:  # imported when a command first uses it (start-up time is benchmarked)
    flags = lazy_module("tracker.services.flags")
    queries = lazy_module("tracker.queries")


@app.command()
def flag(
    claim_ids: Annotated[list[int], typer.Argument(min=1, max=MAX_ID,
                                                   help="one or more claim ids")],
    kind: Annotated[FlagKind, typer.Option(help="unsupported, overstated, contested, …")],
    reason: Annotated[str, typer.Option(help="why")],
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Flag one or many claims (editors)."""
    with _write(as_user) as (session, actor):
        raised = flags.raise_flags(session, actor, claim_ids, kind, reason)
    if as_json:
        _print_json(raised)
        return
    for f in raised:
        typer.echo(f"flag #{f.id}: {f.kind} on claim #{f.claim_id}")


@app.command()
def resolve(
    flag_id: FlagId,
    reason: Annotated[str, typer.Option(help="what was done, or why it is not a problem")],
    dismiss: Annotated[bool, typer.Option("--dismiss", help="dismiss instead of resolve")]
    = False,
    as_user: AsUser = None,
) -> None:
    """Resolve (or --dismiss) an open flag (editors)."""
    state = FlagState.DISMISSED if dismiss else FlagState.RESOLVED
    with _write(as_user) as (session, actor):
        info = flags.close_flag(session, actor, flag_id, state, reason)
    typer.echo(f"flag #{info.id} {info.state}")


@app.command("flags")
def flags_cmd(
    document: DocumentOpt = None,
    state: Annotated[FlagState | None, typer.Option(help="open, resolved, dismissed")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Flags with the evidence linked since each was raised."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.flags(session, queries.FlagFilter(
            document_id=doc.id, state=state.value if state else None))
    if as_json:
        _print_json(rows)
        return
    _table(["id", "claim", "kind", "state", "new evidence", "reason"],
           [(r.id, r.claim_id, r.kind, r.state, r.new_evidence, r.reason) for r in rows],
           wrap=70)


@app.command()
def queue(document: DocumentOpt = None, as_json: JsonFlag = False) -> None:
    """The editorial queue: unsupported, insufficient or contested claims without an open flag."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.queue(session, doc.id)
        proposals = len(queries.wording_proposals(session, doc.id))
        prompts = len(queries.indirectness_prompts(session, doc.id))
    if as_json:
        _print_json(rows)
        return
    _table(["id", "status", "explanation"], [(r.id, r.status, r.explanation) for r in rows],
           wrap=100)
    typer.echo(f"also: {_count(proposals, 'overstated wording proposal')} (`tracker wording "
               f"--proposals`), {_count(prompts, 'link')} whose directness is due "
               "(`tracker tags prompts`)")
