"""The claim panel beside the article's text, through AppTest on SQLite and PostgreSQL:
badges that explain themselves on hover, judging a link's directness and appraising its study
there, linking a study found anywhere in the library, and confirming or correcting PICO tags
(issues 14 and 17). Which role sees which control: tests/test_dashboard_access.py."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from dashboard import actions, ui
from tests.helpers_dashboard import (
    SUPPORTABLE,
    button,
    citation_id,
    claim_with,
    open_citation,
    plain,
)
from tracker import db, queries
from tracker.models import Citation, CitationTopic, ClaimTag, EvidenceLink
from tracker.services import evidence
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import Role, Stance

MakeActor = Callable[[Engine, Role], Actor]
OpenApp = Callable[..., AppTest]
TRIAL = "sigtermans2009"  # a randomised trial: RoB 2, domains D1–D5
ELEMENTS = ("population", "intervention", "comparator", "outcome", "setting")


def open_claim(at: AppTest, claim: int) -> AppTest:
    at.button(key=f"open_claim_{claim}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def linked(engine: Engine, claim: int, key: str) -> int:
    """Link `key` to `claim` (as the system); the link's id."""
    with db.writing(engine) as session:
        return evidence.link_evidence(session, system_actor(session), claim,
                                      citation_id(engine, key), Stance.SUPPORTS).id


# --- badges ------------------------------------------------------------------------------------


def test_a_sentences_badges_explain_themselves_on_hover(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE)
    at = open_app(shipped_engine, "article")
    helps = [m.proto.help for m in at.markdown if f"claim {claim.id}" in plain(m.value)]
    assert helps, "the sentence is shown"
    said = plain(helps[0])
    assert ui.BADGE_MEANINGS[claim.status] in said
    assert "Why: " + claim.explanation in said


def test_none_and_not_assessed_certainty_are_explained_in_the_claims_table() -> None:
    glossary = ui.CLAIM_COLUMNS["certainty"]["help"]
    assert "not yet appraised" in glossary and "very low" in glossary
    assert "nothing for GRADE to rate" in ui.BADGE_MEANINGS["none"]


# --- directness and appraisal beside the text ------------------------------------------------


def test_a_reviewer_judges_directness_and_appraises_the_study_beside_the_text(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE).id
    link = linked(shipped_engine, claim, TRIAL)
    at = open_claim(open_app(shipped_engine, "article",
                             make_actor(shipped_engine, Role.REVIEWER)), claim)
    at.selectbox(key=f"panel_link_{claim}").set_value(link).run()
    for element in ELEMENTS:
        at.selectbox(key=f"directness_{link}_{element}").set_value("direct")
        at.text_input(key=f"directness_{link}_{element}_reason").input("same question")
    button(at, "Save directness and effect").click().run()
    assert not at.error, [e.value for e in at.error]
    for domain in ("D1", "D2", "D3", "D4", "D5"):
        at.selectbox(key=f"appraise_{TRIAL}_{domain}").set_value("low")
        at.text_input(key=f"appraise_{TRIAL}_{domain}_reason").input("read the trial")
    button(at, "Save the appraisal").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        [row] = [e for e in queries.evidence(session, [claim]) if e.link_id == link]
        assert {k: j for k, (j, _) in row.directness.items()} == dict.fromkeys(
            ELEMENTS, "direct")
        appraisal = queries.citation_detail(session, TRIAL).appraisal
        assert appraisal is not None and appraisal.overall == "low"


# --- a citation picker over the whole library -------------------------------------------------


def test_the_picker_finds_a_study_beyond_the_most_linked_and_links_it(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    """A study no claim cites is not among the first matches of an empty search; its words
    find it, and "Link the study" links it without leaving the article."""
    claim = claim_with(shipped_engine, SUPPORTABLE).id
    with db.reading(shipped_engine) as session:
        total = session.scalar(select(func.count(Citation.id)))
        unlinked = select(EvidenceLink.citation_id)
        key = session.scalars(select(Citation.key).where(Citation.id.not_in(unlinked))
                              .order_by(Citation.key.desc()).limit(1)).one()
        cid = session.scalars(select(Citation.id).where(Citation.key == key)).one()
    assert total is not None and total > actions.PICKER_LIMIT
    at = open_claim(open_app(shipped_engine, "article",
                             make_actor(shipped_engine, Role.REVIEWER)), claim)
    picker = at.selectbox(key=f"panel_new_link_{claim}_citation")
    assert cid not in picker.options and len(picker.options) == actions.PICKER_LIMIT
    at.text_input(key=f"panel_new_link_{claim}_search").input(key).run()
    at.selectbox(key=f"panel_new_link_{claim}_citation").set_value(cid)
    at.text_area(key=f"panel_new_link_{claim}_note").input("found by the picker")
    button(at, "Link the study").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        assert session.scalar(select(EvidenceLink.note).where(
            EvidenceLink.claim_id == claim, EvidenceLink.citation_id == cid)) == (
            "found by the picker")
    assert at.text_input(key=f"panel_new_link_{claim}_search").value == ""


def test_linking_with_no_study_picked_says_so_and_writes_nothing(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE).id
    at = open_claim(open_app(shipped_engine, "article",
                             make_actor(shipped_engine, Role.REVIEWER)), claim)
    button(at, "Link the study").click().run()
    assert [plain(e.value) for e in at.error] == ["Find and pick the study to link."]


# --- PICO tags -----------------------------------------------------------------------------------


def test_a_reviewer_confirms_and_adds_a_claims_pico_tags(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE).id
    with db.reading(shipped_engine) as session:
        proposed = [t for t in queries.claim_tags(session, claim) if t.state == "proposed"]
    assert proposed
    tag = proposed[0]
    at = open_claim(open_app(shipped_engine, "article",
                             make_actor(shipped_engine, Role.REVIEWER)), claim)
    at.selectbox(key=f"claim_tags_{claim}_tag").set_value((tag.facet, tag.value))
    at.text_input(key=f"claim_tags_{claim}_reason").input("the sentence says so")
    button(at, "Confirm the tag").click().run()
    assert not at.error, [e.value for e in at.error]
    at.selectbox(key=f"claim_tags_{claim}_facet").set_value("setting")
    at.text_input(key=f"claim_tags_{claim}_value").input("chronic outpatient")
    button(at, "Add the tag").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        decided = {(t.facet, t.value): (t.state, t.source) for t in session.scalars(
            select(ClaimTag).where(ClaimTag.claim_id == claim))}
    assert decided == {(tag.facet, tag.value): ("confirmed", "rule"),
                       ("setting", "chronic outpatient"): ("confirmed", "reviewer")}


def test_a_reviewer_rejects_a_studys_proposed_tag_beside_the_search(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:

    with db.reading(shipped_engine) as session:
        tag = next(t for t in queries.citation_tags(session, TRIAL) if t.state == "proposed")
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    cid = open_citation(at, shipped_engine, TRIAL)
    at.selectbox(key=f"citation_tags_{cid}_tag").set_value((tag.facet, tag.value))
    button(at, "Reject the tag").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        assert session.scalar(select(CitationTopic.state).where(
            CitationTopic.citation_id == cid, CitationTopic.facet == tag.facet,
            CitationTopic.value == tag.value)) == "rejected"
