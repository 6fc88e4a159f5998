"""Claims: the list, one claim (show, override, track, sign-off, split), suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import _commands, app
from tracker.cli.options import AsUser, ClaimId, DocumentOpt, JsonFlag, ReadAs
from tracker.cli.output import _entry_words, _print_json, _table
from tracker.cli.session import _read, _reader, _write
from tracker.errors import InvalidInput
from tracker.lazy import lazy_module
from tracker.vocabulary import ClaimCategory, ClaimTrack, StudyDesign

if TYPE_CHECKING:
    from tracker import queries
    from tracker.services import appraisals, evidence
else:  # imported when a command first uses it (start-up time is benchmarked)
    appraisals = lazy_module("tracker.services.appraisals")
    evidence = lazy_module("tracker.services.evidence")
    queries = lazy_module("tracker.queries")


@app.command("claims")
def claims_cmd(
    document: DocumentOpt = None,
    section: Annotated[str | None, typer.Option(help="heading title, with subsections")] = None,
    category: Annotated[ClaimCategory | None, typer.Option(help="claim category")] = None,
    retired: Annotated[bool, typer.Option("--retired", help="include retired claims")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List claims, filtered by section or category."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.claims(session, queries.ClaimFilter(
            document_id=doc.id, section=section, category=category.value if category else None,
            include_retired=retired))
    if as_json:
        _print_json(rows)
        return
    _table(["id", "category", "section", "text"],
           [(r.id, r.category, " › ".join(r.section[-1:]) or "(introduction)", r.text)
            for r in rows], wrap=90)


claim_app = _commands("One claim.")
app.add_typer(claim_app, name="claim")


@claim_app.command("show")
def claim_show(claim_id: ClaimId, as_user: ReadAs = None, as_json: JsonFlag = False) -> None:
    """Everything about one claim: grade, evidence, flags, parts, restatements, history."""
    with _read() as session:
        detail = queries.claim_detail(session, claim_id, reader=_reader(session, as_user))
    if as_json:
        _print_json(detail)
        return
    row = detail.claim
    typer.echo(f"#{row.id} [{row.category}] {' › '.join(row.section) or '(introduction)'}")
    typer.echo(row.text)
    typer.echo(f"track: {row.track} ({detail.track_source}: {detail.track_reason})")
    for item in detail.list_items:
        typer.echo(f"  • {item}")
    typer.echo(f"status: {row.explanation}")
    typer.echo(f"needs: {detail.requirement}")
    for cited in detail.cited:
        library = f" (in the library as {cited.in_library})" if cited.in_library else ""
        typer.echo(f"  cited by the article: {cited.kind} {cited.identifier}{library}"
                   + (f" “{cited.link_text}”" if cited.link_text and cited.kind != "phrase"
                      else ""))
    for part in detail.parts:
        typer.echo(f"  part #{part.id} {part.text!r}: {part.explanation}")
    if detail.restates:
        typer.echo(f"restates #{detail.restates.id}: {detail.restates.text[:80]}")
    for e in detail.evidence:
        appraisal = detail.appraisals.get(e.citation_key)
        typer.echo(f"  link #{e.link_id} {e.stance:<11} {e.citation_key} ({e.design}"
                   f"{'' if e.verified else ', unverified'}"
                   + (f"; {appraisal.tool} {appraisal.overall}" if appraisal else "")
                   + f") {e.note[:60]}")
        if e.directness:
            typer.echo("      directness: " + "; ".join(
                f"{k} {j}" for k, (j, _) in sorted(e.directness.items())))
        if any(v is not None for v in e.effect.values()):
            typer.echo("      effect: " + ", ".join(
                f"{k} {v}" for k, v in e.effect.items() if v is not None))
    for b in detail.body:
        typer.echo(f"  body {b.domain}: {b.value} ({b.reason}) — {b.judged_by}")
    for search in detail.searches:
        typer.echo(f"  searched {search.searched_at:%Y-%m-%d} by {search.searched_by}: "
                   f"{search.sources}{' — ' + search.note if search.note else ''}")
    for f in detail.flags:
        typer.echo(f"  flag #{f.id} {f.kind} [{f.state}] {f.reason[:70]}")
    for waiting in detail.dual:
        typer.echo(f"  dual review #{waiting.id} {waiting.kind} {waiting.citation_key} "
                   f"[{waiting.state}]"
                   + "".join(f"; {e.reviewer}: {_entry_words(waiting.kind, e.payload)}"
                             for e in waiting.entries))


@app.command("suggest")
def suggest(
    claim_id: int,
    limit: Annotated[int, typer.Option(help="at most this many studies")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Studies of the library likely to bear on a claim, best first, with the sentences of
    their abstracts that match it. Suggestions are not evidence: a reviewer reads the study
    and links it with `tracker link`."""
    with _read() as session:
        found = queries.suggestions(session, claim_id, limit=limit)
    if as_json:
        _print_json(found)
        return
    typer.echo(f"#{found.claim_id} {found.claim_text}")
    typer.echo(f"looked for: {'; '.join(found.terms) or '(no words to look for)'}")
    typer.echo(f"note: {found.note}")
    if not found.suggestions:
        typer.echo("no study of the library mentions these words")
    for s in found.suggestions:
        linked = f"  [linked: {s.stance}]" if s.linked else ""
        marks = "".join(m for m, on in ((" unverified", not s.verified),
                                        (" RETRACTED", s.retracted)) if on)
        typer.echo(f"{s.rank:>3}. {s.key} ({s.year or 'n.d.'}, {s.design or 'design unknown'}"
                   f"{marks}) score {s.score:.2f}{linked}")
        typer.echo(f"     {s.title}")
        typer.echo(f"     matched: {', '.join(s.matched_terms)}")
        for sentence in s.sentences:
            typer.echo(f"     > {_highlighted(sentence.text, sentence.highlights)}")


