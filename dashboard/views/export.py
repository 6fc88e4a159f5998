"""Export: the citations as BibTeX, CSV or JSON (with claims, links and flags), and the
annotated Markdown report of the article."""

from collections.abc import Callable

import streamlit as st
from sqlalchemy import Engine

from dashboard import ui
from tracker import db, exports, queries

DOWNLOADS = (  # format, label, file extension, MIME type
    ("bibtex", "BibTeX", "bib", "application/x-bibtex"),
    ("ris", "RIS", "ris", "application/x-research-info-systems"),
    ("csl-json", "CSL-JSON", "csl.json", "application/vnd.citationstyles.csl+json"),
    ("csv", "CSV", "csv", "text/csv"),
    ("json", "JSON", "json", "application/json"),
)


def deferred(engine: Engine, fmt: str, slug: str, linked_only: bool) -> Callable[[], str]:
    """The export, written only when the button is clicked (it can be large)."""

    def write() -> str:
        with db.reading(engine) as session:
            return exports.export(session, fmt, document_slug=slug, linked_only=linked_only)

    return write


def downloads(document: queries.DocumentRow) -> None:
    st.subheader("Citations", anchor=False)
    st.caption("BibTeX, RIS, CSL-JSON and CSV hold the citations; JSON also holds the "
               "document's claims, evidence links (with CiTO terms), flags and open questions.")
    linked_only = st.toggle("Only the citations linked to this article's claims",
                            key="export_linked")
    engine = ui.engine(ui.database_url())
    for column, (fmt, label, extension, mime) in zip(st.columns(len(DOWNLOADS)), DOWNLOADS,
                                                     strict=True):
        column.download_button(
            label, deferred(engine, fmt, document.slug, linked_only),
            file_name=f"{document.slug}.{extension}", mime=mime, key=f"download_{fmt}",
            on_click="ignore", icon=":material/download:")


def report(document: queries.DocumentRow) -> None:
    st.subheader("Evidence report", anchor=False)
    st.caption("The article claim by claim with status, certainty, explanation and numbered "
               "references, as Markdown to send round. Preview (as plain text):")
    text = ui.read(exports.export, "report", document_slug=document.slug)
    st.download_button("Download the report (Markdown)", text,
                       file_name=f"{document.slug}-evidence-report.md", mime="text/markdown",
                       key="download_report", on_click="ignore", icon=":material/download:")
    st.code(text, language="markdown", wrap_lines=True, height=520)


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Export", document)
    downloads(document)
    report(document)


ui.with_document(render)
