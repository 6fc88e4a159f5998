"""Summary of findings: per effect claim, PICO, studies, participants, effects, certainty with
a reason per GRADE domain, and the wording the evidence supports; CSV, Markdown and HTML (prints
on A4) to download."""

import streamlit as st

from dashboard import findings, ui
from tracker import queries, sof

DOWNLOADS = (("CSV", "csv", "text/csv"), ("Markdown", "md", "text/markdown"),
             ("HTML (prints on A4)", "html", "text/html"))


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Summary of findings", document)
    rows = ui.read(queries.summary_of_findings, document.id)
    st.caption("In the layout GRADEpro and MAGICapp made familiar. Counted studies only "
               "(verified, not retracted; background links left out). Gives no medical "
               "advice.")
    texts = (sof.to_csv(rows), sof.to_markdown(rows, document.title),
             sof.to_html(rows, document.title))
    for column, (label, extension, mime), text in zip(st.columns(len(DOWNLOADS)), DOWNLOADS,
                                                      texts, strict=True):
        column.download_button(label, text, file_name=f"{document.slug}-sof.{extension}",
                               mime=mime, key=f"sof_{extension}", on_click="ignore",
                               icon=":material/download:")
    ui.table(findings.sof_rows(rows), findings.SOF_COLUMNS, key="sof_table",
             empty="No effect claim has a counted study yet.")


ui.with_document(render)