def _highlighted(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with the matched words in bold (on a terminal; plain text elsewhere)."""
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        out += [text[at:start], typer.style(text[start:end], bold=True)]
        at = end
    return "".join(out + [text[at:]])


@claim_app.command("override")
def claim_override(
    claim_id: ClaimId,
    min_count: Annotated[int, typer.Option(min=0, max=1000, help="supporting items needed")],
    design: Annotated[list[StudyDesign], typer.Option(help="qualifying designs (repeat)")],
    reason: Annotated[str, typer.Option(help="why the rules' requirement is wrong here")],
    as_user: AsUser = None,
) -> None:
    """Override what a claim needs (editors)."""
    with _write(as_user) as (session, actor):
        described = evidence.override_requirement(session, actor, claim_id, min_count, design,
                                                  reason)
        row = queries.claim(session, claim_id)
    typer.echo(f"claim #{claim_id} needs {described}: {row.explanation}")


@claim_app.command("track")
def claim_track(
    claim_id: int,
    track: Annotated[str, typer.Argument(
        help="effect (GRADE certainty), descriptive (established / plausible / not "
             "established) or rule (back to the rules' proposal)")],
    reason: Annotated[str, typer.Option(help="why")] = "",
    as_user: AsUser = None,
) -> None:
    """Choose how a claim is graded (reviewers)."""
    try:
        chosen = None if track == "rule" else ClaimTrack(track)
    except ValueError:
        raise InvalidInput(f"track {track!r} is not one of effect, descriptive, rule") from None
    with _write(as_user) as (session, actor):
        appraisals.set_track(session, actor, claim_id, chosen, reason)
        row = queries.claim(session, claim_id)
    typer.echo(f"claim #{claim_id} is graded as {row.track}: {row.explanation}")


@claim_app.command("sign-off")
def claim_sign_off(claim_id: ClaimId, as_user: AsUser = None) -> None:
    """Sign a claim off at its current status (editors)."""
    with _write(as_user) as (session, actor):
        status = evidence.sign_off(session, actor, claim_id)
    typer.echo(f"claim #{claim_id} signed off as {status}")


@claim_app.command("split")
def claim_split(
    claim_id: ClaimId,
    part: Annotated[list[str], typer.Option(help="a verbatim fragment (repeat)")],
    reason: Annotated[str, typer.Option(help="why")],
    as_user: AsUser = None,
) -> None:
    """Split a compound sentence into parts graded on their own (editors)."""
    with _write(as_user) as (session, actor):
        ids = evidence.split_claim(session, actor, claim_id, part, reason)
    typer.echo(f"claim #{claim_id} parts: {', '.join(f'#{i}' for i in ids)}")
