"""Dual review: a reviewer's queue and independent entries, the editors' adjudication queue and
set-up (dual review on or off, assignments), and the agreement statistics with downloads.

Entries are read through the blinded queries with the signed-in user as the reader: a
reviewer sees their own entries, and the other reviewer's only once both are in. Every form
calls one service; the services check the role."""

from typing import Any

import streamlit as st

from dashboard import ui
from tracker import exports, grading, queries
from tracker.services import citations, dual, users
from tracker.services.access import Actor
from tracker.vocabulary import (
    AppraisalTool,
    Directness,
    DirectnessElement,
    DualKind,
    Pools,
    Role,
    Stance,
    StudyDesign,
)

TAB_KEY = "dual_tab"
TABS = ["My queue", "Adjudication", "Set-up", "Agreement"]
KIND_LABELS = {DualKind.STANCE.value: "stance", DualKind.APPRAISAL.value: "appraisal",
               DualKind.DIRECTNESS.value: "directness"}


def _entry_text(kind: str, payload: dict[str, Any]) -> str:
    if kind == DualKind.STANCE.value:
        return f"{payload.get('stance')} — {payload.get('reason')}"
    if kind == DualKind.APPRAISAL.value:
        return f"{payload.get('tool')} overall {payload.get('overall')}: " + "; ".join(
            f"{d} {j} ({r})" for d, (j, r) in dict(payload.get("domains") or {}).items())
    return "; ".join(f"{e} {j} ({r})" for e, (j, r) in
                     dict(payload.get("directness") or {}).items())


def _target(row: Any) -> str:
    where = f"claim #{row.claim_id} · " if row.claim_id else ""
    return f"{KIND_LABELS[row.kind]} · {where}{row.citation_key}"


# --- forms for one judgement -----------------------------------------------------------------


def judgement_form(kind: str, key: str, design: str | None) -> dict[str, Any]:
    """The fields of a stance, an appraisal or a directness (inside a form); the payload."""
    if kind == DualKind.STANCE.value:
        stances = [s.value for s in Stance]
        stance = st.selectbox("Stance", stances, key=f"{key}_stance")
        reason = st.text_input("Reason (a quote or a locator)", key=f"{key}_reason")
        locator = st.text_input("Locator (page, table)", key=f"{key}_locator")
        return {"stance": stance, "reason": reason, "locator": locator}
    if kind == DualKind.DIRECTNESS.value:
        values = [d.value for d in Directness]
        chosen: dict[str, list[str]] = {}
        for element in DirectnessElement:
            left, right = st.columns([1, 2])
            judgement = left.selectbox(element.value.title(), values,
                                       key=f"{key}_{element.value}")
            why = right.text_input(f"Reason ({element.value})",
                                   key=f"{key}_{element.value}_reason")
            chosen[element.value] = [judgement, why]
        return {"directness": chosen}
    tool = grading.tool_for(StudyDesign(design) if design else None)
    if tool is None:
        st.caption("GRADE does not rate this design: no appraisal to enter.")
        return {}
    spec = grading.TOOLS[tool]
    st.caption(f"{spec.name}: every domain with a one-line reason.")
    domains: dict[str, list[str]] = {}
    for domain in spec.domains:
        if domain.optional:
            continue
        left, right = st.columns([1, 2])
        judgement = left.selectbox(f"{domain.id} {domain.name}", list(spec.answers),
                                   key=f"{key}_{domain.id}")
        why = right.text_input(f"Reason for {domain.id}", key=f"{key}_{domain.id}_reason")
        domains[domain.id] = [judgement, why]
    pools = None
    if tool is AppraisalTool.AMSTAR2:
        pools = st.selectbox("Designs the review pools", [p.value for p in Pools],
                             key=f"{key}_pools")
    return {"tool": tool.value, "domains": domains, "pools": pools, "escalate": False}


def _enter(row: queries.QueueItem, payload: dict[str, Any]) -> None:
    claim_id, citation_id = row.claim_id, row.citation_id
    if row.kind == DualKind.STANCE.value:
        assert claim_id is not None
        ui.perform(lambda session, who: dual.enter_stance(
            session, who, claim_id, citation_id, payload["stance"], payload["reason"],
            locator=payload["locator"]), lambda result: result.outcome)
    elif row.kind == DualKind.DIRECTNESS.value:
        assert claim_id is not None
        ui.perform(lambda session, who: dual.enter_directness(
            session, who, claim_id, citation_id, payload["directness"]),
            lambda result: result.outcome)
    else:
        domains = {k: (v[0], v[1]) for k, v in payload["domains"].items()}
        pools = Pools(payload["pools"]) if payload.get("pools") else None
        ui.perform(lambda session, who: dual.enter_appraisal(
            session, who, citation_id, AppraisalTool(payload["tool"]), domains, pools=pools),
            lambda result: result.outcome)


