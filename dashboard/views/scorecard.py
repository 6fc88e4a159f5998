"""Scorecard: the article as a whole, on HealthNewsReview.org's ten criteria and DISCERN's
sixteen questions; the rules propose where the tracker's data allow, editors confirm or
override each with a reason; and which criteria fail most often across the desk."""

import streamlit as st

from dashboard import scorecard as widgets
from dashboard import ui
from tracker import queries
from tracker.scorecard import CRITERIA, Criterion, Scorecard, ratings_of
from tracker.services import scorecard as service
from tracker.vocabulary import Instrument

ABOUT = ("HealthNewsReview.org (2006–2018) rated health news on ten criteria; DISCERN "
         "(Charnock et al. 1999) rates consumer information on treatment choices. Ratings by "
         "*rules* are proposals from the claims' categories and verdicts and the text's words; "
         "the reason says what they found. This records how the article informs; it gives no "
         "medical advice.")


def rate_form(document: queries.DocumentRow, card: Scorecard) -> None:
    st.subheader("Rate a criterion", anchor=False)
    choices: dict[str, Criterion] = {f"{c.instrument.value}:{c.key}": c
                                     for i in Instrument for c in CRITERIA[i]}
    chosen = st.selectbox("Criterion", list(choices), index=None, key="scorecard_criterion",
                          format_func=lambda k: (f"{choices[k].label} {choices[k].key}: "
                                                 f"{choices[k].question}"),
                          placeholder="Pick a criterion")
    if chosen is None:
        return
    picked = choices[chosen]
    item = card.item(picked.instrument, picked.key)
    st.markdown(f"Rules propose **{item.proposal.rating or 'nothing'}**: "
                f"{ui.escape_markdown(item.proposal.reason)}")
    for sentence in item.proposal.evidence:
        st.text(f"“{sentence}”")
    if item.editor:
        st.caption(f"Rated {item.editor.rating} by {ui.escape_markdown(item.editor.rated_by)} "
                   f"on {item.editor.rated_at:%Y-%m-%d}: {ui.escape_markdown(item.editor.reason)}")
    ratings = list(ratings_of(picked.instrument))
    current = item.rating if item.rating in ratings else None
    slot = f"{picked.instrument.value}_{picked.key}"
    with st.form(f"scorecard_form_{slot}"):
        rating = st.radio("Rating", ratings, horizontal=True, key=f"scorecard_rating_{slot}",
                          index=ratings.index(current) if current else None)
        reason = st.text_area("Why (required)", key=f"scorecard_reason_{slot}", height=80)
        submitted = st.form_submit_button("Save the rating", icon=":material/checklist:")
    if submitted:
        version = item.editor.version if item.editor else 0
        ui.perform(lambda session, actor: service.rate_criterion(
            session, actor, document.id, picked.instrument.value, picked.key, str(rating or ""),
            reason, expected_version=version),
            lambda info: f"{picked.label} {info.criterion}: {info.rating} ({info.decision} "
                         "the rules' proposal).")
    if item.editor and ui.may("scorecard.clear") and st.button(
            "Clear the rating", key=f"scorecard_clear_{slot}"):
        ui.perform(lambda session, actor: service.clear_rating(
            session, actor, document.id, picked.instrument.value, picked.key,
            "back to the rules' proposal"),
            f"{picked.label} {picked.key}: the rules' proposal stands again.")


def desk() -> None:
    st.subheader("Across documents: which criteria fail most often", anchor=False)
    tally = ui.read(queries.scorecard_tally)
    ui.table([{"criterion": f"{t.label} {t.key}", "failed": t.failed, "rated": t.rated,
               "unrated": t.unrated, "by editors": t.by_editors,
               "documents failing": ", ".join(t.documents)} for t in tally if t.rated],
             empty="No document is rated yet.")


def render(document: queries.DocumentRow) -> None:
    ui.page_title("Scorecard", document)
    st.caption(ABOUT)
    card = ui.read(queries.scorecard, document.id)
    widgets.instrument_tables(card)
    st.markdown("**Red-flag language**")
    widgets.red_flags(card)
    if ui.may("scorecard.rate"):
        rate_form(document, card)
    else:
        ui.needs("scorecard.rate", "confirm or override the scorecard's ratings")
    desk()


ui.with_document(render)
