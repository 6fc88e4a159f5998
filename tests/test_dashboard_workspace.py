"""The dashboard defects of issue 17 and the article as the workspace, through AppTest on
SQLite and PostgreSQL: forms empty after a success (the editorial queue's ticks included),
a grade is signed off once, lock notices name the role a signed-in user lacks, the article
says why a sentence has no counted source and hides empty headings, the over-time chart needs
more than one day, and `?claim=N` opens a claim beside the text with its actions by role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update
from streamlit.testing.v1 import AppTest

from dashboard import ui
from tests.helpers_dashboard import (
    SUPPORTABLE,
    button,
    claim_with,
    document_id,
    open_citation,
    plain,
)
from tracker import db, queries
from tracker.errors import Conflict
from tracker.models import AuditEvent, Citation, Flag, StatusChange
from tracker.services import evidence
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import Role, Stance

MakeActor = Callable[[Engine, Role], Actor]
OpenApp = Callable[..., AppTest]
PICK_KEY = "article_claim"  # dashboard/views/article.py
NO_SOURCE = "ketamine therapy for pain management has emerged"


def queue_ids(engine: Engine, n: int) -> list[int]:
    with db.reading(engine) as session:
        return [c.id for c in queries.queue(session, document_id(engine), limit=n)]


# --- forms empty after a success --------------------------------------------------------------


def test_flagging_empties_the_flag_form_and_renews_the_queue_table(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    """After "Raise flag" the form no longer holds the claims and the reason, and the queue
    table is a new widget: ticks at the old row positions would select other claims."""
    at = open_app(shipped_engine, "queue", make_actor(shipped_engine, Role.EDITOR))
    first, second = queue_ids(shipped_engine, 2)
    table_before = {d.key for d in at.dataframe if d.key}
    at.multiselect(key="flag_claims").set_value([first, second])
    at.text_area(key="flag_reason").input("two weak claims")
    button(at, "Raise flag").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        raised = session.scalars(select(Flag.claim_id).where(
            Flag.reason == "two weak claims")).all()
    assert sorted(raised) == sorted([first, second])
    assert at.multiselect(key="flag_claims").value == []
    assert at.text_area(key="flag_reason").value == ""
    table_after = {d.key for d in at.dataframe if d.key}
    assert "queue_table" in table_before and "queue_table" not in table_after
    assert first not in queue_ids(shipped_engine, 50), "a flagged claim leaves the queue"


def test_a_failed_flag_keeps_what_was_typed(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    at = open_app(shipped_engine, "queue", make_actor(shipped_engine, Role.EDITOR))
    at.text_area(key="flag_reason").input("no claim chosen")
    button(at, "Raise flag").click().run()
    assert at.error
    assert at.text_area(key="flag_reason").value == "no claim chosen"


# --- sign-off once per grade ------------------------------------------------------------------


def test_a_grade_is_signed_off_once(shipped_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    claim = claim_with(shipped_engine, SUPPORTABLE).id
    with db.writing(shipped_engine) as session:
        evidence.sign_off(session, editor, claim)
    with db.writing(shipped_engine) as session, pytest.raises(Conflict, match="already"):
        evidence.sign_off(session, editor, claim)
    with db.reading(shipped_engine) as session:
        records = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "claim.sign-off", AuditEvent.claim_id == claim)).all()
    assert len(records) == 1


def test_the_sign_off_button_is_disabled_once_signed_off(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE).id
    at = open_app(shipped_engine, "queue", make_actor(shipped_engine, Role.EDITOR))
    at.selectbox(key="review_claim").set_value(claim).run()
    sign = button(at, f"Sign off claim #{claim} as not-reviewed")
    assert not sign.disabled
    sign.click().run()
    assert not at.error, [e.value for e in at.error]
    assert button(at, f"Sign off claim #{claim} as not-reviewed").disabled


# --- lock notices -----------------------------------------------------------------------------


def test_a_signed_in_viewer_is_told_the_role_they_lack(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    viewer = make_actor(shipped_engine, Role.VIEWER)
    at = open_app(shipped_engine, "queue", viewer)
    notices = [plain(i.value) for i in at.info]
    assert not [n for n in notices if n.startswith("Sign in as")], notices
    assert any("you need the editor role" in n and viewer.username in n
               and "a viewer" in n for n in notices), notices
    nobody = open_app(shipped_engine, "queue")
    assert any(plain(i.value).startswith("Sign in as an editor") for i in nobody.info)


# --- the article ------------------------------------------------------------------------------


def claim_line(at: AppTest, claim_id: int) -> str:
    [line] = [m.value for m in at.markdown if m.value.endswith(f"· claim {claim_id}]")]
    return line


def test_a_sentence_whose_only_source_is_unverified_says_so(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    claim = claim_with(shipped_engine, NO_SOURCE).id
    at = open_app(shipped_engine, "article")
    assert "citation needed" in claim_line(at, claim)
    with db.writing(shipped_engine) as session:
        unverified = session.scalars(select(Citation.id).where(
            Citation.verified.is_(False), Citation.retracted.is_(False)).limit(1)).one()
        evidence.link_evidence(session, system_actor(session), claim, unverified,
                               Stance.SUPPORTS)
    at.run()
    line = claim_line(at, claim)
    assert "source unverified" in line and "citation needed" not in line


def test_the_article_hides_headings_with_nothing_under_them(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    at = open_app(shipped_engine, "article")
    with db.reading(shipped_engine) as session:
        view = queries.article_view(session, document_id(shipped_engine))
    empty = [s.title for s in view.sections if not s.claims]
    assert "Additional Resources" in empty, empty
    headings = [m.value for m in at.markdown if m.value.startswith("#")]
    assert not [h for h in headings if "Additional Resources" in h]
    shown = queries.sections_with_claims(view)
    assert all(s.claims or any(later.claims for later in view.sections
                               [view.sections.index(s) + 1:]) for s in shown)
    assert len(headings) == len(shown)


def test_a_permalink_opens_the_claim_beside_the_text(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE).id
    at = open_app(shipped_engine, "overview", make_actor(shipped_engine, Role.EDITOR))
    at.query_params["claim"] = str(claim)
    at.switch_page("views/article.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key=PICK_KEY).value == claim
    assert any(t.value.startswith("Ketamine therapy is used") for t in at.text)
    labels = {b.label for b in at.button}
    assert {"Raise flag", f"Sign off claim #{claim} as not-reviewed"} <= labels


def test_opening_a_sentence_puts_it_in_the_address(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE).id
    at = open_app(shipped_engine, "article")
    at.button(key=f"open_claim_{claim}").click().run()
    assert at.query_params.get("claim") in (str(claim), [str(claim)])
    assert at.selectbox(key=PICK_KEY).value == claim
    assert any(plain(i.value).startswith("Sign in as a reviewer") for i in at.info)


def test_an_editor_flags_a_claim_from_the_article(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE).id
    at = open_app(shipped_engine, "article", make_actor(shipped_engine, Role.EDITOR))
    at.button(key=f"open_claim_{claim}").click().run()
    at.text_area(key=f"claim_flag_{claim}_reason").input("needs a trial")
    button(at, "Raise flag").click().run()
    assert not at.error, [e.value for e in at.error]
    assert at.text_area(key=f"claim_flag_{claim}_reason").value == ""
    with db.reading(shipped_engine) as session:
        assert session.scalars(select(Flag.claim_id).where(
            Flag.reason == "needs a trial")).all() == [claim]


# --- the overview -----------------------------------------------------------------------------


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def test_the_over_time_chart_needs_more_than_one_day(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    at = open_app(shipped_engine)
    one_day = charts(at)
    assert any("more than one day" in c.value for c in at.caption)
    with db.writing(shipped_engine) as session:
        first = session.scalars(select(StatusChange.id).order_by(StatusChange.id).limit(5)
                                ).all()
        at_ = session.scalars(select(StatusChange.at).where(StatusChange.id == first[0])).one()
        session.execute(update(StatusChange).where(StatusChange.id.in_(first))
                        .values(at=at_ - timedelta(days=3)))
        session.add(AuditEvent(actor_id=system_actor(session).id, actor_name="system",
                               action="test.touch", entity_type="claim", summary="touch"))
    at.run()
    assert charts(at) == one_day + 1


def test_the_overview_explains_none_certainty(shipped_engine: Engine,
                                              open_app: OpenApp) -> None:
    at = open_app(shipped_engine)
    assert any("*None*" in c.value and "nothing for GRADE to rate" in c.value
               for c in at.caption)


def test_the_favicon_is_not_fetched_from_elsewhere() -> None:
    """A `:material/…:` page icon makes the browser fetch the favicon from fonts.gstatic.com;
    an emoji is drawn from a data: URL (tests/e2e checks the requests themselves)."""
    assert not ui.FAVICON.startswith(":")


def test_lock_text_for_visitors_and_members() -> None:
    viewer = Actor(1, "val", Role.VIEWER)
    assert ui.needs_text("flag.raise", "flag claims", None) == (
        "Sign in as an editor (or higher) to flag claims.")
    said = ui.needs_text("flag.raise", "flag claims", viewer)
    assert said.startswith("You are signed in as val (a viewer): you need the editor role")
    assert "to flag claims" in said


# --- the overview answers the question ------------------------------------------------------


def test_the_verdict_counts_what_the_claims_say(shipped_engine: Engine) -> None:
    """`queries.verdict` (one SQL aggregate) agrees with the claims read one by one."""
    with db.reading(shipped_engine) as session:
        document = document_id(shipped_engine)
        verdict = queries.verdict(session, document)
        rows = queries.claims(
            session, queries.ClaimFilter(document_id=document, include_parts=False))
    strong = [r for r in rows if r.status == "supported"
              and (r.certainty in ("high", "moderate") or r.standing == "established")]
    none = [r for r in rows if r.status in ("not-reviewed", "no-evidence-found")]
    assert (verdict.claims, verdict.well_supported, verdict.without_evidence) == (
        len(rows), len(strong), len(none))
    assert 0 < verdict.well_supported < verdict.claims
    assert verdict.sentence() == (
        f"{len(strong)} of {len(rows)} claims ({round(100 * len(strong) / len(rows))} %) "
        f"supported at moderate or high certainty; {len(none)} "
        f"({round(100 * len(none) / len(rows))} %) have no evidence")


def test_the_biggest_gaps_are_the_sections_with_most_claims_without_evidence(
        shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        document = document_id(shipped_engine)
        gaps = queries.biggest_gaps(session, document, limit=50)
        rows = queries.coverage_by_section(session, document)
    expected = {r.group: r.count("not-reviewed") + r.count("no-evidence-found") for r in rows}
    assert {g.section: g.without_evidence for g in gaps} == {
        k: v for k, v in expected.items() if v}
    assert [g.without_evidence for g in gaps] == sorted(
        (g.without_evidence for g in gaps), reverse=True)


def test_the_overview_opens_with_the_answer_gaps_and_questions(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    at = open_app(shipped_engine)
    with db.reading(shipped_engine) as session:
        verdict = queries.verdict(session, document_id(shipped_engine))
        questions = queries.questions(session, document_id(shipped_engine))
    answer = next(m.value for m in at.markdown if m.value.startswith("####"))
    assert plain(answer) == f"#### {verdict.sentence()}."
    links = [link.proto.label for link in at.get("page_link")]
    assert any("without evidence · " in label for label in links)
    for question in questions:
        assert any(plain(label).endswith(question.title) for label in links), question.title
    assert sum(label == "Show them" for label in links) == 3 + len(queries.STATUSES)


def test_the_claims_page_takes_its_filters_from_the_address(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    at = open_app(shipped_engine)
    at.query_params["status"] = "without-evidence"
    at.switch_page("views/claims.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="claims_status").value == "without-evidence"
    [table] = [d.value for d in at.dataframe]
    assert len(table) and set(table["status"]) <= {"not-reviewed", "no-evidence-found"}
    at.selectbox(key="claims_status").set_value("supported").run()
    assert at.selectbox(key="claims_status").value == "supported", "the address set it once"


# --- a sign-in survives a reload ------------------------------------------------------------


def test_a_browser_session_resumes_within_its_limits(shipped_engine: Engine,
                                                     make_actor: MakeActor) -> None:
    from datetime import UTC, datetime

    from tracker.services import users

    editor = make_actor(shipped_engine, Role.EDITOR)
    with db.writing(shipped_engine) as session:
        token = users.start_browser_session(session, editor, "browser-a")
    start = datetime.now(UTC)
    with db.writing(shipped_engine) as session:
        resumed = users.resume_browser_session(session, token, "browser-a",
                                               start + timedelta(minutes=50))
    assert resumed.actor == editor and resumed.ended is None
    with db.writing(shipped_engine) as session:  # active at 50 min: not idle at 1 h 40
        assert users.resume_browser_session(session, token, "browser-a",
                                            start + timedelta(minutes=100)).actor == editor
    with db.writing(shipped_engine) as session:
        idle = users.resume_browser_session(session, token, "browser-a",
                                            start + timedelta(minutes=161))
    assert idle.actor is None and idle.ended and "without activity" in idle.ended
    with db.writing(shipped_engine) as session:
        assert users.resume_browser_session(session, token, "browser-a").actor is None, (
            "an ended sign-in stays ended")

    with db.writing(shipped_engine) as session:
        token = users.start_browser_session(session, editor, "browser-a")
    with db.writing(shipped_engine) as session:
        aged = users.resume_browser_session(session, token, "browser-a",
                                            start + timedelta(hours=8, minutes=1))
    assert aged.actor is None and aged.ended and "8 hours" in aged.ended

    with db.writing(shipped_engine) as session:
        token = users.start_browser_session(session, editor, "browser-a")
    with db.writing(shipped_engine) as session:
        elsewhere = users.resume_browser_session(session, token, "browser-b")
    assert elsewhere.actor is None and elsewhere.ended == users.MOVED_BROWSER

    with db.writing(shipped_engine) as session:
        token = users.start_browser_session(session, editor, "browser-a")
    with db.writing(shipped_engine) as session:
        users.end_browser_session(session, token)
    with db.writing(shipped_engine) as session:
        assert users.resume_browser_session(session, token, "browser-a") == users.Resumed(None)


def test_the_dashboard_resumes_a_sign_in_from_its_cookie(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.services import users

    editor = make_actor(shipped_engine, Role.EDITOR)
    with db.writing(shipped_engine) as session:
        token = users.start_browser_session(session, editor,
                                            ui.sessions.client_binding({}, {}))
    monkeypatch.setattr(ui, "session_cookie", lambda: token)
    at = open_app(shipped_engine)
    assert at.session_state[ui.ACTOR_KEY] == editor
    assert f"Signed in as **{editor.username}**" in " ".join(
        m.value for m in at.sidebar.markdown).replace("\\-", "-")
    [out] = [b for b in at.sidebar.button if b.label == "Sign out"]
    out.click().run()
    assert ui.ACTOR_KEY not in at.session_state
    with db.writing(shipped_engine) as session:
        assert users.resume_browser_session(
            session, token, ui.sessions.client_binding({}, {})).actor is None


# --- more tasks in the browser ----------------------------------------------------------------


def test_a_reviewer_verifies_and_confirms_a_citation_beside_the_search(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    with db.reading(shipped_engine) as session:
        key = session.scalars(select(Citation.key).where(Citation.verified.is_(False))
                              .order_by(Citation.key).limit(1)).one()
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    cid = open_citation(at, shipped_engine, key)
    assert not [b for b in at.button if b.label == "Mark retracted"], "editors only"
    assert any("you need the editor role" in plain(i.value) for i in at.info)
    at.text_input(key=f"verify_{cid}_note").input("checked on PubMed")
    button(at, "Mark verified").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        citation = session.get(Citation, cid)
        assert citation is not None and citation.verified
        assert citation.verification_note == "checked on PubMed"
    assert at.text_input(key=f"verify_{cid}_note").value == ""
    at.selectbox(key=f"design_{cid}_value").set_value("rct")
    button(at, "Confirm the design").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        citation = session.get(Citation, cid)
        assert citation is not None and (citation.design, citation.design_source) == (
            "rct", "confirmed")


def test_an_editor_marks_a_retraction_beside_the_search(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.EDITOR))
    cid = open_citation(at, shipped_engine, "moradi2024thesis")
    at.text_input(key=f"retract_{cid}_note").input("Retraction notice, J Tests 2026")
    button(at, "Mark retracted").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        citation = session.get(Citation, cid)
        assert citation is not None and citation.retracted
    assert any(b.label == "Withdraw the retraction" for b in at.button)


def test_an_editor_splits_a_claim_from_the_article(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE)
    at = open_app(shipped_engine, "article", make_actor(shipped_engine, Role.EDITOR))
    at.button(key=f"open_claim_{claim.id}").click().run()
    at.text_area(key=f"split_{claim.id}_parts").input(
        "Ketamine therapy is used to manage a variety of pain syndromes\n"
        "particularly those that are refractory to conventional treatments")
    at.text_input(key=f"split_{claim.id}_reason").input("two statements")
    button(at, "Split the claim").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        assert len(queries.claim_detail(session, claim.id).parts) == 2


def test_open_questions_are_added_and_addressed_in_the_browser(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    at = open_app(shipped_engine, "questions", make_actor(shipped_engine, Role.EDITOR))
    at.text_input(key="add_question_slug").input("renal-safety")
    at.text_input(key="add_question_title").input("Is repeated ketamine safe for the kidneys?")
    button(at, "Add the question").click().run()
    assert not at.error, [e.value for e in at.error]
    assert at.text_input(key="add_question_slug").value == ""
    reviewer = open_app(shipped_engine, "questions", make_actor(shipped_engine, Role.REVIEWER))
    assert not [b for b in reviewer.button if b.label == "Add the question"], "editors only"
    with db.reading(shipped_engine) as session:
        [row] = [q for q in queries.questions(session, document_id(shipped_engine))
                 if q.slug == "renal-safety"]
    reviewer.text_input(key=f"address_{row.id}_key").input("moradi2024thesis")
    reviewer.text_input(key=f"address_{row.id}_note").input("reports no renal harm")
    [add] = [b for b in reviewer.button if b.label == "Add the study"
             and b.form_id.endswith(f"address_{row.id}_form")]
    add.click().run()
    assert not reviewer.error, [e.value for e in reviewer.error]
    with db.reading(shipped_engine) as session:
        [row] = [q for q in queries.questions(session, document_id(shipped_engine))
                 if q.slug == "renal-safety"]
    assert [(key, note) for key, _t, _d, note in row.evidence] == [
        ("moradi2024thesis", "reports no renal harm")]


def test_a_citation_just_imported_is_linked_from_the_report(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    at.session_state["evidence_tab"] = "Import BibTeX"
    at.run()
    at.text_area(key="import_text").input(
        "@article{reportlink2025, title = {A trial to link from the report}, "
        "author = {Doe, Jane}, year = {2025}, journal = {J Tests}}")
    button(at, "Import").click().run()
    assert not at.error, [e.value for e in at.error]
    assert at.text_area(key="import_text").value == "", "the form empties after the import"
    at.button(key="link_added_reportlink2025").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["evidence_tab"] == "Find and link"
    assert at.text_input(key="citation_search").value == "reportlink2025"
    with db.reading(shipped_engine) as session:
        cid = session.scalars(select(Citation.id).where(Citation.key == "reportlink2025")).one()
    assert at.session_state["link_citation"] == cid
    assert any(b.label == "Mark verified" for b in at.button), "its pane is open"


def test_a_reviewer_goes_from_a_sentence_to_judging_its_body_of_evidence(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE).id
    at = open_app(shipped_engine, "article", make_actor(shipped_engine, Role.REVIEWER))
    at.button(key=f"open_claim_{claim}").click().run()
    assert not [b for b in at.button if b.label == "Raise flag"], "editors only"
    at.button(key=f"judge_from_claim_{claim}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Appraisal"]
    assert at.selectbox(key="body_claim").value == claim
