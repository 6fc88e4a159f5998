"""Wording & PICO: each claim's wording against the certainty of its evidence (GRADE
guideline 26), the over-statements proposed as flags, and the links whose study and sentence
differ on a PICO element (directness not judged)."""

import streamlit as st

from dashboard import findings, ui
from tracker import queries
from tracker.vocabulary import WordingVerdict

PROMPT_COLUMNS = {
    "mismatch": st.column_config.TextColumn("Mismatch", width="large"),
    "claim text": st.column_config.TextColumn("Claim", width="large"),
}


def proposals(document: queries.DocumentRow) -> None:
    rows = ui.read(queries.wording_check, document.id)
    waiting = [r for r in rows if r.proposal == "open"]
    st.subheader(f"Over-statements proposed as flags ({len(waiting)})", anchor=False)
    st.caption("A sentence that asserts more firmly than the certainty of its evidence allows "
               "(GRADE guideline 26; rules in docs/wording.md). Editors accept (the "
               "overstated flag is raised) or dismiss with a reason: `tracker wording accept "
               "CLAIM`, `tracker wording dismiss CLAIM --reason …`.")
    ui.table(findings.wording_rows(waiting), findings.WORDING_COLUMNS,
             empty="No over-statement waits for a decision.")
    verdict = st.selectbox("Every claim's wording", ["all", *[v.value for v in WordingVerdict]],
                           key="wording_verdict")
    shown = rows if verdict == "all" else [r for r in rows if r.verdict == verdict]
    ui.table(findings.wording_rows(shown), findings.WORDING_COLUMNS, key="wording_all")


def prompts(document: queries.DocumentRow) -> None:
    rows = ui.read(queries.indirectness_prompts, document.id)
    st.subheader(f"Directness not judged ({len(rows)})", anchor=False)
    st.caption("Links whose study and sentence differ on a PICO element: until a reviewer "
               "judges that element's directness the body's certainty is not assessed.")
    ui.table([{"link": p.link_id, "claim": p.claim_id, "study": p.citation_key,
               "element": p.element, "directness": "not judged", "mismatch": p.mismatch,
               "claim text": p.claim_text} for p in rows], PROMPT_COLUMNS,
             empty="No link waits for a directness judgement.")


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Wording & PICO", document)
    proposals(document)
    prompts(document)


ui.with_document(render)
