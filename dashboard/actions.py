"""Acting on one claim or one citation where it is shown: the Article page's panel beside a
sentence (link evidence, judge a link's directness, appraise a study, judge its body, flag,
sign off, split) and the citation pane beside the Evidence page's search (its record, DOI and
PubMed links, verify, confirm the design, retract). Every control is gated by `ui.may` and
runs one service through `ui.perform`; the services check the role and the rules. The
Appraisal page uses the same appraisal and directness forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from dashboard.ui import (
    APPRAISAL_PAGE,
    EVIDENCE_PAGE,
    appraisal_text,
    directness_text,
    escape_markdown,
    may,
    needs,
    perform,
    read,
    shorten,
)
from tracker import grading, queries
from tracker.services import appraisals, citations, evidence, flags, tags
from tracker.services.access import Actor
from tracker.vocabulary import (
    AppraisalTool,
    Directness,
    DirectnessElement,
    FlagKind,
    PicoFacet,
    Pools,
    Stance,
    StudyDesign,
    TagState,
)

NOT_JUDGED = "not judged"

# --- acting on one claim (the Article page's panel) -----------------------------------------


def sign_off_button(detail: queries.ClaimDetail) -> None:
    """Sign the claim off at its current grade; disabled while that grade is signed off (the
    service refuses a second sign-off of the same grade)."""
    claim = detail.claim
    st.markdown("**Sign off**")
    done = bool(detail.signed_off_by) and detail.signed_off_status == claim.status
    if done:
        st.caption(f"Signed off as {claim.status} by "
                   f"{escape_markdown(detail.signed_off_by or '')}; it can be signed off "
                   "again once its grade moves.")
    st.caption("Confirms the current grade; the sign-off goes stale if the grade moves.")
    if st.button(f"Sign off claim #{claim.id} as {claim.status}", key=f"sign_off_{claim.id}",
                 icon=":material/verified:", disabled=done):
        perform(lambda session, actor: evidence.sign_off(
            session, actor, claim.id, expected_version=claim.version),
            lambda status: f"Claim #{claim.id} signed off as {status}.")


def flag_one(claim_id: int) -> None:
    """Raise a flag on one claim (the form empties after it is raised)."""
    prefix = f"claim_flag_{claim_id}"
    with st.form(f"{prefix}_form"):
        st.markdown("**Flag this claim**")
        kind = st.selectbox("Kind", [k.value for k in FlagKind], key=f"{prefix}_kind")
        reason = st.text_area("Reason", key=f"{prefix}_reason", height=80)
        raised = st.form_submit_button("Raise flag", icon=":material/flag:")
    if raised:
        perform(lambda session, actor: flags.raise_flag(
            session, actor, claim_id, FlagKind(kind), reason),
            f"Raised a {kind} flag on claim #{claim_id}.", reset={f"{prefix}_reason": ""})


def claim_actions(claim_id: int) -> None:
    """What the signed-in user may do to the claim, beside its detail: link evidence
    (reviewers, on the Evidence page with the claim filled in), flag and sign off (editors)."""
    st.divider()
    if may("evidence.link") and st.button("Link evidence to this claim",
                                          key=f"link_from_claim_{claim_id}",
                                          icon=":material/add_link:"):
        st.session_state["link_claim"] = claim_id
        st.session_state["evidence_tab"] = "Find and link"
        st.switch_page(EVIDENCE_PAGE)
    if may("claim.body-judgement") and st.button(
            "Judge its body of evidence", key=f"judge_from_claim_{claim_id}",
            icon=":material/fact_check:"):
        st.session_state["appraisal_tab"] = "Body of evidence"
        st.session_state["body_claim"] = claim_id
        st.switch_page(APPRAISAL_PAGE)
    if may("evidence.link"):
        link_here(claim_id)
    if may("evidence.edit") or may("citation.appraise"):
        judge_links(read(queries.claim_detail, claim_id))
    if may("tags.decide"):
        with st.expander("Confirm or correct its PICO tags"):
            claim_tag_controls(claim_id)
    if may("flag.raise"):
        flag_one(claim_id)
    if may("claim.sign-off"):
        sign_off_button(read(queries.claim_detail, claim_id))
    if may("claim.split"):
        split_form(read(queries.claim_detail, claim_id))
    if not may("evidence.link"):
        needs("evidence.link", "link evidence to this claim")
    elif not may("flag.raise"):
        needs("flag.raise", "flag this claim or sign it off")


PICKER_LIMIT = 20  # matches offered at once: more words narrow the search


def citation_picker(prefix: str) -> queries.CitationRow | None:
    """Find a study anywhere in the library (the Evidence page's search: every word must
    match, stemmed, with synonyms) and pick one of the best matches."""
    words = st.text_input("Find a study in the whole library (key, title, authors, DOI, "
                          "PMID, words of its abstract)", key=f"{prefix}_search")
    search = words.strip() or None
    where = queries.CitationFilter(search=search)
    found = read(queries.citations, where, limit=PICKER_LIMIT)
    if len(found) == PICKER_LIMIT:
        total = read(queries.citation_count, where)
        st.caption(f"{total} studies match; the {PICKER_LIMIT} most linked are offered — "
                   "type more words to narrow.")
    elif search:
        st.caption(f"{len(found)} {'study matches' if len(found) == 1 else 'studies match'}.")
    rows = {r.id: r for r in found}
    key = f"{prefix}_citation"
    if st.session_state.get(key) not in rows:
        st.session_state.pop(key, None)
    chosen = st.selectbox(
        "Study", list(rows), index=None, key=key,
        format_func=lambda cid: (f"{rows[cid].key} · {rows[cid].year or 'n.d.'} · "
                                 f"{rows[cid].design or 'design unknown'} · "
                                 f"{shorten(rows[cid].title, 60)}"),
        placeholder="Pick one of the matches")
    return None if chosen is None else rows[chosen]


def link_here(claim_id: int) -> None:
    """Link a study to the claim without leaving the text: the whole library is searched."""
    prefix = f"panel_new_link_{claim_id}"
    with st.expander("Link a study from the library"):
        row = citation_picker(prefix)
        with st.form(f"{prefix}_form", border=False):
            stance = st.selectbox("Stance", [s.value for s in Stance], key=f"{prefix}_stance")
            note = st.text_area("Note (a short quote or summary)", key=f"{prefix}_note",
                                height=70)
            linked = st.form_submit_button("Link the study", icon=":material/link:")
        if not linked:
            return
        if row is None:
            st.error("Find and pick the study to link.")
            return
        citation = row
        perform(lambda session, actor: evidence.link_evidence(
            session, actor, claim_id, citation.id, Stance(stance), note=note),
            f"Linked {citation.key} to claim #{claim_id}.",
            reset={f"{prefix}_search": "", f"{prefix}_citation": None, f"{prefix}_note": ""})


def judge_links(detail: queries.ClaimDetail) -> None:
    """Beside the text: pick one of the claim's links, judge its directness and record its
    effect (`evidence.edit`), and appraise its study with the tool its design calls for
    (`citation.appraise`) — the Appraisal page's forms, on the claim being read."""
    links = {e.link_id: e for e in detail.evidence}
    if not links:
        return
    claim_id = detail.claim.id
    with st.expander("Judge a link's directness or appraise its study"):
        link_id = st.selectbox(
            "Evidence link", list(links), key=f"panel_link_{claim_id}",
            format_func=lambda lid: (f"#{lid} · {links[lid].citation_key} · "
                                     f"{links[lid].stance} · directness "
                                     f"{directness_text(links[lid])} · appraisal "
                                     f"{appraisal_text(links[lid])}"))
        if link_id is None:
            return
        link = links[link_id]
        if may("evidence.edit"):
            directness_form(link)
        if may("citation.appraise"):
            st.markdown(f"**Appraise {escape_markdown(link.citation_key)}**")
            appraise_form(read(queries.citation_detail, link.citation_key))