# --- the tabs --------------------------------------------------------------------------------


def my_queue(document: queries.DocumentRow, actor: Actor) -> None:
    rows = ui.read(queries.dual_queue, document.id, actor.id)
    if not rows:
        st.caption("Nothing is assigned to you in this document. An editor assigns claims "
                   "and studies to reviewer pairs (Set-up).")
    else:
        ui.table([{"judgement": _target(r), "claim": ui.shorten(r.claim_text or "", 60),
                   "with": r.partner, "where you stand": r.standing,
                   "your entry": _entry_text(r.kind, r.mine.payload) if r.mine else "",
                   "the other entry": _entry_text(r.kind, r.other.payload) if r.other else ""}
                  for r in rows])
        labels = {n: f"{_target(r)} — {r.standing}" for n, r in enumerate(rows)}
        picked = st.selectbox("Judgement to enter", list(labels), index=None,
                              key="dual_pick", format_func=lambda n: labels.get(n, str(n)),
                              placeholder="Choose one of your judgements")
        if picked is not None:
            row = rows[picked]
            if row.standing in ("to enter", "entered"):
                st.caption("Your entry stays hidden from everyone else until the other "
                           "reviewer's is in; you can replace it until then.")
                with st.form(f"dual_entry_form_{picked}"):
                    payload = judgement_form(row.kind, f"dual_entry_{picked}", row.design)
                    submitted = st.form_submit_button("Submit my entry", type="primary")
                if submitted and payload:
                    _enter(row, payload)
            else:
                st.caption(f"Both entries are in: {row.standing}.")
    if ui.may("dual.propose"):
        with st.expander("Propose a study for a claim (both reviewers then judge it)"):
            claims = ui.read(queries.claims, queries.ClaimFilter(document.id))
            labels_c = {c.id: ui.claim_label(c) for c in claims}
            with st.form("dual_propose_form"):
                claim_id = st.selectbox("Claim", list(labels_c), index=None,
                                        key="dual_propose_claim",
                                        format_func=lambda c: labels_c.get(c, f"#{c}"))
                key = st.text_input("Citation key", key="dual_propose_key")
                reason = st.text_input("Why it bears on the claim", key="dual_propose_reason")
                proposed = st.form_submit_button("Propose the study")
            if proposed and claim_id is not None:
                chosen_claim = claim_id
                ui.perform(lambda session, who: dual.propose_study(
                    session, who, chosen_claim, _citation_id(session, key), reason),
                    f"Proposed {key.strip()} for claim #{chosen_claim}.",
                    reset={"dual_propose_claim": None, "dual_propose_key": "",
                           "dual_propose_reason": ""})


def _citation_id(session: Any, key: str) -> int:
    return citations.citation_by_key(session, key.strip()).id


def adjudication(document: queries.DocumentRow, actor: Actor) -> None:
    rows = ui.read(queries.adjudication_queue, document.id, reader=actor.id)
    if not rows:
        st.caption("Nothing awaits adjudication.")
        return
    labels = {r.id: f"#{r.id} · {_target(r)}" for r in rows}
    item_id = st.selectbox("Judgement awaiting adjudication", list(labels), index=None,
                           key="dual_adjudicate_item",
                           format_func=lambda i: labels.get(i, f"#{i}"),
                           placeholder=f"{len(rows)} awaiting")
    if item_id is None:
        return
    [row] = [r for r in rows if r.id == item_id]
    if row.claim_id is not None:
        claim = ui.read(queries.claim, row.claim_id)
        st.text(claim.text)
        st.markdown(ui.grade_badges(claim))
        st.caption(ui.escape_markdown(claim.explanation))
    ui.table([{"reviewer": e.reviewer, "entry": _entry_text(row.kind, e.payload),
               "entered": e.submitted_at} for e in row.entries])
    names = [e.reviewer for e in row.entries]
    choices = {"first": f"{names[0]}'s entry", "second": f"{names[1]}'s entry",
               "own": "my own judgement"}
    design = None
    if row.kind == DualKind.APPRAISAL.value:
        design = ui.read(queries.citation_detail, row.citation_key).row.design
    with st.form(f"dual_decide_form_{row.id}"):
        choice = st.radio("Decision", list(choices), key=f"dual_choice_{row.id}",
                          format_func=lambda c: choices[c])
        with st.expander("My own judgement (when chosen)"):
            own = judgement_form(row.kind, f"dual_own_{row.id}", design)
        reason = st.text_area("Reason for the decision", key=f"dual_decide_reason_{row.id}")
        decided = st.form_submit_button("Decide", type="primary")
    if decided:
        item, version = row.id, row.version
        ui.perform(lambda session, who: dual.adjudicate(
            session, who, item, choice, reason, own=own if choice == "own" else None,
            expected_version=version), lambda result: result.outcome)


