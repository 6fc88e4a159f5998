"""`tracker export`: the library and a document's claims in other formats."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import app
from tracker.cli.options import DocumentOpt
from tracker.cli.session import _read
from tracker.errors import InvalidInput
from tracker.lazy import lazy_module

if TYPE_CHECKING:
    from tracker import exports
else:  # imported when a command first uses it (start-up time is benchmarked)
    exports = lazy_module("tracker.exports")


class ExportFormat(StrEnum):
    BIBTEX = "bibtex"
    RIS = "ris"
    CSL_JSON = "csl-json"
    CSV = "csv"
    JSON = "json"
    REPORT = "report"
    ANNOTATIONS = "annotations"
    CITO = "cito"
    FHIR = "fhir"


@app.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Argument(
        help="the library: bibtex, ris, csl-json, csv, json; a document's claims: report, "
             "annotations (W3C Web Annotation), cito (Turtle), fhir (R5 Evidence)")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default stdout)")]
    = None,
    document: DocumentOpt = None,
    only_document: Annotated[bool, typer.Option(
        "--linked", help="only citations linked to the document")] = False,
) -> None:
    """Export the library (BibTeX, RIS, CSL-JSON, CSV, JSON with evidence links), or a
    document's claims: an annotated report, W3C Web Annotations, CiTO or FHIR Evidence."""
    with _read() as session:
        text = exports.export(session, fmt.value, document_slug=document,
                              linked_only=only_document)
    if output is None:
        typer.echo(text, nl=False)
        return
    if output.is_dir():
        raise InvalidInput(f"{output} is a directory; name the file to write")
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{output}: cannot write it ({exc.strerror or exc})") from None
    typer.echo(f"wrote {output}", err=True)
