"""Open questions: what the article leaves open, where it comes from, the literature that
addresses it, and the evidence gap map (conditions × routes)."""

from typing import Any

import altair as alt
import streamlit as st

from dashboard import ui
from tracker import queries, topics
from tracker.services import questions
from tracker.vocabulary import Priority, QuestionStatus

EMPTY_CELL = "—"


def question(row: queries.QuestionRow, claim_text: dict[int, str], editor: bool) -> None:
    label = (f"{row.priority} priority · {row.status} · "
             f"{ui.escape_markdown(row.title)}")
    with st.expander(label, expanded=row.slug == st.query_params.get("question")):
        if row.description:
            st.text(row.description)
        st.caption(f"Comes from {len(row.claims)} claim(s):")
        ui.table([{"claim": cid, "text": claim_text.get(cid, "")} for cid in row.claims],
                 {"claim": st.column_config.NumberColumn("Claim", format="#%d"),
                  "text": st.column_config.TextColumn("Text", width="large")},
                 empty="No claim linked.")
        st.caption(f"Evidence that addresses it ({len(row.evidence)}):")
        ui.table([{"citation": key, "title": title, "design": design or "unknown",
                   "note": note} for key, title, design, note in row.evidence],
                 {"title": st.column_config.TextColumn("Title", width="large"),
                  "note": st.column_config.TextColumn("Note", width="large")},
                 empty="Nothing found yet.")
        if editor:
            update_form(row)


def update_form(row: queries.QuestionRow) -> None:
    statuses = [s.value for s in QuestionStatus]
    priorities = [p.value for p in Priority]
    with st.form(f"question_form_{row.id}", border=False):
        status, priority = st.columns(2)
        new_status = status.selectbox("Status", statuses, index=statuses.index(row.status),
                                      key=f"question_status_{row.id}")
        new_priority = priority.selectbox("Priority", priorities,
                                          index=priorities.index(row.priority),
                                          key=f"question_priority_{row.id}")
        submitted = st.form_submit_button("Save", icon=":material/save:")
    if submitted:
        ui.perform(lambda session, actor: questions.update_question(
            session, actor, row.id, status=QuestionStatus(new_status),
            priority=Priority(new_priority), expected_version=row.version),
            lambda info: f"Question {info.slug!r}: {info.status}, {info.priority} priority.")


def question_list(document: queries.DocumentRow) -> None:
    counts = ui.read(queries.questions_by_status, document.id)
    for column, (name, n) in zip(st.columns(len(counts)), counts.items(), strict=True):
        column.metric(name.replace("-", " ").capitalize(), n, border=True)
    status = st.selectbox("Show", ["all", *(s.value for s in QuestionStatus)],
                          key="questions_status")
    rows = ui.read(queries.questions, document.id, status=None if status == "all" else status)
    if not rows:
        st.caption("No open questions recorded.")
        return
    claim_text = {c.id: c.text for c in ui.read(queries.claims, document_id=document.id)}
    editor = ui.may("question.update")
    for row in rows:
        question(row, claim_text, editor)
    if not editor:
        ui.needs("question.update", "change a question's status or priority")


def cell_text(cell: queries.GapCell) -> str:
    if cell.studies == 0:
        return EMPTY_CELL
    level = f" · level {cell.best_level}" if cell.best_level is not None else ""
    return f"{cell.studies}{level}"


def chart_label(cell: queries.GapCell) -> str:
    """A cell's label in the chart, short enough for a phone: "3 · L1" (level in the
    tooltip and the table in full)."""
    if cell.studies == 0:
        return EMPTY_CELL
    return f"{cell.studies}" + (f" · L{cell.best_level}" if cell.best_level is not None else "")


def gap_chart(cells: list[queries.GapCell]) -> alt.LayerChart:
    values: list[dict[str, Any]] = [
        {"condition": c.condition, "route": c.route, "studies": c.studies,
         "best level": c.best_level, "label": chart_label(c)} for c in cells]
    base = alt.Chart({"values": values}).encode(
        x=alt.X("route:N", sort=list(topics.ROUTES), title=None,
                axis=alt.Axis(orient="top", labelAngle=-35, labelLimit=110,
                              labelOverlap=False)),
        y=alt.Y("condition:N", sort=list(topics.CONDITIONS), title=None,
                axis=alt.Axis(labelLimit=110)),
    )
    heat = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.condition("datum.studies == 0", alt.value("#eeeeee"),
                            alt.Color("studies:Q", scale=alt.Scale(scheme="greens"),
                                      legend=alt.Legend(title="studies"))),
        tooltip=["condition:N", "route:N", "studies:Q", "best level:Q"],
    )
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition("datum.studies >= 6", alt.value("white"), alt.value("#222222")),
    )
    layered: alt.LayerChart = (heat + text).properties(height=320)
    return layered


def gap_map(document: queries.DocumentRow) -> None:
    st.subheader("Evidence gap map", anchor=False)
    st.caption("Studies per condition and route, with the best Oxford CEBM level (1 is best); "
               f"“{EMPTY_CELL}” marks a gap. Topics come from the citations' titles, "
               "abstracts and keywords.")
    linked, verified = st.columns(2)
    only_linked = linked.toggle("Only studies cited for this article", value=True,
                                key="gap_linked")
    only_verified = verified.toggle("Only verified citations", value=True, key="gap_verified")
    cells = ui.read(queries.gap_map, document_id=document.id if only_linked else None,
                    verified_only=only_verified)
    st.altair_chart(gap_chart(cells), width="stretch")
    with st.expander("As a table"):
        grid: dict[str, dict[str, str]] = {}
        for cell in cells:
            grid.setdefault(cell.condition, {"condition": cell.condition})[cell.route] = (
                cell_text(cell))
        st.dataframe(list(grid.values()), hide_index=True)


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Open questions", document)
    question_list(document)
    gap_map(document)


ui.with_document(render)
