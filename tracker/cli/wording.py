"""The wording against its evidence (GRADE guideline 26)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import app
from tracker.cli.options import AsUser, ClaimId, DocumentOpt, JsonFlag
from tracker.cli.output import _print_json, _table
from tracker.cli.session import _read, _write
from tracker.lazy import lazy_module
from tracker.vocabulary import WordingDecisionKind, WordingVerdict

if TYPE_CHECKING:
    from tracker import queries
    from tracker.services import wording
else:  # imported when a command first uses it (start-up time is benchmarked)
    queries = lazy_module("tracker.queries")
    wording = lazy_module("tracker.services.wording")


# --- the wording against its evidence (GRADE guideline 26) -----------------------------------

wording_app = typer.Typer(rich_markup_mode=None, invoke_without_command=True,
                          help="The article's wording against the certainty of its evidence "
                               "(GRADE guideline 26): over-statements proposed as flags.")
app.add_typer(wording_app, name="wording")
VerdictOpt = Annotated[WordingVerdict | None, typer.Option(
    "--verdict", help="overstated, matches, understated or 'not compared'")]


@wording_app.callback()
def wording_cmd(
    ctx: typer.Context,
    document: DocumentOpt = None,
    verdict: VerdictOpt = None,
    proposals: Annotated[bool, typer.Option(
        "--proposals", help="only over-statements waiting for an editor")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Each claim's wording (categorical, probable, possible, uncertain) against what its
    evidence allows, with the rewording GRADE 26 gives."""
    if ctx.invoked_subcommand is not None:
        return
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.wording_check(session, doc.id)
    if verdict is not None:
        rows = [r for r in rows if r.verdict == verdict.value]
    if proposals:
        rows = [r for r in rows if r.proposal == "open"]
    if as_json:
        _print_json(rows)
        return
    _table(["id", "says", "allows", "verdict", "proposal", "sentence → allowed wording"],
           [(r.claim_id, r.strength, r.allowed_strength or "—", r.verdict, r.proposal or "",
             r.text if not r.suggestion else f"{r.text} → {r.suggestion}") for r in rows],
           wrap=110)


@wording_app.command("accept")
def wording_accept(
    claim_id: ClaimId,
    reason: Annotated[str, typer.Option(help="a note for the flag (optional)")] = "",
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Accept the proposed overstated flag of a claim: the flag is raised (editors)."""
    info = _decide(claim_id, WordingDecisionKind.ACCEPTED, reason, as_user, as_json)
    if info is not None:
        typer.echo(f"claim #{claim_id}: overstated flag #{info.flag_id}; allowed wording: "
                   f"{info.suggestion}")


@wording_app.command("dismiss")
def wording_dismiss(
    claim_id: ClaimId,
    reason: Annotated[str, typer.Option(help="why the wording stands")],
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Dismiss the proposed overstated flag of a claim, with a reason (editors)."""
    if _decide(claim_id, WordingDecisionKind.DISMISSED, reason, as_user, as_json) is not None:
        typer.echo(f"claim #{claim_id}: proposal dismissed")


def _decide(claim_id: int, kind: WordingDecisionKind, reason: str, as_user: str | None,
            as_json: bool) -> wording.WordingDecisionInfo | None:
    """Record the decision; the result to print, or None once printed as JSON."""
    with _write(as_user) as (session, actor):
        info = wording.decide_wording(session, actor, claim_id, kind, reason)
    if as_json:
        _print_json(info)
        return None
    return info
