"""Dual review: two reviewers' blinded entries, adjudication, agreement."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.orm import Session

from tracker.cli.application import app
from tracker.cli.options import AsUser, DirectnessOpt, DocumentOpt, JsonFlag, ReadAs, _pairs
from tracker.cli.output import _entry_words, _plural, _print_json, _table
from tracker.cli.session import _read, _reader, _write
from tracker.errors import InvalidInput
from tracker.lazy import lazy_module
from tracker.vocabulary import AppraisalTool, Pools, Stance

if TYPE_CHECKING:
    from tracker import exports, queries
    from tracker.services import citations, dual
else:  # imported when a command first uses it (start-up time is benchmarked)
    citations = lazy_module("tracker.services.citations")
    dual = lazy_module("tracker.services.dual")
    exports = lazy_module("tracker.exports")
    queries = lazy_module("tracker.queries")


# --- dual review -----------------------------------------------------------------------------

dual_app = typer.Typer(no_args_is_help=True, help=(
    "Dual review: two reviewers enter stances, appraisals and directness independently; "
    "agreement becomes the record, an editor adjudicates the rest."))
app.add_typer(dual_app, name="dual")
def _document_id(session: Session, slug: str | None) -> int:
    return queries.resolve_document(session, slug).id


@dual_app.command("on")
def dual_on(document: DocumentOpt = None,
            reason: Annotated[str, typer.Option(help="why")] = "",
            as_user: AsUser = None) -> None:
    """Require dual review of a document's stances, appraisals and directness (editors)."""
    _require_dual_review(document, True, reason, as_user)


@dual_app.command("off")
def dual_off(document: DocumentOpt = None,
             reason: Annotated[str, typer.Option(help="why")] = "",
             as_user: AsUser = None) -> None:
    """Back to single review (editors); entries and waiting adjudications stay."""
    _require_dual_review(document, False, reason, as_user)


def _require_dual_review(document: str | None, required: bool, reason: str,
                         as_user: str | None) -> None:
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        changed = dual.require_dual_review(session, actor, doc.id, required, reason)
    typer.echo(f"{doc.slug}: {'dual review required' if required else 'single review'}"
               + ("" if changed else " (already)"))


@dual_app.command("assign")
def dual_assign(
    reviewers: Annotated[str, typer.Option(help="the pair: two usernames, comma-separated")],
    claim: Annotated[list[int] | None, typer.Option(help="a claim (repeat)")] = None,
    study: Annotated[list[str] | None, typer.Option(help="a study's key (repeat)")] = None,
    document: DocumentOpt = None,
    as_user: AsUser = None,
) -> None:
    """Assign claims (their links' stance and directness) and studies (their appraisal) to a
    pair of reviewers (editors)."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        ids = [citations.citation_by_key(session, key).id for key in study or []]
        changed = dual.assign(session, actor, doc.id, [r for r in reviewers.split(",") if r],
                              claim_ids=claim or [], citation_ids=ids)
    typer.echo(f"{_plural(changed, 'assignment')} made")


@dual_app.command("propose")
def dual_propose(claim_id: int, citation_key: str,
                 reason: Annotated[str, typer.Option(help="why it bears on the claim")],
                 as_user: AsUser = None) -> None:
    """Propose a study for a claim under dual review; both reviewers then judge its stance."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        item = dual.propose_study(session, actor, claim_id, citation.id, reason)
    typer.echo(f"item #{item}: {citation_key} proposed for claim #{claim_id}")


def _print_entry(result: dual.EntryResult, as_json: bool) -> None:
    if as_json:
        _print_json(result)
    else:
        typer.echo(f"item #{result.item_id} ({result.what}): {result.outcome}")


@dual_app.command("stance")
def dual_stance(
    claim_id: int, citation_key: str,
    stance: Annotated[Stance, typer.Option(help="supports, contradicts, mixed, background")],
    reason: Annotated[str, typer.Option(help="one line: a quote or a locator")],
    locator: Annotated[str, typer.Option(help="page, table, figure")] = "",
    as_user: AsUser = None, as_json: JsonFlag = False,
) -> None:
    """Enter a study's stance on a claim, independently (reviewers)."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        result = dual.enter_stance(session, actor, claim_id, citation.id, stance, reason,
                                   locator=locator)
    _print_entry(result, as_json)


@dual_app.command("appraise")
def dual_appraise(
    citation_key: str,
    tool: Annotated[AppraisalTool, typer.Option(help="the tool the design calls for")],
    domain: Annotated[list[str] | None, typer.Option(
        metavar="DOMAIN=JUDGEMENT:REASON", help="one per domain or item")] = None,
    pools: Annotated[Pools | None, typer.Option(help="reviews: the designs pooled")] = None,
    escalate: Annotated[bool, typer.Option("--escalate", help="RoB 2 only")] = False,
    note: Annotated[str, typer.Option(help="what was read")] = "",
    as_user: AsUser = None, as_json: JsonFlag = False,
) -> None:
    """Enter a study's appraisal, independently (reviewers)."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        result = dual.enter_appraisal(session, actor, citation.id, tool,
                                      _pairs(domain, "--domain"), pools=pools,
                                      escalate=escalate, note=note)
    _print_entry(result, as_json)


