"""Wording & PICO: each claim's wording against the certainty of its evidence (GRADE
guideline 26), the over-statements proposed as flags, and the links whose study and sentence
differ on a PICO element (directness not judged)."""

import streamlit as st

from dashboard import findings, ui
from tracker import queries
from tracker.services import wording
from tracker.vocabulary import WordingDecisionKind, WordingVerdict

DECISIONS = {"wording.accept": ("Accept: raise the overstated flag", WordingDecisionKind.ACCEPTED),
             "wording.dismiss": ("Dismiss the proposal", WordingDecisionKind.DISMISSED)}

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
    if waiting:
        decide(waiting)
    verdict = st.selectbox("Every claim's wording", ["all", *[v.value for v in WordingVerdict]],
                           key="wording_verdict")
    shown = rows if verdict == "all" else [r for r in rows if r.verdict == verdict]
    ui.table(findings.wording_rows(shown), findings.WORDING_COLUMNS, key="wording_all")


def decide(waiting: list[queries.WordingRow]) -> None:
    """Editors accept (the flag service raises the flag) or dismiss with a reason."""
    allowed = [use for use in DECISIONS if ui.may(use)]
    if not allowed:
        ui.needs("wording.accept", "accept or dismiss a proposed overstated flag")
        return
    rows = {r.claim_id: r for r in waiting}
    claim = st.selectbox("Proposal", list(rows), key="wording_claim",
                         format_func=lambda cid: f"#{cid} · {ui.shorten(rows[cid].sentence)}")
    if claim is None:
        return
    st.caption(f"The evidence allows: {ui.escape_markdown(rows[claim].suggestion)}")
    reason = st.text_area("Reason (needed to dismiss)", key="wording_reason", height=70)
    clicked: WordingDecisionKind | None = None
    for column, use in zip(st.columns(len(allowed)), allowed, strict=True):
        label, kind = DECISIONS[use]
        if column.button(label, key=f"wording_{kind.value}"):
            clicked = kind
    if clicked is not None:
        chosen = clicked
        ui.perform(lambda session, actor: wording.decide_wording(
            session, actor, claim, chosen, reason), f"Proposal on claim #{claim}: "
            f"{chosen.value}.")


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
