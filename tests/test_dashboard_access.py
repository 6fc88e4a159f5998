"""Access control through the dashboard (Streamlit's AppTest), on SQLite and PostgreSQL: each
role sees exactly the write controls the table (`access.USE_CASES`) allows it, a control forced
by a role that may not use it is refused by the service and changes nothing, sign-ins are rate
limited and expire, and stored text never renders as HTML or active Markdown — on any page, in
any label, nor in the annotated report."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from streamlit.testing.v1 import AppTest

from dashboard import ui
from tests.conftest import ROOT
from tests.helpers import snapshot
from tests.helpers_dashboard import (
    META_ANALYSIS,
    PAGES,
    SUPPORTABLE,
    app_on,
    appraisal_tab,
    button,
    citation_id,
    claim_with,
    clear_caches,
    document_id,
    evidence_tab,
    foreign_html,
    go,
    literal_texts,
    markdown_bodies,
    plain,
)
from tracker import db, exports, queries
from tracker.models import SignInAttempt, User
from tracker.services import (
    articles,
    citations,
    dual,
    evidence,
    flags,
    questions,
    scorecard,
    users,
)
from tracker.services.access import USE_CASES, Actor, system_actor, with_article
from tracker.vocabulary import FlagKind, FlagState, Role, Stance, StudyDesign

MakeActor = Callable[[Engine, Role], Actor]
OpenApp = Callable[..., AppTest]
PASSWORD = "password-1"  # conftest's make_actor test password
TABS = ["Find and link", "Edit or remove a link", "Import BibTeX"]
#: The use cases each page offers (pages not listed offer none).
PAGE_USES: dict[str, set[str]] = {
    "evidence": {"evidence.link", "evidence.edit", "evidence.unlink", "citations.import",
                 "citations.check-retractions",
                 "citation.verify", "citation.design", "citation.retract",
                 "tags.decide"},  # + a citation
    "queue": {"flag.raise", "flag.resolve", "flag.dismiss", "claim.override",
              "claim.override-clear", "claim.sign-off"},
    "questions": {"question.update", "question.add", "question.evidence"},
    "article": {"evidence.link", "flag.raise", "claim.sign-off", "claim.split",
                "claim.body-judgement", "evidence.edit", "citation.appraise",
                "tags.decide"},  # on the open claim
    "appraisal": {"citation.appraise", "evidence.edit", "claim.body-judgement", "claim.track",
                  "claim.search"},
    "dual": {"dual.enter", "dual.propose", "dual.adjudicate", "document.dual-review",
             "dual.assign"},
    "wording": {"wording.accept", "wording.dismiss"},
    "scorecard": {"scorecard.rate", "scorecard.clear"},
}
#: Button label → the use case it runs ("Close the flag" runs the outcomes its radio offers).
CONTROLS = {"Link": "evidence.link", "Save changes": "evidence.edit",
            "Remove link": "evidence.unlink", "Import": "citations.import",
            "Check retraction notices": "citations.check-retractions",
            "Raise flag": "flag.raise", "Override": "claim.override",
            "Follow the rules again (clear the override)": "claim.override-clear",
            "Save": "question.update", "Save the appraisal": "citation.appraise",
            "Save directness and effect": "evidence.edit",
            "Record the judgement": "claim.body-judgement",
            "Back to the rules' proposal": "claim.body-judgement",
            "Set the track": "claim.track", "Record the search": "claim.search",
            "Submit my entry": "dual.enter", "Propose the study": "dual.propose",
            "Decide": "dual.adjudicate", "Require dual review": "document.dual-review",
            "Back to single review": "document.dual-review", "Assign": "dual.assign",
            "Accept: raise the overstated flag": "wording.accept",
            "Dismiss the proposal": "wording.dismiss",
            "Save the rating": "scorecard.rate", "Clear the rating": "scorecard.clear",
            "Link evidence to this claim": "evidence.link", "Link this": "evidence.link",
            "Mark verified": "citation.verify", "Mark unverified": "citation.verify",
            "Confirm the design": "citation.design", "Mark retracted": "citation.retract",
            "Withdraw the retraction": "citation.retract", "Split the claim": "claim.split",
            "Add the question": "question.add", "Add the study": "question.evidence",
            "Judge its body of evidence": "claim.body-judgement",
            "Link the study": "evidence.link", "Confirm the tag": "tags.decide",
            "Reject the tag": "tags.decide", "Add the tag": "tags.decide"}
DUAL_TABS = ["My queue", "Adjudication", "Set-up", "Agreement"]
RATED = "hnr:availability"  # the scorecard criterion an editor has rated in `reviewed`
PAIR = ("pair-first", "pair-second")  # the reviewers whose entries differ in `reviewed`
APPRAISAL_TABS = ["Appraise a study", "Directness and effect", "Body of evidence",
                  "Track and searches"]
OUTCOMES = {FlagState.RESOLVED.value: "flag.resolve", FlagState.DISMISSED.value: "flag.dismiss"}
NOT_WRITES = {"Sign in", "Sign out", "›"}  # "›" opens a sentence of the article
ROLES: list[Role | None] = [None, *Role]


def below(role: Role) -> Role:
    return list(Role)[role.rank - 1]


# --- what each role is shown -----------------------------------------------------------------


def shown_uses(at: AppTest) -> set[str]:
    """The use cases of the write controls on the page; an unknown button fails the test, so a
    new control must be classified here (and gated with `ui.may`)."""
    found: set[str] = set()
    for b in at.button:
        if b.label in NOT_WRITES:
            continue
        if b.label == "Close the flag":
            [outcome] = [r for r in at.radio if str(r.key).startswith("close_state_")]
            found |= {OUTCOMES[o] for o in outcome.options}
        elif b.label.startswith("Link ") and str(b.key).startswith("link_added_"):
            found.add("evidence.link")
        elif b.label.startswith("Sign off claim #"):
            found.add("claim.sign-off")
        else:
            assert b.label in CONTROLS, f"unclassified button {b.label!r}"
            found.add(CONTROLS[b.label])
    return found


def keys(widgets: Any) -> set[str]:
    return {w.key for w in widgets}


def explore(at: AppTest, page: str, claim: int, flag: int, citation: int | None = None
            ) -> set[str]:
    """Open the page and every part of it that shows more controls; the use cases offered."""
    go(at, page)
    seen = shown_uses(at)
    if page == "evidence" and at.tabs:
        for tab in TABS:
            evidence_tab(at, tab)
            seen |= shown_uses(at)
            if tab == TABS[0] and citation is not None:  # open a citation's pane
                at.text_input(key="citation_search").input(META_ANALYSIS).run()
                at.session_state["link_citation"] = citation  # inside the link form
                at.run()
                seen |= shown_uses(at)
            if "edit_claim" in keys(at.selectbox):
                at.selectbox(key="edit_claim").set_value(claim).run()
                seen |= shown_uses(at)
    if page == "appraisal" and at.tabs:
        for tab in APPRAISAL_TABS:
            appraisal_tab(at, tab)
            seen |= shown_uses(at)
            if "appraise_key" in keys(at.selectbox):
                at.text_input(key="appraise_search").input("sigtermans").run()
                at.selectbox(key="appraise_key").set_value("sigtermans2009").run()
            for key in ("directness_claim", "body_claim", "track_claim"):
                if key in keys(at.selectbox):
                    at.selectbox(key=key).set_value(claim).run()
            if "directness_link" in keys(at.selectbox):
                link = at.selectbox(key="directness_link")
                link.set_value(link.options[0] if isinstance(link.options[0], int)
                               else int(str(link.options[0]).split()[0].lstrip("#"))).run()
            seen |= shown_uses(at)
    if page == "dual" and at.tabs:
        for tab in DUAL_TABS:
            at.session_state["dual_tab"] = tab
            at.run()
            seen |= shown_uses(at)
            if "dual_pick" in keys(at.selectbox):
                picker = at.selectbox(key="dual_pick")
                [to_enter] = [n for n, label in enumerate(picker.options)
                              if label.endswith("to enter")]
                picker.set_value(to_enter).run()
            if "dual_adjudicate_item" in keys(at.selectbox):
                items = at.selectbox(key="dual_adjudicate_item")
                items.set_value(int(str(items.options[0]).split()[0].lstrip("#"))).run()
            seen |= shown_uses(at)
    if page == "scorecard" and "scorecard_criterion" in keys(at.selectbox):
        at.selectbox(key="scorecard_criterion").set_value(RATED).run()
        seen |= shown_uses(at)
    if page == "article":
        at.selectbox(key="article_claim").set_value(claim).run()
        seen |= shown_uses(at)
    if page == "queue":
        if "close_flag" in keys(at.selectbox):
            at.selectbox(key="close_flag").set_value(flag).run()
            seen |= shown_uses(at)
        if "review_claim" in keys(at.selectbox):
            at.selectbox(key="review_claim").set_value(claim).run()
            seen |= shown_uses(at)
    assert not at.exception, [e.value for e in at.exception]
    return seen


@pytest.fixture
def reviewed(shipped_engine: Engine) -> tuple[Engine, int, int]:
    """The shipped database plus a claim with a link to edit and an override to clear, and a
    scorecard rating to clear (`RATED`); with the newest open flag. The document is under
    dual review, and two reviewers (`PAIR`) differ on the link's stance (an item awaiting
    adjudication)."""
    claim = claim_with(shipped_engine, SUPPORTABLE)
    with db.writing(shipped_engine) as session:
        system = system_actor(session)
        study = citation_id(shipped_engine, META_ANALYSIS)
        evidence.link_evidence(session, system, claim.id, study, Stance.SUPPORTS)
        evidence.override_requirement(session, system, claim.id, 1, [StudyDesign.RCT], "why")
        scorecard.rate_criterion(session, system, document_id(shipped_engine),
                                 *RATED.split(":"), "not-applicable", "a reason")
        dual.require_dual_review(session, system, document_id(shipped_engine), True, "test")
        for name, stance in zip(PAIR, (Stance.SUPPORTS, Stance.MIXED), strict=True):
            info = users.add_user(session, system, name, Role.REVIEWER, PASSWORD)
            dual.enter_stance(session, Actor(info.id, name, Role.REVIEWER), claim.id, study,
                              stance, "a reason")
    return shipped_engine, claim.id, _flag_id(shipped_engine)


def assign_to(engine: Engine, actor: Actor, claim: int) -> None:
    """Give `claim` to `actor` and a partner, so their queue offers an entry."""
    with db.writing(engine) as session:
        dual.assign(session, system_actor(session), document_id(engine),
                    [actor.username, PAIR[0]], claim_ids=[claim])


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "nobody")
def test_each_role_sees_exactly_the_write_controls_it_may_use(
        reviewed: tuple[Engine, int, int], open_app: OpenApp, make_actor: MakeActor,
        role: Role | None) -> None:
    engine, claim, flag = reviewed
    actor = make_actor(engine, role) if role else None
    if role is not None and role.includes(Role.REVIEWER):
        assert actor is not None
        assign_to(engine, actor, claim)
    at = open_app(engine, "overview", actor)
    for page in PAGES:
        allowed = {use for use in PAGE_USES.get(page, set())
                   if role is not None and role.includes(USE_CASES[use].role)}
        assert explore(at, page, claim, flag, citation_id(engine, META_ANALYSIS)) == allowed, (
            page)
        assert ("Sign in" in {b.label for b in at.sidebar.button}) is (role is None)


# --- forcing a control the role may not use --------------------------------------------------


def _flag_id(engine: Engine) -> int:
    with db.reading(engine) as session:
        return queries.flags(session, queries.FlagFilter(state=FlagState.OPEN.value), limit=1)[0].id


def _fill_flag(at: AppTest, engine: Engine, claim: int) -> Any:
    at.multiselect(key="flag_claims").set_value([claim])
    at.text_area(key="flag_reason").input("forced")
    return button(at, "Raise flag")


def _fill_close(outcome: str) -> Callable[[AppTest, Engine, int], Any]:
    def fill(at: AppTest, engine: Engine, claim: int) -> Any:
        flag = _flag_id(engine)
        at.selectbox(key="close_flag").set_value(flag).run()
        at.radio(key=f"close_state_{flag}").set_value(outcome)
        at.text_area(key=f"close_reason_{flag}").input("forced")
        return button(at, "Close the flag")
    return fill


def _fill_review(label: str) -> Callable[[AppTest, Engine, int], Any]:
    def fill(at: AppTest, engine: Engine, claim: int) -> Any:
        at.selectbox(key="review_claim").set_value(claim).run()
        at.text_area(key=f"override_reason_{claim}").input("forced")
        [found] = [b for b in at.button if b.label.startswith(label)]
        return found
    return fill


def _fill_question(at: AppTest, engine: Engine, claim: int) -> Any:
    with db.reading(engine) as session:
        question = queries.questions(session, document_id(engine))[0]
    at.selectbox(key=f"question_status_{question.id}").set_value("answered")
    [save] = [b for b in at.button if b.label == "Save"
              and b.form_id.endswith(f"question_form_{question.id}")]
    return save


def _fill_link(at: AppTest, engine: Engine, claim: int) -> Any:
    other = claim_with(engine, "Ketamine blocks NMDA receptors").id
    at.text_input(key="citation_search").input(META_ANALYSIS).run()
    at.selectbox(key="link_claim").set_value(other)
    at.selectbox(key="link_citation").set_value(citation_id(engine, META_ANALYSIS))
    return button(at, "Link")


def _fill_edit(label: str) -> Callable[[AppTest, Engine, int], Any]:
    def fill(at: AppTest, engine: Engine, claim: int) -> Any:
        evidence_tab(at, "Edit or remove a link")
        at.selectbox(key="edit_claim").set_value(claim).run()
        link = at.selectbox(key="edit_link").value
        at.text_area(key=f"edit_{link}_note").input("forced")
        at.checkbox(key=f"edit_{link}_sure").check()
        return button(at, label)
    return fill


def _fill_import(at: AppTest, engine: Engine, claim: int) -> Any:
    evidence_tab(at, "Import BibTeX")
    at.text_area(key="import_text").input(
        "@article{forced1, title = {Forced}, author = {Doe, J}, year = {2020}}")
    return button(at, "Import")


def _fill_retractions(at: AppTest, engine: Engine, claim: int) -> Any:
    evidence_tab(at, "Import BibTeX")
    csv_file = ROOT / "tests" / "fixtures" / "formats" / "retractions.csv"
    at.file_uploader(key="retraction_file").set_value(
        ("retractions.csv", csv_file.read_bytes(), "text/csv"))
    return button(at, "Check retraction notices")


def _fill_appraise(at: AppTest, engine: Engine, claim: int) -> Any:
    appraisal_tab(at, "Appraise a study")
    at.text_input(key="appraise_search").input("sigtermans").run()
    at.selectbox(key="appraise_key").set_value("sigtermans2009").run()
    for domain in ("D1", "D2", "D3", "D4", "D5"):
        at.selectbox(key=f"appraise_sigtermans2009_{domain}").set_value("low")
        at.text_input(key=f"appraise_sigtermans2009_{domain}_reason").input("forced")
    return button(at, "Save the appraisal")


def _fill_body(at: AppTest, engine: Engine, claim: int) -> Any:
    appraisal_tab(at, "Body of evidence")
    at.selectbox(key="body_claim").set_value(claim).run()
    at.text_input(key="body_reason_risk_of_bias").input("forced")
    return button(at, "Record the judgement")


def _fill_track(label: str) -> Callable[[AppTest, Engine, int], Any]:
    def fill(at: AppTest, engine: Engine, claim: int) -> Any:
        appraisal_tab(at, "Track and searches")
        at.selectbox(key="track_claim").set_value(claim).run()
        at.text_input(key=f"track_reason_{claim}").input("forced")
        at.text_input(key=f"search_where_{claim}").input("forced")
        return button(at, label)
    return fill


def _dual_tab(at: AppTest, tab: str) -> None:
    at.session_state["dual_tab"] = tab
    at.run()


def _fill_entry(at: AppTest, engine: Engine, claim: int) -> Any:
    assign_to(engine, at.session_state[ui.ACTOR_KEY], claim)
    _dual_tab(at, "My queue")
    picker = at.selectbox(key="dual_pick")
    [to_enter] = [n for n, label in enumerate(picker.options) if label.endswith("to enter")]
    picker.set_value(to_enter).run()
    for element in ("population", "intervention", "comparator", "outcome", "setting"):
        at.text_input(key=f"dual_entry_{to_enter}_{element}_reason").input("forced")
    return button(at, "Submit my entry")


def _fill_propose(at: AppTest, engine: Engine, claim: int) -> Any:
    _dual_tab(at, "My queue")
    at.selectbox(key="dual_propose_claim").set_value(claim)
    at.text_input(key="dual_propose_key").input("sigtermans2009")
    at.text_input(key="dual_propose_reason").input("forced")
    return button(at, "Propose the study")


def _fill_decide(at: AppTest, engine: Engine, claim: int) -> Any:
    _dual_tab(at, "Adjudication")
    items = at.selectbox(key="dual_adjudicate_item")
    item = int(str(items.options[0]).split()[0].lstrip("#"))
    items.set_value(item).run()
    at.text_area(key=f"dual_decide_reason_{item}").input("forced")
    return button(at, "Decide")


def _fill_switch(at: AppTest, engine: Engine, claim: int) -> Any:
    _dual_tab(at, "Set-up")
    at.text_input(key="dual_switch_reason").input("forced")
    return button(at, "Back to single review")


def _fill_assign(at: AppTest, engine: Engine, claim: int) -> Any:
    _dual_tab(at, "Set-up")
    at.multiselect(key="dual_assign_pair").set_value(list(PAIR))
    at.multiselect(key="dual_assign_claims").set_value([claim])
    return button(at, "Assign")


def _fill_wording(label: str) -> Callable[[AppTest, Engine, int], Any]:
    def fill(at: AppTest, engine: Engine, claim: int) -> Any:
        at.text_area(key="wording_reason").input("forced")
        return button(at, label)
    return fill


def _fill_rating(at: AppTest, engine: Engine, claim: int) -> Any:
    at.selectbox(key="scorecard_criterion").set_value("hnr:costs").run()
    at.radio(key="scorecard_rating_hnr_costs").set_value("satisfactory")
    at.text_area(key="scorecard_reason_hnr_costs").input("forced")
    return button(at, "Save the rating")


def _fill_clear_rating(at: AppTest, engine: Engine, claim: int) -> Any:
    at.selectbox(key="scorecard_criterion").set_value(RATED).run()
    return button(at, "Clear the rating")


def _fill_citation(label: str) -> Callable[[AppTest, Engine, int], Any]:
    """The pane of a citation on the Evidence page: verify, confirm the design, retract."""
    def fill(at: AppTest, engine: Engine, claim: int) -> Any:
        cid = citation_id(engine, META_ANALYSIS)
        at.text_input(key="citation_search").input(META_ANALYSIS).run()
        at.session_state["link_citation"] = cid
        at.run()
        for key in (f"verify_{cid}_note", f"retract_{cid}_note"):
            if key in keys(at.text_input):
                at.text_input(key=key).input("forced")
        [found] = [b for b in at.button if b.label.startswith(label)]
        return found
    return fill


def _fill_split(at: AppTest, engine: Engine, claim: int) -> Any:
    other = claim_with(engine, "Ketamine blocks NMDA receptors").id
    at.session_state["article_claim"] = other
    at.run()
    at.text_area(key=f"split_{other}_parts").input("Ketamine blocks\nNMDA receptors")
    at.text_input(key=f"split_{other}_reason").input("forced")
    return button(at, "Split the claim")


def _fill_add_question(at: AppTest, engine: Engine, claim: int) -> Any:
    at.text_input(key="add_question_slug").input("forced-question")
    at.text_input(key="add_question_title").input("Forced?")
    return button(at, "Add the question")


def _fill_address(at: AppTest, engine: Engine, claim: int) -> Any:
    with db.reading(engine) as session:
        question = queries.questions(session, document_id(engine))[0]
    at.text_input(key=f"address_{question.id}_key").input(META_ANALYSIS)
    [add] = [b for b in at.button if b.label == "Add the study"
             and b.form_id.endswith(f"address_{question.id}_form")]
    return add


def _fill_tag(at: AppTest, engine: Engine, claim: int) -> Any:
    at.session_state["article_claim"] = claim
    at.run()
    at.text_input(key=f"claim_tags_{claim}_value").input("forced pain")
    return button(at, "Add the tag")


FORCED: dict[str, tuple[str, Callable[[AppTest, Engine, int], Any]]] = {
    "tags.decide": ("article", _fill_tag),
    "wording.accept": ("wording", _fill_wording("Accept: raise the overstated flag")),
    "wording.dismiss": ("wording", _fill_wording("Dismiss the proposal")),
    "scorecard.rate": ("scorecard", _fill_rating),
    "scorecard.clear": ("scorecard", _fill_clear_rating),
    "citation.verify": ("evidence", _fill_citation("Mark ")),
    "citation.design": ("evidence", _fill_citation("Confirm the design")),
    "citation.retract": ("evidence", _fill_citation("Mark retracted")),
    "claim.split": ("article", _fill_split),
    "question.add": ("questions", _fill_add_question),
    "question.evidence": ("questions", _fill_address),
    "dual.enter": ("dual", _fill_entry),
    "dual.propose": ("dual", _fill_propose),
    "dual.adjudicate": ("dual", _fill_decide),
    "document.dual-review": ("dual", _fill_switch),
    "dual.assign": ("dual", _fill_assign),
    "citation.appraise": ("appraisal", _fill_appraise),
    "claim.body-judgement": ("appraisal", _fill_body),
    "claim.track": ("appraisal", _fill_track("Set the track")),
    "claim.search": ("appraisal", _fill_track("Record the search")),
    "flag.raise": ("queue", _fill_flag),
    "flag.resolve": ("queue", _fill_close(FlagState.RESOLVED.value)),
    "flag.dismiss": ("queue", _fill_close(FlagState.DISMISSED.value)),
    "claim.override": ("queue", _fill_review("Override")),
    "claim.override-clear": ("queue", _fill_review("Follow the rules again")),
    "claim.sign-off": ("queue", _fill_review("Sign off claim #")),
    "question.update": ("questions", _fill_question),
    "evidence.link": ("evidence", _fill_link),
    "evidence.edit": ("evidence", _fill_edit("Save changes")),
    "evidence.unlink": ("evidence", _fill_edit("Remove link")),
    "citations.import": ("evidence", _fill_import),
    "citations.check-retractions": ("evidence", _fill_retractions),
}


def test_every_dashboard_use_case_has_a_forced_attempt() -> None:
    assert set(FORCED) == set().union(*PAGE_USES.values())


@pytest.mark.parametrize("use", list(FORCED))
def test_a_control_forced_below_its_role_is_refused_and_changes_nothing(
        reviewed: tuple[Engine, int, int], open_app: OpenApp, make_actor: MakeActor,
        use: str) -> None:
    """The role is lowered behind the dashboard's back (no audit event, so its cached copy
    of the user still shows the form — as when the role changes between render and click):
    the write re-reads the role in its own transaction and the service refuses it."""
    engine, claim, _ = reviewed
    needed = USE_CASES[use].role
    actor = make_actor(engine, needed)
    page, fill = FORCED[use]
    at = open_app(engine, page, actor)
    control = fill(at, engine, claim)
    with engine.begin() as connection:
        connection.execute(update(User).where(User.id == actor.id)
                           .values(role=below(needed).value))
    before = snapshot(engine)
    control.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [plain(e.value) for e in at.error] == [
        f"{actor.username} is {with_article(below(needed).value)}; {USE_CASES[use].doing} "
        "needs the "
        f"{needed.value} role"]
    assert snapshot(engine) == before


# --- sign-in: changes take effect at once, rate limit, expiry --------------------------------


def test_deactivation_signs_the_user_out_at_once(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    at = open_app(shipped_engine, "queue", editor)
    assert "flag_claims" in keys(at.multiselect)
    with db.writing(shipped_engine) as session:
        users.set_active(session, system_actor(session), editor.username, False)
    at.run()
    assert ui.ACTOR_KEY not in at.session_state
    assert "flag_claims" not in keys(at.multiselect)
    assert "Sign in" in {b.label for b in at.sidebar.button}


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(password)
    button(at, "Sign in").click().run()
    return at


def test_failed_sign_ins_are_counted_and_lock_the_name(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    """The sidebar's sign-in records each failure in the database (it signs in through
    `db.writing`) and, after five, refuses even the right password."""
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    at = open_app(shipped_engine)
    for _ in range(users.SIGN_IN_MAX_FAILURES):
        sign_in(at, reviewer.username, "wrong password")
    with db.reading(shipped_engine) as session:
        assert session.scalar(select(func.count()).select_from(SignInAttempt).where(
            SignInAttempt.username == reviewer.username)) == users.SIGN_IN_MAX_FAILURES
    sign_in(at, reviewer.username, PASSWORD)
    assert ui.ACTOR_KEY not in at.session_state
    assert [plain(e.value) for e in at.sidebar.error] == [
        f"too many failed sign-ins for {reviewer.username}; try again in 15 minutes"]


def test_signing_in_starts_the_sessions_clock(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    at = open_app(shipped_engine)
    started = datetime.now(UTC)
    sign_in(at, reviewer.username, PASSWORD)
    assert at.session_state[ui.ACTOR_KEY] == reviewer
    assert at.session_state[ui.SIGNED_IN_AT_KEY] >= started
    assert at.session_state[ui.LAST_ACTIVE_KEY] >= at.session_state[ui.SIGNED_IN_AT_KEY]


@pytest.fixture
def signed_in_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """The dashboard on the Evidence page, signed in since `ago`, last active `idle` ago."""

    def start(engine: Engine, actor: Actor, ago: timedelta, idle: timedelta) -> AppTest:
        at = app_on(monkeypatch, engine, actor)
        now = datetime.now(UTC)
        at.session_state[ui.SIGNED_IN_AT_KEY] = now - ago
        at.session_state[ui.LAST_ACTIVE_KEY] = now - idle
        at.switch_page("views/evidence.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield start
    clear_caches()


@pytest.mark.parametrize(("ago", "idle", "ended"), [
    (timedelta(hours=8, minutes=1), timedelta(minutes=1), "expired 8 hours after"),
    (timedelta(hours=2), timedelta(hours=1, minutes=1), "after 1 hour without activity"),
])
def test_an_expired_sign_in_signs_the_user_out_with_a_message(
        shipped_engine: Engine, signed_in_app: Callable[..., AppTest], make_actor: MakeActor,
        ago: timedelta, idle: timedelta, ended: str) -> None:
    at = signed_in_app(shipped_engine, make_actor(shipped_engine, Role.REVIEWER), ago, idle)
    assert ui.ACTOR_KEY not in at.session_state
    assert "link_claim" not in keys(at.selectbox)
    assert "Sign in" in {b.label for b in at.sidebar.button}
    messages = [plain(w.value) for w in at.sidebar.warning]
    assert any(ended in m for m in messages), messages


def test_activity_keeps_a_sign_in_alive(
        shipped_engine: Engine, signed_in_app: Callable[..., AppTest],
        make_actor: MakeActor) -> None:
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    at = signed_in_app(shipped_engine, reviewer, timedelta(hours=7, minutes=50),
                       timedelta(minutes=50))
    assert at.session_state[ui.ACTOR_KEY] == reviewer
    assert "link_claim" in keys(at.selectbox)
    assert datetime.now(UTC) - at.session_state[ui.LAST_ACTIVE_KEY] < timedelta(minutes=1)
    at.session_state[ui.SIGNED_IN_AT_KEY] -= timedelta(minutes=11)  # now 8 h 01 min ago
    at.run()
    assert ui.ACTOR_KEY not in at.session_state, "activity does not extend the 8 hours"


# --- stored text stays inert everywhere ------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "[x](javascript:alert(1))"
SVG = '"><svg onload=alert(1)>'
PAYLOADS = (SCRIPT, IMG, JS_LINK, SVG)
ALL = " ".join(PAYLOADS)
HOSTILE_SLUG = "hostile-article"
HOSTILE_ARTICLE = f"""# Hostile article {SCRIPT}