@dual_app.command("directness")
def dual_directness(claim_id: int, citation_key: str, directness: DirectnessOpt = None,
                    as_user: AsUser = None, as_json: JsonFlag = False) -> None:
    """Enter a link's directness on every element, independently (reviewers)."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        result = dual.enter_directness(session, actor, claim_id, citation.id,
                                       _pairs(directness, "--directness"))
    _print_entry(result, as_json)


@dual_app.command("queue")
def dual_queue_cmd(document: DocumentOpt = None, as_user: ReadAs = None,
                   as_json: JsonFlag = False) -> None:
    """Your queue: the judgements assigned to you, with your entries (and the other
    reviewer's only once both are in)."""
    with _read() as session:
        reader = _reader(session, as_user)
        if reader is None:
            raise InvalidInput("name the reviewer with --as USER or TRACKER_USER")
        rows = queries.dual_queue(session, _document_id(session, document), reader)
    if as_json:
        _print_json(rows)
        return
    _table(["kind", "claim", "study", "with", "item", "where you stand"],
           [(r.kind, r.claim_id or "", r.citation_key, r.partner, r.item_id or "", r.standing)
            for r in rows])


@dual_app.command("items")
def dual_items_cmd(
    document: DocumentOpt = None,
    state: Annotated[list[str] | None, typer.Option(
        help="open, agreed, awaiting-adjudication, adjudicated (repeat)")] = None,
    as_user: ReadAs = None, as_json: JsonFlag = False,
) -> None:
    """Judgements under dual review, with the entries you may see (both, once both are in)."""
    with _read() as session:
        rows = queries.dual_items(session, _document_id(session, document),
                                  reader=_reader(session, as_user), states=state)
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        where = f"claim #{r.claim_id} · " if r.claim_id else ""
        typer.echo(f"item #{r.id} {r.kind} {where}{r.citation_key} [{r.state}]"
                   + (f" decided: {r.decision} by {r.decided_by or 'both'}" if r.decision
                      else ""))
        for e in r.entries:
            typer.echo(f"    {e.reviewer}: {_entry_words(r.kind, e.payload)}")


@dual_app.command("decide")
def dual_decide(
    item_id: int,
    choose: Annotated[str, typer.Option(help="first, second (or that reviewer's username), "
                                             "or own")],
    reason: Annotated[str, typer.Option(help="why (required)")],
    stance: Annotated[Stance | None, typer.Option(help="own: the stance")] = None,
    stance_reason: Annotated[str, typer.Option(help="own: the stance's one-line reason")]
    = "",
    tool: Annotated[AppraisalTool | None, typer.Option(help="own: the appraisal's tool")]
    = None,
    domain: Annotated[list[str] | None, typer.Option(
        metavar="DOMAIN=JUDGEMENT:REASON", help="own: the appraisal's domains")] = None,
    pools: Annotated[Pools | None, typer.Option(help="own: a review's pooled designs")] = None,
    directness: DirectnessOpt = None,
    version: Annotated[int | None, typer.Option(help="fail if the item changed since")] = None,
    as_user: AsUser = None, as_json: JsonFlag = False,
) -> None:
    """Adjudicate a judgement the two reviewers differ on (editors)."""
    own: dict[str, Any] | None = None
    if stance is not None:
        own = {"stance": stance.value, "reason": stance_reason or reason}
    elif tool is not None:
        own = {"tool": tool.value, "pools": pools.value if pools else None,
               "domains": {k: list(v) for k, v in _pairs(domain, "--domain").items()}}
    elif directness:
        own = {"directness": {k: list(v) for k, v in _pairs(directness, "--directness")
                              .items()}}
    with _write(as_user) as (session, actor):
        result = dual.adjudicate(session, actor, item_id, choose, reason, own=own,
                                 expected_version=version)
    _print_entry(result, as_json)


class AgreementFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"


@dual_app.command("agreement")
def dual_agreement(
    document: DocumentOpt = None,
    every: Annotated[bool, typer.Option("--all", help="every document together")] = False,
    fmt: Annotated[AgreementFormat, typer.Option("--format", help="text, json or csv")]
    = AgreementFormat.TEXT,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write to a file")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Agreement of the reviewers: percentage and Cohen's kappa (95 % CI) per judgement,
    weighted kappa on ordered scales, for all pairs and each pair."""
    with _read() as session:
        doc = None if every else queries.resolve_document(session, document)
        rows = queries.agreement(session, doc.id if doc else None)
    fmt = AgreementFormat.JSON if as_json else fmt
    if fmt is AgreementFormat.TEXT:
        text = _agreement_text(rows)
    elif fmt is AgreementFormat.CSV:
        text = exports.agreement_csv(rows)
    else:
        text = exports.agreement_json(rows, doc.slug if doc else None)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
    else:
        typer.echo(text, nl=False)


def _agreement_text(rows: Sequence[queries.AgreementRow]) -> str:
    def kappa(value: float | None, low: float | None, high: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:.2f} ({low:.2f} to {high:.2f})" if low is not None and high is not None \
            else f"{value:.2f}"

    if not rows:
        return "no judgement has both reviewers' entries yet\n"
    lines = []
    widths = (13, 34, 6, 8, 22, 22, 22)
    header = ("pair", "judgement", "n", "agree %", "kappa (95 % CI)", "linear", "quadratic")
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for r in rows:
        cells = (r.pair or "all pairs", r.measure, str(r.n),
                 "—" if r.percent is None else f"{r.percent:.1f}",
                 kappa(r.kappa, r.kappa_ci_low, r.kappa_ci_high),
                 kappa(r.linear, r.linear_ci_low, r.linear_ci_high),
                 kappa(r.quadratic, r.quadratic_ci_low, r.quadratic_ci_high))
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
                     + (f"  ({r.note})" if r.note else ""))
    return "\n".join(lines) + "\n"