def set_up(document: queries.DocumentRow) -> None:
    status = ui.read(queries.dual_review, document.id)
    if status is None:
        st.caption("This document is under single review.")
    else:
        st.caption(f"Under dual review since {status.required_at:%Y-%m-%d}, required by "
                   f"{ui.escape_markdown(status.required_by)}"
                   + (f": {ui.escape_markdown(status.reason)}" if status.reason else "."))
    if ui.may("document.dual-review"):
        with st.form("dual_switch_form"):
            reason = st.text_input("Reason", key="dual_switch_reason")
            label = "Require dual review" if status is None else "Back to single review"
            switched = st.form_submit_button(label)
        if switched:
            required = status is None
            document_id = document.id
            ui.perform(lambda session, who: dual.require_dual_review(
                session, who, document_id, required, reason),
                "Dual review required." if required else "Back to single review.",
                reset={"dual_switch_reason": ""})
    if status is None or not ui.may("dual.assign"):
        return
    reviewers = [u.username for u in ui.read(users.list_users)
                 if u.active and Role(u.role).includes(Role.REVIEWER) and u.username != "system"]
    claims = ui.read(queries.claims, queries.ClaimFilter(document.id, include_parts=False))
    labels = {c.id: ui.claim_label(c) for c in claims}
    with st.form("dual_assign_form"):
        pair = st.multiselect("Reviewer pair (two)", reviewers, max_selections=2,
                              key="dual_assign_pair")
        chosen = st.multiselect("Claims", list(labels), key="dual_assign_claims",
                                format_func=lambda c: labels.get(c, f"#{c}"))
        studies = st.text_input("Studies (citation keys, comma-separated)",
                                key="dual_assign_studies")
        assigned = st.form_submit_button("Assign")
    if assigned:
        document_id = document.id
        keys = [k.strip() for k in studies.split(",") if k.strip()]
        ui.perform(lambda session, who: dual.assign(
            session, who, document_id, pair, claim_ids=chosen,
            citation_ids=[_citation_id(session, k) for k in keys]),
            lambda n: f"{n} assignment(s) made.",
            reset={"dual_assign_pair": [], "dual_assign_claims": [], "dual_assign_studies": ""})


def agreement(document: queries.DocumentRow) -> None:
    rows = ui.read(queries.agreement, document.id)
    st.caption("Over the judgements both reviewers have entered: percentage agreement and "
               "Cohen's kappa with its 95 % CI; weighted kappa (linear, quadratic) on ordered "
               "scales. A kappa is missing where it is undefined (the note says why).")
    if not rows:
        st.caption("No judgement has both reviewers' entries yet.")
        return

    def kappa(value: float | None, low: float | None, high: float | None) -> str:
        if value is None:
            return "—"
        return (f"{value:.2f} ({low:.2f} to {high:.2f})"
                if low is not None and high is not None else f"{value:.2f}")

    ui.table([{"pair": r.pair or "all pairs", "judgement": r.measure, "n": r.n,
               "agree %": None if r.percent is None else round(r.percent, 1),
               "kappa (95 % CI)": kappa(r.kappa, r.kappa_ci_low, r.kappa_ci_high),
               "linear": kappa(r.linear, r.linear_ci_low, r.linear_ci_high),
               "quadratic": kappa(r.quadratic, r.quadratic_ci_low, r.quadratic_ci_high),
               "note": r.note} for r in rows])
    left, right = st.columns(2)
    left.download_button("Download CSV", exports.agreement_csv(rows),
                         file_name=f"agreement-{document.slug}.csv", mime="text/csv",
                         key="dual_csv")
    right.download_button("Download JSON", exports.agreement_json(rows, document.slug),
                          file_name=f"agreement-{document.slug}.json",
                          mime="application/json", key="dual_json")


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Dual review", document)
    queue_tab, adjudicate_tab, setup_tab, agreement_tab = st.tabs(TABS, key=TAB_KEY,
                                                                  on_change="rerun")
    actor = ui.current_actor()
    if queue_tab.open:
        with queue_tab:
            if actor is None or not ui.may("dual.enter"):
                ui.needs("dual.enter", "enter judgements under dual review")
            else:
                my_queue(document, actor)
    if adjudicate_tab.open:
        with adjudicate_tab:
            if actor is None or not ui.may("dual.adjudicate"):
                ui.needs("dual.adjudicate", "adjudicate reviewers' differing entries")
            else:
                adjudication(document, actor)
    if setup_tab.open:
        with setup_tab:
            set_up(document)
    if agreement_tab.open:
        with agreement_tab:
            agreement(document)


ui.with_document(render)
