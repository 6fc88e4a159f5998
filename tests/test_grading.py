"""Grading rules shown by small worked examples, and their agreement with docs/grading.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.grading import (
    CATEGORY_DEFAULTS,
    PHRASE_RULES,
    Evidence,
    Judgements,
    Requirement,
    Verdict,
    body_certainty,
    certainty_explanation,
    combine,
    design_label,
    grade,
    item_certainty,
    level,
    override_requirement,
    requirement_for,
    starting_certainty,
)
from tracker.vocabulary import Certainty, ClaimCategory, ClaimStatus, Concern, Stance, StudyDesign

D = StudyDesign
C = ClaimCategory
S = Stance
SERIOUS, VERY_SERIOUS = Concern.SERIOUS, Concern.VERY_SERIOUS

DOC = Path(__file__).resolve().parents[1] / "docs" / "grading.md"

# The article's own sentences (references/ketamine-therapy-for-pain-management.txt).
MULTIPLE_RCTS = (
    "Multiple randomized controlled trials have shown ketamine's superiority over placebo in "
    "reducing neuropathic pain scores, improving quality of life, and decreasing opioid "
    "consumption in various patient populations."
)
REVIEWS_CONFIRM = (
    "Comprehensive reviews of the available evidence confirm ketamine's role as an effective "
    "adjunctive therapy for chronic pain conditions, highlighting its benefits while underscoring "
    "the need for standardized protocols."
)
NUMEROUS_TRIALS = (
    "A growing body of scientific literature supports the use of ketamine therapy for pain "
    "management, with numerous clinical trials and observational studies demonstrating its "
    "efficacy and safety profile."
)
SOME_STUDIES = (
    "Potential for Long-Term Pain Modulation: Some studies suggest ketamine may induce "
    "neuroplastic changes that prolong pain relief beyond the immediate treatment period."
)
CRPS = (
    "CRPS is a chronic pain condition characterized by severe, persistent pain and sensory "
    "abnormalities. Ketamine infusions have shown efficacy in reducing pain intensity and "
    "improving function in CRPS patients."
)
NMDA = (
    "Ketamine blocks NMDA receptors, which are glutamate receptors involved in excitatory "
    "neurotransmission."
)
FIBROMYALGIA = (
    "Ketamine therapy may help alleviate symptoms by modulating central nervous system pathways "
    "involved in pain amplification."
)
RAPID_ONSET = (
    "Rapid Onset of Pain Relief: Ketamine can provide analgesia within minutes, which is critical "
    "for acute pain crises."
)
IV_MOST_COMMON = (
    "Intravenous (IV) ketamine infusion is the most common method used in clinical settings for "
    "pain management."
)
OTHER_CONDITIONS = (
    "Ketamine has also been utilized for cancer-related pain, refractory migraines, and "
    "post-surgical pain, demonstrating its broad analgesic potential."
)

ALL_LEVELED = frozenset(d for d in StudyDesign if level(d) is not None)


def ev(
    citation: str,
    design: StudyDesign | None,
    stance: Stance = S.SUPPORTS,
    judgements: Judgements | None = None,
    *,
    verified: bool = True,
    retracted: bool = False,
) -> Evidence:
    return Evidence(
        citation, design, stance, judgements or Judgements(), verified=verified, retracted=retracted
    )


def multiple_rcts(evidence: list[Evidence]) -> Verdict:
    return grade(evidence, requirement_for(MULTIPLE_RCTS, C.EVIDENCE_SUMMARY), C.EVIDENCE_SUMMARY)


# ---------------------------------------------------------------------------------------------
# Rule 1: evidence levels and labels

EXPECTED_LEVELS: dict[StudyDesign | None, int | None] = {
    D.META_ANALYSIS: 1,
    D.SYSTEMATIC_REVIEW: 1,
    D.RCT: 2,
    D.COHORT: 3,
    D.CASE_CONTROL: 4,
    D.CASE_SERIES: 4,
    D.CASE_REPORT: 4,
    D.NARRATIVE_REVIEW: 5,
    D.GUIDELINE: 5,
    D.PRECLINICAL: 5,
    D.PHARMACOLOGY: 5,
    D.BOOK: None,
    D.OTHER: None,
    None: None,
}


def test_expected_levels_cover_every_design() -> None:
    assert set(EXPECTED_LEVELS) == {*StudyDesign, None}


@pytest.mark.parametrize(("design", "expected"), EXPECTED_LEVELS.items())
def test_level_of_every_design(design: StudyDesign | None, expected: int | None) -> None:
    assert level(design) == expected


@pytest.mark.parametrize(
    ("design", "one", "two"),
    [
        (D.RCT, "RCT", "RCTs"),
        (D.META_ANALYSIS, "meta-analysis", "meta-analyses"),
        (D.SYSTEMATIC_REVIEW, "systematic review", "systematic reviews"),
        (D.COHORT, "cohort study", "cohort studies"),
        (D.CASE_SERIES, "case series", "case series"),
        (D.CASE_REPORT, "case report", "case reports"),
        (D.NARRATIVE_REVIEW, "narrative review", "narrative reviews"),
        (D.GUIDELINE, "guideline", "guidelines"),
        (D.PRECLINICAL, "preclinical study", "preclinical studies"),
        (D.PHARMACOLOGY, "pharmacology study", "pharmacology studies"),
        (D.BOOK, "book", "books"),
        (None, "source of unknown design", "sources of unknown design"),
    ],
)
def test_design_label_singular_and_plural(design: StudyDesign | None, one: str, two: str) -> None:
    assert design_label(design, 1) == one
    assert design_label(design, 2) == two


# ---------------------------------------------------------------------------------------------
# Rule 2 and 3: certainty of one item and of the supporting body


@pytest.mark.parametrize(
    ("design", "clinical", "mechanistic"),
    [
        (D.META_ANALYSIS, Certainty.HIGH, Certainty.HIGH),
        (D.RCT, Certainty.HIGH, Certainty.HIGH),
        (D.COHORT, Certainty.LOW, Certainty.LOW),
        (D.CASE_SERIES, Certainty.LOW, Certainty.LOW),
        (D.PHARMACOLOGY, Certainty.VERY_LOW, Certainty.HIGH),
        (D.PRECLINICAL, Certainty.VERY_LOW, Certainty.LOW),
        (D.NARRATIVE_REVIEW, Certainty.VERY_LOW, Certainty.LOW),
        (D.GUIDELINE, Certainty.VERY_LOW, Certainty.LOW),
        (D.BOOK, Certainty.VERY_LOW, Certainty.VERY_LOW),
        (None, Certainty.VERY_LOW, Certainty.VERY_LOW),
    ],
)
def test_starting_certainty_depends_on_design_and_claim_kind(
    design: StudyDesign | None, clinical: Certainty, mechanistic: Certainty
) -> None:
    assert starting_certainty(design, C.EFFICACY) is clinical
    assert starting_certainty(design, C.MECHANISM) is mechanistic
    assert starting_certainty(design, C.PHARMACOKINETICS) is mechanistic


@pytest.mark.parametrize(
    ("design", "judgements", "expected"),
    [
        (D.RCT, Judgements(), Certainty.HIGH),
        (D.RCT, Judgements(imprecision=SERIOUS), Certainty.MODERATE),
        (D.RCT, Judgements(risk_of_bias=SERIOUS, imprecision=SERIOUS), Certainty.LOW),
        (D.RCT, Judgements(risk_of_bias=VERY_SERIOUS, inconsistency=SERIOUS), Certainty.VERY_LOW),
        # clamp at the bottom: -4 from high is still very low
        (
            D.META_ANALYSIS,
            Judgements(indirectness=VERY_SERIOUS, publication_bias=VERY_SERIOUS),
            Certainty.VERY_LOW,
        ),
        # upgrades lift evidence that starts below high
        (D.COHORT, Judgements(large_effect=True), Certainty.MODERATE),
        (D.COHORT, Judgements(large_effect=True, dose_response=True), Certainty.HIGH),
        (D.CASE_SERIES, Judgements(imprecision=SERIOUS, dose_response=True), Certainty.LOW),
        # upgrades are ignored for evidence that starts high
        (D.RCT, Judgements(large_effect=True, dose_response=True), Certainty.HIGH),
        (D.RCT, Judgements(imprecision=SERIOUS, large_effect=True), Certainty.MODERATE),
        # net change first, then the clamp: low -3 +2 is very low, not moderate
        (
            D.COHORT,
            Judgements(
                risk_of_bias=VERY_SERIOUS,
                imprecision=SERIOUS,
                large_effect=True,
                dose_response=True,
            ),
            Certainty.VERY_LOW,
        ),
    ],
)
def test_item_certainty_downgrades_upgrades_and_clamps(
    design: StudyDesign, judgements: Judgements, expected: Certainty
) -> None:
    assert item_certainty(ev("x", design, judgements=judgements), C.EFFICACY) is expected


def test_body_certainty_is_the_best_counted_supporting_item() -> None:
    evidence = [
        ev("series", D.CASE_SERIES),  # low
        ev("trial", D.RCT, judgements=Judgements(imprecision=SERIOUS)),  # moderate
        ev("against", D.META_ANALYSIS, S.CONTRADICTS),  # high, but not supporting
        ev("unchecked", D.META_ANALYSIS, verified=False),  # high, but not counted
        ev("withdrawn", D.RCT, retracted=True),  # high, but not counted
    ]
    assert body_certainty(evidence, C.EFFICACY) is Certainty.MODERATE
    assert certainty_explanation(evidence, C.EFFICACY) == (
        "moderate: best supporting evidence is trial, an RCT (starts high), -1 serious imprecision"
    )


def test_body_certainty_is_none_without_counted_support() -> None:
    evidence = [ev("a", D.RCT, S.CONTRADICTS), ev("b", D.RCT, verified=False)]
    assert body_certainty(evidence, C.EFFICACY) is None
    assert certainty_explanation(evidence, C.EFFICACY).startswith("none:")


def test_certainty_explanation_says_when_an_upgrade_is_not_applied() -> None:
    evidence = [ev("t", D.RCT, judgements=Judgements(large_effect=True))]
    assert certainty_explanation(evidence, C.EFFICACY) == (
        "high: best supporting evidence is t, an RCT (starts high), "
        "large effect not applied (starts high)"
    )


# ---------------------------------------------------------------------------------------------
# Rule 4: requirements


def test_multiple_rcts_sentence_needs_two_rcts() -> None:
    req = requirement_for(MULTIPLE_RCTS, C.EVIDENCE_SUMMARY)
    assert (req.min_count, req.designs) == (2, frozenset({D.RCT}))
    assert req.description == "at least 2 supporting RCTs"
    assert req.reason == 'the sentence says "Multiple randomized controlled trials"'


def test_reviews_confirm_sentence_needs_a_synthesis() -> None:
    req = requirement_for(REVIEWS_CONFIRM, C.EVIDENCE_SUMMARY)
    assert (req.min_count, req.designs) == (1, frozenset({D.META_ANALYSIS, D.SYSTEMATIC_REVIEW}))
    assert req.reason == (
        'the sentence says "Comprehensive reviews of the available evidence confirm"'
    )


def test_numerous_trials_sentence_needs_two_clinical_studies() -> None:
    req = requirement_for(NUMEROUS_TRIALS, C.EVIDENCE_SUMMARY)
    assert req.min_count == 2
    assert req.designs == frozenset(d for d in StudyDesign if (level(d) or 9) <= 4)
    assert req.description == "at least 2 supporting clinical studies (levels 1–4)"


def test_hedged_sentence_needs_one_study_of_any_level() -> None:
    req = requirement_for(SOME_STUDIES, C.BENEFIT)
    assert (req.min_count, req.designs) == (1, ALL_LEVELED)
    assert req.reason == 'the sentence says "Some studies suggest"'


def test_efficacy_sentence_without_a_phrase_takes_the_category_default() -> None:
    req = requirement_for(CRPS, C.EFFICACY)
    assert (req.min_count, req.designs) == (
        1,
        frozenset({D.META_ANALYSIS, D.SYSTEMATIC_REVIEW, D.RCT}),
    )
    assert req.reason == "default for an efficacy claim"


def test_mechanism_sentence_takes_the_mechanism_default() -> None:
    req = requirement_for(NMDA, C.MECHANISM)
    assert req.min_count == 1
    assert req.designs == ALL_LEVELED - {D.NARRATIVE_REVIEW, D.GUIDELINE}
    assert D.PRECLINICAL in req.designs and D.PHARMACOLOGY in req.designs
    assert req.reason == "default for a mechanism claim"


@pytest.mark.parametrize(
    ("category", "designs"),
    [
        (C.BENEFIT, frozenset({D.META_ANALYSIS, D.SYSTEMATIC_REVIEW, D.RCT})),
        (C.EVIDENCE_SUMMARY, frozenset({D.META_ANALYSIS, D.SYSTEMATIC_REVIEW})),
        (C.PHARMACOKINETICS, ALL_LEVELED - {D.NARRATIVE_REVIEW, D.GUIDELINE}),
        (C.ADVERSE_EFFECT, ALL_LEVELED),
        (C.CONTRAINDICATION, ALL_LEVELED),
        (C.ADMINISTRATION, ALL_LEVELED),
        (C.RESEARCH_DIRECTION, ALL_LEVELED),
        (C.GENERAL, ALL_LEVELED),
    ],
)
def test_category_defaults(category: ClaimCategory, designs: frozenset[StudyDesign]) -> None:
    req = requirement_for("Ketamine is a medication.", category)
    assert (req.min_count, req.designs) == (1, designs)
    assert req.reason.startswith("default for a")


@pytest.mark.parametrize("sentence", [FIBROMYALGIA, RAPID_ONSET])
def test_may_and_can_do_not_hedge_a_claim(sentence: str) -> None:
    req = requirement_for(sentence, C.EFFICACY)
    assert req.designs == frozenset({D.META_ANALYSIS, D.SYSTEMATIC_REVIEW, D.RCT})
    assert req.reason == "default for an efficacy claim"


def test_stronger_phrase_wins_over_a_hedge_in_the_same_sentence() -> None:
    text = "Preliminary data from several randomised controlled trials show benefit."
    assert requirement_for(text, C.EFFICACY).designs == frozenset({D.RCT})


def test_phrase_rules_ignore_case_and_spelling_variants() -> None:
    assert requirement_for("SEVERAL RCTs found less pain.", C.GENERAL).min_count == 2
    assert requirement_for("A meta-analysis showed less pain.", C.GENERAL).designs == frozenset(
        {D.META_ANALYSIS, D.SYSTEMATIC_REVIEW}
    )


def test_override_requirement_keeps_the_reason() -> None:
    req = override_requirement(2, [D.COHORT, D.CASE_CONTROL], "  no trials\nexist for this  ")
    assert req == Requirement(
        2,
        frozenset({D.COHORT, D.CASE_CONTROL}),
        "at least 2 supporting cohort studies or case-control studies",
        "editor override: no trials exist for this",
    )
    assert override_requirement(1, [D.RCT], "x").description == "at least 1 supporting RCT"


@pytest.mark.parametrize(
    ("min_count", "designs", "reason"),
    [(1, [D.RCT], ""), (1, [D.RCT], "   "), (0, [D.RCT], "why"), (1, [], "why")],
)
def test_override_requirement_rejects_incomplete_overrides(
    min_count: int, designs: list[StudyDesign], reason: str
) -> None:
    with pytest.raises(ValueError, match="override needs"):
        override_requirement(min_count, designs, reason)


# ---------------------------------------------------------------------------------------------
# Rule 5: status


def test_multiple_rcts_with_one_rct_is_insufficient_and_names_the_need() -> None:
    verdict = multiple_rcts(
        [ev("eide1994", D.RCT), ev("s1", D.CASE_SERIES), ev("s2", D.CASE_SERIES)]
    )
    assert verdict.status is ClaimStatus.INSUFFICIENT
    assert verdict.explanation.startswith(
        'insufficient: needs at least 2 supporting RCTs (the sentence says "Multiple randomized '
        'controlled trials"); has 1 RCT, 2 case series support; certainty high'
    )


def test_multiple_rcts_with_two_rcts_is_supported() -> None:
    verdict = multiple_rcts([ev("eide1994", D.RCT), ev("schwartzman2009", D.RCT)])
    assert verdict.status is ClaimStatus.SUPPORTED
    assert verdict.certainty is Certainty.HIGH
    assert verdict.explanation == (
        "supported: 2 RCTs support; certainty high (best supporting evidence is eide1994, "
        "an RCT (starts high), no concerns)"
    )


def test_an_rct_against_two_rcts_contests() -> None:
    verdict = multiple_rcts(
        [
            ev("eide1994", D.RCT),
            ev("schwartzman2009", D.RCT),
            ev("pickering2020", D.RCT, S.CONTRADICTS),
        ]
    )
    assert verdict.status is ClaimStatus.CONTESTED
    assert verdict.explanation.startswith(
        "contested: 2 RCTs support, 1 RCT contradicts; comparable evidence against: pickering2020"
    )
    assert (verdict.supporting, verdict.contradicting) == (2, 1)


def test_a_cohort_study_against_rcts_is_comparable_and_contests() -> None:
    verdict = multiple_rcts([ev("a", D.RCT), ev("b", D.RCT), ev("c", D.COHORT, S.CONTRADICTS)])
    assert verdict.status is ClaimStatus.CONTESTED


def test_a_case_series_against_rcts_is_not_comparable() -> None:
    verdict = multiple_rcts([ev("a", D.RCT), ev("b", D.RCT), ev("c", D.CASE_SERIES, S.CONTRADICTS)])
    assert verdict.status is ClaimStatus.SUPPORTED
    assert verdict.explanation.startswith("supported: 2 RCTs support, 1 case series contradicts;")


def test_unleveled_evidence_against_never_contests() -> None:
    verdict = multiple_rcts([ev("a", D.RCT), ev("b", D.RCT), ev("c", D.BOOK, S.CONTRADICTS)])
    assert verdict.status is ClaimStatus.SUPPORTED


def test_no_evidence_is_unsupported() -> None:
    verdict = multiple_rcts([])
    assert verdict.status is ClaimStatus.UNSUPPORTED
    assert verdict.certainty is None
    assert verdict.explanation == "unsupported: no supporting evidence"


def test_only_contradicting_evidence_is_unsupported_and_says_so() -> None:
    verdict = grade(
        [
            ev("noppers2011fibro", D.RCT, S.CONTRADICTS),
            ev("pastrak2021", D.SYSTEMATIC_REVIEW, S.MIXED),
        ],
        requirement_for(FIBROMYALGIA, C.EFFICACY),
        C.EFFICACY,
    )
    assert verdict.status is ClaimStatus.UNSUPPORTED
    assert verdict.explanation == (
        "unsupported: no supporting evidence; 1 RCT contradicts, 1 systematic review mixed"
    )


def test_unverified_and_retracted_citations_are_not_counted() -> None:
    evidence = [
        ev("a", D.RCT, verified=False),
        ev("b", D.RCT, verified=False),
        ev("c", D.META_ANALYSIS, retracted=True),
        ev("d", D.RCT, S.CONTRADICTS, retracted=True, verified=False),
    ]
    verdict = multiple_rcts(evidence)
    assert verdict.status is ClaimStatus.UNSUPPORTED
    assert (verdict.supporting, verdict.contradicting, verdict.not_counted) == (0, 0, 4)
    assert verdict.explanation == (
        "unsupported: no supporting evidence; 2 unverified not counted (to check: a, b); "
        "2 retracted not counted (c, d)"
    )


def test_a_retracted_rct_does_not_contest() -> None:
    verdict = multiple_rcts(
        [ev("a", D.RCT), ev("b", D.RCT), ev("c", D.RCT, S.CONTRADICTS, retracted=True)]
    )
    assert verdict.status is ClaimStatus.SUPPORTED
    assert "1 retracted not counted (c)" in verdict.explanation


def test_mixed_and_background_neither_satisfy_nor_contest() -> None:
    only_mixed = multiple_rcts(
        [ev("a", D.RCT, S.MIXED), ev("b", D.RCT, S.MIXED), ev("c", D.RCT, S.BACKGROUND)]
    )
    assert only_mixed.status is ClaimStatus.UNSUPPORTED
    assert (only_mixed.mixed, only_mixed.background) == (2, 1)
    assert only_mixed.explanation == (
        "unsupported: no supporting evidence; 2 RCTs mixed, 1 RCT as background"
    )

    with_support = multiple_rcts(
        [
            ev("a", D.RCT),
            ev("b", D.RCT),
            ev("c", D.META_ANALYSIS, S.MIXED),
            ev("d", D.RCT, S.BACKGROUND),
        ]
    )
    assert with_support.status is ClaimStatus.SUPPORTED
    assert with_support.explanation.startswith(
        "supported: 2 RCTs support, 1 meta-analysis mixed, 1 RCT as background;"
    )


def test_efficacy_with_case_series_for_and_an_rct_against_is_insufficient() -> None:
    verdict = grade(
        [
            ev("pomeroy2017", D.CASE_SERIES),
            ev("schwenk2018headache", D.CASE_SERIES),
            ev("etchison2018", D.RCT, S.CONTRADICTS),
        ],
        requirement_for(CRPS, C.EFFICACY),
        C.EFFICACY,
    )
    assert verdict.status is ClaimStatus.INSUFFICIENT
    assert verdict.certainty is Certainty.LOW


def test_explanation_groups_by_stance_then_best_level_first() -> None:
    verdict = multiple_rcts(
        [
            ev("r1", D.RCT),
            ev("ma", D.META_ANALYSIS),
            ev("r2", D.RCT),
            ev("r3", D.RCT, S.CONTRADICTS),
            ev("sr", D.SYSTEMATIC_REVIEW, S.MIXED),
        ]
    )
    assert verdict.explanation.startswith(
        "contested: 1 meta-analysis, 2 RCTs support, 1 RCT contradicts, 1 systematic review mixed;"
    )


def test_certainty_of_the_verdict_is_the_best_supporting_item() -> None:
    verdict = grade(
        [
            ev("sigtermans2009", D.RCT, judgements=Judgements(imprecision=SERIOUS)),
            ev(
                "schwartzman2009",
                D.RCT,
                judgements=Judgements(risk_of_bias=SERIOUS, imprecision=SERIOUS),
            ),
        ],
        requirement_for(CRPS, C.EFFICACY),
        C.EFFICACY,
    )
    assert verdict.certainty is Certainty.MODERATE
    assert "certainty moderate (best supporting evidence is sigtermans2009" in verdict.explanation


# ---------------------------------------------------------------------------------------------
# Rule 6: compound claims


def test_combine_takes_the_weakest_part_and_the_lowest_certainty() -> None:
    req = requirement_for(OTHER_CONDITIONS, C.EFFICACY)
    cancer = grade(
        [
            ev("mercadante2000", D.RCT, judgements=Judgements(imprecision=VERY_SERIOUS)),
            ev("hardy2012", D.RCT, S.CONTRADICTS),
        ],
        req,
        C.EFFICACY,
    )
    migraine = grade(
        [ev("pomeroy2017", D.CASE_SERIES), ev("etchison2018", D.RCT, S.CONTRADICTS)],
        req,
        C.EFFICACY,
    )
    surgery = grade(
        [ev("laskowski2011", D.META_ANALYSIS), ev("wang2016", D.META_ANALYSIS)], req, C.EFFICACY
    )
    assert [cancer.status, migraine.status, surgery.status] == [
        ClaimStatus.CONTESTED,
        ClaimStatus.INSUFFICIENT,
        ClaimStatus.SUPPORTED,
    ]
    verdict = combine(
        [
            ("cancer-related pain", cancer),
            ("refractory migraines", migraine),
            ("post-surgical pain", surgery),
        ]
    )
    assert verdict.status is ClaimStatus.CONTESTED
    assert verdict.certainty is Certainty.LOW
    assert verdict.explanation == (
        "contested: parts — cancer-related pain contested; refractory migraines insufficient; "
        "post-surgical pain supported; certainty low (lowest of the parts with supporting "
        "evidence)"
    )
    assert (verdict.supporting, verdict.contradicting) == (4, 2)
    assert verdict.requirement.description == "each part graded on its own"


def test_combine_unsupported_is_weakest_and_certainty_ignores_parts_without_one() -> None:
    req = requirement_for(CRPS, C.EFFICACY)
    supported = grade([ev("a", D.RCT, judgements=Judgements(imprecision=SERIOUS))], req, C.EFFICACY)
    contested = grade([ev("b", D.RCT), ev("c", D.RCT, S.CONTRADICTS)], req, C.EFFICACY)
    unsupported = grade([], req, C.EFFICACY)
    verdict = combine([("x", supported), ("y", unsupported), ("z", contested)])
    assert verdict.status is ClaimStatus.UNSUPPORTED
    assert verdict.certainty is Certainty.MODERATE
    only_unsupported = combine([("y", unsupported)])
    assert only_unsupported.certainty is None
    assert only_unsupported.explanation == "unsupported: parts — y unsupported"


def test_combine_needs_parts() -> None:
    with pytest.raises(ValueError, match="at least one part"):
        combine([])


# ---------------------------------------------------------------------------------------------
# Properties

designs = st.one_of(st.none(), st.sampled_from(StudyDesign))
concerns = st.sampled_from(Concern)
judgements = st.builds(
    Judgements,
    risk_of_bias=concerns,
    inconsistency=concerns,
    indirectness=concerns,
    imprecision=concerns,
    publication_bias=concerns,
    large_effect=st.booleans(),
    dose_response=st.booleans(),
)
items = st.builds(
    Evidence,
    citation=st.text(max_size=12),
    design=designs,
    stance=st.sampled_from(Stance),
    judgements=judgements,
    verified=st.booleans(),
    retracted=st.booleans(),
)
categories = st.sampled_from(ClaimCategory)
sentences = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [MULTIPLE_RCTS, REVIEWS_CONFIRM, NUMEROUS_TRIALS, SOME_STUDIES, CRPS, NMDA, FIBROMYALGIA]
    ),
)
requirements = st.one_of(
    st.builds(requirement_for, sentences, categories),
    st.builds(
        override_requirement,
        st.integers(min_value=1, max_value=4),
        st.frozensets(st.sampled_from(StudyDesign), min_size=1),
        st.just("editor's decision"),
    ),
)


def _counted_support(evidence: list[Evidence]) -> bool:
    return any(i.verified and not i.retracted and i.stance is S.SUPPORTS for i in evidence)


@given(st.lists(items, max_size=8), requirements, categories)
def test_grade_never_raises_and_keeps_its_promises(
    evidence: list[Evidence], requirement: Requirement, category: ClaimCategory
) -> None:
    verdict = grade(evidence, requirement, category)
    assert (verdict.status is ClaimStatus.UNSUPPORTED) == (not _counted_support(evidence))
    assert (verdict.certainty is None) == (not _counted_support(evidence))
    assert verdict.explanation.startswith(f"{verdict.status.value}: ")
    assert "\n" not in verdict.explanation
    if verdict.certainty is not None:
        assert f"certainty {verdict.certainty.value} (" in verdict.explanation
    counts = (verdict.supporting, verdict.contradicting, verdict.mixed, verdict.background)
    assert sum(counts) + verdict.not_counted == len(evidence)


@given(
    st.lists(items, max_size=8),
    requirements,
    categories,
    st.builds(Evidence, st.text(max_size=5), designs, st.just(S.CONTRADICTS), judgements),
)
def test_counted_evidence_against_never_makes_a_claim_supported(
    evidence: list[Evidence], requirement: Requirement, category: ClaimCategory, against: Evidence
) -> None:
    before = grade(evidence, requirement, category)
    after = grade([*evidence, against], requirement, category)
    if before.status is not ClaimStatus.SUPPORTED:
        assert after.status is before.status
    else:
        assert after.status in {ClaimStatus.SUPPORTED, ClaimStatus.CONTESTED}


@given(
    st.lists(st.tuples(st.text(max_size=10), st.lists(items, max_size=4)), min_size=1, max_size=4),
    requirements,
    categories,
)
def test_combine_is_the_weakest_part(
    parts: list[tuple[str, list[Evidence]]], requirement: Requirement, category: ClaimCategory
) -> None:
    verdicts = [(label, grade(evidence, requirement, category)) for label, evidence in parts]
    combined = combine(verdicts)
    order = [
        ClaimStatus.UNSUPPORTED,
        ClaimStatus.CONTESTED,
        ClaimStatus.INSUFFICIENT,
        ClaimStatus.SUPPORTED,
    ]
    assert combined.status is min((v.status for _, v in verdicts), key=order.index)
    assert combined.explanation.startswith(f"{combined.status.value}: parts — ")
    assert combined.supporting == sum(v.supporting for _, v in verdicts)


# ---------------------------------------------------------------------------------------------
# Worked examples: each expected explanation is also printed, verbatim, in docs/grading.md

WORKED_EXAMPLES: list[tuple[str, ClaimCategory, list[Evidence], str]] = [
    (
        NMDA,
        C.MECHANISM,
        [
            ev("peltoniemi2016", D.PHARMACOLOGY),
            ev("niesters2014", D.NARRATIVE_REVIEW),
            ev("mion2013", None, verified=False),
        ],
        "supported: 1 narrative review, 1 pharmacology study support; 1 unverified not counted "
        "(to check: mion2013); certainty high (best supporting evidence is peltoniemi2016, "
        "a pharmacology study (starts high), no concerns)",
    ),
    (
        CRPS,
        C.EFFICACY,
        [
            ev(
                "schwartzman2009",
                D.RCT,
                judgements=Judgements(risk_of_bias=SERIOUS, imprecision=SERIOUS),
            ),
            ev("sigtermans2009", D.RCT, judgements=Judgements(imprecision=SERIOUS)),
            ev("cohen2018chronic", D.GUIDELINE),
            ev("oconnell2013cochrane", D.SYSTEMATIC_REVIEW, S.MIXED),
        ],
        "supported: 2 RCTs, 1 guideline support, 1 systematic review mixed; certainty moderate "
        "(best supporting evidence is sigtermans2009, an RCT (starts high), -1 serious "
        "imprecision)",
    ),
    (
        MULTIPLE_RCTS,
        C.EVIDENCE_SUMMARY,
        [
            ev("eide1994", D.RCT, judgements=Judgements(imprecision=VERY_SERIOUS)),
            ev("finch2009", D.RCT, judgements=Judgements(indirectness=SERIOUS)),
        ],
        "supported: 2 RCTs support; certainty moderate (best supporting evidence is finch2009, "
        "an RCT (starts high), -1 serious indirectness)",
    ),
    (
        MULTIPLE_RCTS,
        C.EVIDENCE_SUMMARY,
        [
            ev("eide1994", D.RCT, judgements=Judgements(imprecision=VERY_SERIOUS)),
            ev(
                "guimaraespereira2022",
                D.META_ANALYSIS,
                judgements=Judgements(risk_of_bias=SERIOUS, inconsistency=SERIOUS),
            ),
            ev("pomeroy2017", D.CASE_SERIES),
        ],
        'insufficient: needs at least 2 supporting RCTs (the sentence says "Multiple randomized '
        'controlled trials"); has 1 meta-analysis, 1 RCT, 1 case series support; certainty low '
        "(best supporting evidence is guimaraespereira2022, a meta-analysis (starts high), "
        "-1 serious risk of bias, -1 serious inconsistency)",
    ),
    (
        MULTIPLE_RCTS,
        C.EVIDENCE_SUMMARY,
        [
            ev("eide1994", D.RCT, judgements=Judgements(imprecision=VERY_SERIOUS)),
            ev(
                "schwartzman2009",
                D.RCT,
                judgements=Judgements(risk_of_bias=SERIOUS, imprecision=SERIOUS),
            ),
            ev("pickering2020", D.RCT, S.CONTRADICTS),
            ev("lynch2005", D.RCT, S.CONTRADICTS),
            ev("orhurhu2019", D.META_ANALYSIS, S.MIXED),
        ],
        "contested: 2 RCTs support, 2 RCTs contradict, 1 meta-analysis mixed; comparable "
        "evidence against: pickering2020, lynch2005; certainty low (best supporting evidence is "
        "eide1994, an RCT (starts high), -2 very serious imprecision)",
    ),
    (
        SOME_STUDIES,
        C.BENEFIT,
        [
            ev(
                "schwartzman2009",
                D.RCT,
                judgements=Judgements(risk_of_bias=SERIOUS, imprecision=SERIOUS),
            ),
            ev("michelet2018", D.META_ANALYSIS, S.CONTRADICTS),
            ev("noppers2011fibro", D.RCT, S.CONTRADICTS),
        ],
        "contested: 1 RCT supports, 1 meta-analysis, 1 RCT contradict; comparable evidence "
        "against: michelet2018, noppers2011fibro; certainty low (best supporting evidence is "
        "schwartzman2009, an RCT (starts high), -1 serious risk of bias, -1 serious imprecision)",
    ),
    (
        FIBROMYALGIA,
        C.EFFICACY,
        [
            ev("noppers2011fibro", D.RCT, S.CONTRADICTS),
            ev("pastrak2021", D.SYSTEMATIC_REVIEW, S.MIXED),
        ],
        "unsupported: no supporting evidence; 1 RCT contradicts, 1 systematic review mixed",
    ),
    (
        IV_MOST_COMMON,
        C.ADMINISTRATION,
        [ev("cohen2018chronic", D.GUIDELINE, S.MIXED)],
        "unsupported: no supporting evidence; 1 guideline mixed",
    ),
]


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize(("sentence", "category", "evidence", "expected"), WORKED_EXAMPLES)
def test_worked_example_matches_the_docs(
    sentence: str, category: ClaimCategory, evidence: list[Evidence], expected: str
) -> None:
    verdict = grade(evidence, requirement_for(sentence, category), category)
    assert verdict.explanation == expected
    assert expected in " ".join(_doc().split())


# ---------------------------------------------------------------------------------------------
# The rules in docs/grading.md agree with the code


def _section(title: str) -> str:
    """The text of the doc's `## <title>` section."""
    parts = re.split(r"^## ", _doc(), flags=re.MULTILINE)
    matches = [p for p in parts if p.startswith(title)]
    assert len(matches) == 1, f"docs/grading.md has no single section '## {title}'"
    return matches[0]