# PICO tags (issue 14): the rules propose; a reviewer confirms, rejects or adds.
TagDecider = Callable[[Session, Actor, PicoFacet, str, TagState, str], object]


def tag_controls(prefix: str, tags: list[queries.TagRow], decide: TagDecider) -> None:
    """Confirm or reject one of the PICO tags shown, or add one (`tags.decide`); the service
    says what may be rejected."""
    st.markdown("**PICO tags**")
    st.caption("The rules propose tags from the words shown; confirm or reject them, or add "
               "one the rules missed. The gap map uses the confirmed tags.")
    labels = {(t.facet, t.value): f"{t.facet}: {t.value} · {t.state}"
              + (f" (because of “{shorten(t.trigger, 40)}”)" if t.trigger else "")
              for t in tags}
    with st.form(f"{prefix}_form"):
        chosen = st.selectbox("Tag", list(labels), index=None, key=f"{prefix}_tag",
                              format_func=lambda tag: labels.get(tag, ": ".join(tag)),
                              placeholder="Pick a proposed tag, or add one below")
        facet, value = st.columns([1, 2])
        new_facet = facet.selectbox("Or add: facet", [f.value for f in PicoFacet],
                                    key=f"{prefix}_facet")
        new_value = value.text_input("Value (e.g. neuropathic pain)", key=f"{prefix}_value")
        reason = st.text_input("Reason", key=f"{prefix}_reason")
        confirm, reject, add = st.columns(3)
        pressed = {TagState.CONFIRMED: confirm.form_submit_button("Confirm the tag"),
                   TagState.REJECTED: reject.form_submit_button("Reject the tag")}
        added = add.form_submit_button("Add the tag")
    reset = {f"{prefix}_tag": None, f"{prefix}_value": "", f"{prefix}_reason": ""}
    if added:
        perform(lambda session, actor: decide(session, actor, PicoFacet(new_facet),
                                              new_value, TagState.CONFIRMED, reason),
                f"Tag {new_facet}: {new_value} added.", reset=reset)
    state = next((s for s, clicked in pressed.items() if clicked), None)
    if state is None:
        return
    if chosen is None:
        st.error("Pick the tag to confirm or reject.")
        return
    tag_facet, tag_value = chosen
    perform(lambda session, actor: decide(session, actor, PicoFacet(tag_facet), tag_value,
                                          state, reason),
            f"Tag {tag_facet}: {tag_value} {state.value}.", reset=reset)


