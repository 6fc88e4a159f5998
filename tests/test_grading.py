"""The grading rules (tracker.grading), shown by small examples, held to GRADE's and the
tools' own algorithms, and compared with docs/grading.md (its tables, thresholds, patterns and
every worked example)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker import grading as g
from tracker.grading.designs import design_rank
from tracker.vocabulary import (
    AppraisalTool,
    BodyDomain,
    Certainty,
    ClaimCategory,
    ClaimStatus,
    ClaimTrack,
    Concern,
    Directness,
    DirectnessElement,
    DualKind,
    Pools,
    Stance,
    Standing,
    StudyDesign,
)

D, S, C = StudyDesign, Stance, ClaimCategory
E, J = DirectnessElement, Directness
EFFECT, DESCRIPTIVE = ClaimTrack.EFFECT, ClaimTrack.DESCRIPTIVE
DOC = Path(__file__).resolve().parents[1] / "docs" / "grading.md"

CRPS = ("Ketamine infusions have shown efficacy in reducing pain intensity and improving "
        "function in CRPS patients.")
MULTIPLE_RCTS = ("Multiple randomized controlled trials have shown ketamine's superiority over "
                 "placebo in reducing neuropathic pain scores, improving quality of life, and "
                 "decreasing opioid consumption in various patient populations.")
REVIEWS_CONFIRM = ("Comprehensive reviews of the available evidence confirm ketamine's role as "
                   "an effective adjunctive therapy for chronic pain conditions.")
NUMEROUS_TRIALS = ("A growing body of scientific literature supports the use of ketamine, with "
                   "numerous clinical trials and observational studies demonstrating its "
                   "efficacy and safety profile.")
SOME_STUDIES = ("Some studies suggest ketamine may induce neuroplastic changes that prolong "
                "pain relief beyond the immediate treatment period.")
PK_ONSET = ("Ketamine is characterized by a rapid onset of action, typically within minutes "
            "when administered intravenously.")
PK_ORAL = ("Oral and sublingual ketamine formulations are also used, though they have lower "
           "bioavailability compared to IV and intranasal routes.")

EFFICACY = g.requirement_for(CRPS, C.EFFICACY)


def direct(**over: str) -> tuple[tuple[DirectnessElement, Directness], ...]:
    """Directness judged on every element: direct, except those given."""
    judged = {e: J.DIRECT for e in E}
    judged.update({E(k): J(v) for k, v in over.items()})
    return tuple(judged.items())


def rob2(overall: str) -> g.Appraisal:
    return g.Appraisal(AppraisalTool.ROB2, overall)


def amstar(overall: str, pools: Pools = Pools.RANDOMISED) -> g.Appraisal:
    return g.Appraisal(AppraisalTool.AMSTAR2, overall, pools)


def ev(key: str, design: StudyDesign | None, stance: Stance = S.SUPPORTS, *,
       appraisal: g.Appraisal | None = None, n: int | None = None, directness: bool = False,
       effect: g.Effect | None = None, **kwargs: object) -> g.Evidence:
    return g.Evidence(key, design, stance, appraisal=appraisal,
                      directness=direct() if directness else (),
                      effect=effect or (g.Effect(participants=n) if n else None),
                      **kwargs)  # type: ignore[arg-type]


def assessed(key: str, design: StudyDesign, stance: Stance = S.SUPPORTS, *,
             overall: str = "low", n: int = 500, **kwargs: object) -> g.Evidence:
    """A study appraised (with its design's tool), judged direct, with participants."""
    tool = g.tool_for(design)
    assert tool is not None
    pools = Pools.RANDOMISED if tool is AppraisalTool.AMSTAR2 else None
    if tool is AppraisalTool.AMSTAR2 and overall == "low":
        overall = "high"
    return ev(key, design, stance, appraisal=g.Appraisal(tool, overall, pools), n=n,
              directness=True, **kwargs)


# --- worked examples of docs/grading.md ---------------------------------------------------


def _examples() -> dict[str, g.Verdict]:
    found = {
        "not-yet-appraised": g.grade(
            [ev("schwartzman2009", D.RCT), ev("sigtermans2009", D.RCT)], EFFICACY, EFFECT),
        "appraised": g.grade(
            [ev("schwartzman2009", D.RCT, appraisal=rob2("some-concerns"), n=19,
                directness=True),
             ev("sigtermans2009", D.RCT, appraisal=rob2("low"), directness=True,
                effect=g.Effect("MD", -1.0, -1.8, -0.2, participants=60))],
            EFFICACY, EFFECT),
        "ten-against-one": g.grade(
            [ev("trial-for", D.RCT)]
            + [ev(f"review{i}", D.META_ANALYSIS, S.CONTRADICTS) for i in range(1, 11)],
            EFFICACY, EFFECT),
        "weak-against": g.grade(
            [ev("big-review", D.META_ANALYSIS, appraisal=amstar("high"), directness=True,
                effect=g.Effect("SMD", -0.5, -0.7, -0.3, participants=1200, studies=14)),
             g.Evidence("small-trial", D.RCT, S.CONTRADICTS, appraisal=rob2("high"),
                        directness=direct(population="very-indirect"),
                        effect=g.Effect(participants=20))],
            EFFICACY, EFFECT),
        "cohort-not-rated-up": g.grade(
            [ev("cohort-a", D.COHORT, appraisal=g.Appraisal(AppraisalTool.ROBINS_I, "serious"),
                n=900, directness=True)],
            g.requirement_for("Ketamine reduces opioid use.", C.GENERAL), EFFECT,
            {BodyDomain.LARGE_EFFECT: g.BodyJudgement("large", "RR 0.3 across cohorts"),
             BodyDomain.DOSE_RESPONSE: g.BodyJudgement("present", "more ketamine, less opioid")}),
        "contested": g.grade(
            [ev("eide1994", D.RCT), ev("guimaraespereira2022", D.META_ANALYSIS),
             ev("pickering2020", D.RCT, S.CONTRADICTS),
             ev("brunamejias2024", D.META_ANALYSIS, S.CONTRADICTS)], EFFICACY, EFFECT),
    }
    found["awaiting-adjudication"] = g.grade(
        [ev("schwartzman2009", D.RCT, awaiting=frozenset({DualKind.STANCE})),
         assessed("sigtermans2009", D.RCT, n=60, awaiting=frozenset({DualKind.APPRAISAL})),
         assessed("eide1994", D.RCT, n=120)],
        EFFICACY, EFFECT)
    track, _ = g.propose_track(PK_ONSET)
    found["descriptive"] = g.grade(
        [ev("peltoniemi2016", D.NARRATIVE_REVIEW), ev("clements1982", D.PHARMACOLOGY)],
        g.requirement_for(PK_ONSET, C.PHARMACOKINETICS, track), track)
    found["compound"] = g.combine([
        ("cancer-related pain", g.grade([ev("mercadante2000", D.RCT),
                                         ev("hardy2012", D.RCT, S.CONTRADICTS)],
                                        EFFICACY, EFFECT)),
        ("refractory migraines", g.grade([], EFFICACY, EFFECT)),
        ("post-surgical pain", g.grade([ev("laskowski2011", D.META_ANALYSIS)], EFFICACY,
                                       EFFECT)),
    ])
    return found


EXAMPLES = _examples()


def _documented_examples() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    return dict(re.findall(r"<!-- example: ([\w-]+) -->\n```text\n(.*?)\n```", text, re.S))


def test_every_worked_example_of_the_docs_is_built_here() -> None:
    assert set(_documented_examples()) == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_worked_example_matches_the_docs(name: str) -> None:
    assert _documented_examples()[name] == EXAMPLES[name].explanation


def test_the_docs_print_the_rules_patterns_and_thresholds() -> None:
    text = DOC.read_text(encoding="utf-8")
    for n, rule in enumerate(g.TRACK_RULES, 1):
        assert f"{n} {rule.track.value:<11} {rule.pattern.pattern}" in text
    for n, phrase in enumerate(g.PHRASE_RULES, 1):
        assert f"{n} {phrase.name:<17} {phrase.pattern}" in text
    assert f"fewer than {g.OPTIMAL_INFORMATION_SIZE} participants" in text
    assert f"fewer than {g.FAR_BELOW_OIS} (far below it)" in text
    assert f"at least {g.BALANCED_SHARE * 100:g} % of the body's weight" in text
    assert f"at least {g.CLEARLY_OUTWEIGHS:g} times" in text
    assert " < ".join(s.value for s in g.STATUS_ORDER) in text


def test_the_docs_defaults_table_agrees() -> None:
    text = DOC.read_text(encoding="utf-8")

    def names(designs: frozenset[StudyDesign]) -> str:
        return ", ".join(f"`{d.value}`" for d in sorted(designs, key=design_rank))

    for category, need in g.CATEGORY_DEFAULTS.items():
        assert f"| effect, `{category.value}` | {need.min_count} | {names(need.designs)} |" in text
    need = g.DESCRIPTIVE_DEFAULT
    assert f"| descriptive (any category) | {need.min_count} | {names(need.designs)} |" in text


def test_the_docs_tool_table_names_every_tool_and_its_designs() -> None:
    text = DOC.read_text(encoding="utf-8")
    for design in D:
        tool = g.tool_for(design)
        row = next(line for line in text.splitlines()
                   if line.startswith("| `") and f"`{design.value}`" in line.split("|")[1])
        assert (g.TOOLS[tool].name in row) if tool else ("| none |" in row), design


# --- appraisal tools ------------------------------------------------------------------------


def _judged(tool: AppraisalTool, answers: dict[str, str]) -> dict[str, g.DomainJudgement]:
    return {k: g.DomainJudgement(k, v, "abstract") for k, v in answers.items()}


def _all(tool: AppraisalTool, answer: str, **over: str) -> dict[str, g.DomainJudgement]:
    answers = {d.id: answer for d in g.TOOLS[tool].required}
    answers.update(over)
    return _judged(tool, answers)


@pytest.mark.parametrize(("answers", "escalate", "overall"), [
    ({}, False, "low"),
    ({"D2": "some-concerns"}, False, "some-concerns"),
    ({"D2": "some-concerns", "D4": "some-concerns"}, False, "some-concerns"),
    ({"D2": "some-concerns", "D4": "some-concerns"}, True, "high"),
    ({"D3": "high"}, False, "high"),
])
def test_rob2_overall_follows_the_tools_algorithm(answers: dict[str, str], escalate: bool,
                                                   overall: str) -> None:
    judged = _all(AppraisalTool.ROB2, "low", **answers)
    assert g.validate(AppraisalTool.ROB2, judged, escalate=escalate) == []
    assert g.overall_judgement(AppraisalTool.ROB2, judged, escalate=escalate) == overall


def test_rob2_escalation_needs_several_domains_with_some_concerns() -> None:
    judged = _all(AppraisalTool.ROB2, "low", D2="some-concerns")
    assert any("at least two" in p for p in g.validate(AppraisalTool.ROB2, judged,
                                                         escalate=True))


@pytest.mark.parametrize(("answers", "overall"), [
    ({}, "low"),
    ({"D1": "moderate"}, "moderate"),
    ({"D1": "moderate", "D5": "no-information"}, "no-information"),
    ({"D1": "serious", "D5": "no-information"}, "serious"),
    ({"D1": "critical", "D2": "serious"}, "critical"),
])
def test_robins_i_overall_is_the_worst_domain(answers: dict[str, str], overall: str) -> None:
    judged = _all(AppraisalTool.ROBINS_I, "low", **answers)
    assert g.overall_judgement(AppraisalTool.ROBINS_I, judged) == overall


@pytest.mark.parametrize(("noes", "overall"), [
    ([], "high"),
    (["1"], "high"),
    (["1", "3"], "moderate"),
    (["4"], "low"),
    (["4", "1", "3"], "low"),
    (["4", "7"], "critically-low"),
])
def test_amstar2_confidence_counts_critical_flaws_and_weaknesses(noes: list[str],
                                                                  overall: str) -> None:
    judged = _all(AppraisalTool.AMSTAR2, "yes", **dict.fromkeys(noes, "no"))
    assert g.overall_judgement(AppraisalTool.AMSTAR2, judged) == overall


def test_amstar2_needs_what_the_review_pools() -> None:
    judged = _all(AppraisalTool.AMSTAR2, "yes")
    assert any("pools" in p for p in g.validate(AppraisalTool.AMSTAR2, judged))
    assert g.validate(AppraisalTool.AMSTAR2, judged, pools=Pools.RANDOMISED) == []


@pytest.mark.parametrize(("yes", "overall"), [(10, "low"), (7, "low"), (6, "some-concerns"),
                                             (5, "some-concerns"), (4, "high")])
def test_jbi_case_series_share_of_yes(yes: int, overall: str) -> None:
    answers = {str(i): ("yes" if i <= yes else "unclear") for i in range(1, 11)}
    judged = _judged(AppraisalTool.JBI_CASE_SERIES, answers)
    assert g.overall_judgement(AppraisalTool.JBI_CASE_SERIES, judged) == overall


def test_validation_names_every_problem() -> None:
    judged = {"D1": g.DomainJudgement("D1", "fine", "abstract"),
              "D9": g.DomainJudgement("D9", "low", "abstract"),
              "D2": g.DomainJudgement("D2", "low", "  ")}
    problems = g.validate(AppraisalTool.ROB2, judged)
    assert any("'fine' is not one of" in p for p in problems)
    assert any("no domain 'D9'" in p for p in problems)
    assert any("D2: a judgement needs a one-line reason" in p for p in problems)
    assert any("missing: D3, D4, D5" in p for p in problems)


@pytest.mark.parametrize(("design", "tool"), [
    (D.RCT, AppraisalTool.ROB2), (D.COHORT, AppraisalTool.ROBINS_I),
    (D.CASE_CONTROL, AppraisalTool.ROBINS_I), (D.META_ANALYSIS, AppraisalTool.AMSTAR2),
    (D.SYSTEMATIC_REVIEW, AppraisalTool.AMSTAR2), (D.RAPID_REVIEW, AppraisalTool.AMSTAR2),
    (D.CASE_SERIES, AppraisalTool.JBI_CASE_SERIES), (D.CASE_REPORT, AppraisalTool.JBI_CASE_REPORT),
    (D.NARRATIVE_REVIEW, None), (D.GUIDELINE, None), (D.REGULATORY_LABEL, None),
    (D.PHARMACOLOGY, None), (D.PRECLINICAL, None), (D.THESIS, None), (None, None),
])
def test_each_design_has_its_tool(design: StudyDesign | None,
                                  tool: AppraisalTool | None) -> None:
    assert g.tool_for(design) is tool


# --- starting points ------------------------------------------------------------------------


@pytest.mark.parametrize(("design", "pools", "start"), [
    (D.RCT, None, Certainty.HIGH),
    (D.COHORT, None, Certainty.LOW),
    (D.CASE_CONTROL, None, Certainty.LOW),
    (D.CASE_SERIES, None, Certainty.VERY_LOW),  # GRADE: other evidence starts very low
    (D.CASE_REPORT, None, Certainty.VERY_LOW),
    (D.META_ANALYSIS, Pools.RANDOMISED, Certainty.HIGH),
    (D.META_ANALYSIS, Pools.NON_RANDOMISED, Certainty.LOW),
    (D.SYSTEMATIC_REVIEW, Pools.BOTH, Certainty.LOW),
    (D.META_ANALYSIS, Pools.NOT_STATED, None),
    (D.META_ANALYSIS, None, None),
    (D.NARRATIVE_REVIEW, None, None),
    (D.REGULATORY_LABEL, None, None),
    (D.PHARMACOLOGY, None, None),
    (D.PRECLINICAL, None, None),
])
def test_starting_point_follows_the_design_and_for_reviews_what_they_pool(
        design: StudyDesign, pools: Pools | None, start: Certainty | None) -> None:
    assert g.start_of(design, pools) is start


# --- nothing unassessed is certain ----------------------------------------------------------


def test_a_missing_appraisal_is_not_assessed_never_high() -> None:
    verdict = g.grade([ev("trial", D.RCT, n=2000, directness=True)], EFFICACY, EFFECT)
    assert verdict.status is ClaimStatus.SUPPORTED
    assert verdict.certainty is Certainty.NOT_ASSESSED
    assert verdict.explanation.startswith("supported — not yet appraised: ")
    assert "needs an appraisal of trial" in verdict.explanation


def test_missing_directness_or_participants_is_not_assessed() -> None:
    no_directness = g.grade([ev("trial", D.RCT, appraisal=rob2("low"), n=2000)], EFFICACY,
                            EFFECT)
    assert no_directness.certainty is Certainty.NOT_ASSESSED
    assert "the directness of trial" in no_directness.explanation
    partial = g.grade([g.Evidence("trial", D.RCT, S.SUPPORTS, appraisal=rob2("low"),
                                  directness=((E.POPULATION, J.DIRECT),),
                                  effect=g.Effect(participants=2000))], EFFICACY, EFFECT)
    assert "on intervention, comparator, outcome, setting" in partial.explanation
    no_n = g.grade([ev("trial", D.RCT, appraisal=rob2("low"), directness=True)], EFFICACY,
                   EFFECT)
    assert no_n.certainty is Certainty.NOT_ASSESSED and "participants of trial" in no_n.explanation
    judged = g.grade([ev("trial", D.RCT, appraisal=rob2("low"), directness=True)], EFFICACY,
                     EFFECT, {BodyDomain.IMPRECISION: g.BodyJudgement("none", "CI narrow")})
    assert judged.certainty is Certainty.HIGH


def test_a_review_whose_pooling_is_unknown_is_not_assessed() -> None:
    review = ev("review", D.META_ANALYSIS, appraisal=g.Appraisal(AppraisalTool.AMSTAR2, "high"),
                n=900, directness=True)
    verdict = g.grade([review], EFFICACY, EFFECT)
    assert verdict.certainty is Certainty.NOT_ASSESSED
    assert "what review pools" in verdict.explanation


def test_fully_assessed_randomised_body_can_be_high() -> None:
    verdict = g.grade([assessed("a", D.RCT, n=300), assessed("b", D.RCT, n=300)], EFFICACY,
                      EFFECT)
    assert verdict.certainty is Certainty.HIGH, verdict.explanation


# --- status -------------------------------------------------------------------------------


def test_not_reviewed_and_no_evidence_found_are_told_apart() -> None:
    assert g.grade([], EFFICACY, EFFECT).status is ClaimStatus.NOT_REVIEWED
    searched = g.grade([], EFFICACY, EFFECT, searched=True)
    assert searched.status is ClaimStatus.NO_EVIDENCE_FOUND
    assert searched.certainty is None
    background = g.grade([ev("x", D.GUIDELINE, S.BACKGROUND)], EFFICACY, EFFECT, searched=True)
    assert background.status is ClaimStatus.NO_EVIDENCE_FOUND
    mixed = g.grade([ev("x", D.META_ANALYSIS, S.MIXED)], EFFICACY, EFFECT, searched=True)
    assert mixed.status is ClaimStatus.INSUFFICIENT
    unverified = g.grade([ev("x", D.RCT, verified=False)], EFFICACY, EFFECT)
    assert unverified.status is ClaimStatus.INSUFFICIENT
    assert "to check: x" in unverified.explanation


def test_one_very_low_rct_against_a_high_meta_analysis_does_not_contest_it() -> None:
    verdict = EXAMPLES["weak-against"]
    assert verdict.status is ClaimStatus.SUPPORTED
    assert verdict.certainty is Certainty.HIGH
    assert "not credible" in verdict.explanation


def test_one_rct_for_against_ten_meta_analyses_is_contradicted_before_appraisal() -> None:
    verdict = EXAMPLES["ten-against-one"]
    assert verdict.status is ClaimStatus.CONTRADICTED
    assert verdict.certainty is Certainty.NOT_ASSESSED
    assert "by design and number (not yet appraised)" in verdict.explanation


def test_comparable_evidence_both_ways_is_contested_with_an_inconsistency_step() -> None:
    verdict = EXAMPLES["contested"]
    assert verdict.status is ClaimStatus.CONTESTED
    assert "inconsistency" in verdict.explanation


def test_contested_by_certainty_rates_inconsistency_down() -> None:
    verdict = g.grade([assessed("for", D.RCT, n=400), assessed("against", D.RCT, S.CONTRADICTS,
                                                                n=400)], EFFICACY, EFFECT)
    assert verdict.status is ClaimStatus.CONTESTED
    steps = {s.domain: s.change for s in verdict.steps}
    assert steps["inconsistency"] == -2  # balanced: very serious
    assert verdict.certainty is Certainty.LOW


def test_clearly_outweighed_evidence_against_still_rates_inconsistency_down() -> None:
    verdict = g.grade([assessed("for", D.RCT, n=900), assessed("against", D.RCT, S.CONTRADICTS,
                                                                n=100)], EFFICACY, EFFECT)
    assert verdict.status is ClaimStatus.SUPPORTED
    assert {s.domain: s.change for s in verdict.steps}["inconsistency"] == -1
    assert verdict.certainty is Certainty.MODERATE


def test_only_evidence_against_contradicts() -> None:
    verdict = g.grade([ev("noppers", D.RCT, S.CONTRADICTS), ev("pastrak", D.SYSTEMATIC_REVIEW,
                                                                 S.MIXED)], EFFICACY, EFFECT)
    assert verdict.status is ClaimStatus.CONTRADICTED


def test_case_series_for_and_an_rct_against_is_contradicted_not_insufficient() -> None:
    verdict = g.grade([ev("pomeroy", D.CASE_SERIES), ev("etchison", D.RCT, S.CONTRADICTS)],
                      EFFICACY, EFFECT)
    assert verdict.status is ClaimStatus.CONTRADICTED
    assert "clearly stronger" in verdict.explanation


def test_multiple_rcts_promise_with_one_rct_is_insufficient() -> None:
    need = g.requirement_for(MULTIPLE_RCTS, C.EVIDENCE_SUMMARY)
    verdict = g.grade([ev("a", D.RCT), ev("b", D.META_ANALYSIS)], need, EFFECT)
    assert verdict.status is ClaimStatus.INSUFFICIENT
    assert 'needs at least 2 supporting RCTs (the sentence says "Multiple randomized ' \
           'controlled trials")' in verdict.explanation
    assert g.grade([ev("a", D.RCT), ev("b", D.RCT)], need, EFFECT).status is (
        ClaimStatus.SUPPORTED)


def test_retracted_and_unverified_do_not_count() -> None:
    verdict = g.grade([ev("gone", D.RCT, S.CONTRADICTS, retracted=True), ev("ok", D.RCT)],
                      EFFICACY, EFFECT)
    assert verdict.status is ClaimStatus.SUPPORTED
    assert "1 retracted not counted (gone)" in verdict.explanation


def test_support_only_from_unrated_sources_is_supported_without_a_certainty() -> None:
    need = g.requirement_for("Ketamine is contraindicated in psychosis.", C.CONTRAINDICATION)
    verdict = g.grade([ev("label", D.REGULATORY_LABEL), ev("cohen", D.GUIDELINE)], need, EFFECT)
    assert verdict.status is ClaimStatus.SUPPORTED and verdict.certainty is None
    assert "certainty not rated" in verdict.explanation


# --- certainty domains ----------------------------------------------------------------------


def _steps(verdict: g.Verdict) -> dict[str, int]:
    return {s.domain: s.change for s in verdict.steps}


def test_risk_of_bias_follows_where_most_of_the_weight_is() -> None:
    minority = g.grade([assessed("a", D.RCT, n=300), assessed("b", D.RCT, overall="high", n=100)],
                       EFFICACY, EFFECT)
    assert _steps(minority)["risk of bias"] == 0
    majority = g.grade([assessed("a", D.RCT, n=100),
                        assessed("b", D.RCT, overall="some-concerns", n=300)], EFFICACY, EFFECT)
    assert _steps(majority)["risk of bias"] == -1
    high = g.grade([assessed("a", D.RCT, overall="high", n=400)], EFFICACY, EFFECT)
    assert _steps(high)["risk of bias"] == -2
    review = g.grade([assessed("r", D.META_ANALYSIS, overall="critically-low", n=900)],
                     EFFICACY, EFFECT)
    assert _steps(review)["risk of bias"] == -2


def test_indirectness_from_the_links_directness() -> None:
    indirect = g.Evidence("crps-trial", D.RCT, S.SUPPORTS, appraisal=rob2("low"),
                          directness=direct(population="indirect"),
                          effect=g.Effect(participants=600))
    verdict = g.grade([indirect], EFFICACY, EFFECT)
    assert _steps(verdict)["indirectness"] == -1
    assert "crps-trial: population indirect" in verdict.explanation


@pytest.mark.parametrize(("n", "step"), [(400, 0), (399, -1), (100, -1), (99, -2)])
def test_imprecision_against_the_optimal_information_size(n: int, step: int) -> None:
    assert _steps(g.grade([assessed("a", D.RCT, n=n)], EFFICACY, EFFECT))["imprecision"] == step


def test_a_supporting_ci_that_includes_no_effect_is_imprecise() -> None:
    crosses = g.Evidence("a", D.RCT, S.SUPPORTS, appraisal=rob2("low"), directness=direct(),
                         effect=g.Effect("RR", 0.8, 0.6, 1.1, participants=800))
    assert g.Effect("RR", 0.8, 0.6, 1.1).crosses_no_effect() is True
    assert g.Effect("MD", -1.0, -1.8, -0.2).crosses_no_effect() is False
    verdict = g.grade([crosses], EFFICACY, EFFECT)
    assert _steps(verdict)["imprecision"] == -1
    assert "includes no effect" in verdict.explanation


def test_publication_bias_not_judged_is_said_and_not_rated_down() -> None:
    verdict = g.grade([assessed("a", D.RCT)], EFFICACY, EFFECT)
    assert "publication bias (not judged, not rated down)" in verdict.explanation
    judged = g.grade([assessed("a", D.RCT)], EFFICACY, EFFECT,
                     {BodyDomain.PUBLICATION_BIAS: g.BodyJudgement("serious", "funnel plot")})
    assert _steps(judged)["publication bias"] == -1
    assert "reviewer: serious, funnel plot" in judged.explanation


def test_a_reviewers_judgement_replaces_the_rules_proposal() -> None:
    small = [assessed("a", D.RCT, n=50)]
    assert _steps(g.grade(small, EFFICACY, EFFECT))["imprecision"] == -2
    judged = g.grade(small, EFFICACY, EFFECT,
                     {BodyDomain.IMPRECISION: g.BodyJudgement("serious", "narrow CI")})
    assert _steps(judged)["imprecision"] == -1


def test_a_reviewer_cannot_judge_away_inconsistency_while_evidence_points_both_ways() -> None:
    verdict = g.grade([assessed("for", D.RCT, n=400), assessed("against", D.RCT, S.CONTRADICTS,
                                                                n=400)], EFFICACY, EFFECT,
                      {BodyDomain.INCONSISTENCY: g.BodyJudgement("none", "I think not")})
    assert _steps(verdict)["inconsistency"] <= -1
    assert "cannot apply while evidence points both ways" in verdict.explanation


def test_a_clean_non_randomised_body_is_rated_up() -> None:
    body = {BodyDomain.LARGE_EFFECT: g.BodyJudgement("very-large", "RR 0.1")}
    verdict = g.grade([assessed("cohort", D.COHORT, n=900)],
                      g.requirement_for("x", C.GENERAL), EFFECT, body)
    assert verdict.certainty is Certainty.HIGH  # low + 2
    dose = {BodyDomain.DOSE_RESPONSE: g.BodyJudgement("present", "gradient")}
    assert g.grade([assessed("cohort", D.COHORT, n=900)], g.requirement_for("x", C.GENERAL),
                   EFFECT, dose).certainty is Certainty.MODERATE


def test_a_cohort_rated_down_is_not_rated_up() -> None:
    verdict = EXAMPLES["cohort-not-rated-up"]
    assert verdict.certainty is Certainty.VERY_LOW
    assert "large effect (not applied: the body was rated down" in verdict.explanation


def test_a_randomised_body_is_never_rated_up() -> None:
    body = {BodyDomain.LARGE_EFFECT: g.BodyJudgement("large", "big")}
    verdict = g.grade([assessed("a", D.RCT)], EFFICACY, EFFECT, body)
    assert verdict.certainty is Certainty.HIGH
    assert "not applied: a randomised body starts high" in verdict.explanation


def test_case_series_start_very_low() -> None:
    series = ev("series", D.CASE_SERIES,
                appraisal=g.Appraisal(AppraisalTool.JBI_CASE_SERIES, "low"), n=30,
                directness=True)
    verdict = g.grade([series], g.requirement_for("x", C.ADVERSE_EFFECT), EFFECT)
    assert verdict.certainty is Certainty.VERY_LOW
    assert "starts very-low" in verdict.explanation


def test_the_randomised_studies_carry_the_body() -> None:
    verdict = g.grade([assessed("trial", D.RCT), assessed("cohort", D.COHORT, overall="low")],
                      EFFICACY, EFFECT)
    assert "starts high (1 × RCT: trial)" in verdict.explanation


# --- tracks and descriptive claims ----------------------------------------------------------


@pytest.mark.parametrize(("sentence", "track"), [
    (PK_ONSET, DESCRIPTIVE),
    (PK_ORAL, DESCRIPTIVE),
    ("Ketamine blocks NMDA receptors, which are glutamate receptors.", DESCRIPTIVE),
    ("Intravenous (IV) ketamine infusion is the most common method used in clinical settings.",
     DESCRIPTIVE),
    ("Rapid Onset of Pain Relief: Ketamine can provide analgesia within minutes.", EFFECT),
    ("When administered under medical supervision, ketamine therapy is generally considered "
     "safe.", EFFECT),
    (CRPS, EFFECT),
    ("Something no rule knows.", EFFECT),
])
def test_track_proposals_read_the_sentence_only(sentence: str, track: ClaimTrack) -> None:
    proposed, why = g.propose_track(sentence)
    assert proposed is track
    assert why.startswith("rule: ")


def test_identical_pharmacokinetic_evidence_gives_the_same_verdict_on_two_sentences() -> None:
    evidence = [ev("peltoniemi2016", D.NARRATIVE_REVIEW), ev("chong2009", D.PHARMACOLOGY)]
    verdicts = []
    for sentence, category in ((PK_ONSET, C.PHARMACOKINETICS), (PK_ORAL, C.ADMINISTRATION)):
        track, _ = g.propose_track(sentence)
        verdicts.append(g.grade(evidence, g.requirement_for(sentence, category, track), track))
    assert verdicts[0].explanation == verdicts[1].explanation
    assert verdicts[0].standing is Standing.ESTABLISHED


def test_descriptive_standing() -> None:
    need = g.requirement_for(PK_ONSET, C.PHARMACOKINETICS, DESCRIPTIVE)
    plausible = g.grade([ev("review", D.NARRATIVE_REVIEW)], need, DESCRIPTIVE)
    assert (plausible.status, plausible.standing) == (ClaimStatus.INSUFFICIENT,
                                                      Standing.PLAUSIBLE)
    lab = g.grade([ev("mice", D.PRECLINICAL)], need, DESCRIPTIVE)
    assert lab.standing is Standing.PLAUSIBLE
    lab_direct = g.grade([ev("binding", D.PRECLINICAL, directness=True)], need, DESCRIPTIVE)
    assert lab_direct.standing is Standing.ESTABLISHED
    contested = g.grade([ev("pk1", D.PHARMACOLOGY), ev("pk2", D.PHARMACOLOGY, S.CONTRADICTS)],
                        need, DESCRIPTIVE)
    assert contested.status is ClaimStatus.CONTESTED and "inconsistency" in contested.explanation
    against = g.grade([ev("label", D.REGULATORY_LABEL, S.CONTRADICTS)], need, DESCRIPTIVE)
    assert (against.status, against.standing) == (ClaimStatus.CONTRADICTED,
                                                  Standing.NOT_ESTABLISHED)
    assert all(v.certainty is None for v in (plausible, lab, contested, against))


# --- compound claims ------------------------------------------------------------------------


def test_a_split_sentence_with_a_part_without_certainty_has_none() -> None:
    verdict = EXAMPLES["compound"]
    assert verdict.status is ClaimStatus.CONTESTED
    assert verdict.certainty is None


def test_compound_certainty_is_the_lowest_and_not_assessed_wins_over_rated() -> None:
    high = g.grade([assessed("a", D.RCT)], EFFICACY, EFFECT)
    low = g.grade([assessed("b", D.RCT, overall="high", n=150)], EFFICACY, EFFECT)
    pending = g.grade([ev("c", D.RCT)], EFFICACY, EFFECT)
    assert g.combine([("x", high), ("y", low)]).certainty is Certainty.VERY_LOW
    assert g.combine([("x", high), ("y", pending)]).certainty is Certainty.NOT_ASSESSED
    with pytest.raises(ValueError):
        g.combine([])


# --- requirements -------------------------------------------------------------------------


@pytest.mark.parametrize(("sentence", "count", "designs"), [
    (MULTIPLE_RCTS, 2, {D.RCT}),
    (REVIEWS_CONFIRM, 1, {D.META_ANALYSIS, D.SYSTEMATIC_REVIEW}),
    (NUMEROUS_TRIALS, 2, set(g.requirements.CLINICAL)),
    (SOME_STUDIES, 1, set(g.requirements.LEVELED)),
    ("Preliminary data from several randomised controlled trials show benefit.", 2, {D.RCT}),
])
def test_what_the_sentence_promises_sets_the_need(sentence: str, count: int,
                                                  designs: set[StudyDesign]) -> None:
    need = g.requirement_for(sentence, C.EFFICACY)
    assert (need.min_count, set(need.designs)) == (count, designs)
    assert need.reason.startswith("the sentence says")


def test_may_does_not_lower_the_need() -> None:
    need = g.requirement_for("Ketamine therapy may help alleviate symptoms.", C.EFFICACY)
    assert need.reason == "default for an efficacy claim"


def test_override_requirement_keeps_the_reason_and_refuses_incomplete_ones() -> None:
    need = g.override_requirement(2, [D.COHORT, D.CASE_CONTROL], "no trials in this population")
    assert need.reason == "editor override: no trials in this population"
    for args in ((1, [D.RCT], " "), (0, [D.RCT], "why"), (1, [], "why")):
        with pytest.raises(ValueError):
            g.override_requirement(*args)  # type: ignore[arg-type]


# --- promises over arbitrary evidence (Hypothesis) ------------------------------------------

_designs = st.sampled_from([*StudyDesign, None])
_appraisal = st.one_of(st.none(), st.builds(
    lambda tool, overall: g.Appraisal(tool, overall,
                                      Pools.RANDOMISED if tool is AppraisalTool.AMSTAR2
                                      else None),
    st.sampled_from(list(AppraisalTool)), st.sampled_from(["low", "some-concerns", "high"])))
_evidence = st.builds(
    lambda key, design, stance, appraisal, judged, n, verified: g.Evidence(
        key, design, stance,
        appraisal=appraisal if appraisal and g.tool_for(design) is appraisal.tool else None,
        directness=direct() if judged else (), effect=g.Effect(participants=n),
        verified=verified),
    st.text(min_size=1, max_size=6), _designs, st.sampled_from(list(Stance)), _appraisal,
    st.booleans(), st.one_of(st.none(), st.integers(1, 3000)), st.booleans())


@given(st.lists(_evidence, max_size=8), st.sampled_from(list(ClaimTrack)), st.booleans())
def test_grade_keeps_its_promises(evidence: list[g.Evidence], track: ClaimTrack,
                                  searched: bool) -> None:
    need = g.requirement_for("a claim", C.EFFICACY, track)
    verdict = g.grade(evidence, need, track, searched=searched)
    assert verdict.explanation.startswith(verdict.status.value)
    if verdict.status in (ClaimStatus.NOT_REVIEWED, ClaimStatus.NO_EVIDENCE_FOUND):
        assert verdict.certainty is None and verdict.standing is None
    if verdict.status is ClaimStatus.CONTESTED:
        assert "inconsistency" in verdict.explanation
    if track is DESCRIPTIVE:
        assert verdict.certainty is None
    if verdict.certainty not in (None, Certainty.NOT_ASSESSED):
        rated = [e for e in evidence if g.is_counted(e) and e.rated
                 and e.stance in (S.SUPPORTS, S.CONTRADICTS)]
        assert any(e.appraisal is not None for e in rated)
    counted_against = any(g.is_counted(e) and e.stance is S.CONTRADICTS and e.rated
                          for e in evidence)
    counted_for = any(g.is_counted(e) and e.stance is S.SUPPORTS for e in evidence)
    if counted_against and not counted_for:
        assert verdict.status is not ClaimStatus.SUPPORTED


def test_step_texts_are_one_line() -> None:
    for verdict in EXAMPLES.values():
        assert "\n" not in verdict.explanation
        assert verdict.status in ClaimStatus
        if verdict.track is EFFECT and verdict.certainty is not None:
            assert isinstance(verdict.certainty, Certainty)
    assert Concern.SERIOUS.value == "serious"


# --- awaiting adjudication (dual review) ---------------------------------------------------

WAITING_STANCE = frozenset({DualKind.STANCE})


def test_a_link_whose_stance_awaits_adjudication_is_left_out_whole() -> None:
    """Ten reviews against would contradict the claim; while their stance waits for an
    editor, the claim is graded on the trial alone and says what it leaves out."""
    waiting = [ev(f"review{i}", D.META_ANALYSIS, S.CONTRADICTS, awaiting=WAITING_STANCE)
               for i in range(1, 11)]
    verdict = g.grade([ev("trial-for", D.RCT), *waiting], EFFICACY, EFFECT)
    alone = g.grade([ev("trial-for", D.RCT)], EFFICACY, EFFECT)
    assert (verdict.status, verdict.certainty) == (alone.status, alone.certainty)
    assert verdict.contradicting == 0 and verdict.supporting == 1
    assert verdict.explanation.startswith(
        f"{alone.status} — not yet appraised, {g.AWAITING}: left out until an editor "
        "adjudicates the reviewers' entries: review1 (stance), review2 (stance)")
    assert verdict.awaiting == tuple(f"review{i} (stance)" for i in range(1, 11))
    assert verdict.headline == f"{alone.status} — not yet appraised, {g.AWAITING}"


def test_an_appraisal_or_directness_awaiting_adjudication_is_not_used() -> None:
    """An appraised, direct trial has a certainty; the same trial whose appraisal (or
    directness) waits for adjudication is graded as not appraised (not judged)."""
    done = assessed("big-trial", D.RCT, n=800)
    assert g.grade([done], EFFICACY, EFFECT).certainty is Certainty.HIGH
    for kind in (DualKind.APPRAISAL, DualKind.DIRECTNESS):
        waiting = assessed("big-trial", D.RCT, n=800, awaiting=frozenset({kind}))
        verdict = g.grade([waiting], EFFICACY, EFFECT)
        assert verdict.status is ClaimStatus.SUPPORTED
        assert verdict.certainty is Certainty.NOT_ASSESSED, kind
        assert f"big-trial ({kind.value})" in verdict.explanation


def test_a_claim_whose_only_evidence_awaits_adjudication_is_not_yet_reviewed() -> None:
    verdict = g.grade([ev("trial", D.RCT, awaiting=WAITING_STANCE)], EFFICACY, EFFECT)
    assert verdict.status is ClaimStatus.NOT_REVIEWED and verdict.certainty is None
    assert verdict.explanation == (
        f"not-reviewed — {g.AWAITING}: left out until an editor adjudicates the reviewers' "
        "entries: trial (stance); nothing else is recorded")


def test_a_descriptive_claim_and_a_split_sentence_say_they_await_adjudication() -> None:
    track, _ = g.propose_track(PK_ONSET)
    need = g.requirement_for(PK_ONSET, C.PHARMACOKINETICS, track)
    descriptive = g.grade([ev("clements1982", D.PHARMACOLOGY),
                           ev("other", D.PHARMACOLOGY, S.CONTRADICTS, awaiting=WAITING_STANCE)],
                          need, track)
    assert descriptive.explanation.startswith(
        f"supported (established) — {g.AWAITING}: left out")
    compound = g.combine([("part one", descriptive),
                          ("part two", g.grade([], EFFICACY, EFFECT))])
    assert compound.explanation.startswith(f"not-reviewed — {g.AWAITING}: parts — part one "
                                           f"supported (established) — {g.AWAITING}")
    assert compound.awaiting == ("other (stance)",)


def test_a_links_judgements_are_named_once_from_the_grade_domains() -> None:
    """The fields of `Judgements`, the link's columns and every caller's names are one list,
    taken from the GRADE domains of the vocabulary; the stored form goes there and back."""
    from dataclasses import fields

    from tracker.models import EvidenceLink
    from tracker.vocabulary import DOWNGRADE_DOMAINS, LINK_UPGRADES

    assert tuple(f.name for f in fields(g.Judgements)) == g.JUDGEMENT_NAMES
    assert tuple(d.value for d in DOWNGRADE_DOMAINS + LINK_UPGRADES) == g.JUDGEMENT_NAMES
    assert all(hasattr(EvidenceLink, name) for name in g.JUDGEMENT_NAMES)
    judged = g.Judgements(imprecision=Concern.SERIOUS, large_effect=True)
    assert g.Judgements.stored(judged.as_stored()) == judged
    change = g.JudgementChange(g.Judgements(imprecision=None), frozenset({"imprecision"}))
    assert change.onto(judged) == g.Judgements(large_effect=True)
    with pytest.raises(ValueError, match="unknown judgement"):
        g.Judgements.stored({"risk-of-bias": "none"})
