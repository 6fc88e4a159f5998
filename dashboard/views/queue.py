"""Editorial queue: the claims with weak evidence and no flag; editors flag them, close flags,
override what a claim needs, and sign claims off."""

import streamlit as st

from dashboard import actions, cards, ui
from tracker import queries
from tracker.services import evidence, flags
from tracker.vocabulary import FlagKind, FlagState, StudyDesign

PAGE_SIZE = 50
QUEUE_KEY = "queue_table"
FLAG_CLAIMS_KEY = "flag_claims"
CLOSED_LIMIT = 50
FLAGS_PAGE_SIZE = 100
CLOSING = {FlagState.RESOLVED: ("flag.resolve", "the problem was fixed"),
           FlagState.DISMISSED: ("flag.dismiss", "it was not a problem")}  # use case, caption
REVIEWING = ("claim.override", "claim.override-clear", "claim.sign-off")


def queue(document: queries.DocumentRow, editor: bool) -> None:
    """The proposed claims; `editor` (may flag) makes the rows selectable for the flag form."""
    total = ui.read(queries.queue_size, document.id)
    st.subheader(f"Proposed for review ({total})", anchor=False)
    st.caption("Unsupported, insufficient or contested claims without an open flag, weakest "
               "first." + (" Select rows to flag them." if editor else ""))
    offset = ui.paginate(total, PAGE_SIZE, key="queue_page")
    rows = ui.read(queries.queue, document.id, limit=PAGE_SIZE, offset=offset)
    if not rows:
        st.caption("Nothing waiting: every weak claim has been flagged or the evidence holds.")
        return
    if not editor:
        cards.table_or_cards("queue", lambda: ui.table(ui.claims_table_rows(rows),
                                                       ui.CLAIM_COLUMNS),
                             rows, cards.claim_card)
        return

    table_key = ui.fresh_key(QUEUE_KEY)  # renewed after a flag: ticks never outlive rows

    def picked() -> None:
        chosen = [rows[i].id for i in st.session_state[table_key]["selection"]["rows"]]
        st.session_state[FLAG_CLAIMS_KEY] = chosen

    cards.table_or_cards("queue", lambda: st.dataframe(
        ui.claims_table_rows(rows), hide_index=True, key=table_key,
        column_config=ui.CLAIM_COLUMNS, on_select=picked, selection_mode="multi-row",
        **ui.table_size(len(rows), QUEUE_KEY)), rows, cards.claim_card)


def flag_form(claims: list[queries.ClaimRow]) -> None:
    labels = {c.id: ui.claim_label(c) for c in claims}
    st.session_state[FLAG_CLAIMS_KEY] = [
        cid for cid in st.session_state.get(FLAG_CLAIMS_KEY, []) if cid in labels]
    with st.form("flag_form"):
        st.subheader("Flag claims", anchor=False)
        chosen = st.multiselect("Claims", list(labels), key=FLAG_CLAIMS_KEY,
                                format_func=lambda cid: labels.get(cid, f"#{cid}"),
                                placeholder="Select rows above, or type words of a claim")
        kind = st.selectbox("Kind", [k.value for k in FlagKind], key="flag_kind")
        reason = st.text_area("Reason", key="flag_reason", height=80)
        submitted = st.form_submit_button("Raise flag", type="primary", icon=":material/flag:")
    if submitted:
        ui.perform(lambda session, actor: flags.raise_flags(
            session, actor, list(chosen), FlagKind(kind), reason),
            lambda raised: f"Raised {len(raised)} {kind} flag(s).",
            reset={FLAG_CLAIMS_KEY: [], "flag_reason": ""}, renew=[QUEUE_KEY])


def open_flags(document: queries.DocumentRow, closable: bool) -> None:
    where = queries.FlagFilter(document_id=document.id, state=FlagState.OPEN.value)
    total = ui.read(queries.flag_count, where)
    st.subheader(f"Open flags ({total})", anchor=False)
    offset = ui.paginate(total, FLAGS_PAGE_SIZE, key="open_flags_page")
    rows = ui.read(queries.flags, where, limit=FLAGS_PAGE_SIZE, offset=offset)
    if total > FLAGS_PAGE_SIZE:
        st.caption(f"Newest first, {FLAGS_PAGE_SIZE} a page.")
    cards.table_or_cards("open_flags", lambda: ui.table(
        ui.flag_rows(rows), ui.FLAG_COLUMNS, empty="No open flags."),
        rows, cards.flag_card)
    if closable and rows:
        close_form({f.id: f for f in rows})
    with st.expander("Recently closed flags"):
        for state in (FlagState.RESOLVED, FlagState.DISMISSED):
            closed = ui.read(queries.flags, queries.FlagFilter(document.id, state.value),
                             limit=CLOSED_LIMIT)
            st.caption(f"{state.value.title()} (latest {CLOSED_LIMIT})")
            ui.table(ui.flag_rows(closed), ui.FLAG_COLUMNS, empty=f"None {state.value}.")


