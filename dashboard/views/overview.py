"""Overview: how well the article's claims are supported, at a glance."""

from typing import Any

import altair as alt
import streamlit as st

from dashboard import scorecard, ui
from tracker import queries

STATUS_SCALE = alt.Scale(domain=list(ui.STATUS_HEX), range=list(ui.STATUS_HEX.values()))
CERTAINTY_ORDER = ["high", "moderate", "low", "very-low", "not-assessed", "none"]
CERTAINTY_SCALE = alt.Scale(domain=CERTAINTY_ORDER,
                            range=["#1b5e20", "#43a047", "#9ccc65", "#dce775", "#90a4ae",
                                   "#e0e0e0"])
STANDING_ORDER = ["established", "plausible", "not-established"]
PICK = "pick"  # the status charts' selection: a click opens the claims behind the bar
#: Below the chart, in rows of three: on a phone a single row of six statuses is cut off.
LEGEND = alt.Legend(orient="bottom", columns=3, labelLimit=150, title=None)
CERTAINTY_HELP = (
    "GRADE certainty of the evidence for each effect claim: how sure we can be of the effect. "
    "*Not assessed*: a study behind it still needs its risk-of-bias appraisal or its "
    "directness judged. *None*: no counted study bears on the claim (nothing linked, or only "
    "unverified or retracted sources), so there is nothing for GRADE to rate.")


CLAIMS_PAGE = "views/claims.py"
QUESTIONS_PAGE = "views/questions.py"


def answer(document: queries.DocumentRow) -> None:
    """The question a reader comes with, answered in one line (`queries.verdict`)."""
    verdict = ui.read(queries.verdict, document.id)
    st.markdown(f"#### {ui.escape_markdown(verdict.sentence())}.")
    st.caption("Well supported: graded *supported* with moderate or high GRADE certainty "
               "(effect claims) or *established* (descriptive claims). No evidence: nothing "
               "counted is linked yet (not reviewed, or searched and none found).")


def gaps_and_questions(document: queries.DocumentRow) -> None:
    left, right = st.columns(2, gap="medium")
    with left:
        st.subheader("Biggest gaps", anchor=False)
        gaps = ui.read(queries.biggest_gaps, document.id)
        if not gaps:
            st.caption("Every section's claims have evidence linked.")
        for gap in gaps:
            filters = {"status": "without-evidence"}
            if gap.section != queries.INTRODUCTION:
                filters["section"] = gap.section
            st.page_link(CLAIMS_PAGE, label=f"**{gap.without_evidence} of {gap.claims}** "
                         f"without evidence · {ui.escape_markdown(gap.section)}",
                         icon=":material/search_off:", query_params=filters)
    with right:
        st.subheader("Open questions", anchor=False)
        rows = ui.read(queries.questions, document.id)
        if not rows:
            st.caption("No open questions recorded.")
        for row in rows:
            studies = len(row.evidence)
            st.page_link(QUESTIONS_PAGE, label=(
                f"**{studies} {'study' if studies == 1 else 'studies'}** · {row.status} · "
                f"{ui.escape_markdown(row.title)}"), icon=":material/help:",
                query_params={"question": row.slug},
                help="Studies that address the question; open it to see them.")


def headline(coverage: queries.Coverage) -> None:
    """The figures as tiles; a status tile opens the claims with that status."""
    figures: list[tuple[str, int, str, dict[str, str]]] = [(
        "Claims", coverage.claims,
        "Sentences of the article that state a fact (a split sentence counts once).", {})]
    figures += [(status.replace("-", " ").capitalize(), coverage.by_status[status],
                 f"Claims graded {status}.", {"status": status})
                for status in queries.STATUSES]
    figures.append(("Not yet appraised", coverage.by_certainty.get("not-assessed", 0),
                    "Effect claims whose evidence is not fully appraised yet: their certainty "
                    "waits (never shown as high by default).", {"certainty": "not-assessed"}))
    figures.append(("Open flags", coverage.open_flags,
                    "Flags raised by editors and not yet closed.", {"flagged": "flagged"}))
    half = (len(figures) + 1) // 2  # two rows: the labels stay readable beside the sidebar
    for row in (figures[:half], figures[half:]):
        for column, (label, value, help_text, filters) in zip(st.columns(half), row,
                                                               strict=False):
            with column.container(border=True):
                st.metric(label, value, help=help_text)
                st.page_link(CLAIMS_PAGE, label="Show them", query_params=filters,
                             icon=":material/arrow_forward:")
    st.caption(f"{coverage.signed_off} of {coverage.claims} claims signed off by an editor "
               "at their current grade.")


