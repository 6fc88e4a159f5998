"""Appraisal: the reviewer's GRADE work — appraise a study with the tool its design calls for,
judge a link's directness and record its effect, judge a claim's whole body, choose a claim's
track and record searches. Every form calls one service; the services check the role."""


import streamlit as st

from dashboard import actions, ui
from tracker import grading, queries, vocabulary
from tracker.services import appraisals
from tracker.vocabulary import (
    BodyDomain,
    ClaimTrack,
    Concern,
    StudyDesign,
)

TAB_KEY = "appraisal_tab"
TABS = ["Appraise a study", "Directness and effect", "Body of evidence", "Track and searches"]
WRITES = ("citation.appraise", "evidence.edit", "claim.body-judgement", "claim.track",
          "claim.search")


# --- appraise a study ------------------------------------------------------------------------


def pick_citation() -> queries.CitationDetail | None:
    words = st.text_input("Find the study (key, title, author, DOI)", key="appraise_search")
    rows = ui.read(queries.citations, queries.CitationFilter(words.strip() or None), limit=50)
    rated = [r for r in rows if grading.tool_for(StudyDesign(r.design) if r.design else None)]
    labels = {r.key: f"{r.key} · {r.design} · {ui.shorten(r.title, 70)}" for r in rated}
    key = st.selectbox("Study", list(labels), index=None, key="appraise_key",
                       format_func=lambda k: labels.get(k, k),
                       placeholder="Studies GRADE rates (trials, cohorts, series, reviews)")
    if not rated:
        st.caption("No study that GRADE rates matches. Narrative reviews, guidelines, labels, "
                   "pharmacology and laboratory studies need no risk-of-bias appraisal.")
    return None if key is None else ui.read(queries.citation_detail, key)


# --- directness and effect of a link ---------------------------------------------------------


def pick_claim(document: queries.DocumentRow, key: str) -> int | None:
    claims = ui.read(queries.claims, queries.ClaimFilter(document.id))
    labels = {c.id: ui.claim_label(c) for c in claims}
    chosen: int | None = st.selectbox("Claim", list(labels), index=None, key=key,
                                      format_func=lambda cid: labels.get(cid, f"#{cid}"),
                                      placeholder="Type words of the claim or its number")
    return chosen


def links_of(document: queries.DocumentRow) -> None:
    claim_id = pick_claim(document, "directness_claim")
    if claim_id is None:
        return
    links = {e.link_id: e for e in ui.read(queries.evidence, [claim_id])}
    if not links:
        st.caption("No evidence linked to this claim yet.")
        return
    link_id = st.selectbox(
        "Evidence link", list(links), key="directness_link",
        format_func=lambda lid: (f"#{lid} · {links[lid].citation_key} · {links[lid].stance} · "
                                 f"{ui.directness_text(links[lid])}"))
    if link_id is not None:
        actions.directness_form(links[link_id])


# --- the body of evidence --------------------------------------------------------------------

DOWNGRADE_VALUES = [c.value for c in Concern]
UPGRADE_VALUES = vocabulary.UPGRADE_VALUES


def body_form(document: queries.DocumentRow) -> None:
    claim_id = pick_claim(document, "body_claim")
    if claim_id is None:
        return
    detail = ui.read(queries.claim_detail, claim_id)
    st.markdown(ui.grade_badges(detail.claim))
    st.caption(ui.escape_markdown(detail.claim.explanation))
    if detail.body:
        ui.table([{"domain": b.domain, "judgement": b.value, "reason": b.reason,
                   "by": b.judged_by} for b in detail.body])
    domains = [d.value for d in BodyDomain]
    domain = BodyDomain(st.selectbox("Domain of the whole body", domains, key="body_domain"))
    values = ([u.value for u in UPGRADE_VALUES[domain]] if domain in UPGRADE_VALUES
              else DOWNGRADE_VALUES)
    with st.form(f"body_form_{claim_id}_{domain.value}"):
        value = st.selectbox("Judgement", values, key=f"body_value_{domain.value}")
        reason = st.text_input("Reason", key=f"body_reason_{domain.value}")
        left, right = st.columns(2)
        saved = left.form_submit_button("Record the judgement", type="primary")
        cleared = right.form_submit_button("Back to the rules' proposal")
    if saved:
        ui.perform(lambda session, actor: appraisals.judge_body(
            session, actor, claim_id, domain, value, reason),
            f"Claim #{claim_id}: {domain.value} judged {value}.",
            reset={f"body_reason_{domain.value}": ""})
    elif cleared:
        ui.perform(lambda session, actor: appraisals.clear_body_judgement(
            session, actor, claim_id, domain),
            f"Claim #{claim_id}: {domain.value} follows the rules again.")


# --- track and searches ----------------------------------------------------------------------


def track_and_search(document: queries.DocumentRow) -> None:
    claim_id = pick_claim(document, "track_claim")
    if claim_id is None:
        return
    detail = ui.read(queries.claim_detail, claim_id)
    chosen = "chosen by a reviewer" if detail.track_source == "reviewer" else "proposed"
    st.caption(f"Graded as **{ui.escape_markdown(detail.claim.track)}** ({chosen}: "
               f"{ui.escape_markdown(detail.track_reason)})")
    if ui.may("claim.track"):
        with st.form(f"track_form_{claim_id}"):
            options = ["rule", *(t.value for t in ClaimTrack)]
            track = st.selectbox("Track", options, key=f"track_value_{claim_id}",
                                 format_func=lambda t: "the rules' proposal" if t == "rule"
                                 else t)
            why = st.text_input("Reason", key=f"track_reason_{claim_id}")
            saved = st.form_submit_button("Set the track")
        if saved:
            target = None if track == "rule" else ClaimTrack(track)
            ui.perform(lambda session, actor: appraisals.set_track(
                session, actor, claim_id, target, why),
                lambda now: f"Claim #{claim_id} is graded as {now}.",
                reset={f"track_reason_{claim_id}": ""})
    if detail.searches:
        ui.table([{"at": s.searched_at, "by": s.searched_by, "where": s.sources,
                   "note": s.note} for s in detail.searches])
    if ui.may("claim.search"):
        with st.form(f"search_form_{claim_id}"):
            where = st.text_input("Where you looked (with the query)",
                                  key=f"search_where_{claim_id}",
                                  placeholder="library; PubMed 'ketamine AND infusion route'")
            note = st.text_input("What you found", key=f"search_note_{claim_id}")
            recorded = st.form_submit_button("Record the search")
        if recorded:
            ui.perform(lambda session, actor: appraisals.record_search(
                session, actor, claim_id, where, note),
                f"Search on claim #{claim_id} recorded.",
                reset={f"search_where_{claim_id}": "", f"search_note_{claim_id}": ""})


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Appraisal", document)
    if not any(ui.may(use) for use in WRITES):
        ui.needs("citation.appraise", "appraise studies, judge directness and bodies of "
                 "evidence, choose tracks and record searches")
        return
    appraise_tab, links_tab, body_tab, track_tab = st.tabs(TABS, key=TAB_KEY,
                                                           on_change="rerun")
    if appraise_tab.open and ui.may("citation.appraise"):
        with appraise_tab:
            detail = pick_citation()
            if detail is not None:
                actions.appraise_form(detail)
    if links_tab.open and ui.may("evidence.edit"):
        with links_tab:
            links_of(document)
    if body_tab.open and ui.may("claim.body-judgement"):
        with body_tab:
            body_form(document)
    if track_tab.open:
        with track_tab:
            track_and_search(document)


ui.with_document(render)