## Section {IMG} and {JS_LINK}

Ketamine relieves neuropathic pain {SCRIPT} within minutes {IMG} in most patients.

Ketamine reduces opioid use {JS_LINK} and lowers nausea {SVG} after surgery.
"""
HOSTILE_BIB = f"""@article{{hostile1, title = {{Trial of ketamine {ALL}}},
  author = {{Mallory, Eve}}, year = {{2020}}, journal = {{Journal {SCRIPT} {SVG}}},
  doi = {{10.1000/hostile.1}}, studydesign = {{rct}}}}
"""


@pytest.fixture
def hostile_world(shipped_engine: Engine) -> dict[str, Any]:
    """A second document whose every stored text carries the four payloads: title, section,
    claim text, a split's parts and reason, a citation's title and journal, a link's note and
    locator, flag reasons and a resolution, an override reason, a question's title and
    description and its evidence note, a sign-off, and a user's display name."""
    source = articles.ArticleSource(HOSTILE_ARTICLE, f"{IMG}.md", "markdown")
    with db.writing(shipped_engine) as session:
        system = system_actor(session)
        document = articles.ingest(session, system, source, slug=HOSTILE_SLUG).document_id
        citations.import_bibtex(session, system, [(f"{SVG}.bib", HOSTILE_BIB)], strict=True)
        cited = citations.citation_by_key(session, "hostile1").id
        citations.set_verification(session, system, cited, True, f"checked {ALL}")
        claims = {c.text: c.id for c in queries.claims(
            session, queries.ClaimFilter(document_id=document))}
        [first] = [i for t, i in claims.items() if "neuropathic" in t]
        [second] = [i for t, i in claims.items() if "opioid" in t]
        evidence.link_evidence(session, system, first, cited, Stance.SUPPORTS,
                               locator=f"Table {IMG}", note=f"note {ALL}")
        flags.raise_flag(session, system, first, FlagKind.OVERSTATED, f"reason {ALL}")
        closed = flags.raise_flag(session, system, second, FlagKind.OTHER, f"other {ALL}")
        flags.close_flag(session, system, closed.id, FlagState.DISMISSED, f"why {ALL}")
        evidence.override_requirement(session, system, first, 1, [StudyDesign.RCT],
                                      f"override {ALL}")
        # A Markdown link in a sentence is read as its text at ingest (the claim says "use
        # x"); the link itself stays in the section title, the split's reason and elsewhere.
        evidence.split_claim(session, system, second, [
            "Ketamine reduces opioid use x", f"lowers nausea {SVG} after surgery"],
            f"split {ALL}")
        question = questions.add_question(
            session, system, document, "hostile-q", f"Question {ALL}",
            description=f"description {ALL}", claim_ids=[first])
        questions.address_question(session, system, question.id, cited, f"addresses {ALL}")
        users.add_user(session, system, "hostile-editor", Role.EDITOR, PASSWORD,
                       display_name=f"Display {ALL}")
        editor = users.authenticate(session, "hostile-editor", PASSWORD).accepted()
        evidence.sign_off(session, editor, first)
    return {"engine": shipped_engine, "document": document, "first": first,
            "second": second, "editor": editor}


