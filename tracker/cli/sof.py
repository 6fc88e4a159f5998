"""The summary of findings."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import app
from tracker.cli.options import ClaimOpt, DocumentOpt, JsonFlag
from tracker.cli.output import _print_json
from tracker.cli.session import _read
from tracker.lazy import lazy_module

if TYPE_CHECKING:
    from tracker import queries, sof
else:  # imported when a command first uses it (start-up time is benchmarked)
    queries = lazy_module("tracker.queries")
    sof = lazy_module("tracker.sof")


# --- summary of findings -----------------------------------------------------------------------


class SofFormat(StrEnum):
    TEXT = "text"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"


@app.command("sof")
def sof_cmd(
    document: DocumentOpt = None,
    claim: ClaimOpt = None,
    fmt: Annotated[SofFormat, typer.Option("--format", help="text, csv, markdown or html "
                                                            "(prints on A4)")] = SofFormat.TEXT,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Summary of findings per effect claim: PICO, studies, participants, effects, certainty
    with a reason per GRADE domain, and the wording the evidence supports."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.summary_of_findings(session, doc.id, claim_id=claim)
        title = doc.title
    if as_json:
        _print_json(rows)
        return
    if fmt is SofFormat.TEXT:
        text = "".join(
            f"#{r.claim_id} {r.sentence}\n  P: {r.population}  I: {r.intervention}  "
            f"C: {r.comparator}  O: {r.outcome}\n  {r.studies} studies ({r.designs}); "
            f"certainty {r.certainty or 'not rated'}"
            + "".join(f"\n    - {n}" for n in r.footnotes)
            + (f"\n  the evidence supports: {r.allowed_wording}"
               if r.wording_verdict == "overstated" else "") + "\n" for r in rows)
    else:
        text = (sof.to_csv(rows) if fmt is SofFormat.CSV
                else sof.to_markdown(rows, title) if fmt is SofFormat.MARKDOWN
                else sof.to_html(rows, title))
    if output is not None:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
        return
    typer.echo(text, nl=False)
