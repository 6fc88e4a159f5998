"""PICO tags and indirectness prompts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import app
from tracker.cli.options import AsUser, ClaimOpt, DocumentOpt, JsonFlag
from tracker.cli.output import _print_json, _table
from tracker.cli.session import _read, _write
from tracker.errors import InvalidInput
from tracker.lazy import lazy_module
from tracker.vocabulary import PicoFacet, TagState

if TYPE_CHECKING:
    from tracker import queries
    from tracker.services import tags
else:  # imported when a command first uses it (start-up time is benchmarked)
    queries = lazy_module("tracker.queries")
    tags = lazy_module("tracker.services.tags")


# --- PICO tags and indirectness prompts --------------------------------------------------------

tags_app = typer.Typer(rich_markup_mode=None, invoke_without_command=True,
                       help="PICO tags of claims and citations (proposed by rules, with the "
                            "words that triggered them; confirmed or rejected by reviewers) "
                            "and the indirectness prompts they raise.")
app.add_typer(tags_app, name="tags")
CitationOpt = Annotated[str | None, typer.Option("--citation", help="a citation key")]
FacetOpt = Annotated[PicoFacet, typer.Option(help="condition, setting, route, regimen, "
                                                  "comparator, outcome or time")]


@tags_app.callback()
def tags_cmd(ctx: typer.Context, claim: ClaimOpt = None, citation: CitationOpt = None,
             as_json: JsonFlag = False) -> None:
    """The PICO tags of a claim (--claim) or a citation (--citation)."""
    if ctx.invoked_subcommand is not None:
        return
    if (claim is None) == (citation is None):
        raise InvalidInput("name one claim (--claim N) or one citation (--citation KEY)")
    with _read() as session:
        rows = (queries.claim_tags(session, claim) if claim is not None
                else queries.citation_tags(session, citation or ""))
    if as_json:
        _print_json(rows)
        return
    _table(["facet", "value", "state", "source", "because of"],
           [(r.facet, r.value, r.state, r.source, f'"{r.trigger}"' if r.trigger else r.reason)
            for r in rows], wrap=70)


def _decide_tag(claim: int | None, citation: str | None, facet: PicoFacet, value: str,
                state: TagState, reason: str, as_user: str | None) -> None:
    if (claim is None) == (citation is None):
        raise InvalidInput("name one claim (--claim N) or one citation (--citation KEY)")
    with _write(as_user) as (session, actor):
        done = (tags.decide_claim_tag(session, actor, claim, facet, value, state, reason)
                if claim is not None else
                tags.decide_citation_tag(session, actor, citation or "", facet, value, state,
                                         reason))
    typer.echo(f"{done.facet} {done.value!r}: {done.state} ({done.source})")


@tags_app.command("confirm")
def tags_confirm(value: Annotated[str, typer.Argument(help="the tag, e.g. 'CRPS'")],
                 facet: FacetOpt, claim: ClaimOpt = None, citation: CitationOpt = None,
                 reason: Annotated[str, typer.Option(help="why (optional)")] = "",
                 as_user: AsUser = None) -> None:
    """Confirm a proposed tag, or add one of your own (reviewers)."""
    _decide_tag(claim, citation, facet, value, TagState.CONFIRMED, reason, as_user)


@tags_app.command("reject")
def tags_reject(value: Annotated[str, typer.Argument(help="the tag, e.g. 'cancer pain'")],
                facet: FacetOpt, claim: ClaimOpt = None, citation: CitationOpt = None,
                reason: Annotated[str, typer.Option(help="why (optional)")] = "",
                as_user: AsUser = None) -> None:
    """Reject a tag a rule proposed (reviewers)."""
    _decide_tag(claim, citation, facet, value, TagState.REJECTED, reason, as_user)


@tags_app.command("prompts")
def tags_prompts(document: DocumentOpt = None,
                 judged: Annotated[bool, typer.Option(
                     "--judged", help="also the links whose directness was judged since")]
                 = False,
                 as_json: JsonFlag = False) -> None:
    """Links whose study and claim differ on a PICO element: directness not judged."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.indirectness_prompts(session, doc.id, include_judged=judged)
    if as_json:
        _print_json(rows)
        return
    _table(["link", "claim", "study", "element", "directness", "mismatch"],
           [(r.link_id, r.claim_id, r.citation_key, r.element, r.judgement or "not judged",
             r.mismatch) for r in rows], wrap=80)
