"""Appraisal: the reviewer's GRADE work — appraise a study with the tool its design calls for,
judge a link's directness and record its effect, judge a claim's whole body, choose a claim's
track and record searches. Every form calls one service; the services check the role."""

from typing import Any

import streamlit as st

from dashboard import ui
from tracker import grading, queries, vocabulary
from tracker.services import appraisals, evidence
from tracker.vocabulary import (
    AppraisalTool,
    BodyDomain,
    ClaimTrack,
    Concern,
    Directness,
    DirectnessElement,
    Pools,
    StudyDesign,
)

TAB_KEY = "appraisal_tab"
TABS = ["Appraise a study", "Directness and effect", "Body of evidence", "Track and searches"]
WRITES = ("citation.appraise", "evidence.edit", "claim.body-judgement", "claim.track",
          "claim.search")
NOT_JUDGED = "not judged"


# --- appraise a study ------------------------------------------------------------------------


def pick_citation() -> queries.CitationDetail | None:
    words = st.text_input("Find the study (key, title, author, DOI)", key="appraise_search")
    rows = ui.read(queries.citations, search=words.strip() or None, limit=50)
    rated = [r for r in rows if grading.tool_for(StudyDesign(r.design) if r.design else None)]
    labels = {r.key: f"{r.key} · {r.design} · {ui.shorten(r.title, 70)}" for r in rated}
    key = st.selectbox("Study", list(labels), index=None, key="appraise_key",
                       format_func=lambda k: labels.get(k, k),
                       placeholder="Studies GRADE rates (trials, cohorts, series, reviews)")
    if not rated:
        st.caption("No study that GRADE rates matches. Narrative reviews, guidelines, labels, "
                   "pharmacology and laboratory studies need no risk-of-bias appraisal.")
    return None if key is None else ui.read(queries.citation_detail, key)


def appraise_form(detail: queries.CitationDetail) -> None:
    tool = AppraisalTool(detail.tool) if detail.tool else None
    if tool is None:
        st.info("GRADE does not rate this design: no appraisal is needed.")
        return
    spec = grading.TOOLS[tool]
    current = {d: (j, r) for d, j, r in detail.appraisal.domains} if detail.appraisal else {}
    if detail.appraisal:
        overall = ui.escape_markdown(detail.appraisal.overall)
        st.markdown(f"Appraised with {spec.name}: **{overall}**"
                    f" :gray[· {ui.escape_markdown(detail.appraisal.appraised_by)}, "
                    f"{detail.appraisal.appraised_at:%Y-%m-%d}]")
    else:
        st.caption(f"Not assessed yet. The design ({detail.row.design}) calls for {spec.name}.")
    st.caption(f"{spec.source}. Each judgement needs a one-line reason: a short quote or a "
               "locator from what you read.")
    prefix = f"appraise_{detail.row.key}"
    with st.form(f"{prefix}_form"):
        domains: dict[str, tuple[str, str]] = {}
        for domain in spec.domains:
            judgement, reason = current.get(domain.id, ("", ""))
            label = f"{domain.id} {domain.name}" + (" (critical)" if domain.critical else "")
            left, right = st.columns([1, 2])
            options = ([NOT_JUDGED] if domain.optional or not judgement else []) + list(
                spec.answers)
            chosen = left.selectbox(label, options,
                                    index=options.index(judgement) if judgement else 0,
                                    key=f"{prefix}_{domain.id}")
            why = right.text_input(f"Reason for {domain.id}", value=reason,
                                   key=f"{prefix}_{domain.id}_reason")
            if chosen != NOT_JUDGED:
                domains[domain.id] = (chosen, why)
        pools: Pools | None = None
        escalate = False
        if tool is AppraisalTool.AMSTAR2:
            values = [p.value for p in Pools]
            now = detail.appraisal.pools if detail.appraisal and detail.appraisal.pools else None
            pools = Pools(st.selectbox("Designs the review pools", values,
                                       index=values.index(now) if now else 0,
                                       key=f"{prefix}_pools"))
        if tool is AppraisalTool.ROB2:
            escalate = st.checkbox(
                "Several domains with some concerns substantially lower confidence: judge "
                "the overall risk high", value=bool(detail.appraisal and
                                                    detail.appraisal.escalated),
                key=f"{prefix}_escalate")
        note = st.text_input("What you read (abstract, full text, registry entry)",
                             value=detail.appraisal.note if detail.appraisal else "",
                             key=f"{prefix}_note")
        saved = st.form_submit_button("Save the appraisal", type="primary",
                                      icon=":material/fact_check:")
    if saved:
        citation_id = detail.row.id
        ui.perform(lambda session, actor: appraisals.appraise(
            session, actor, citation_id, tool, domains, pools=pools, escalate=escalate,
            note=note), lambda info: f"{info.citation_key}: {info.tool} overall {info.overall}.")