def _rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header


def _designs(cell: str) -> frozenset[StudyDesign]:
    return frozenset(StudyDesign(value) for value in re.findall(r"`([a-z-]+)`", cell))


def test_docs_table_of_levels_and_starting_certainty_agrees() -> None:
    rows = _rows(_section("Evidence levels"))
    seen: set[StudyDesign | None] = set()
    for design_cell, level_cell, called, clinical, mechanistic in rows:
        design = None if design_cell == "*(unknown)*" else StudyDesign(design_cell.strip("`"))
        seen.add(design)
        assert level_cell == ("—" if level(design) is None else str(level(design)))
        assert called == f"{design_label(design, 1)} / {design_label(design, 2)}"
        assert clinical == starting_certainty(design, C.EFFICACY).value
        assert mechanistic == starting_certainty(design, C.MECHANISM).value
    assert seen == {*StudyDesign, None}


def test_docs_table_of_category_defaults_agrees() -> None:
    rows = _rows(_section("Category defaults"))
    seen = set()
    for category_cell, count, designs_cell, words in rows:
        category = ClaimCategory(category_cell.strip("`"))
        seen.add(category)
        need = CATEGORY_DEFAULTS[category]
        assert (int(count), _designs(designs_cell), words) == (
            need.min_count,
            need.designs,
            need.description,
        )
    assert seen == set(ClaimCategory)


def test_docs_table_of_phrase_rules_agrees() -> None:
    section = _section("Phrase rules")
    rows = _rows(section)
    assert len(rows) == len(PHRASE_RULES)
    for (order, name, _says, count, designs_cell, words), (n, rule) in zip(
        rows, enumerate(PHRASE_RULES, start=1), strict=True
    ):
        assert (int(order), name, int(count), _designs(designs_cell), words) == (
            n,
            rule.name,
            rule.need.min_count,
            rule.need.designs,
            rule.need.description,
        )
        assert rule.pattern in section, f"the exact pattern of '{rule.name}' is not in the doc"