def claim_tag_controls(claim_id: int) -> None:
    tag_controls(f"claim_tags_{claim_id}", read(queries.claim_tags, claim_id),
                 lambda session, actor, facet, value, state, reason: tags.decide_claim_tag(
                     session, actor, claim_id, facet, value, state, reason))


def split_form(detail: queries.ClaimDetail) -> None:
    """Split a compound sentence into parts graded on their own (editors): one part a line,
    each a verbatim piece of the sentence (the service checks)."""
    claim = detail.claim
    if claim.parent is not None or detail.parts:
        return
    prefix = f"split_{claim.id}"
    with st.expander("Split this claim into parts"):
        with st.form(f"{prefix}_form", border=False):
            parts = st.text_area("Parts, one a line (each a verbatim piece of the sentence)",
                                 key=f"{prefix}_parts", height=100)
            reason = st.text_input("Reason", key=f"{prefix}_reason")
            split = st.form_submit_button("Split the claim", icon=":material/call_split:")
        if split:
            perform(lambda session, actor: evidence.split_claim(
                session, actor, claim.id, [p for p in parts.splitlines() if p.strip()],
                reason), lambda ids: f"Claim #{claim.id} split into {len(ids)} parts.",
                reset={f"{prefix}_parts": "", f"{prefix}_reason": ""})


# --- appraising a study, judging a link's directness (here and on the Appraisal page) --


