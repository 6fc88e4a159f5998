"""Evidence: links and their judgements, appraisals, body judgements, searches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import app
from tracker.cli.options import (
    AsUser,
    ClaimId,
    JsonFlag,
    LinkId,
    LinkJudgements,
    VersionOpt,
    _pairs,
    judging_a_link,
)
from tracker.cli.output import _print_json
from tracker.cli.session import _write
from tracker.errors import InvalidInput
from tracker.lazy import lazy_module
from tracker.vocabulary import AppraisalTool, BodyDomain, Pools, Stance

if TYPE_CHECKING:
    from tracker import queries
    from tracker.services import appraisals, citations, evidence
else:  # imported when a command first uses it (start-up time is benchmarked)
    appraisals = lazy_module("tracker.services.appraisals")
    citations = lazy_module("tracker.services.citations")
    evidence = lazy_module("tracker.services.evidence")
    queries = lazy_module("tracker.queries")


@app.command()
@judging_a_link
def link(
    claim_id: ClaimId,
    citation_key: str,
    stance: Annotated[Stance, typer.Option(help="supports, contradicts, mixed, background")],
    locator: Annotated[str, typer.Option(help="page, table, figure")] = "",
    note: Annotated[str, typer.Option(help="short quote or summary")] = "",
    *,
    judged: LinkJudgements,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Link a citation to a claim as evidence (reviewers), optionally with the link's
    directness and the study's effect."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        info = evidence.link_evidence(session, actor, claim_id, citation.id, stance,
                                      locator=locator, note=note,
                                      judgements=evidence.parse_judgements(
                                          judged.judgements).onto(),
                                      directness=judged.directness, effect=judged.effect)
        row = queries.claim(session, claim_id)
    if as_json:
        _print_json({"link": info, "claim": row})
    else:
        typer.echo(f"link #{info.id}: {citation_key} {info.stance} claim #{claim_id}")
        typer.echo(row.explanation)


@app.command()
@judging_a_link
def judge(
    link_id: LinkId,
    *,
    judged: LinkJudgements,
    stance: Annotated[Stance | None, typer.Option(help="change the stance")] = None,
    locator: Annotated[str | None, typer.Option(help="change the locator")] = None,
    note: Annotated[str | None, typer.Option(help="change the note")] = None,
    version: VersionOpt = None,
    as_user: AsUser = None,
) -> None:
    """Record a link's concerns, directness or effect, or edit its stance, locator or note."""
    with _write(as_user) as (session, actor):
        info = evidence.update_link(session, actor, link_id, expected_version=version,
                                    stance=stance, locator=locator, note=note,
                                    judgements=evidence.parse_judgements(judged.judgements),
                                    directness=judged.directness, effect=judged.effect)
        row = queries.claim(session, info.claim_id)
    typer.echo(f"link #{info.id} (version {info.version}): {row.explanation}")


@app.command()
def unlink(link_id: LinkId, version: VersionOpt = None,
           as_user: AsUser = None) -> None:
    """Remove an evidence link (reviewers)."""
    with _write(as_user) as (session, actor):
        evidence.unlink(session, actor, link_id, expected_version=version)
    typer.echo(f"link #{link_id} removed")


@app.command()
def appraise(
    citation_key: str,
    tool: Annotated[AppraisalTool | None, typer.Option(
        help="the tool the design calls for: rob2 (RCT), robins-i (cohort, case-control), "
             "amstar2 (reviews), jbi-case-series, jbi-case-report")] = None,
    domain: Annotated[list[str] | None, typer.Option(
        metavar="DOMAIN=JUDGEMENT:REASON",
        help="one per domain or item, e.g. D1=low:'abstract: computer-generated sequence' "
             "(RoB 2 D1-D5, ROBINS-I D1-D7, AMSTAR 2 1-16, JBI 1-10 or 1-8)")] = None,
    pools: Annotated[Pools | None, typer.Option(help="reviews: the designs pooled")] = None,
    escalate: Annotated[bool, typer.Option(
        "--escalate", help="RoB 2: judge several 'some concerns' domains as high")] = False,
    note: Annotated[str, typer.Option(help="what was read (abstract, full text)")] = "",
    clear: Annotated[bool, typer.Option("--clear", help="remove the appraisal")] = False,
    version: Annotated[int | None, typer.Option(help="fail if it changed since")] = None,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Appraise a study's risk of bias with the tool its design calls for (reviewers); the
    overall judgement follows the tool's own algorithm."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        if clear:
            removed = appraisals.clear_appraisal(session, actor, citation.id)
            typer.echo(f"{citation_key}: appraisal removed" if removed
                       else f"{citation_key} has no appraisal")
            return
        if tool is None:
            raise InvalidInput("name the tool with --tool (or --clear)")
        info = appraisals.appraise(session, actor, citation.id, tool,
                                   _pairs(domain, "--domain"), pools=pools, escalate=escalate,
                                   note=note, expected_version=version)
    if as_json:
        _print_json(info)
        return
    typer.echo(f"{info.citation_key}: {info.tool} overall {info.overall}"
               + (f" (pools {info.pools})" if info.pools else ""))
    for ident, judgement, reason in info.domains:
        typer.echo(f"  {ident:<3} {judgement:<14} {reason}")


@app.command()
def body(
    claim_id: int,
    domain: Annotated[BodyDomain, typer.Argument(help="the GRADE domain of the whole body")],
    value: Annotated[str | None, typer.Argument(
        help="none, serious, very-serious (rating down); none, large, very-large (large "
             "effect); none, present (dose-response, plausible confounding)")] = None,
    reason: Annotated[str, typer.Option(help="why (required)")] = "",
    clear: Annotated[bool, typer.Option("--clear", help="back to the rules' proposal")]
    = False,
    as_user: AsUser = None,
) -> None:
    """Judge one GRADE domain of a claim's whole body of evidence (reviewers)."""
    with _write(as_user) as (session, actor):
        if clear:
            appraisals.clear_body_judgement(session, actor, claim_id, domain)
        elif value is None:
            raise InvalidInput("give the judgement (e.g. serious) or --clear")
        else:
            appraisals.judge_body(session, actor, claim_id, domain, value, reason)
        row = queries.claim(session, claim_id)
    typer.echo(row.explanation)


@app.command()
def searched(
    claim_id: int,
    where: Annotated[str, typer.Option(help="where you looked, with the query")],
    note: Annotated[str, typer.Option(help="what you found")] = "",
    as_user: AsUser = None,
) -> None:
    """Record that you looked for evidence on a claim (reviewers): with nothing that bears on
    it, the claim reads "no evidence found" and when."""
    with _write(as_user) as (session, actor):
        appraisals.record_search(session, actor, claim_id, where, note)
        row = queries.claim(session, claim_id)
    typer.echo(row.explanation)