def close_form(open_rows: dict[int, queries.FlagRow]) -> None:
    st.subheader("Resolve or dismiss a flag", anchor=False)
    flag_id = st.selectbox(
        "Flag", list(open_rows), index=None, key="close_flag",
        format_func=lambda fid: (f"#{fid} · {open_rows[fid].kind} · claim "
                                 f"#{open_rows[fid].claim_id} · "
                                 f"{ui.shorten(open_rows[fid].reason, 70)}"),
        placeholder="Pick an open flag")
    if flag_id is None:
        return
    flag = open_rows[flag_id]
    st.text(f"Claim #{flag.claim_id}: {flag.claim_text}")
    st.text(f"Flag reason: {flag.reason}")
    st.markdown(f"**{flag.new_evidence}** evidence link(s) added to the claim since the flag "
                f"was raised on {flag.raised_at:%Y-%m-%d %H:%M}. The claim's evidence, newest "
                "first:")
    detail = ui.read(queries.claim_detail, flag.claim_id)
    newest = sorted(detail.evidence, key=lambda e: e.created_at, reverse=True)
    ui.table(ui.evidence_rows(newest), ui.EVIDENCE_COLUMNS, empty="No evidence linked.")
    outcomes = {state: caption for state, (use, caption) in CLOSING.items() if ui.may(use)}
    with st.form(f"close_form_{flag.id}"):
        outcome = st.radio("Outcome", [state.value for state in outcomes],
                           horizontal=True, key=f"close_state_{flag.id}",
                           captions=list(outcomes.values()))
        resolution = st.text_area("What was done, or why it is not a problem",
                                  key=f"close_reason_{flag.id}", height=80)
        submitted = st.form_submit_button("Close the flag", icon=":material/task_alt:")
    if submitted:
        ui.perform(lambda session, actor: flags.close_flag(
            session, actor, flag.id, FlagState(outcome), resolution,
            expected_version=flag.version),
            lambda info: f"Flag #{info.id} {info.state}.", reset={"close_flag": None})


def review_claim(claims: list[queries.ClaimRow]) -> None:
    st.subheader("Override what a claim needs, or sign it off", anchor=False)
    labels = {c.id: ui.claim_label(c) for c in claims}
    claim_id = st.selectbox("Claim", list(labels), index=None, key="review_claim",
                            format_func=lambda cid: labels.get(cid, f"#{cid}"),
                            placeholder="Pick a claim")
    if claim_id is None:
        return
    detail = ui.read(queries.claim_detail, claim_id)
    claim = detail.claim
    st.markdown(f"{ui.status_badge(claim.status)} {ui.escape_markdown(claim.explanation)}")
    st.caption(f"Needs {ui.escape_markdown(detail.requirement)}")
    override, sign = st.columns(2)
    with override:
        override_form(detail)
    with sign:
        if ui.may("claim.sign-off"):
            actions.sign_off_button(detail)


def override_form(detail: queries.ClaimDetail) -> None:
    claim = detail.claim
    if ui.may("claim.override"):
        with st.form(f"override_form_{claim.id}"):
            st.markdown("**Override the required evidence**")
            count = st.number_input("At least this many supporting studies", min_value=1,
                                    max_value=20, value=1, key=f"override_count_{claim.id}")
            designs = st.multiselect("Of these designs", [d.value for d in StudyDesign],
                                     key=f"override_designs_{claim.id}")
            reason = st.text_area("Reason", key=f"override_reason_{claim.id}", height=80)
            submitted = st.form_submit_button("Override", icon=":material/rule:")
        if submitted:
            ui.perform(lambda session, actor: evidence.override_requirement(
                session, actor, claim.id, int(count), [StudyDesign(d) for d in designs],
                reason, expected_version=claim.version),
                lambda needs: f"Claim #{claim.id} now needs {needs}.",
                reset={f"override_count_{claim.id}": 1, f"override_designs_{claim.id}": [],
                       f"override_reason_{claim.id}": ""})
    if ui.may("claim.override-clear") and detail.override_reason and st.button(
            "Follow the rules again (clear the override)", key=f"clear_override_{claim.id}"):
        ui.perform(lambda session, actor: evidence.clear_override(session, actor, claim.id),
                   f"Claim #{claim.id} follows the rules again.")


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Editorial queue", document)
    flagging = ui.may("flag.raise")
    reviewing = any(ui.may(use) for use in REVIEWING)
    queue(document, flagging)
    st.caption(f"Also waiting: {len(ui.read(queries.wording_proposals, document.id))} "
               "overstated wording proposals and "
               f"{len(ui.read(queries.indirectness_prompts, document.id))} links whose "
               "directness is due (page **Wording & PICO**).")
    claims = (ui.read(queries.claims, queries.ClaimFilter(document.id))
              if flagging or reviewing else [])
    if flagging:
        flag_form(claims)
    open_flags(document, any(ui.may(use) for use, _ in CLOSING.values()))
    if reviewing:
        review_claim(claims)
    if not flagging:
        ui.needs("flag.raise", "flag claims, close flags, override what a claim needs "
                               "and sign claims off")


ui.with_document(render)