def appraise_form(detail: queries.CitationDetail) -> None:
    tool = AppraisalTool(detail.tool) if detail.tool else None
    if tool is None:
        st.info("GRADE does not rate this design: no appraisal is needed.")
        return
    spec = grading.TOOLS[tool]
    current = {d: (j, r) for d, j, r in detail.appraisal.domains} if detail.appraisal else {}
    if detail.appraisal:
        overall = escape_markdown(detail.appraisal.overall)
        st.markdown(f"Appraised with {spec.name}: **{overall}**"
                    f" :gray[· {escape_markdown(detail.appraisal.appraised_by)}, "
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
        perform(lambda session, actor: appraisals.appraise(
            session, actor, citation_id, tool, domains, pools=pools, escalate=escalate,
            note=note), lambda info: f"{info.citation_key}: {info.tool} overall {info.overall}.")


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
        perform(lambda session, actor: evidence.update_link(
            session, actor, link_id, expected_version=version, directness=chosen,
            effect=new_effect), f"Link #{link_id} saved.")


def _number(value: object) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


# --- one citation: its record, its links out, verify / design / retract -----------------------

_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def citation_links(detail: queries.CitationDetail) -> None:
    """DOI and PubMed as links the reader may follow (nothing is fetched from them)."""
    from urllib.parse import quote

    row = detail.row
    if row.doi and _DOI.match(row.doi):
        st.link_button(f"DOI {shorten(row.doi, 40)}", "https://doi.org/" + quote(row.doi),
                       icon=":material/open_in_new:")
    if row.pmid and row.pmid.isdigit():
        st.link_button(f"PubMed {row.pmid}",
                       f"https://pubmed.ncbi.nlm.nih.gov/{row.pmid}/",
                       icon=":material/open_in_new:")


def citation_pane(key: str) -> None:
    """One citation in full beside the search: what it is, its abstract, where to check it,
    and the reviewers' and editors' actions on it."""
    detail = read(queries.citation_detail, key)
    row = detail.row
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(row.title)}**")
        st.caption(f"{escape_markdown(row.authors)} · {row.year or 'n.d.'} · "
                   f"{escape_markdown(row.container or '')} · key {escape_markdown(row.key)}")
        marks = [f"design **{escape_markdown(row.design or 'unknown')}** "
                 f"({escape_markdown(detail.design_reason)})",
                 "verified" if row.verified else ":orange[not verified: does not count yet]"]
        if row.retracted:
            marks.append(":red[**retracted**: never counts]")
        st.markdown(" · ".join(marks))
        if detail.verification_note:
            st.caption(f"Verification: {escape_markdown(detail.verification_note)}")
        if detail.retraction_note:
            st.caption(f"Retraction notice: {escape_markdown(detail.retraction_note)}")
        if detail.abstract:
            with st.expander("Abstract"):
                st.text(detail.abstract)
        citation_links(detail)
        citation_actions(detail)
        if may("tags.decide"):
            with st.expander("PICO tags of this study"):
                tag_controls(f"citation_tags_{row.id}", read(queries.citation_tags, row.key),
                             lambda session, actor, facet, value, state, reason:
                             tags.decide_citation_tag(session, actor, row.key, facet, value,
                                                      state, reason))


def citation_actions(detail: queries.CitationDetail) -> None:
    row = detail.row
    verify, design, retract = st.columns(3)
    if may("citation.verify"):
        with verify.form(f"verify_{row.id}"):
            note = st.text_input("Where you checked it (DOI, PubMed, publisher)",
                                 key=f"verify_{row.id}_note")
            if st.form_submit_button("Mark verified" if not row.verified
                                     else "Mark unverified", icon=":material/verified:"):
                perform(lambda session, actor: citations.set_verification(
                    session, actor, row.id, not row.verified, note,
                    expected_version=row.version),
                    f"{row.key} marked {'unverified' if row.verified else 'verified'}.",
                    reset={f"verify_{row.id}_note": ""})
    if may("citation.design"):
        with design.form(f"design_{row.id}"):
            designs = [d.value for d in StudyDesign]
            chosen = st.selectbox("Study design", designs, key=f"design_{row.id}_value",
                                  index=designs.index(row.design) if row.design in designs
                                  else 0)
            if st.form_submit_button("Confirm the design", icon=":material/task_alt:"):
                perform(lambda session, actor: citations.set_design(
                    session, actor, row.id, StudyDesign(chosen), expected_version=row.version),
                    f"{row.key}: design {chosen} confirmed.")
    if may("citation.retract"):
        with retract.form(f"retract_{row.id}"):
            notice = st.text_input("Retraction notice" if not row.retracted
                                   else "Why it is no longer retracted",
                                   key=f"retract_{row.id}_note")
            if st.form_submit_button("Mark retracted" if not row.retracted
                                     else "Withdraw the retraction", icon=":material/block:"):
                perform(lambda session, actor: citations.set_retracted(
                    session, actor, row.id, not row.retracted, notice),
                    f"{row.key} {'no longer marked retracted' if row.retracted else 'retracted'}.",
                    reset={f"retract_{row.id}_note": ""})
    if not may("citation.verify"):
        needs("citation.verify", "verify a citation or confirm its design")
    elif not may("citation.retract"):
        needs("citation.retract", "mark a retraction")
