"""The dashboard through Streamlit's AppTest, on SQLite and PostgreSQL: every page renders on an
empty and on the set-up database, each action changes the database as it should, roles decide
which actions show, and stored text never renders as HTML or active Markdown."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from dashboard import ui
from tests.helpers_dashboard import (
    META_ANALYSIS,
    PAGES,
    SUPPORTABLE,
    MakeActor,
    OpenApp,
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
    metric,
    plain,
    supported,
    texts,
)
from tracker import db, queries
from tracker.models import Citation, EvidenceLink, Flag
from tracker.services import articles, citations, evidence, users
from tracker.services.access import system_actor
from tracker.vocabulary import ClaimStatus, FlagKind, FlagState, Role, Stance

IMG_TITLE = "<img src=x onerror=alert(1)>"
LINK_TITLE = "[x](javascript:alert(1))"
EVIL_BIB = f"""
@article{{evilimg, title = {{{IMG_TITLE}}}, author = {{Mallory, Eve}}, year = {{2020}},
  journal = {{Journal of Tests}}, doi = {{10.1000/evil.img}}}}
@article{{evillink, title = {{{LINK_TITLE}}}, author = {{Mallory, Eve}}, year = {{2021}},
  journal = {{Journal of Tests}}, doi = {{10.1000/evil.link}}}}
"""
ACTIVE = re.compile(r"(?<!\\)(<img|\]\(|:red\[article)")  # unescaped: would render
NEW_BIB = """
@article{dashboardtest2024,
  title = {Intranasal ketamine for breakthrough pain: a dashboard test entry},
  author = {Tester, Tara and Probe, Paul},
  year = {2024},
  journal = {Journal of Tests},
  doi = {10.1000/dashboard.test.2024},
  studydesign = {rct}
}
"""


# --- the helper that keeps stored text inert -------------------------------------------------


@pytest.mark.parametrize(("stored", "escaped"), [
    (IMG_TITLE, r"\<img src\=x onerror\=alert\(1\)\>"),
    (LINK_TITLE, r"\[x\]\(javascript\:alert\(1\)\)"),
    (":red[x] and :smile: and :material/home:",
     r"\:red\[x\] and \:smile\: and \:material\/home\:"),
    ("$E=mc^2$ *a* _b_ `c` ~d~ # e | f ! g",
     r"\$E\=mc\^2\$ \*a\* \_b\_ \`c\` \~d\~ \# e \| f \! g"),
    ("1. not a list\n- nor this", r"1\. not a list \- nor this"),
    ("back\\slash", "back\\\\slash"),
])
def test_escape_markdown_escapes_every_special(stored: str, escaped: str) -> None:
    assert ui.escape_markdown(stored) == escaped


def test_escape_markdown_keeps_bare_urls_and_emails_from_linking() -> None:
    out = ui.escape_markdown("see https://x.example/a, www.x.example or me@x.example")
    assert "https" + ui.WORD_JOINER + r"\:" in out
    assert "www" + ui.WORD_JOINER + r"\." in out
    assert r"me\@" + ui.WORD_JOINER + "x" in out
    assert out.replace(ui.WORD_JOINER, "").replace("\\", "") == (
        "see https://x.example/a, www.x.example or me@x.example")


def test_highlighted_sentences_stay_inert_and_mark_only_the_matched_words() -> None:
    text = "In <img src=x> CRPS, [ketamine](javascript:x) helped."
    marked = ui.highlighted_markdown(text, [(15, 19), (22, 30)])
    assert marked == (r"In \<img src\=x\> **CRPS**\, \[**ketamine**\]\(javascript\:x\) "
                      "helped\\.")
    assert not ACTIVE.search(marked)
    assert plain(marked).replace("**", "") == text


def test_status_badge_accepts_only_the_vocabulary() -> None:
    assert ui.status_badge("supported") == ":green-badge[✔ supported]"
    with pytest.raises(ValueError):
        ui.status_badge(":red[x]")


# --- every page renders ----------------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_shows_the_empty_state_on_an_empty_database(
        engine: Engine, open_app: OpenApp, page: str) -> None:
    at = open_app(engine, page)
    assert any("No document yet" in i.value for i in at.info)
    assert ui.FOOTER in [c.value for c in at.caption]
    assert ui.BANNER in [i.value for i in at.info]


@pytest.mark.parametrize("role", [None, Role.EDITOR])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_on_the_set_up_database(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor, page: str,
        role: Role | None) -> None:
    actor = make_actor(shipped_engine, role) if role else None
    at = open_app(shipped_engine, page, actor)
    assert [t.value for t in at.title] == [PAGES[page]]
    assert not at.error
    assert ui.FOOTER in [c.value for c in at.caption]
    assert not any("No document yet" in i.value for i in at.info)


def test_an_uninitialised_database_says_how_to_set_it_up(
        blank_engine: Engine, open_app: OpenApp) -> None:
    at = open_app(blank_engine)
    assert any("tracker bootstrap" in plain(e.value) for e in at.error)
    assert ui.FOOTER in [c.value for c in at.caption]


def test_overview_shows_the_headline_figures(shipped_engine: Engine, open_app: OpenApp) -> None:
    at = open_app(shipped_engine)
    with db.reading(shipped_engine) as session:
        cov = queries.coverage(session, document_id(shipped_engine))
    assert metric(at, "Claims") == cov.claims
    assert metric(at, "Supported") == cov.by_status["supported"]
    assert metric(at, "Open flags") == cov.open_flags
    assert metric(at, "Not yet appraised") == cov.by_certainty["not-assessed"]
    assert metric(at, "Contradicted") == cov.by_status["contradicted"]
    assert len(at.get("vega_lite_chart")) == 3  # over time: only with more than one day


def test_a_write_from_elsewhere_shows_on_the_next_run(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    """Reads are cached on the database revision, so another process's write is not hidden."""
    at = open_app(shipped_engine)
    before = metric(at, "Supported")
    claim = claim_with(shipped_engine, SUPPORTABLE)
    with db.writing(shipped_engine) as session:
        evidence.link_evidence(session, system_actor(session), claim.id,
                               citation_id(shipped_engine, META_ANALYSIS), Stance.SUPPORTS)
    at.run()
    assert metric(at, "Supported") == before + 1