class Seen:
    """Everything the pages showed, checked as it is collected."""

    def __init__(self) -> None:
        self.markdown: list[str] = []
        self.literal: list[str] = []

    def check(self, at: AppTest, where: str) -> None:
        assert not at.exception, [e.value for e in at.exception]
        bodies = markdown_bodies(at)
        for payload in PAYLOADS:
            raw = [b for b in bodies if payload in b]
            assert not raw, f"{where}: {payload!r} reached Markdown unescaped: {raw[:1]}"
        assert not foreign_html(at), f"{where}: st.html used"
        assert all(not m.proto.allow_html for m in at.markdown), f"{where}: unsafe HTML on"
        self.markdown += bodies
        self.literal += literal_texts(at)

    def shows(self, stored: str) -> bool:
        """`stored` appeared: escaped in Markdown, or as it is in plain text."""
        escaped = ui.escape_markdown(stored)
        return (any(escaped in b for b in self.markdown)
                or any(stored in t for t in self.literal))


def test_stored_text_is_inert_on_every_page(
        hostile_world: dict[str, Any], open_app: OpenApp) -> None:
    engine, first = hostile_world["engine"], hostile_world["first"]
    at = open_app(engine, "overview", hostile_world["editor"])
    at.sidebar.selectbox(key=ui.DOCUMENT_KEY).set_value(HOSTILE_SLUG).run()
    seen = Seen()
    for page in PAGES:
        go(at, page)
        seen.check(at, page)
    go(at, "article")
    at.selectbox(key="article_claim").set_value(first).run()
    seen.check(at, "article, claim in full")
    for tab in ("Evidence", "Flags", "Parts", "History"):
        assert any(t.label.startswith(tab) for t in at.tabs)
    go(at, "claims")
    at.selectbox(key="claims_pick").set_value(hostile_world["second"]).run()
    seen.check(at, "claims, the split claim in full")
    go(at, "queue")
    with db.reading(engine) as session:
        [flag] = queries.flags(session, queries.FlagFilter(
            hostile_world["document"], FlagState.OPEN.value))
    at.selectbox(key="close_flag").set_value(flag.id).run()
    seen.check(at, "queue, closing a flag")
    at.selectbox(key="review_claim").set_value(first).run()
    seen.check(at, "queue, reviewing a claim")
    go(at, "evidence")
    at.text_input(key="citation_search").input("Mallory").run()
    seen.check(at, "evidence, search")
    evidence_tab(at, "Edit or remove a link")
    at.selectbox(key="edit_claim").set_value(first).run()
    seen.check(at, "evidence, editing a link")
    evidence_tab(at, "Import BibTeX")
    at.file_uploader(key="import_files").set_value(
        (f"{SCRIPT}.bib", f"@article{{{SVG}, title = {{{IMG}}}}}".encode(), "text/plain"))
    button(at, "Import").click().run()
    seen.check(at, "evidence, an import report")
    go(at, "export")
    seen.check(at, "export")

    places = {
        "document title": f"Hostile article {SCRIPT}",
        "section title": f"Section {IMG} and {JS_LINK}",
        "claim text": f"Ketamine relieves neuropathic pain {SCRIPT} within minutes {IMG}",
        "split part": f"lowers nausea {SVG} after surgery",
        "citation title": f"Trial of ketamine {ALL}",
        "journal": f"Journal {SCRIPT} {SVG}",
        "link note": f"note {ALL}", "locator": f"Table {IMG}",
        "flag reason": f"reason {ALL}", "flag resolution": f"why {ALL}",
        "override reason": f"override {ALL}", "question title": f"Question {ALL}",
        "question description": f"description {ALL}",
        "question evidence note": f"addresses {ALL}",
        "import source name": f"{SCRIPT}.bib",
    }
    assert [place for place, stored in places.items() if not seen.shows(stored)] == []


