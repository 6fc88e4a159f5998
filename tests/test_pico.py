"""PICO tags (rules with their triggering words, negation and "non-cancer" compounds,
reviewers' decisions) and the indirectness prompts they raise, on the shipped review."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.conftest import cli_env
from tracker import db, pico, queries, topics
from tracker.cli import app
from tracker.errors import InvalidInput, PermissionDenied
from tracker.models import Citation, CitationTopic, Claim
from tracker.services import evidence, tags
from tracker.services.access import Actor
from tracker.vocabulary import Certainty, PicoFacet, Role, TagState

SLUG = "ketamine-therapy-for-pain-management"
MakeActor = Callable[[Engine, Role], Actor]


def _values(texts: list[str]) -> dict[str, str]:
    return {t.value: t.trigger for t in pico.propose(texts)}


@pytest.mark.parametrize("rule", pico.RULES, ids=lambda r: f"{r.facet}:{r.value}")
def test_each_rule_fires_on_its_example_and_shows_the_words(rule: pico.PicoRule) -> None:
    found = {(t.facet, t.value): t.trigger for t in pico.propose([rule.example])}
    assert (rule.facet, rule.value) in found, rule.example
    assert found[(rule.facet, rule.value)].lower() in rule.example.lower()


@pytest.mark.parametrize(("text", "value"), [
    ("Ketamine for chronic non-cancer pain", "cancer pain"),
    ("ketamine in chronic noncancer pain", "cancer pain"),
    ("ketamine for non cancer pain", "cancer pain"),
    ("patients without cancer", "cancer pain"),
    ("pain that is not neuropathic", "neuropathic pain"),
    ("excluding migraine", "migraine/headache"),
    ("no placebo arm", "placebo"),
])
def test_negations_and_non_compounds_do_not_tag(text: str, value: str) -> None:
    assert value not in _values([text]), text


def test_a_negated_mention_does_not_hide_a_plain_one() -> None:
    assert "cancer pain" in _values(["non-cancer and cancer pain compared"])


def test_the_gap_map_rule_leaves_non_cancer_pain_out() -> None:
    """`\\bcancer\\b` once tagged "chronic non-cancer pain" sources as cancer pain."""
    assert ("condition", "cancer pain") not in topics.topics_for(
        ["Ketamine for Chronic Non-Cancer Pain: A 2023 Update"])
    assert ("condition", "cancer pain") in topics.topics_for(["Ketamine for cancer pain"])


def test_a_part_takes_the_facets_its_words_do_not_name_from_its_sentence() -> None:
    sentence = "Intravenous ketamine infusions relieve CRPS and neuropathic pain."
    part = {(t.facet, t.value) for t in pico.for_claim("CRPS", sentence)}
    assert (PicoFacet.CONDITION, "CRPS") in part
    assert (PicoFacet.CONDITION, "neuropathic pain") not in part  # its own condition wins
    assert (PicoFacet.ROUTE, "IV") in part and (PicoFacet.REGIMEN, "infusion") in part


def test_mismatch_words() -> None:
    study = pico.propose(["Intravenous ketamine for complex regional pain syndrome"])
    sentence = pico.propose(["Ketamine relieves neuropathic pain."])
    [mismatch] = pico.mismatches(study, sentence)
    assert mismatch.text == "study: CRPS; sentence: neuropathic pain"
    assert mismatch.element.value == "population"


# --- the shipped review -----------------------------------------------------------------------


def test_the_five_non_cancer_sources_are_not_cancer_pain(shipped_engine: Engine) -> None:
    with db.reading(shipped_engine) as session:
        keys = session.scalars(select(Citation.key).where(
            Citation.title.ilike("%non-cancer%"))).all()
        assert len(keys) >= 5
        tagged = session.scalars(
            select(Citation.key).join(CitationTopic, CitationTopic.citation_id == Citation.id)
            .where(Citation.key.in_(keys), CitationTopic.value == "cancer pain")).all()
        assert tagged == []
        for key in keys:
            assert "cancer pain" not in {r.value for r in queries.citation_tags(session, key)}
        cancer = session.scalars(
            select(Citation.key).join(CitationTopic, CitationTopic.citation_id == Citation.id)
            .where(CitationTopic.value == "cancer pain")).all()
        assert cancer, "real cancer-pain sources keep their tag"


def _prompts(engine: Engine, **kwargs: bool) -> list[queries.IndirectnessPrompt]:
    with db.reading(engine) as session:
        return queries.indirectness_prompts(
            session, queries.resolve_document(session, SLUG).id, **kwargs)


def test_crps_for_neuropathic_and_perioperative_for_chronic_are_prompted(
        shipped_engine: Engine) -> None:
    """The rules find both mismatches on the shipped review; where the re-review has judged the
    element the prompt carries that judgement, and one still unjudged keeps the body's
    certainty "not assessed"."""
    prompts = _prompts(shipped_engine, include_judged=True)
    crps = [p for p in prompts if p.mismatch == "study: CRPS; sentence: neuropathic pain"]
    periop = [p for p in prompts if p.mismatch == "study: perioperative; sentence: chronic"]
    assert crps and periop
    assert {p.element for p in crps} == {"population"}
    assert {p.element for p in periop} == {"setting"}
    open_ones = {(p.link_id, p.element) for p in _prompts(shipped_engine)}
    with db.reading(shipped_engine) as session:
        for prompt in crps + periop:
            assert (prompt.judgement is None) == ((prompt.link_id, prompt.element) in open_ones)
            claim = session.get(Claim, prompt.claim_id)
            assert claim is not None
            counted = session.scalar(select(Citation.verified).where(
                Citation.key == prompt.citation_key))
            # an unjudged element of a counted (verified) study keeps the body's certainty
            # "not assessed" (grading's rule); an unverified study's link does not count at all
            if prompt.judgement is None and counted and claim.certainty is not None:
                assert claim.certainty == Certainty.NOT_ASSESSED.value


def test_judging_the_directness_answers_the_prompt(shipped_engine: Engine,
                                                   make_actor: MakeActor) -> None:
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    prompt = next(p for p in _prompts(shipped_engine) if "CRPS" in p.mismatch)
    with db.writing(shipped_engine) as session:
        evidence.update_link(session, reviewer, prompt.link_id, directness={
            prompt.element: ("indirect", "CRPS trial on a neuropathic-pain sentence")})
    assert prompt.link_id not in {p.link_id for p in _prompts(shipped_engine)
                                  if p.element == prompt.element}
    judged = [p for p in _prompts(shipped_engine, include_judged=True)
              if p.link_id == prompt.link_id and p.element == prompt.element]
    assert [p.judgement for p in judged] == ["indirect"]


def test_reviewers_confirm_and_reject_tags_and_the_prompts_follow(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    viewer = make_actor(shipped_engine, Role.VIEWER)
    prompt = next(p for p in _prompts(shipped_engine)
                  if p.mismatch == "study: CRPS; sentence: neuropathic pain")
    with db.writing(shipped_engine) as session, pytest.raises(PermissionDenied):
        tags.decide_citation_tag(session, viewer, prompt.citation_key, PicoFacet.CONDITION,
                                 "CRPS", TagState.REJECTED)
    with db.writing(shipped_engine) as session, pytest.raises(InvalidInput):
        tags.decide_claim_tag(session, reviewer, prompt.claim_id, PicoFacet.CONDITION,
                              "fibromyalgia", TagState.REJECTED)  # no rule proposes it
    with db.writing(shipped_engine) as session:
        tags.decide_claim_tag(session, reviewer, prompt.claim_id, PicoFacet.CONDITION, "CRPS",
                              TagState.CONFIRMED, "the sentence's trials are CRPS trials")
    with db.reading(shipped_engine) as session:
        rows = {(r.value, r.state, r.source) for r in queries.claim_tags(session,
                                                                          prompt.claim_id)}
    assert ("CRPS", "confirmed", "reviewer") in rows
    assert ("neuropathic pain", "proposed", "rule") in rows
    assert prompt.link_id not in {p.link_id for p in _prompts(shipped_engine)
                                  if p.element == "population"}


def test_a_rejected_topic_leaves_the_gap_map(shipped_engine: Engine,
                                             make_actor: MakeActor) -> None:
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    with db.reading(shipped_engine) as session:
        key, route = session.execute(
            select(Citation.key, CitationTopic.value)
            .join(CitationTopic, CitationTopic.citation_id == Citation.id)
            .where(CitationTopic.value == "cancer pain", Citation.verified.is_(True),
                   Citation.design.is_not(None),
                   Citation.id.in_(select(CitationTopic.citation_id).where(
                       CitationTopic.facet == "route")))).first() or (None, None)
        assert key is not None
        before = sum(c.studies for c in queries.gap_map(session) if c.condition == "cancer pain")
    with db.writing(shipped_engine) as session:
        tags.decide_citation_tag(session, reviewer, key, PicoFacet.CONDITION, "cancer pain",
                                 TagState.REJECTED, "a test")
    with db.reading(shipped_engine) as session:
        after = sum(c.studies for c in queries.gap_map(session)
                    if c.condition == "cancer pain")
        assert after < before


def test_cli_tags(shipped_engine: Engine, make_actor: MakeActor) -> None:
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    runner = CliRunner()
    prompts = json.loads(runner.invoke(app, ["tags", "prompts", "--json"],
                                       env=cli_env(shipped_engine)).output)
    crps = next(p for p in prompts if "study: CRPS" in p["mismatch"])
    shown = runner.invoke(app, ["tags", "--citation", crps["citation_key"], "--json"],
                          env=cli_env(shipped_engine))
    assert shown.exit_code == 0, shown.output
    assert any(r["value"] == "CRPS" and r["trigger"] for r in json.loads(shown.output))
    done = runner.invoke(app, ["tags", "reject", "CRPS", "--facet", "condition", "--citation",
                               crps["citation_key"]],
                         env=cli_env(shipped_engine, reviewer.username))
    assert done.exit_code == 0, done.output
    assert "rejected" in done.output
    neither = runner.invoke(app, ["tags"], env=cli_env(shipped_engine))
    assert neither.exit_code == 2 and "--claim" in neither.output
    queue = runner.invoke(app, ["queue"], env=cli_env(shipped_engine))
    assert "overstated wording proposal" in queue.output


def test_the_documented_rules_are_the_code() -> None:
    from tests.conftest import ROOT
    page = (ROOT / "docs" / "wording.md").read_text(encoding="utf-8")
    for rule in pico.RULES:
        assert rule.pattern.replace("|", "\\|") in page, rule.value
        assert rule.example in page, rule.value
