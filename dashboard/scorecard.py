"""The article scorecard's widgets, shared by the Scorecard page and the Overview's summary
(reads only; the ratings form is on the Scorecard page)."""

from typing import Any

import streamlit as st

from dashboard import ui
from tracker import queries
from tracker.scorecard import Scorecard, ScorecardItem
from tracker.vocabulary import Instrument

INSTRUMENT_TITLES = {Instrument.HNR: "HealthNewsReview.org's ten criteria",
                     Instrument.DISCERN: "DISCERN's sixteen questions (1 no – 5 yes)"}
COLUMNS: dict[str, Any] = {
    "criterion": st.column_config.TextColumn("Criterion", width="small"),
    "question": st.column_config.TextColumn("Question", width="medium"),
    "rating": st.column_config.TextColumn("Rating", width="small"),
    "rated by": st.column_config.TextColumn("Rated by", width="small"),
    "reason": st.column_config.TextColumn("Why", width="large"),
    "rules propose": st.column_config.TextColumn("Rules propose", width="small"),
}


def rows(items: list[ScorecardItem]) -> list[dict[str, Any]]:
    return [{"criterion": f"{i.criterion.label} {i.criterion.key}",
             "question": i.criterion.question,
             "rating": i.rating or "—", "rated by": i.rated_by or "unrated",
             "reason": i.reason,
             "rules propose": (i.proposal.rating or "—") if i.editor else ""} for i in items]


def instrument_tables(card: Scorecard) -> None:
    for instrument in Instrument:
        st.markdown(f"**{INSTRUMENT_TITLES[instrument]}**")
        ui.table(rows(card.of(instrument)), COLUMNS)


def red_flags(card: Scorecard) -> None:
    ui.table([{"word": f.term, "sentence": f.sentence} for f in card.red_flags],
             empty="No red-flag language found.")


def summary(document: queries.DocumentRow) -> None:
    """The Overview's scorecard: what fails, and the red-flag words (details on the
    Scorecard page)."""
    card = ui.read(queries.scorecard, document.id)
    failing = [i for i in card.items if i.fails]
    st.subheader("Article scorecard", anchor=False)
    st.caption(f"{len(failing)} criteria fail (HealthNewsReview not satisfactory, DISCERN 1–2); "
               "ratings by rules are proposals until an editor confirms them.")
    ui.table([{"criterion": f"{i.criterion.label} {i.criterion.key}", "rating": i.rating,
               "rated by": i.rated_by, "reason": i.reason} for i in failing],
             {k: COLUMNS[k] for k in ("criterion", "rating", "rated by", "reason")},
             empty="No criterion fails.")
    if card.red_flags:
        st.caption("Red-flag language: " + ui.escape_markdown(
            ", ".join(dict.fromkeys(f.term for f in card.red_flags))))
    st.page_link("views/scorecard.py", label="The full scorecard",
                 icon=":material/checklist:")
