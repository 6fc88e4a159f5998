"""The article scorecard on the shipped article (SQLite and PostgreSQL): the rules' proposals
with their reasons, editors confirming and overriding them (audited), the desk's tally, the
CLI, and the ClaimReview markup checked against schema.org's shape and Google's required and
recommended properties (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.conftest import cli_env
from tracker import db, exports, queries
from tracker.cli import app
from tracker.config import load_settings
from tracker.errors import Conflict, InvalidInput, NotFound
from tracker.models import AuditEvent, Document
from tracker.scorecard import claimreview
from tracker.services import scorecard as service
from tracker.services.access import Actor
from tracker.vocabulary import Instrument, Role

MakeActor = Callable[[Engine, Role], Actor]
SLUG = "ketamine-therapy-for-pain-management"
TODAY = date(2026, 12, 7)
runner = CliRunner()
DESK = {"TRACKER_ORGANISATION": "Example Health Desk",
        "TRACKER_ORGANISATION_URL": "https://desk.example.org/checks"}


def _document_id(engine: Engine) -> int:
    with db.reading(engine) as session:
        return queries.resolve_document(session, SLUG).id


def _card(engine: Engine, **kwargs: object) -> queries.scorecards.Scorecard:
    with db.reading(engine) as session:
        return queries.scorecard(session, _document_id(engine), today=TODAY,
                                 **kwargs)  # type: ignore[arg-type]


def test_the_shipped_article_fails_costs_benefits_alternatives_and_sources_with_reasons(
        shipped_engine: Engine) -> None:
    card = _card(shipped_engine)
    hnr = {i.criterion.key: i for i in card.of(Instrument.HNR)}
    for key in ("costs", "benefits", "alternatives", "sources"):
        assert hnr[key].rating == "not-satisfactory", key
        assert hnr[key].rated_by == "rules"
        assert hnr[key].reason
    assert hnr["costs"].reason == "no sentence mentions a cost, a price or insurance"
    assert hnr["benefits"].reason.startswith("none of the 18 efficacy or benefit claims "
                                             "carries a number")
    assert hnr["alternatives"].reason.endswith("none compares their benefits or harms in "
                                               "numbers")
    assert "conventional treatments" in hnr["alternatives"].proposal.evidence[0]
    assert hnr["sources"].reason.startswith("the article cites no source")
    assert "verified support for" in hnr["sources"].reason
    groundbreaking = [f for f in card.red_flags if f.term == "groundbreaking"]
    assert groundbreaking and groundbreaking[0].sentence.startswith(
        "ketamine therapy for pain management has emerged as a groundbreaking approach")
    assert hnr["novelty"].rating == "not-satisfactory"
    assert '"groundbreaking"' in hnr["novelty"].reason
    # what the rules cannot see is left to editors, unrated
    assert hnr["disease-mongering"].rating is None and hnr["disease-mongering"].rated_by == ""
    assert card.item(Instrument.DISCERN, "sources").rating == "1"
    assert len(card.items) == 26


def test_quality_of_evidence_takes_the_overstated_count_it_is_given(
        shipped_engine: Engine) -> None:
    """By default the count is the sentences with an editor's open "overstated" flag or an
    undismissed "overstated" verdict of the wording check; another count can replace it."""
    with db.reading(shipped_engine) as session:
        document_id = queries.resolve_document(session, SLUG).id
        worded = {r.parent_id or r.claim_id for r in queries.wording_check(session, document_id)
                  if r.verdict == "overstated"}
        count = queries.overstated_claims(session, document_id)
    assert count >= len(worded) > 0
    flagged = _card(shipped_engine).item(Instrument.HNR, "evidence")
    assert flagged.reason.startswith(f"{count} claim(s) overstate their evidence")
    fed = _card(shipped_engine, overstated_count=0).item(Instrument.HNR, "evidence")
    assert "overstate" not in fed.reason


def test_an_editor_overrides_confirms_and_clears_with_reasons_all_audited(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    document_id = _document_id(shipped_engine)
    with db.writing(shipped_engine) as session:
        info = service.rate_criterion(session, editor, document_id, "hnr", "costs",
                                      "Satisfactory", "the clinic's price list is linked")
    assert (info.rating, info.proposed, info.decision) == (
        "satisfactory", "not-satisfactory", "overrides")
    item = _card(shipped_engine).item(Instrument.HNR, "costs")
    assert (item.rating, item.rated_by, item.reason, item.overridden) == (
        "satisfactory", editor.username, "the clinic's price list is linked", True)
    assert item.proposal.rating == "not-satisfactory"  # the rules' view stays visible
    with db.writing(shipped_engine) as session:
        service.rate_criterion(session, editor, document_id, "hnr", "costs",
                               "not-satisfactory", "the link is to a general page",
                               expected_version=info.version)
    with db.writing(shipped_engine) as session:
        service.rate_criterion(session, editor, document_id, "discern", "16", "2",
                               "few sources, no numbers")
        service.clear_rating(session, editor, document_id, "hnr", "costs", "back to the rules")
    card = _card(shipped_engine)
    assert card.item(Instrument.HNR, "costs").editor is None
    assert card.item(Instrument.DISCERN, "overall").rating == "2"
    assert card.item(Instrument.DISCERN, "overall").fails
    with db.reading(shipped_engine) as session:
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(["scorecard.rate", "scorecard.clear"]))
            .order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_name) for e in events] == [
        ("scorecard.rate", editor.username)] * 3 + [("scorecard.clear", editor.username)]
    first, second = events[0], events[1]
    assert first.before is None and first.after == {
        "rating": "satisfactory", "reason": "the clinic's price list is linked",
        "proposed": "not-satisfactory", "decision": "overrides"}
    assert second.before == {"rating": "satisfactory",
                             "reason": "the clinic's price list is linked"}
    assert second.after is not None and second.after["decision"] == "confirms"
    assert "HNR 1 (costs) of ketamine-therapy-for-pain-management rated satisfactory, " \
           "overrides the rules' proposal (not-satisfactory)" in first.summary


def test_ratings_need_a_reason_a_known_criterion_and_a_value_of_the_instrument(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    document_id = _document_id(shipped_engine)
    attempts = [
        (("hnr", "costs", "not-satisfactory", "  "), InvalidInput, "say why HNR 1"),
        (("hnr", "costs", "4", "why"), InvalidInput, "hnr rates satisfactory"),
        (("discern", "costs", "4", "why"), InvalidInput, "discern has no criterion 'costs'"),
        (("grade", "costs", "4", "why"), InvalidInput, "unknown instrument 'grade'"),
    ]
    for args, error, message in attempts:
        with db.writing(shipped_engine) as session, pytest.raises(error, match=message):
            service.rate_criterion(session, editor, document_id, *args)
    with db.writing(shipped_engine) as session, pytest.raises(NotFound, match="no document"):
        service.rate_criterion(session, editor, 999, "hnr", "costs", "satisfactory", "why")
    with db.writing(shipped_engine) as session, pytest.raises(NotFound, match="no editor's"):
        service.clear_rating(session, editor, document_id, "hnr", "costs", "why")
    with db.writing(shipped_engine) as session, pytest.raises(Conflict, match="reload"):
        service.rate_criterion(session, editor, document_id, "hnr", "costs", "satisfactory",
                               "why", expected_version=3)
    with db.reading(shipped_engine) as session:
        assert queries.editor_ratings(session, document_id) == {}


def test_the_desk_tally_puts_the_most_failed_criteria_first(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    with db.writing(shipped_engine) as session:
        service.rate_criterion(session, editor, _document_id(shipped_engine), "hnr",
                               "disease-mongering", "not-satisfactory", "turns pain into a "
                               "ketamine deficiency")
    with db.reading(shipped_engine) as session:
        tally = queries.scorecard_tally(session, today=TODAY)
    failing = [t for t in tally if t.failed]
    assert [t.failed for t in tally] == sorted((t.failed for t in tally), reverse=True)
    assert {("hnr", "costs"), ("hnr", "benefits"), ("hnr", "alternatives"),
            ("hnr", "sources"), ("hnr", "disease-mongering")} <= {
        (t.instrument, t.key) for t in failing}
    mongering = next(t for t in tally if t.key == "disease-mongering")
    assert (mongering.by_editors, mongering.documents) == (1, (SLUG,))


def test_the_cli_shows_rates_and_clears(shipped_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    viewer = make_actor(shipped_engine, Role.VIEWER)
    shown = runner.invoke(app, ["scorecard", "-D", SLUG], env=cli_env(shipped_engine))
    assert shown.exit_code == 0, shown.output
    assert "HNR 1      costs              not-satisfactory [rules]" in shown.output
    assert "groundbreaking: ketamine therapy for pain management has emerged" in shown.output
    rated = runner.invoke(app, ["scorecard", "rate", "hnr", "costs", "not-satisfactory",
                                "--reason", "no price anywhere", "-D", SLUG],
                          env=cli_env(shipped_engine, editor.username))
    assert rated.exit_code == 0, rated.output
    assert rated.output.strip() == ("hnr costs: not-satisfactory (confirms the rules' "
                                    "not-satisfactory)")
    refused = runner.invoke(app, ["scorecard", "rate", "hnr", "costs", "satisfactory",
                                  "--reason", "x", "-D", SLUG],
                            env=cli_env(shipped_engine, viewer.username))
    assert refused.exit_code == 4
    assert "rating a document's scorecard needs the editor role" in refused.output
    as_json = runner.invoke(app, ["scorecard", "--json", "-D", SLUG],
                            env=cli_env(shipped_engine))
    costs = next(c for c in json.loads(as_json.output)["criteria"] if c["key"] == "costs")
    assert (costs["rated_by"], costs["reason"], costs["editor"]["proposed"]) == (
        editor.username, "no price anywhere", "not-satisfactory")
    cleared = runner.invoke(app, ["scorecard", "clear", "hnr", "1", "--reason", "undo",
                                  "-D", SLUG], env=cli_env(shipped_engine, editor.username))
    assert cleared.exit_code == 0, cleared.output
    desk = runner.invoke(app, ["scorecard", "--desk", "--json"], env=cli_env(shipped_engine))
    assert json.loads(desk.output)[0]["failed"] == 1


# --- ClaimReview -----------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "certainty", "standing", "value", "name"), [
    ("supported", "high", None, 5, "Supported (high certainty)"),
    ("supported", "moderate", None, 4, "Supported (moderate certainty)"),
    ("supported", "low", None, 3, "Supported (low certainty)"),
    ("supported", "very-low", None, 2, "Supported (very low certainty)"),
    ("supported", "not-assessed", None, 3, "Supported (certainty not assessed)"),
    ("supported", None, "established", 5, "Supported (established)"),
    ("supported", None, "plausible", 3, "Supported (plausible)"),
    ("contested", "not-assessed", None, 3, "Contested (certainty not assessed)"),
    ("insufficient", None, None, 2, "Insufficient evidence"),
    ("no-evidence-found", None, None, 2, "No evidence found"),
    ("contradicted", "high", None, 1, "Contradicted (high certainty)"),
    ("contradicted", "moderate", None, 1, "Contradicted (moderate certainty)"),
    ("contradicted", "low", None, 2, "Contradicted (low certainty)"),
    ("contradicted", None, None, 1, "Contradicted"),
])
def test_the_rating_scale_maps_status_and_certainty(
        status: str, certainty: str | None, standing: str | None, value: int,
        name: str) -> None:
    assert claimreview.rating_for(status, certainty, standing) == \
        claimreview.Verdict(value, name)


def test_claims_not_reviewed_get_no_markup() -> None:
    assert claimreview.rating_for("not-reviewed", None) is None


def test_each_reviewed_claim_gets_valid_claimreview_markup(shipped_engine: Engine) -> None:
    settings = load_settings({**DESK, "TRACKER_DATABASE_URL": "sqlite://"})
    document_id = _document_id(shipped_engine)
    with db.writing(shipped_engine) as session:  # a test row, not the shipped metadata
        document = session.get(Document, document_id)
        assert document is not None
        document.source_url, document.published = "https://example.org/ketamine", "2024-05-01"
    with db.reading(shipped_engine) as session:
        reviews = queries.claim_reviews(session, document_id, settings)
        reviewed = sum(n for s, n in queries.coverage(session, document_id).by_status.items()
                       if s != "not-reviewed")
    assert len(reviews) == reviewed > 0
    for markup in reviews:
        errors, warnings = claimreview.problems(markup)
        assert (errors, warnings) == ([], []), markup
        assert markup["author"] == {"@type": "Organization", "name": "Example Health Desk",
                                    "url": "https://desk.example.org/checks"}
        assert markup["itemReviewed"]["appearance"]["url"] == "https://example.org/ketamine"
        assert markup["itemReviewed"]["datePublished"] == "2024-05-01"
        assert markup["url"].startswith("https://desk.example.org/checks/" + SLUG + "#claim-")
    assert json.loads(json.dumps(reviews)) == reviews


def test_the_shape_check_finds_what_it_should() -> None:
    bad = {"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": "x",
           "reviewRating": {"@type": "Rating", "ratingValue": 7, "bestRating": 5,
                            "worstRating": 1, "verdict": "?"},
           "itemReviewed": {"@type": "Gossip"}}
    errors, warnings = claimreview.problems(bad)
    assert errors == [
        "ClaimReview.reviewRating: Rating has no property 'verdict'",
        "ClaimReview.itemReviewed: @type 'Gossip' is not one of ClaimReview, Rating, Claim, "
        "Organization, Person, CreativeWork",
        "missing required reviewRating.alternateName", "missing required url",
        "ratingValue 7 is outside 1–5"]
    assert "missing recommended author" in warnings


def test_claimreview_needs_the_organisation_configured(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session, pytest.raises(
            InvalidInput, match="set TRACKER_ORGANISATION and TRACKER_ORGANISATION_URL"):
        queries.claim_reviews(session, _document_id(shipped_engine), load_settings({}))
    bad_template = load_settings({**DESK, "TRACKER_REVIEW_URL": "{base}/{slug}"})
    with db.reading(shipped_engine) as session, pytest.raises(
            InvalidInput, match="TRACKER_REVIEW_URL"):
        queries.claim_reviews(session, _document_id(shipped_engine), bad_template)


def test_the_cli_prints_claimreview_json_ld(shipped_engine: Engine) -> None:
    result = runner.invoke(app, ["claimreview", "-D", SLUG],
                           env={**cli_env(shipped_engine), **DESK})
    assert result.exit_code == 0, result.output
    markup = json.loads(result.output)
    assert markup and all(claimreview.problems(m)[0] == [] for m in markup)
    missing = runner.invoke(app, ["claimreview", "-D", SLUG], env=cli_env(shipped_engine))
    assert missing.exit_code == 2 and "TRACKER_ORGANISATION" in missing.output


# --- the dashboard ---------------------------------------------------------------------------


def test_an_editor_overrides_a_proposal_on_the_scorecard_page(
        shipped_engine: Engine, open_app: Callable[..., Any], make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    at = open_app(shipped_engine, "scorecard", editor)
    hnr = at.dataframe[0].value
    costs = hnr[hnr["criterion"] == "HNR 1 costs"].iloc[0]
    assert (costs["rating"], costs["rated by"]) == ("not-satisfactory", "rules")
    assert "groundbreaking" in set(at.dataframe[2].value["word"])
    at.selectbox(key="scorecard_criterion").set_value("hnr:costs").run()
    assert any("no sentence mentions a cost" in m.value for m in at.markdown)
    at.radio(key="scorecard_rating_hnr_costs").set_value("satisfactory")
    at.text_area(key="scorecard_reason_hnr_costs").input("the price is in the sidebar box")
    [save] = [b for b in at.button if b.label == "Save the rating"]
    save.click().run()
    assert not at.error, [e.value for e in at.error]
    hnr = at.dataframe[0].value
    costs = hnr[hnr["criterion"] == "HNR 1 costs"].iloc[0]
    assert (costs["rating"], costs["rated by"], costs["rules propose"]) == (
        "satisfactory", editor.username, "not-satisfactory")
    desk = at.dataframe[3].value
    assert "HNR 1 costs" not in set(desk[desk["failed"] > 0]["criterion"])


def test_the_overview_shows_the_failing_criteria(
        shipped_engine: Engine, open_app: Callable[..., Any]) -> None:
    at = open_app(shipped_engine, "overview")
    assert any(s.value == "Article scorecard" for s in at.subheader)
    failing = next(d.value for d in at.dataframe if "criterion" in d.value.columns)
    assert {"HNR 1 costs", "HNR 2 benefits", "HNR 6 sources", "HNR 7 alternatives"} <= set(
        failing["criterion"])
    assert any("Red-flag language: groundbreaking" in c.value for c in at.caption)


def test_the_annotated_report_carries_the_scorecard(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    with db.writing(shipped_engine) as session:
        service.rate_criterion(session, editor, _document_id(shipped_engine), "hnr", "harms",
                               "satisfactory", "side effects are *named*, <b>enough</b>")
    with db.reading(shipped_engine) as session:
        report = exports.report(session, _document_id(shipped_engine))
    scorecard = report[report.index("## Article scorecard"):report.index("## References")]
    assert ("- **HNR 1** Does the story adequately discuss the costs of the intervention? "
            "**not satisfactory** (rules): no sentence mentions a cost, a price or insurance"
            in scorecard)
    assert (f"**satisfactory** ({editor.username}): side effects are \\*named\\*, "
            "\\<b\\>enough\\</b\\>" in scorecard)
    assert "  - the rules propose not-satisfactory: 11 claims name harms" in scorecard
    assert "- *groundbreaking*: ketamine therapy for pain management has emerged" in scorecard
    assert scorecard.count("**DISCERN ") == 16


def test_the_json_export_carries_the_scorecard(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    with db.writing(shipped_engine) as session:
        service.rate_criterion(session, editor, _document_id(shipped_engine), "hnr", "costs",
                               "satisfactory", "the clinic's price list is linked")
    with db.reading(shipped_engine) as session:
        payload = json.loads(exports.export(session, "json", document_slug=SLUG))
    card = payload["scorecard"]
    assert card["document"] == SLUG
    costs = next(c for c in card["criteria"] if (c["instrument"], c["key"]) == ("hnr", "costs"))
    assert (costs["rating"], costs["rated_by"], costs["overridden"]) == (
        "satisfactory", editor.username, True)
    assert costs["proposal"]["rating"] == "not-satisfactory"  # the rules' view stays visible
    assert sum(c["instrument"] == "discern" for c in card["criteria"]) == 16
    assert {f["term"] for f in card["red_flags"]} >= {"groundbreaking"}
