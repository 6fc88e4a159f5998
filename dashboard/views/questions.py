"""Open questions: what the article leaves open, where it comes from, the literature that
addresses it, and the evidence gap map (conditions × routes)."""

from typing import Any

import altair as alt
import streamlit as st

from dashboard import ui
from tracker import queries, topics
from tracker.services import citations, questions
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
        if ui.may("question.evidence"):
            address_form(row)


def address_form(row: queries.QuestionRow) -> None:
    """A reviewer records a study that addresses the question (key from the library)."""
    prefix = f"address_{row.id}"
    with st.form(f"{prefix}_form", border=False):
        key, note = st.columns([1, 2])
        citation = key.text_input("Citation key", key=f"{prefix}_key")
        why = note.text_input("What it tells us", key=f"{prefix}_note")
        added = st.form_submit_button("Add the study", icon=":material/add:")
    if added:
        ui.perform(lambda session, actor: questions.address_question(
            session, actor, row.id, citations.citation_by_key(session, citation.strip()).id,
            why), lambda new: (f"{citation.strip()} addresses {row.slug!r}." if new else
                               f"{citation.strip()} already addressed {row.slug!r}."),
            reset={f"{prefix}_key": "", f"{prefix}_note": ""})


def add_question_form(document: queries.DocumentRow) -> None:
    """An editor adds an open question of the article."""
    with st.expander("Add an open question"), st.form("add_question_form", border=False):
        slug, priority = st.columns([2, 1])
        name = slug.text_input("Short name (lower-case, digits, '-')", key="add_question_slug")
        level = priority.selectbox("Priority", [p.value for p in Priority],
                                   index=[p.value for p in Priority].index(
                                       Priority.MEDIUM.value), key="add_question_priority")
        title = st.text_input("The question", key="add_question_title")
        description = st.text_area("Why it is open", key="add_question_description",
                                   height=80)
        added = st.form_submit_button("Add the question", icon=":material/add:")
    if added:
        document_id = document.id
        ui.perform(lambda session, actor: questions.add_question(
            session, actor, document_id, name.strip(), title, description=description,
            priority=Priority(level)), lambda info: f"Open question {info.slug!r} added.",
            reset={"add_question_slug": "", "add_question_title": "",
                   "add_question_description": ""})


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
    claim_text = {c.id: c.text for c in ui.read(queries.claims, queries.ClaimFilter(document.id))}
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
    if ui.may("question.add"):
        add_question_form(document)
    question_list(document)
    gap_map(document)


ui.with_document(render)