# --- directness and effect of a link ---------------------------------------------------------


def pick_claim(document: queries.DocumentRow, key: str) -> int | None:
    claims = ui.read(queries.claims, document_id=document.id)
    labels = {c.id: ui.claim_label(c) for c in claims}
    chosen: int | None = st.selectbox("Claim", list(labels), index=None, key=key,
                                      format_func=lambda cid: labels.get(cid, f"#{cid}"),
                                      placeholder="Type words of the claim or its number")
    return chosen


def directness_form(link: queries.EvidenceRow) -> None:
    prefix = f"directness_{link.link_id}"
    options = [NOT_JUDGED, *(d.value for d in Directness)]
    with st.form(f"{prefix}_form"):
        st.caption("How directly does this study answer the claim? (GRADE 8)")
        chosen: dict[str, tuple[str, str]] = {}
        for element in DirectnessElement:
            judgement, reason = link.directness.get(element.value, (NOT_JUDGED, ""))
            left, right = st.columns([1, 2])
            value = left.selectbox(element.value.title(), options,
                                   index=options.index(judgement), key=f"{prefix}_{element}")
            why = right.text_input(f"Reason ({element.value})", value=reason,
                                   key=f"{prefix}_{element}_reason",
                                   placeholder="e.g. study: CRPS; sentence: neuropathic pain")
            if value != judgement or why != reason:
                chosen[element.value] = ("not-judged" if value == NOT_JUDGED else value, why)
        st.caption("The study's effect for the claim's outcome (only what the paper reports)")
        effect = link.effect
        outcome = st.text_input("Outcome", value=effect.get("outcome") or "",
                                key=f"{prefix}_effect_outcome")
        a, b, c, d = st.columns(4)
        measure = a.text_input("Measure (SMD, MD, RR, OR…)", value=effect.get("measure") or "",
                               key=f"{prefix}_effect_measure")
        estimate = b.text_input("Estimate", value=_number(effect.get("estimate")),
                                key=f"{prefix}_effect_estimate")
        low = c.text_input("95 % CI low", value=_number(effect.get("ci_low")),
                           key=f"{prefix}_effect_low")
        high = d.text_input("95 % CI high", value=_number(effect.get("ci_high")),
                            key=f"{prefix}_effect_high")
        e, f, g = st.columns(3)
        participants = e.text_input("Participants", value=_number(effect.get("participants")),
                                    key=f"{prefix}_effect_participants")
        studies = f.text_input("Studies pooled (reviews)",
                               value=_number(effect.get("studies")), key=f"{prefix}_effect_studies")
        follow_up = g.text_input("Follow-up", value=effect.get("follow_up") or "",
                                 key=f"{prefix}_effect_follow_up")
        saved = st.form_submit_button("Save directness and effect", type="primary",
                                      icon=":material/save:")
    if saved:
        new_effect: dict[str, Any] = {
            "outcome": outcome or None, "measure": measure or None, "estimate": estimate or None,
            "ci_low": low or None, "ci_high": high or None,
            "participants": participants or None, "studies": studies or None,
            "follow_up": follow_up or None}
        link_id, version = link.link_id, link.version
        ui.perform(lambda session, actor: evidence.update_link(
            session, actor, link_id, expected_version=version, directness=chosen,
            effect=new_effect), f"Link #{link_id} saved.")


def _number(value: object) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


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
        directness_form(links[link_id])


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
                appraise_form(detail)
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
