"""The GRADE guideline 26 wording check: phrase rules (negation, hedged populations,
quantifiers), the GRADE 26 table, proposals on the shipped review, editors' decisions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from tests.conftest import ROOT, cli_env
from tracker import db, queries
from tracker.cli import app
from tracker.errors import InvalidInput, PermissionDenied
from tracker.grading import wording
from tracker.models import AuditEvent, Claim, Flag, WordingDecision
from tracker.services import wording as wording_service
from tracker.services.access import Actor
from tracker.vocabulary import (
    AssertionStrength,
    Certainty,
    ClaimStatus,
    FlagKind,
    FlagState,
    Role,
    WordingDecisionKind,
    WordingVerdict,
)

C, P, S, U = (AssertionStrength.CATEGORICAL, AssertionStrength.PROBABLE,
              AssertionStrength.POSSIBLE, AssertionStrength.UNCERTAIN)
SAFE = "generally considered safe"
SLUG = "ketamine-therapy-for-pain-management"


# --- phrase rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "strength"), [
    ("Ketamine reduces neuropathic pain.", C),
    ("Ketamine is effective for CRPS.", C),
    ("Comprehensive reviews confirm ketamine's role.", C),
    ("Ketamine has been shown to relieve pain.", C),
    ("When administered under supervision, ketamine therapy is generally considered safe.", C),
    ("Ketamine probably reduces opioid use.", P),
    ("Ketamine is likely to reduce pain.", P),
    ("Ketamine may reduce pain after surgery.", S),
    ("Ketamine might help.", S),
    ("Ketamine could ease migraine.", S),
    ("Some studies suggest ketamine induces neuroplastic changes.", S),
    ("It is unclear whether ketamine relieves fibromyalgia pain.", U),
    ("The long-term benefit has not been shown.", U),
])
def test_phrases_set_the_strength(text: str, strength: AssertionStrength) -> None:
    assert wording.classify(text) is strength, wording.explain(text)


def test_negation_keeps_the_strength_and_is_noted() -> None:
    """"does not reduce" is as firm as "reduces"; "may not" is possible; "not known" is
    uncertain."""
    firm = wording.explain("Ketamine does not reduce pain in fibromyalgia.")
    assert firm.strength is C and firm.negated
    assert wording.classify("Ketamine may not be suitable for everyone.") is S
    assert wording.classify("Ketamine is unlikely to help.") is P
    assert wording.classify("It is not known whether ketamine helps.") is U
    checked = wording.check("Ketamine does not reduce pain.", Certainty.LOW)
    assert checked.verdict is WordingVerdict.OVERSTATED
    assert checked.suggestion == "Ketamine may not reduce pain."


def test_a_hedge_on_the_population_is_not_a_hedge_on_the_certainty() -> None:
    seen = wording.explain("Ketamine reduces pain in some patients.")
    assert seen.strength is C
    assert any("population" in n and "some patients" in n for n in seen.notes)
    # "some studies suggest" hedges the finding, not the population
    assert wording.classify("Some studies suggest ketamine reduces pain.") is S


@pytest.mark.parametrize("text", [
    "Ketamine usually reduces pain.", "Ketamine generally reduces pain.",
    "Ketamine reduces pain in most patients.", "Ketamine always reduces pain."])
def test_quantifiers_say_how_often_not_how_sure(text: str) -> None:
    seen = wording.explain(text)
    assert seen.strength is C
    assert any("quantifier" in n or "population" in n for n in seen.notes), seen.notes


def test_the_grade_26_table() -> None:
    """High → categorical, moderate → probably, low → may, very low → very uncertain."""
    assert [(r.certainty, r.strength) for r in wording.GRADE_26] == [
        (Certainty.HIGH, C), (Certainty.MODERATE, P), (Certainty.LOW, S),
        (Certainty.VERY_LOW, U)]
    assert wording.allowed_strength(Certainty.NOT_ASSESSED) is None
    sentence = "Ketamine reduces pain after surgery."
    expected = {
        Certainty.HIGH: (WordingVerdict.MATCHES, ""),
        Certainty.MODERATE: (WordingVerdict.OVERSTATED, "Ketamine probably reduces pain after "
                                                        "surgery."),
        Certainty.LOW: (WordingVerdict.OVERSTATED, "Ketamine may reduce pain after surgery."),
        Certainty.VERY_LOW: (WordingVerdict.OVERSTATED, "The evidence is very uncertain about "
                                                        "whether ketamine reduces pain after "
                                                        "surgery."),
    }
    for certainty, (verdict, suggestion) in expected.items():
        result = wording.check(sentence, certainty)
        assert (result.verdict, result.suggestion) == (verdict, suggestion), certainty
    assert wording.check("Ketamine may reduce pain.", Certainty.LOW).verdict is (
        WordingVerdict.MATCHES)
    assert wording.check("Ketamine may reduce pain.", Certainty.HIGH).verdict is (
        WordingVerdict.UNDERSTATED)
    assert wording.check("Ketamine reduces pain.", Certainty.NOT_ASSESSED).verdict is (
        WordingVerdict.NOT_COMPARED)
    assert wording.check("Ketamine reduces pain.", None, status=ClaimStatus.NOT_REVIEWED
                         ).verdict is WordingVerdict.NOT_COMPARED


def test_a_contested_body_bounds_the_wording_before_it_is_appraised() -> None:
    result = wording.check("Ketamine is safe.", Certainty.NOT_ASSESSED,
                           status=ClaimStatus.CONTESTED)
    assert (result.verdict, result.allowed_strength) == (WordingVerdict.OVERSTATED, P)
    assert result.suggestion == "Ketamine is probably safe."
    # below the bound nothing can be said until the certainty is assessed
    assert wording.check("Ketamine may be safe.", Certainty.NOT_ASSESSED,
                         status=ClaimStatus.CONTESTED).verdict is WordingVerdict.NOT_COMPARED


def test_the_documented_rules_are_the_code() -> None:
    page = (ROOT / "docs" / "wording.md").read_text(encoding="utf-8")
    for rule in wording.PHRASE_RULES:
        assert rule.pattern.replace("|", "\\|") in page, rule.name
        assert rule.example in page, rule.name
    for row in wording.GRADE_26:
        assert row.wording in page, row.certainty
    assert "(docs/wording.md)" in (ROOT / "docs" / "grading.md").read_text(encoding="utf-8")
    assert "docs/wording.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- the shipped review ---------------------------------------------------------------------


def _row(engine: Engine, fragment: str) -> queries.WordingRow:
    with db.reading(engine) as session:
        document = queries.resolve_document(session, SLUG)
        rows = [r for r in queries.wording_check(session, document.id)
                if fragment in r.sentence]
    assert rows, fragment
    return rows[0]


def test_generally_considered_safe_is_proposed_as_overstated(shipped_engine: Engine) -> None:
    row = _row(shipped_engine, SAFE)
    assert (row.strength, row.verdict, row.proposal) == ("categorical", "overstated", "open")
    assert row.allowed_strength in ("probable", "possible", "uncertain")
    assert row.suggestion and row.suggestion != row.sentence
    assert "is generally considered safe" in row.reason
    if row.allowed_strength == "probable":  # contested, certainty not yet assessed
        assert row.suggestion.endswith("ketamine therapy is probably safe.")


def test_a_may_sentence_with_a_low_body_is_not_flagged(shipped_engine: Engine) -> None:
    """A shipped sentence worded "may" whose body's certainty is stored as low (as grading
    stores it once the body is rated) matches its evidence: no proposal."""
    row = next(r for r in _all(shipped_engine)
               if r.parent_id is None and re.search(r"\bmay\b", r.sentence)
               and r.category != "research-direction" and r.track == "effect")
    with db.writing(shipped_engine) as session:
        session.execute(update(Claim).where(Claim.id == row.claim_id).values(
            status=ClaimStatus.SUPPORTED.value, certainty=Certainty.LOW.value))
    again = next(r for r in _all(shipped_engine) if r.claim_id == row.claim_id)
    assert (again.strength, again.allowed_strength, again.verdict, again.proposal) == (
        "possible", "possible", "matches", None)


def _all(engine: Engine) -> list[queries.WordingRow]:
    with db.reading(engine) as session:
        return queries.wording_check(session, queries.resolve_document(session, SLUG).id)


def test_parts_are_read_in_their_sentence(shipped_engine: Engine) -> None:
    rows = _all(shipped_engine)
    parts = [r for r in rows if r.parent_id is not None]
    assert parts and all(r.sentence != r.text for r in parts)
    with db.reading(shipped_engine) as session:
        split = set(session.scalars(select(Claim.parent_id).where(Claim.parent_id.is_not(None))))
    assert not split & {r.claim_id for r in rows}, "a split sentence is read through its parts"


# --- decisions --------------------------------------------------------------------------------

MakeActor = Callable[[Engine, Role], Actor]


def test_accepting_raises_the_flag_and_dismissing_needs_a_reason(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    rows = [r for r in _all(shipped_engine) if r.proposal == "open" and r.open_flag_id is None]
    first, second = rows[0], rows[1]
    with db.writing(shipped_engine) as session, pytest.raises(PermissionDenied):
        wording_service.decide_wording(session, reviewer, first.claim_id,
                                       WordingDecisionKind.ACCEPTED)
    with db.writing(shipped_engine) as session:
        info = wording_service.decide_wording(session, editor, first.claim_id,
                                              WordingDecisionKind.ACCEPTED)
    with db.writing(shipped_engine) as session, pytest.raises(InvalidInput, match="say why"):
        wording_service.decide_wording(session, editor, second.claim_id,
                                       WordingDecisionKind.DISMISSED, "  ")
    with db.writing(shipped_engine) as session:
        wording_service.decide_wording(session, editor, second.claim_id,
                                       WordingDecisionKind.DISMISSED,
                                       "the sentence reports the authors' view")
    with db.reading(shipped_engine) as session:
        flag = session.get(Flag, info.flag_id)
        assert flag is not None and (flag.kind, flag.state, flag.claim_id) == (
            FlagKind.OVERSTATED.value, FlagState.OPEN.value, first.claim_id)
        assert first.suggestion in flag.reason
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.claim_id.in_([first.claim_id, second.claim_id]),
            AuditEvent.action.like("wording.%")).order_by(AuditEvent.id)).all()
        assert actions == ["wording.accept", "wording.dismiss"]
    after = {r.claim_id: r for r in _all(shipped_engine)}
    assert after[first.claim_id].proposal == "accepted"
    assert (after[second.claim_id].proposal, after[second.claim_id].decision_reason) == (
        "dismissed", "the sentence reports the authors' view")


def test_a_decision_lapses_when_the_evidence_moves(shipped_engine: Engine,
                                                   make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    row = _row(shipped_engine, SAFE)
    with db.writing(shipped_engine) as session:
        info = wording_service.decide_wording(session, editor, row.claim_id,
                                              WordingDecisionKind.ACCEPTED)
    assert info.flag_id == row.open_flag_id, "the open overstated flag is kept, not repeated"
    assert _row(shipped_engine, SAFE).proposal == "accepted"
    with db.writing(shipped_engine) as session:  # as a regrade would store a rated body
        session.execute(update(Claim).where(Claim.id == row.claim_id).values(
            status=ClaimStatus.SUPPORTED.value, certainty=Certainty.LOW.value))
    moved = _row(shipped_engine, SAFE)
    assert (moved.allowed_strength, moved.proposal) == ("possible", "open")
    assert moved.suggestion.endswith("may be safe.")
    with db.reading(shipped_engine) as session:
        assert session.scalar(select(WordingDecision.certainty).where(
            WordingDecision.claim_id == row.claim_id)) == row.certainty


def test_a_claim_that_is_not_overstated_has_nothing_to_decide(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    row = next(r for r in _all(shipped_engine) if r.verdict == "not compared")
    with db.writing(shipped_engine) as session, pytest.raises(InvalidInput,
                                                              match="not over-stated"):
        wording_service.decide_wording(session, editor, row.claim_id,
                                       WordingDecisionKind.ACCEPTED)


def test_cli_wording(shipped_engine: Engine, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    runner = CliRunner()
    listed = runner.invoke(app, ["wording", "--proposals", "--json"],
                           env=cli_env(shipped_engine))
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    safe = next(r for r in rows if SAFE in r["sentence"])
    assert safe["verdict"] == "overstated" and safe["suggestion"]
    table = runner.invoke(app, ["wording", "--verdict", "overstated"],
                          env=cli_env(shipped_engine))
    assert table.exit_code == 0 and f"{safe['claim_id']}  categorical" in table.output
    env = cli_env(shipped_engine, editor.username)
    done = runner.invoke(app, ["wording", "dismiss", str(safe["claim_id"]), "--reason",
                               "quoted from a guideline"], env=env)
    assert done.exit_code == 0, done.output
    refused = runner.invoke(app, ["wording", "dismiss", str(safe["claim_id"])], env=env)
    assert refused.exit_code == 2
    after = json.loads(runner.invoke(app, ["wording", "--json"],
                                     env=cli_env(shipped_engine)).output)
    assert next(r for r in after if r["claim_id"] == safe["claim_id"])["proposal"] == (
        "dismissed")
