"""The article scorecard and its ClaimReview markup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import app
from tracker.cli.options import AsUser, DocumentOpt, JsonFlag, VersionOpt
from tracker.cli.output import _print_json, _table
from tracker.cli.session import _read, _write
from tracker.config import load_settings
from tracker.errors import InvalidInput
from tracker.lazy import lazy_module
from tracker.vocabulary import Instrument

if TYPE_CHECKING:
    from tracker import queries
    from tracker import scorecard as scorecards
    from tracker.services import scorecard as scorecard_service
else:  # imported when a command first uses it (start-up time is benchmarked)
    queries = lazy_module("tracker.queries")
    scorecard_service = lazy_module("tracker.services.scorecard")
    scorecards = lazy_module("tracker.scorecard")


# --- the article scorecard -------------------------------------------------------------------

scorecard_app = typer.Typer(
    invoke_without_command=True, rich_markup_mode=None,
    help="The article scorecard: HealthNewsReview's ten criteria and DISCERN's sixteen "
         "questions, proposed by rules where the tracker's data allow and rated by editors.")
app.add_typer(scorecard_app, name="scorecard")
InstrumentArg = Annotated[Instrument, typer.Argument(help="hnr or discern")]
CriterionArg = Annotated[str, typer.Argument(help="the criterion's key or number, e.g. costs, 8")]
ReasonOpt = Annotated[str, typer.Option(help="why (required)")]


@scorecard_app.callback()
def scorecard_cmd(
    ctx: typer.Context,
    document: DocumentOpt = None,
    desk: Annotated[bool, typer.Option(
        "--desk", help="across documents: which criteria fail most often")] = False,
    as_json: JsonFlag = False,
) -> None:
    """A document's scorecard: each criterion with its rating, who rated it and why."""
    if ctx.invoked_subcommand is not None:
        return
    with _read() as session:
        if desk:
            tally = queries.scorecard_tally(session)
        else:
            doc = queries.resolve_document(session, document)
            card = queries.scorecard(session, doc.id)
    if desk:
        if as_json:
            _print_json(tally)
            return
        _table(["criterion", "failed", "rated", "unrated", "by editors", "question"],
               [(f"{t.label} {t.key}", t.failed, t.rated, t.unrated, t.by_editors,
                 t.question) for t in tally], wrap=60)
        return
    if as_json:
        _print_json(card.as_dict())
        return
    typer.echo(scorecard_text(card))


def scorecard_text(card: scorecards.Scorecard) -> str:
    """The scorecard as the terminal shows it: one line per criterion, then its reason."""
    lines = [f"{card.slug}: scorecard (ratings by rules are proposals; an editor confirms or "
             "overrides each)"]
    for instrument in Instrument:
        lines.append("")
        for item in card.of(instrument):
            rating = item.rating or "—"
            who = f" [{item.rated_by}]" if item.rated_by else " [unrated]"
            lines.append(f"{item.criterion.label:<10} {item.criterion.key:<18} {rating:<16}"
                         f"{who}")
            lines.append(f"{'':<11}{item.reason}")
            if item.overridden and item.proposal.rating:
                lines.append(f"{'':<11}(rules propose {item.proposal.rating}: "
                             f"{item.proposal.reason})")
    lines.append("")
    lines.append("red-flag language: " + ("none" if not card.red_flags else ""))
    lines += [f"  {f.term}: {f.sentence}" for f in card.red_flags]
    return "\n".join(lines)


@scorecard_app.command("rate")
def scorecard_rate(
    instrument: InstrumentArg, key: CriterionArg,
    rating: Annotated[str, typer.Argument(
        help="hnr: satisfactory, not-satisfactory, not-applicable; discern: 1-5")],
    reason: ReasonOpt, document: DocumentOpt = None, version: VersionOpt = None,
    as_user: AsUser = None,
) -> None:
    """Rate one criterion (editors): confirm the rules' proposal or override it."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        info = scorecard_service.rate_criterion(session, actor, doc.id, instrument, key,
                                                rating, reason, expected_version=version)
    said = f"the rules' {info.proposed}" if info.proposed else "no proposal"
    typer.echo(f"{info.instrument} {info.criterion}: {info.rating} ({info.decision} {said})")


@scorecard_app.command("clear")
def scorecard_clear(instrument: InstrumentArg, key: CriterionArg, reason: ReasonOpt,
                    document: DocumentOpt = None, as_user: AsUser = None) -> None:
    """Clear an editor's rating, so the rules' proposal stands again (editors)."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        scorecard_service.clear_rating(session, actor, doc.id, instrument, key, reason)
    typer.echo(f"{instrument.value} {key}: editor's rating cleared")


@app.command("claimreview")
def claimreview_cmd(
    document: DocumentOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default stdout)")]
    = None,
) -> None:
    """schema.org ClaimReview JSON-LD for each reviewed claim, authored by the organisation
    TRACKER_ORGANISATION and TRACKER_ORGANISATION_URL name."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        markup = queries.claim_reviews(session, doc.id, load_settings())
    text = json.dumps(markup, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{output}: cannot write it ({exc.strerror or exc})") from None
    typer.echo(f"wrote {len(markup)} ClaimReview(s) to {output}", err=True)