def test_a_hostile_username_typed_at_sign_in_is_shown_inert(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    at = open_app(shipped_engine)
    for payload in PAYLOADS:
        sign_in(at, payload, "wrong password")
        bodies = markdown_bodies(at)
        assert not [b for b in bodies if payload in b]
        assert any("unknown user or wrong password" in plain(e.value) for e in at.sidebar.error)
    for _ in range(users.SIGN_IN_MAX_FAILURES):
        sign_in(at, SCRIPT, "wrong password")
    assert any(ui.escape_markdown(f"too many failed sign-ins for {SCRIPT}") in e.value
               for e in at.sidebar.error)


def test_a_user_named_with_markup_is_never_displayed_raw(
        hostile_world: dict[str, Any], open_app: OpenApp) -> None:
    """Usernames are restricted to [a-z0-9._-]; display names are free text and are not
    shown, so the sidebar names the username only."""
    at = open_app(hostile_world["engine"], "overview", hostile_world["editor"])
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "hostile\\-editor" in sidebar and "Display" not in sidebar
    with db.writing(hostile_world["engine"]) as session, pytest.raises(Exception,
                                                                       match="username"):
        users.add_user(session, system_actor(session), IMG, Role.VIEWER, PASSWORD)


# --- the annotated report --------------------------------------------------------------------


def test_the_report_keeps_stored_text_inert(hostile_world: dict[str, Any]) -> None:
    """Rendered by a CommonMark renderer with raw HTML *allowed* (the worst case), the report
    holds no tag or link that stored text brought in, and every payload reads as written."""
    markdown_it = pytest.importorskip("markdown_it")
    engine = hostile_world["engine"]
    with db.reading(engine) as session:
        report = exports.export(session, "report", document_slug=HOSTILE_SLUG)
    html = markdown_it.MarkdownIt("commonmark", {"html": True}).render(report)
    tags = set(re.findall(r"<([a-z][a-z0-9]*)", html))
    assert tags <= {"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "code"}, tags
    assert "href" not in html and "src=" not in html.replace("src=x", "")
    readable = re.sub(r"\\(.)", r"\1", report).replace(exports.WORD_JOINER, "")
    for stored in (f"Hostile article {SCRIPT}", f"Section {IMG} and {JS_LINK}",
                   f"Trial of ketamine {ALL}", f"Journal {SCRIPT} {SVG}"):
        assert stored in readable, stored


def test_the_report_folds_line_breaks_and_defuses_autolinks() -> None:
    escaped = exports._escape("a\n\n# b\n- c https://x.example www.x.example me@x.example &amp;")
    assert "\n" not in escaped
    assert "https" + exports.WORD_JOINER in escaped and "www" + exports.WORD_JOINER in escaped
    assert "@" + exports.WORD_JOINER in escaped and "\\&amp;" in escaped


def test_the_preview_of_the_report_is_a_code_block(
        hostile_world: dict[str, Any], open_app: OpenApp) -> None:
    at = open_app(hostile_world["engine"], "overview")
    at.sidebar.selectbox(key=ui.DOCUMENT_KEY).set_value(HOSTILE_SLUG).run()
    go(at, "export")
    [preview] = at.code
    assert preview.value.startswith("# Evidence report: Hostile article \\<script\\>")
    assert not foreign_html(at) and not [m for m in at.markdown if "onerror" in m.value]


# --- uploads and the browser a sign-in belongs to (issue 12) ----------------------------------


def test_the_server_keeps_uploads_only_for_sessions_that_may_import() -> None:
    """Streamlit's upload endpoint stores a file for any live session; wrapped by
    `sessions.guard_uploads`, its manager refuses them for a session not allowed to import,
    and past the per-session bound."""
    from starlette.exceptions import HTTPException
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    from dashboard import sessions

    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    sessions.guard_uploads(manager)
    sessions.guard_uploads(manager)  # idempotent

    def upload(session: str, file_id: str, size: int) -> None:
        manager.add_file(session, UploadedFileRec(file_id, "x.bib", "text/plain", b"@" * size))

    with pytest.raises(HTTPException) as anonymous:
        upload("visitor", "f1", 1000)
    assert anonymous.value.status_code == 403 and manager.file_storage.get("visitor") is None
    sessions.allow_uploads("reviewer", True)
    upload("reviewer", "f1", sessions.MAX_SESSION_UPLOAD_BYTES // 2)
    upload("reviewer", "f1", sessions.MAX_SESSION_UPLOAD_BYTES // 2)  # replaced, not added
    with pytest.raises(HTTPException) as too_much:
        upload("reviewer", "f2", sessions.MAX_SESSION_UPLOAD_BYTES // 2 + 1)
    assert too_much.value.status_code == 413
    assert set(manager.file_storage["reviewer"]) == {"f1"}
    sessions.allow_uploads("reviewer", False)  # signed out
    with pytest.raises(HTTPException):
        upload("reviewer", "f3", 10)


def test_the_sidebar_allows_uploads_by_role(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import sessions

    decided: list[bool] = []
    monkeypatch.setattr(sessions, "allow_uploads", lambda _session, allowed: decided.append(
        allowed))
    open_app(shipped_engine)
    assert decided and not any(decided), "nobody signed in: no uploads"
    decided.clear()
    open_app(shipped_engine, "overview", make_actor(shipped_engine, Role.VIEWER))
    assert decided and not any(decided), "a viewer may not import"
    decided.clear()
    open_app(shipped_engine, "overview", make_actor(shipped_engine, Role.REVIEWER))
    assert decided and all(decided)


def test_a_sign_in_ends_when_its_session_reaches_another_browser(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A session id replayed from another client resumes the session: the sign-in is bound
    to the browser that made it (its XSRF cookie's token), so it ends there."""
    from dashboard import sessions

    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    at = sign_in(open_app(shipped_engine), reviewer.username, PASSWORD)
    assert at.session_state[ui.ACTOR_KEY] == reviewer
    at.run()
    assert at.session_state[ui.ACTOR_KEY] == reviewer, "the same browser stays signed in"
    monkeypatch.setattr(sessions, "client_binding", lambda _cookies, _headers: "elsewhere")
    at.run()
    assert ui.ACTOR_KEY not in at.session_state
    assert [plain(w.value) for w in at.sidebar.warning] == [ui.MOVED]


def test_the_browser_binding_reads_the_token_of_the_xsrf_cookie() -> None:
    from dashboard import sessions

    def cookie(token: bytes, mask: bytes) -> str:
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
        return f"2|{mask.hex()}|{masked.hex()}|1700000000"

    agent = {"User-Agent": "Mozilla/5.0"}
    mine, again = (sessions.client_binding({sessions.XSRF_COOKIE: cookie(b"t" * 16, m)}, agent)
                   for m in (b"\x01\x02\x03\x04", b"\xaa\xbb\xcc\xdd"))
    theirs = sessions.client_binding({sessions.XSRF_COOKIE: cookie(b"u" * 16, b"\x01\x02\x03"
                                                                   b"\x04")}, agent)
    assert mine == again, "a new mask on the next page load is the same browser"
    assert theirs != mine and sessions.client_binding({}, agent) != mine


def test_session_ids_stay_out_of_the_warning_log(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from dashboard import sessions

    sessions.quiet_session_ids()
    logger = logging.getLogger(sessions.SESSION_LOGGERS[0])
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.warning("Session with id %s is already connected! Reconnecting to existing "
                       "session.", "0f3c2b1a-secret-session")
    assert "0f3c2b1a-secret-session" not in caplog.text
    assert all(r.levelno < logging.WARNING for r in caplog.records)