def test_the_document_picker_appears_when_several_documents_are_tracked(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    source = articles.ArticleSource(
        text="# A second article\n\nKetamine is an anaesthetic agent used in theatres.\n",
        path="second.md", fmt="markdown")
    with db.writing(shipped_engine) as session:
        articles.ingest(session, system_actor(session), source)
    at = open_app(shipped_engine)
    picker = at.sidebar.selectbox(key=ui.DOCUMENT_KEY)
    picker.set_value("a-second-article").run()
    assert "A second article" in [c.value for c in at.caption]
    assert metric(at, "Claims") == 1
    go(at, "claims")
    assert "A second article" in [c.value for c in at.caption]


# --- signing in, and what each role sees -----------------------------------------------------


def test_signing_in_puts_the_actor_in_the_session(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    at = open_app(shipped_engine)
    at.sidebar.text_input(key="sign_in_username").input(reviewer.username)
    at.sidebar.text_input(key="sign_in_password").input("wrong password")
    button(at, "Sign in").click().run()
    assert ui.ACTOR_KEY not in at.session_state
    assert any("unknown user or wrong password" in plain(e.value) for e in at.sidebar.error)

    at.sidebar.text_input(key="sign_in_password").input("password-1")
    button(at, "Sign in").click().run()
    assert at.session_state[ui.ACTOR_KEY] == reviewer
    assert any(ui.escape_markdown(reviewer.username) in m.value for m in at.sidebar.markdown)

    button(at, "Sign out").click().run()
    assert ui.ACTOR_KEY not in at.session_state


def test_a_viewer_does_not_see_the_link_form(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.VIEWER))
    keys = {w.key for w in at.selectbox} | {w.key for w in at.text_area}
    assert "link_claim" not in keys and "import_text" not in keys
    assert at.dataframe, "viewers can still search citations"
    assert any("you need the reviewer role" in i.value for i in at.info)


def test_a_reviewer_does_not_see_the_editor_controls(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    at = open_app(shipped_engine, "queue", make_actor(shipped_engine, Role.REVIEWER))
    assert "flag_claims" not in {w.key for w in at.multiselect}
    assert not {"close_flag", "review_claim"} & {w.key for w in at.selectbox}
    assert any("you need the editor role" in i.value for i in at.info)
    go(at, "questions")
    assert not [b for b in at.button if b.label == "Save"]


def test_a_role_change_takes_effect_at_once(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    """The role comes from the users table, not from what was true at sign-in."""
    editor = make_actor(shipped_engine, Role.EDITOR)
    at = open_app(shipped_engine, "queue", editor)
    assert "flag_claims" in {w.key for w in at.multiselect}
    with db.writing(shipped_engine) as session:
        users.set_role(session, system_actor(session), editor.username, Role.REVIEWER)
    at.run()
    assert "flag_claims" not in {w.key for w in at.multiselect}


def test_a_denied_service_call_is_shown_as_an_error(
        shipped_engine: Engine, monkeypatch: pytest.MonkeyPatch,
        make_actor: MakeActor) -> None:
    """The dashboard's write path (`ui.perform`) shows the service's PermissionDenied."""
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    claim = claim_with(shipped_engine, SUPPORTABLE)
    monkeypatch.setenv("TRACKER_DATABASE_URL",
                       shipped_engine.url.render_as_string(hide_password=False))
    clear_caches()
    at = AppTest.from_string(f"""
from dashboard import ui
from tracker.services import flags
from tracker.vocabulary import FlagKind
ui.start_run()
ui.perform(lambda session, actor: flags.raise_flags(
    session, actor, [{claim.id}], FlagKind.OTHER, "a reviewer tries"), "flagged")
""", default_timeout=60)
    at.session_state[ui.ACTOR_KEY] = reviewer
    at.session_state[ui.BOUND_KEY] = ui.sessions.client_binding({}, {})
    at.run()
    clear_caches()
    assert [plain(e.value) for e in at.error] == [
        f"{reviewer.username} is a reviewer; flagging claims needs the editor role"]
    with db.reading(shipped_engine) as session:
        assert session.scalar(select(Flag).where(Flag.claim_id == claim.id,
                                                 Flag.reason == "a reviewer tries")) is None


def test_an_identity_provider_user_acts_as_the_mapped_tracker_user(
        shipped_engine: Engine, monkeypatch: pytest.MonkeyPatch,
        make_actor: MakeActor) -> None:
    """With OIDC sign-in, `[tracker.identities]` maps the e-mail to a tracker user, whose role
    (from the users table) decides what shows; an unmapped identity only reads."""
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    for email, sees_link_form in (("Alice@Example.org", True), ("mallory@example.org", False)):
        at = app_on(monkeypatch, shipped_engine)
        at.user = {"is_logged_in": True, "email": email}
        at.secrets["tracker"] = {"identities": {"alice@example.org": reviewer.username}}
        at.run()
        go(at, "evidence")
        assert ("link_claim" in {w.key for w in at.selectbox}) is sees_link_form
    clear_caches()


# --- actions change the database -------------------------------------------------------------


def test_import_pasted_bibtex(shipped_engine: Engine, open_app: OpenApp,
                              make_actor: MakeActor) -> None:
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    evidence_tab(at, "Import BibTeX")
    at.text_area(key="import_text").input(NEW_BIB)
    button(at, "Import").click().run()
    assert not at.exception
    assert any("Imported: 1 added" in plain(s.value) for s in at.success)
    assert any("Last import" in m.value for m in at.markdown), "the tab stays open"
    with db.reading(shipped_engine) as session:
        assert citations.citation_by_key(session, "dashboardtest2024").year == 2024


def test_import_reports_problems_with_line_numbers(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    evidence_tab(at, "Import BibTeX")
    at.text_area(key="import_text").input("\n\n@article{broken, title = {No year}\n")
    at.checkbox(key="import_strict").check()
    button(at, "Import").click().run()
    assert any("Nothing imported (strict)" in plain(e.value) for e in at.error)
    problems = [d.value for d in at.dataframe if "problem" in d.value.columns]
    assert problems and problems[0]["line"].notna().all()


def test_link_evidence_changes_the_claims_status(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE)
    assert claim.status == ClaimStatus.NOT_REVIEWED.value
    before = supported(shipped_engine)
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    at.text_input(key="citation_search").input(META_ANALYSIS).run()
    at.selectbox(key="link_claim").set_value(claim.id)
    at.selectbox(key="link_citation").set_value(citation_id(shipped_engine, META_ANALYSIS))
    at.text_input(key="link_locator").input("Figure 2")
    button(at, "Link").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any(f"Linked to claim #{claim.id}" in plain(s.value) for s in at.success)
    with db.reading(shipped_engine) as session:
        link = session.scalar(select(EvidenceLink).where(EvidenceLink.claim_id == claim.id))
        assert link is not None and link.locator == "Figure 2"
        assert queries.claim(session, claim.id).status == ClaimStatus.SUPPORTED.value
    assert supported(shipped_engine) == before + 1
    go(at, "overview")
    assert metric(at, "Supported") == before + 1


def test_a_concern_nobody_judged_stays_not_judged_through_the_forms(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    """The link and edit forms offer "not judged" and start on it: a link made or edited
    without touching the concerns records none of them, never "none" (no concerns)."""
    claim = claim_with(shipped_engine, SUPPORTABLE)
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    at.text_input(key="citation_search").input(META_ANALYSIS).run()
    at.selectbox(key="link_claim").set_value(claim.id)
    at.selectbox(key="link_citation").set_value(citation_id(shipped_engine, META_ANALYSIS))
    assert at.selectbox(key="link_imprecision").value == "not judged"
    button(at, "Link").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        link = session.scalar(select(EvidenceLink).where(EvidenceLink.claim_id == claim.id))
        assert link is not None
        assert (link.risk_of_bias, link.imprecision, link.inconsistency) == (None, None, None)
    evidence_tab(at, "Edit or remove a link")
    at.selectbox(key="edit_claim").set_value(claim.id).run()
    assert at.selectbox(key=f"edit_{link.id}_imprecision").value == "not judged"
    at.selectbox(key=f"edit_{link.id}_risk_of_bias").set_value("serious")
    at.text_area(key=f"edit_{link.id}_note").input("only risk of bias judged")
    button(at, "Save changes").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        saved = session.get(EvidenceLink, link.id)
        assert saved is not None
        assert (saved.risk_of_bias, saved.imprecision) == ("serious", None)


def widget_path(at: AppTest, key: str) -> tuple[int, ...]:
    """Where the widget with `key` sits in the page's element tree (Streamlit's delta path)."""

    def walk(node: Any, path: tuple[int, ...]) -> tuple[int, ...] | None:
        if getattr(node, "key", None) == key:
            return path
        for index, child in getattr(node, "children", {}).items():
            found = walk(child, (*path, index))
            if found is not None:
                return found
        return None

    found = walk(at._tree, ())
    assert found is not None, f"no widget with key {key!r} on the page"
    return found


def test_the_link_form_keeps_its_place_when_a_search_narrows_the_results(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    """The results fill several pages before the search and one after it, so the page buttons
    come and go. A widget whose place changes is rebuilt in the browser, and its old copy stays
    on screen until the rerun ends: the form must not move."""
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    assert at.get("pagination"), "the unfiltered library should need page buttons"
    before = widget_path(at, "link_claim")
    at.text_input(key="citation_search").input(META_ANALYSIS).run()
    assert not at.get("pagination")
    assert widget_path(at, "link_claim") == before


def test_editing_a_link_someone_else_changed_is_refused(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE)
    with db.writing(shipped_engine) as session:
        link = evidence.link_evidence(session, system_actor(session), claim.id,
                                      citation_id(shipped_engine, META_ANALYSIS),
                                      Stance.SUPPORTS)
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    evidence_tab(at, "Edit or remove a link")
    at.selectbox(key="edit_claim").set_value(claim.id).run()
    assert at.selectbox(key="edit_link").value == link.id
    with db.writing(shipped_engine) as session:  # another reviewer, meanwhile
        evidence.update_link(session, system_actor(session), link.id, note="theirs")
    at.run()
    assert any("changed since you started editing" in w.value for w in at.warning)
    at.text_area(key=f"edit_{link.id}_note").input("mine")
    button(at, "Save changes").click().run()
    assert any("changed by someone else" in plain(e.value) for e in at.error)
    with db.reading(shipped_engine) as session:
        assert queries.evidence(session, [claim.id])[0].note == "theirs"
    button(at, "Reload the link").click().run()
    at.text_area(key=f"edit_{link.id}_note").input("mine")
    button(at, "Save changes").click().run()
    assert not at.error
    with db.reading(shipped_engine) as session:
        assert queries.evidence(session, [claim.id])[0].note == "mine"


def test_flag_then_resolve(shipped_engine: Engine, open_app: OpenApp,
                           make_actor: MakeActor) -> None:
    with db.reading(shipped_engine) as session:
        claim = queries.queue(session, document_id(shipped_engine), limit=1)[0]
    at = open_app(shipped_engine, "queue", make_actor(shipped_engine, Role.EDITOR))
    at.multiselect(key="flag_claims").set_value([claim.id])
    at.selectbox(key="flag_kind").set_value(FlagKind.UNSUPPORTED.value)
    at.text_area(key="flag_reason").input("needs a source")
    button(at, "Raise flag").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        flag = session.scalar(select(Flag).where(Flag.claim_id == claim.id,
                                                 Flag.reason == "needs a source"))
        assert flag is not None and flag.state == FlagState.OPEN.value
        flag_id = flag.id

    at.selectbox(key="close_flag").set_value(flag_id).run()
    assert any("evidence link(s) added to the claim since" in m.value for m in at.markdown)
    at.radio(key=f"close_state_{flag_id}").set_value(FlagState.RESOLVED.value)
    at.text_area(key=f"close_reason_{flag_id}").input("a trial was linked")
    button(at, "Close the flag").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        closed = session.get(Flag, flag_id)
        assert closed is not None and closed.state == FlagState.RESOLVED.value
        assert closed.resolution == "a trial was linked"


def test_sign_off_and_override(shipped_engine: Engine, open_app: OpenApp,
                               make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, SUPPORTABLE)
    at = open_app(shipped_engine, "queue", make_actor(shipped_engine, Role.EDITOR))
    at.selectbox(key="review_claim").set_value(claim.id).run()
    button(at, f"Sign off claim #{claim.id} as not-reviewed").click().run()
    assert not at.error
    with db.reading(shipped_engine) as session:
        assert queries.claim_detail(session, claim.id).signed_off_status == "not-reviewed"
    at.multiselect(key=f"override_designs_{claim.id}").set_value(["guideline"])
    at.text_area(key=f"override_reason_{claim.id}").input("a usage statement")
    button(at, "Override").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        assert queries.claim_detail(session, claim.id).override_reason == "a usage statement"


def test_an_editor_changes_a_questions_status(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    with db.reading(shipped_engine) as session:
        question = queries.questions(session, document_id(shipped_engine))[0]
    at = open_app(shipped_engine, "questions", make_actor(shipped_engine, Role.EDITOR))
    at.selectbox(key=f"question_status_{question.id}").set_value("answered")
    [save] = [b for b in at.button if b.label == "Save"
              and b.form_id.endswith(f"question_form_{question.id}")]
    save.click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        [again] = [q for q in queries.questions(session, document_id(shipped_engine))
                   if q.id == question.id]
        assert again.status == "answered"


def test_the_gap_map_shows_empty_cells_as_a_dash(shipped_engine: Engine,
                                                 open_app: OpenApp) -> None:
    at = open_app(shipped_engine, "questions")
    [grid] = [d.value for d in at.dataframe if "condition" in d.value.columns]
    assert list(grid["condition"]) == ["neuropathic pain", "CRPS", "fibromyalgia",
                                       "cancer pain", "migraine", "post-surgical"]
    cells = grid.drop(columns="condition").to_numpy().ravel().tolist()
    assert "—" in cells and any(c.startswith(("1", "2", "3", "4", "5", "6", "7", "8", "9"))
                                for c in cells)


def test_export_offers_every_format_and_previews_the_report(
        shipped_engine: Engine, open_app: OpenApp) -> None:
    at = open_app(shipped_engine, "export")
    assert {getattr(b, "label", None) for b in at.get("download_button")} >= {
        "BibTeX", "CSV", "JSON", "Download the report (Markdown)"}
    [preview] = at.code
    assert preview.value.startswith("# Evidence report:")
    assert not [m for m in at.markdown if "# Evidence report" in m.value]


# --- stored text stays inert -----------------------------------------------------------------


@pytest.fixture
def hostile(shipped_engine: Engine) -> tuple[Engine, int]:
    """Two citations with hostile titles, linked to a claim (and an article sentence)."""
    claim = claim_with(shipped_engine, SUPPORTABLE)
    with db.writing(shipped_engine) as session:
        system = system_actor(session)
        citations.import_bibtex(session, system, [("evil.bib", EVIL_BIB)], strict=True)
        for key in ("evilimg", "evillink"):
            cid = session.scalar(select(Citation.id).where(Citation.key == key))
            assert cid is not None
            evidence.link_evidence(session, system, claim.id, cid, Stance.SUPPORTS,
                                   note=f"note {LINK_TITLE} :red[x]")
    return shipped_engine, claim.id


def assert_inert(at: AppTest) -> None:
    bodies = texts(at)
    for raw in (IMG_TITLE, LINK_TITLE, ":red[x]"):
        assert not [b for b in bodies if raw in b], f"{raw!r} reached Markdown unescaped"
    assert not foreign_html(at)
    assert all(not m.proto.allow_html for m in at.markdown)


def test_hostile_titles_are_literal_text_in_the_article(
        hostile: tuple[Engine, int], open_app: OpenApp) -> None:
    engine, claim_id = hostile
    at = open_app(engine, "article")
    assert_inert(at)
    references = "\n".join(texts(at))
    assert ui.escape_markdown(IMG_TITLE) in references
    assert ui.escape_markdown(LINK_TITLE) in references
    at.selectbox(key="article_claim").set_value(claim_id).run()
    assert_inert(at)
    titles = [t for d in at.dataframe if "title" in d.value.columns for t in d.value["title"]]
    assert IMG_TITLE in titles and LINK_TITLE in titles  # shown as they are, in a table


def test_hostile_titles_are_literal_text_elsewhere(
        hostile: tuple[Engine, int], open_app: OpenApp, make_actor: MakeActor) -> None:
    engine, claim_id = hostile
    at = open_app(engine, "evidence", make_actor(engine, Role.EDITOR))
    at.text_input(key="citation_search").input("Mallory").run()
    assert_inert(at)
    [results] = [d.value for d in at.dataframe if "key" in d.value.columns]
    assert set(results["title"]) == {IMG_TITLE, LINK_TITLE}
    for page in ("claims", "questions", "queue", "export", "overview"):
        go(at, page)
        assert_inert(at)
    go(at, "claims")
    at.selectbox(key="claims_pick").set_value(claim_id).run()
    assert_inert(at)
    go(at, "export")
    assert "onerror" in at.code[0].value  # the report preview is a code block: never rendered


def test_hostile_article_text_is_literal(shipped_engine: Engine, open_app: OpenApp) -> None:
    source = articles.ArticleSource(
        text=("# Hostile :red[article]\n\nKetamine [cures](javascript:alert(1)) pain "
              "<img src=x onerror=alert(1)> in $10$ minutes, see https://evil.example/.\n"),
        path="hostile.md", fmt="markdown")
    with db.writing(shipped_engine) as session:
        articles.ingest(session, system_actor(session), source)
    at = open_app(shipped_engine)
    at.sidebar.selectbox(key=ui.DOCUMENT_KEY).set_value("hostile-red-article").run()
    for page in PAGES:
        go(at, page)
        bodies = texts(at)
        assert not [b for b in bodies if ACTIVE.search(b)]
        assert not foreign_html(at)
    go(at, "article")
    # The Markdown link is read as its text at ingest; the rest stays literal and escaped.
    assert any(r"Ketamine cures pain \<img" in b for b in texts(at))


def test_import_an_uploaded_file_in_another_encoding(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    evidence_tab(at, "Import BibTeX")
    data = NEW_BIB.replace("Tester, Tara", "Tést, Tara").encode("cp1252")
    at.file_uploader(key="import_files").set_value(("zotero.bib", data, "text/plain"))
    button(at, "Import").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        assert citations.citation_by_key(session, "dashboardtest2024").authors_text.startswith(
            "Tést")


# --- the Appraisal page ----------------------------------------------------------------------


def test_a_reviewer_appraises_a_study_in_the_browser(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    at = open_app(shipped_engine, "appraisal", make_actor(shipped_engine, Role.REVIEWER))
    appraisal_tab(at, "Appraise a study")
    at.text_input(key="appraise_search").input("sigtermans").run()
    at.selectbox(key="appraise_key").set_value("sigtermans2009").run()
    prefix = "appraise_sigtermans2009"
    for domain in ("D1", "D2", "D3", "D4", "D5"):
        at.selectbox(key=f"{prefix}_{domain}").set_value("low")
        at.text_input(key=f"{prefix}_{domain}_reason").input(f"abstract: {domain}")
    at.selectbox(key=f"{prefix}_D2").set_value("some-concerns")
    button(at, "Save the appraisal").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        detail = queries.citation_detail(session, "sigtermans2009")
    assert detail.appraisal is not None and detail.appraisal.overall == "some-concerns"
    assert any("sigtermans2009: rob2 overall some-concerns" in plain(s.value)
               for s in at.success)


def test_a_reviewer_judges_a_links_directness_and_effect(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, "CRPS is a chronic pain condition")
    with db.reading(shipped_engine) as session:
        sentence = [c for c in queries.claims(session)
                    if c.text.startswith("Ketamine infusions have shown efficacy")][0]
        crps = [c for c in queries.claims(session)  # the trial is linked to the pain part
                if c.parent == sentence.id and c.text == "reducing pain intensity"][0]
        [link] = [e for e in queries.evidence(session, [crps.id])
                  if e.citation_key == "schwartzman2009"]
    del claim
    at = open_app(shipped_engine, "appraisal", make_actor(shipped_engine, Role.REVIEWER))
    appraisal_tab(at, "Directness and effect")
    at.selectbox(key="directness_claim").set_value(crps.id).run()
    at.selectbox(key="directness_link").set_value(link.link_id).run()
    prefix = f"directness_{link.link_id}"
    at.selectbox(key=f"{prefix}_population").set_value("direct")
    at.text_input(key=f"{prefix}_population_reason").input("CRPS patients; sentence: CRPS")
    at.text_input(key=f"{prefix}_effect_participants").input("19")
    button(at, "Save directness and effect").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        [saved] = [e for e in queries.evidence(session, [crps.id]) if e.link_id == link.link_id]
    assert saved.directness["population"] == ("direct", "CRPS patients; sentence: CRPS")
    assert saved.effect["participants"] == 19


def test_a_reviewer_records_a_search_and_a_body_judgement(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, "Intravenous (IV) ketamine infusion is the most common")
    at = open_app(shipped_engine, "appraisal", make_actor(shipped_engine, Role.REVIEWER))
    appraisal_tab(at, "Track and searches")
    at.selectbox(key="track_claim").set_value(claim.id).run()
    at.text_input(key=f"search_where_{claim.id}").input("library; PubMed route frequency")
    button(at, "Record the search").click().run()
    assert not at.error, [e.value for e in at.error]
    appraisal_tab(at, "Body of evidence")
    at.selectbox(key="body_claim").set_value(claim.id).run()
    at.selectbox(key="body_domain").set_value("publication_bias").run()
    at.selectbox(key="body_value_publication_bias").set_value("serious")
    at.text_input(key="body_reason_publication_bias").input("industry-sponsored only")
    button(at, "Record the judgement").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        detail = queries.claim_detail(session, claim.id)
    assert "library; PubMed route frequency" in [s.sources for s in detail.searches]
    assert [(b.domain, b.value) for b in detail.body] == [("publication_bias", "serious")]


# --- suggested studies -----------------------------------------------------------------------

CRPS_CLAIM = "Ketamine infusions have shown efficacy in reducing pain intensity"


def suggestion_buttons(at: AppTest) -> list[Any]:
    return [b for b in at.button if (b.key or "").startswith("suggest_link_")]


def test_link_this_fills_in_the_link_form_with_the_claim_and_the_study(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, CRPS_CLAIM)
    at = open_app(shipped_engine, "claims", make_actor(shipped_engine, Role.REVIEWER))
    at.selectbox(key="claims_pick").set_value(claim.id).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("not evidence until a reviewer links it" in plain(i.value) for i in at.info)
    with db.reading(shipped_engine) as session:
        found = queries.suggestions(session, claim.id)
    shown = [plain(m.value) for m in at.markdown]
    for s in found.suggestions:
        assert any(line.startswith(f"**{s.rank}. {s.key}**") for line in shown), s.key
    assert any(line.startswith("> ") and "**CRPS**" in line for line in shown)
    linked = [s for s in found.suggestions if s.linked]
    unlinked = [s for s in found.suggestions if not s.linked]
    assert linked and unlinked
    assert {b.key for b in suggestion_buttons(at)} == {
        f"suggest_link_{claim.id}_{s.citation_id}" for s in unlinked}
    assert any(f"Already linked to this claim ({linked[0].stance})" in plain(c.value)
               for c in at.caption)
    chosen = unlinked[0]
    at.button(key=f"suggest_link_{claim.id}_{chosen.citation_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Evidence"]
    assert at.session_state["evidence_tab"] == "Find and link"
    assert at.text_input(key="citation_search").value == chosen.key
    assert at.selectbox(key="link_claim").value == claim.id
    assert at.selectbox(key="link_citation").value == chosen.citation_id
    assert any("Filled in from the suggested studies" in plain(i.value) for i in at.info)
    with db.reading(shipped_engine) as session:  # nothing is linked until the reviewer links
        assert not session.scalar(select(EvidenceLink).where(
            EvidenceLink.claim_id == claim.id, EvidenceLink.citation_id == chosen.citation_id))
    go(at, "evidence")  # a browser follows st.switch_page; AppTest's next run needs telling
    assert at.selectbox(key="link_citation").value == chosen.citation_id
    at.selectbox(key="link_stance").set_value(Stance.BACKGROUND.value)
    button(at, "Link").click().run()
    assert not at.error, [e.value for e in at.error]
    with db.reading(shipped_engine) as session:
        link = session.scalar(select(EvidenceLink).where(
            EvidenceLink.claim_id == claim.id, EvidenceLink.citation_id == chosen.citation_id))
        assert link is not None and link.stance == Stance.BACKGROUND.value


def test_a_viewer_sees_the_suggestions_on_the_article_page_but_no_link_this(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    claim = claim_with(shipped_engine, CRPS_CLAIM)
    at = open_app(shipped_engine, "article", make_actor(shipped_engine, Role.VIEWER))
    at.selectbox(key="article_claim").set_value(claim.id).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(plain(m.value).startswith("**1. ") for m in at.markdown)
    assert suggestion_buttons(at) == []
    assert any("to link a suggested study" in i.value for i in at.info)