def status_bars(rows: list[queries.CoverageRow], title: str) -> alt.Chart:
    values: list[dict[str, Any]] = [
        {"group": r.group, "status": status, "rank": rank, "claims": r.count(status)}
        for r in rows for rank, status in enumerate(queries.STATUSES)
    ]
    chart: alt.Chart = alt.Chart({"values": values}, title=title).mark_bar().encode(
        y=alt.Y("group:N", sort=[r.group for r in rows], title=None,
                axis=alt.Axis(labelLimit=170)),
        x=alt.X("claims:Q", stack="zero", title="claims", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("status:N", scale=STATUS_SCALE, legend=LEGEND),
        order=alt.Order("rank:Q"),
        tooltip=[alt.Tooltip("group:N", title="group"), "status:N", "claims:Q"],
    ).add_params(alt.selection_point(name=PICK, fields=["group", "status"]))
    return chart


def certainty_bars(coverage: queries.Coverage) -> alt.Chart:
    values = [{"certainty": c, "claims": coverage.by_certainty.get(c, 0),
               "meaning": ui.BADGE_MEANINGS[c]}  # hovering a bar says what it means
              for c in CERTAINTY_ORDER]  # "none": nothing GRADE rates bears on the claim
    title = "GRADE certainty of the evidence (effect claims)"
    chart: alt.Chart = alt.Chart({"values": values}, title=title).mark_bar().encode(
        x=alt.X("certainty:N", sort=CERTAINTY_ORDER, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("claims:Q", title="claims", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("certainty:N", scale=CERTAINTY_SCALE, legend=None),
        tooltip=["certainty:N", "claims:Q", "meaning:N"],
    )
    return chart


def over_time(points: list[queries.CoveragePoint]) -> alt.Chart:
    values = [{"day": p.day, "status": p.status, "claims": p.claims} for p in points]
    title = "Claims by status over time"
    chart: alt.Chart = alt.Chart({"values": values}, title=title).mark_line(
        point=True, interpolate="step-after").encode(
        x=alt.X("day:T", title=None),
        y=alt.Y("claims:Q", title="claims"),
        color=alt.Color("status:N", scale=STATUS_SCALE, legend=LEGEND),
        tooltip=["day:T", "status:N", "claims:Q"],
    )
    return chart


def work_to_do(document: queries.DocumentRow) -> None:
    waiting = ui.read(queries.queue_size, document.id)
    asked = ui.read(queries.questions_by_status, document.id)
    flags = ui.read(queries.flag_summary, document.id)
    left, right = st.columns(2)
    with left:
        st.subheader("Work waiting", anchor=False)
        st.markdown(f"- **{waiting}** claims in the editorial queue (weak evidence, no flag)\n"
                    + "".join(f"- **{n}** open questions {status}\n"
                              for status, n in asked.items()))
    with right:
        st.subheader("Flags by kind", anchor=False)
        ui.table([{"kind": f.kind, "open": f.open, "resolved": f.resolved,
                   "dismissed": f.dismissed, "open > 7 days": f.open_over_7_days,
                   "open > 30 days": f.open_over_30_days} for f in flags],
                 empty="No flags raised.")


def drill(event: Any, filter_name: str) -> None:
    """A bar picked in a status chart opens the claims of that group and status."""
    picked = (event or {}).get("selection", {}).get(PICK, []) if isinstance(event, dict) \
        else getattr(getattr(event, "selection", None), PICK, None) or []
    if not picked:
        return
    group, status = picked[0].get("group"), picked[0].get("status")
    filters = {"status": str(status)} if status else {}
    if group and group != queries.INTRODUCTION:
        filters[filter_name] = str(group)
    st.switch_page(CLAIMS_PAGE, query_params=filters)


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Overview", document)
    coverage = ui.read(queries.coverage, document.id)
    if coverage.claims == 0:
        headline(coverage)
        st.info("The document has no claims yet.")
        return
    answer(document)
    gaps_and_questions(document)
    headline(coverage)
    st.caption("Click a bar to see its claims.")
    drill(st.altair_chart(status_bars(ui.read(queries.coverage_by_section, document.id),
                                      "Coverage by section"), width="stretch",
                          on_select="rerun", key="overview_sections"), "section")
    left, right = st.columns(2)
    drill(left.altair_chart(status_bars(ui.read(queries.coverage_by_category, document.id),
                                        "Coverage by category"), width="stretch",
                            on_select="rerun", key="overview_categories"), "category")
    right.altair_chart(certainty_bars(coverage), width="stretch")
    right.caption(CERTAINTY_HELP)
    right.caption("Descriptive claims (mechanism, pharmacokinetics, how it is used): "
                  + ", ".join(f"{coverage.by_standing.get(s, 0)} {s}" for s in STANDING_ORDER)
                  + ". Not yet appraised: the studies behind the claim still need a "
                    "risk-of-bias appraisal or their directness judged.")
    points = ui.read(queries.coverage_over_time, document.id)
    if len({p.day for p in points}) > 1:  # one day is a dot per status, not a trend
        st.altair_chart(over_time(points), width="stretch")
    else:
        st.caption("The chart of claims by status over time appears once the grades have "
                   "changed on more than one day.")
    work_to_do(document)
    scorecard.summary(document)


ui.with_document(render)
