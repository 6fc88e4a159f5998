"""Claims: every claim of the article in a table to filter and sort, and one claim in full."""

from typing import Any

import streamlit as st

from dashboard import cards, ui
from tracker import queries
from tracker.vocabulary import Certainty, ClaimCategory, ClaimStatus

TABLE_KEY = "claims_table"
PICK_KEY = "claims_pick"
PAGE_SIZE = 500
ALL = "all"
FLAGGED = {ALL: None, "flagged": True, "not flagged": False}


def choice(column: Any, label: str, values: list[str], key: str,
           names: dict[str, str] | None = None) -> str | None:
    """A filter: one of `values`, or None for all."""
    chosen = column.selectbox(label, [ALL, *values], key=key,
                              format_func=lambda v: (names or {}).get(v, v))
    return None if chosen == ALL else str(chosen)


STATUS_NAMES = {"without-evidence": "without evidence (not reviewed, none found)"}
ADDRESS_KEY = "_claims_address"  # session state: the filters last taken from the address
FILTER_KEYS = {"section": "claims_section", "category": "claims_category",
               "status": "claims_status", "certainty": "claims_certainty",
               "flagged": "claims_flagged"}


def from_address(options: dict[str, list[str]]) -> None:
    """`?status=supported&section=…` (the overview's tiles, bars and gaps link here) sets the
    filters, once per address: changing a filter afterwards is not undone by the address."""
    wanted = {name: st.query_params[name] for name in FILTER_KEYS if name in st.query_params}
    if not wanted or st.session_state.get(ADDRESS_KEY) == wanted:
        return
    st.session_state[ADDRESS_KEY] = wanted
    for name, key in FILTER_KEYS.items():
        value = wanted.get(name, ALL)
        st.session_state[key] = value if value in options[name] else ALL
    st.session_state.pop("claims_page", None)


def filters(document: queries.DocumentRow) -> dict[str, Any]:
    sections = ui.read(queries.sections, document.id)
    names: dict[str, str] = {}
    for s in sections:
        names.setdefault(s.title, "  " * (s.level - 1) + ui.shorten(s.title, 50))
    statuses = [*queries.STATUS_GROUPS, *(s.value for s in ClaimStatus)]
    from_address({"section": [ALL, *names], "category": [ALL, *(c.value for c in ClaimCategory)],
                  "status": [ALL, *statuses], "certainty": [ALL, *(c.value for c in Certainty)],
                  "flagged": list(FLAGGED)})
    section, category, status, certainty, flagged = st.columns(5)
    return {
        "section": choice(section, "Section", list(names), "claims_section", names),
        "category": choice(category, "Category", [c.value for c in ClaimCategory],
                           "claims_category"),
        "status": choice(status, "Status", statuses, "claims_status", STATUS_NAMES),
        "certainty": choice(certainty, "Certainty", [c.value for c in Certainty],
                            "claims_certainty"),
        "flagged": FLAGGED[flagged.selectbox("Open flags", list(FLAGGED),
                                             key="claims_flagged")],
    }


def claims_table(document: queries.DocumentRow, chosen: dict[str, Any]
                 ) -> list[queries.ClaimRow]:
    """One page of the filtered claims (read a page at a time: a document may be long)."""
    where = queries.ClaimFilter(document_id=document.id, **chosen)
    total = ui.read(queries.claim_count, where)
    offset = ui.paginate(total, PAGE_SIZE, key="claims_page")
    shown = ui.read(queries.claims, where, limit=PAGE_SIZE, offset=offset)
    ids = [r.id for r in shown]

    def picked() -> None:
        selected = st.session_state[TABLE_KEY]["selection"]["rows"]
        if selected:
            st.session_state[PICK_KEY] = ids[selected[0]]

    more = f", {PAGE_SIZE} a page" if total > PAGE_SIZE else ""
    st.caption(f"{total} claims{more} (parts of split sentences have a “part of” number). "
               "Click a column to sort; select a row to see the claim in full.")
    cards.table_or_cards("claims", lambda: st.dataframe(
        ui.claims_table_rows(shown), hide_index=True, key=TABLE_KEY,
        column_config=ui.CLAIM_COLUMNS, on_select=picked, selection_mode="single-row",
        **ui.table_size(len(shown), TABLE_KEY)), shown, cards.claim_card)
    return shown


def claim_pick(rows: list[queries.ClaimRow]) -> int | None:
    labels = {r.id: ui.claim_label(r) for r in rows}
    if st.session_state.get(PICK_KEY) not in labels:
        st.session_state.pop(PICK_KEY, None)
    return st.selectbox("Claim", list(labels), index=None, key=PICK_KEY,
                        format_func=lambda cid: labels.get(cid, f"#{cid}"),
                        placeholder="Pick a claim from the table or type here")


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Claims", document)
    chosen = filters(document)
    rows = claims_table(document, chosen)
    st.subheader("Claim in full", anchor=False)
    claim_id = claim_pick(rows)
    if claim_id is not None:
        ui.claim_detail(ui.read(queries.claim_detail, claim_id))


ui.with_document(render)
