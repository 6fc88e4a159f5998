"""Widgets for the wording check (GRADE guideline 26), PICO tags and the summary of findings,
shared by the Wording & PICO page, the Summary of findings page and the claim detail."""

from typing import Any

import streamlit as st

from dashboard import ui
from tracker import queries

WORDING_COLUMNS = {
    "claim": st.column_config.NumberColumn("Claim", format="%d", width="small"),
    "sentence": st.column_config.TextColumn("What the article says", width="large"),
    "allowed wording": st.column_config.TextColumn("Wording the evidence allows",
                                                   width="large"),
    "why": st.column_config.TextColumn("Why", width="large"),
}
SOF_COLUMNS = {
    "claim": st.column_config.NumberColumn("Claim", format="%d", width="small"),
    "what the article says": st.column_config.TextColumn(width="large"),
    "wording the evidence supports": st.column_config.TextColumn(width="large"),
    "certainty: reasons": st.column_config.TextColumn(width="large"),
}


def wording_rows(rows: list[queries.WordingRow]) -> list[dict[str, Any]]:
    return [{"claim": r.claim_id, "sentence": r.sentence, "says": r.strength,
             "allows": r.allowed_strength or "—", "verdict": r.verdict,
             "proposal": r.proposal or "", "allowed wording": r.suggestion,
             "why": r.reason} for r in rows]


def effects(row: queries.SofRow, relative: bool) -> str:
    chosen = row.relative if relative else row.absolute
    return "; ".join(e.text for e in chosen) or "not recorded"


def sof_rows(rows: list[queries.SofRow]) -> list[dict[str, Any]]:
    return [{"claim": r.claim_id, "what the article says": r.sentence,
             "population": r.population, "intervention": r.intervention,
             "comparator": r.comparator, "outcome": r.outcome,
             "studies": f"{r.studies} ({r.designs})",
             "participants": "not recorded" if r.participants is None else r.participants,
             "relative effect": effects(r, True), "absolute effect": effects(r, False),
             "certainty": r.certainty or "not rated",
             "certainty: reasons": " | ".join(r.footnotes),
             "wording the evidence supports": r.allowed_wording} for r in rows]


def claim_findings(claim_id: int) -> None:
    """The claim's row of the summary of findings, its wording check and its PICO tags."""
    document = ui.current_document()
    if document is None:
        return
    sof = ui.read(queries.summary_of_findings, document.id, claim_id=claim_id)
    ui.table(sof_rows(sof), SOF_COLUMNS,
             empty="Not in the summary of findings (a descriptive claim, a research "
                   "direction, or no counted study yet).")
    checked = ui.read(queries.wording_check, document.id, claim_id=claim_id)
    ui.table(wording_rows(checked), WORDING_COLUMNS,
             empty="A split sentence is read through its parts.")
    tags = ui.read(queries.claim_tags, claim_id)
    st.caption("PICO tags (proposed by rules, with the words that triggered them):")
    ui.table([{"facet": t.facet, "value": t.value, "state": t.state, "source": t.source,
               "because of": t.trigger or t.reason} for t in tags], empty="No PICO tags.")
