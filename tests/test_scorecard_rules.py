"""The scorecard's rules (tracker.scorecard.rules), pinned by small articles: each proposal, its
rating and the reason an editor reads."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.errors import InvalidInput
from tracker.scorecard import rules as r
from tracker.scorecard.instruments import CRITERIA, check_rating, criterion, ratings_of
from tracker.vocabulary import Instrument

BENEFIT = "Drug X reduces pain in people with arthritis."
BENEFIT_NUMBERS = "Drug X reduced pain by 30% compared with placebo (NNT 5)."
HARM = "Drug X can cause nausea."
HARM_NUMBERS = "Nausea affected 1 in 10 people taking drug X."


def facts(*claims: r.ClaimFacts, sentences: tuple[str, ...] | None = None,
          **kwargs: object) -> r.ArticleFacts:
    texts = sentences if sentences is not None else tuple(c.text for c in claims)
    return r.ArticleFacts(sentences=texts, claims=claims, today=date(2026, 12, 7),
                          **kwargs)  # type: ignore[arg-type]


def claim(text: str, category: str = "benefit", status: str = "not-reviewed",
          **kwargs: object) -> r.ClaimFacts:
    return r.ClaimFacts(text=text, category=category, status=status, **kwargs)  # type: ignore[arg-type]


# --- the detectors ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Pain fell by 30% in the treated group.", "The number needed to treat was 6.",
    "NNT 4", "an odds ratio of 0.7", "a relative risk of 0.8", "3 in 10 people improved",
    "one in 20 patients", "a standardised mean difference of -0.4", "a 2-point drop",
    "a 12 percent reduction", "(95% CI 0.5 to 0.9)"])
def test_numbers_for_an_effect_count_as_quantified(text: str) -> None:
    assert r.quantified(text)


@pytest.mark.parametrize("text", [
    "Ketamine can provide analgesia within minutes.", "It reduces the need for opioids.",
    "Some studies suggest long-term benefits.", "Ketamine was developed in the 1960s."])
def test_words_without_an_effect_size_are_not_quantified(text: str) -> None:
    assert not r.quantified(text)


def test_red_flags_are_found_with_their_sentence_and_kind() -> None:
    found = r.red_flags(["A groundbreaking approach.", "Not a cure, but a help.",
                         "A game-changer and a breakthrough!", "Nothing to see."])
    assert [(f.term, f.novelty) for f in found] == [
        ("groundbreaking", True), ("cure", False), ("breakthrough", True),
        ("game changer", True)]
    assert found[0].sentence == "A groundbreaking approach."


def test_red_flags_match_whole_words_only() -> None:
    assert r.red_flags(["A secure procurement of curettes; a miracles-free breakthroughs list"]
                       ) == [r.RedFlag("breakthrough", "A secure procurement of curettes; a "
                                       "miracles-free breakthroughs list", True),
                             r.RedFlag("miracle", "A secure procurement of curettes; a "
                                       "miracles-free breakthroughs list", False)]
    assert r.red_flags(["The procurement office is secure."]) == []


# --- HealthNewsReview.org --------------------------------------------------------------------


def test_costs_need_an_amount() -> None:
    assert r.hnr_costs(facts(claim(BENEFIT))).rating == "not-satisfactory"
    assert r.hnr_costs(facts(claim(BENEFIT))).reason == \
        "no sentence mentions a cost, a price or insurance"
    vague = r.hnr_costs(facts(claim(BENEFIT), sentences=(BENEFIT, "It is expensive.")))
    assert (vague.rating, vague.evidence) == ("not-satisfactory", ("It is expensive.",))
    priced = r.hnr_costs(facts(claim(BENEFIT), sentences=("A course costs $400.",)))
    assert priced.rating == "satisfactory"


def test_intervention_criteria_do_not_apply_without_an_effect_claim() -> None:
    card = facts(claim("Ketamine blocks NMDA receptors.", "mechanism"))
    for rule in (r.hnr_costs, r.hnr_benefits, r.hnr_harms, r.hnr_alternatives):
        assert rule(card).rating == "not-applicable"


def test_benefits_are_satisfactory_when_an_effect_claim_carries_a_number() -> None:
    bare = r.hnr_benefits(facts(claim(BENEFIT), claim(HARM, "adverse-effect")))
    assert bare.rating == "not-satisfactory"
    assert bare.reason.startswith("none of the 1 efficacy or benefit claims carries a number")
    numbers = r.hnr_benefits(facts(claim(BENEFIT), claim(BENEFIT_NUMBERS, "efficacy")))
    assert (numbers.rating, numbers.reason) == (
        "satisfactory", "1 of 2 efficacy or benefit claims carry a number")
    assert numbers.evidence == (BENEFIT_NUMBERS,)


def test_harms_named_but_not_quantified_are_not_satisfactory() -> None:
    assert r.hnr_harms(facts(claim(BENEFIT))).reason.endswith("the article names no harm")
    named = r.hnr_harms(facts(claim(BENEFIT), claim(HARM, "adverse-effect")))
    assert (named.rating, named.reason) == (
        "not-satisfactory", "1 claims name harms but none says how often they happen "
        "(no number)")
    counted = r.hnr_harms(facts(claim(BENEFIT), claim(HARM_NUMBERS, "adverse-effect")))
    assert counted.rating == "satisfactory"


def test_quality_of_evidence_takes_counts_so_the_wording_check_can_feed_it() -> None:
    good = r.quality_of_evidence(["A randomised trial of 200 people found …"], 0, 0)
    assert good.rating == "satisfactory"
    assert r.quality_of_evidence(["A randomised trial …"], 2, 0).reason == \
        "2 claim(s) overstate their evidence"
    silent = r.quality_of_evidence([], 0, 0)
    assert (silent.rating, silent.reason) == (
        "not-satisfactory", "the text never says what kind of evidence it rests on or how "
        "strong it is")
    unhedged = r.quality_of_evidence(["A small pilot study …"], 0, 3)
    assert unhedged.rating == "not-satisfactory"
    assert "3 claim(s) with uncertain evidence" in unhedged.reason


def test_quality_of_evidence_counts_unhedged_claims_with_uncertain_evidence() -> None:
    card = facts(claim("Ketamine cures CRPS.", status="contested"),
                 claim("Ketamine may help in fibromyalgia.", status="insufficient"),
                 claim("A randomised trial found it helps.", status="supported"))
    proposal = r.hnr_evidence(card)
    assert proposal.rating == "not-satisfactory"
    assert proposal.reason.startswith("1 claim(s) with uncertain evidence")


def test_sources_not_satisfactory_when_nothing_is_cited() -> None:
    card = facts(claim(BENEFIT, verified_support=True), claim(HARM, "adverse-effect"))
    proposal = r.hnr_sources(card)
    assert proposal.rating == "not-satisfactory"
    assert proposal.reason.startswith("the article cites no source")
    assert proposal.reason.endswith("verified support for 1 of 2 claims (its own finding, "
                                    "not the article's)")
    cited = r.hnr_sources(facts(claim(BENEFIT), cited_sources=2, claims_citing=1))
    assert cited.rating is None and "editor's judgement" in cited.reason


def test_alternatives_named_without_numbers_are_not_satisfactory() -> None:
    named = "Unlike opioids, ketamine acts on NMDA receptors."
    proposal = r.hnr_alternatives(facts(claim(BENEFIT), sentences=(BENEFIT, named)))
    assert (proposal.rating, proposal.evidence) == ("not-satisfactory", (named,))
    assert proposal.reason == ("1 sentence(s) name other options, but none compares their "
                               "benefits or harms in numbers")
    none = r.hnr_alternatives(facts(claim(BENEFIT)))
    assert none.reason == "no sentence names another option or compares with one"
    compared = "Pain fell by 20% more than with standard care."
    assert r.hnr_alternatives(facts(claim(BENEFIT), sentences=(compared,))).rating == \
        "satisfactory"


def test_placebo_is_not_an_alternative() -> None:
    assert r.hnr_alternatives(facts(claim("It beat placebo in two trials."))).rating == \
        "not-satisfactory"
    assert r.matching(r.ALTERNATIVE, ["It beat placebo in two trials."]) == []


def test_novelty_superlatives_make_novelty_not_satisfactory() -> None:
    card = facts(claim("A groundbreaking approach to pain."))
    proposal = r.hnr_novelty(card)
    assert proposal.rating == "not-satisfactory"
    assert proposal.reason == ('novelty superlatives ("groundbreaking") without establishing '
                               "what is new about the approach")
    assert r.hnr_novelty(facts(claim("A miracle for pain."))).rating is None


# --- DISCERN ---------------------------------------------------------------------------------


def test_discern_sources_and_dates() -> None:
    assert r.discern_sources(facts(claim(BENEFIT))).rating == "1"
    assert r.discern_sources(facts(claim(BENEFIT), claim(HARM), cited_sources=1,
                                   claims_citing=1)).rating == "4"
    assert r.discern_sources(facts(claim(BENEFIT), claim(HARM), claim(HARM), cited_sources=1,
                                   claims_citing=1)).rating == "3"
    undated = r.discern_dates(facts(claim(BENEFIT), newest_evidence_year=2021))
    assert (undated.rating, undated.reason) == (
        "1", "neither the article nor a cited source is dated; the newest verified study the "
        "desk linked is from 2021 (5 year(s) old)")
    dated = r.discern_dates(facts(claim(BENEFIT), published="2024-03-01", cited_sources=1))
    assert dated.rating == "4"
    assert dated.reason.endswith("the desk has linked no verified study yet")


def test_discern_uncertainty_from_hedges_on_uncertain_claims() -> None:
    hedged = claim("Ketamine may help in fibromyalgia.", status="contested")
    flat = claim("Ketamine helps in fibromyalgia.", status="contradicted")
    assert r.discern_uncertainty(facts(hedged)).rating == "4"
    assert r.discern_uncertainty(facts(hedged, flat)).rating == "3"
    assert r.discern_uncertainty(facts(flat)).rating == "1"
    assert r.discern_uncertainty(facts(flat)).reason.startswith(
        "0 of 1 claims with uncertain evidence")
    ungraded = facts(claim(BENEFIT), sentences=("Long-term safety remains unclear.",))
    assert r.discern_uncertainty(ungraded).rating == "3"
    assert r.discern_uncertainty(facts(claim(BENEFIT))).rating == "1"


def test_discern_benefits_risks_options_never_propose_five() -> None:
    card = facts(claim(BENEFIT_NUMBERS), claim(HARM_NUMBERS, "adverse-effect"),
                 sentences=("Compared with opioids, it is safer.",), resources=2)
    proposals = r.propose(card)
    assert proposals[(Instrument.DISCERN, "benefits")].rating == "4"
    assert proposals[(Instrument.DISCERN, "risks")].rating == "4"
    assert proposals[(Instrument.DISCERN, "options")].rating == "3"
    assert proposals[(Instrument.DISCERN, "additional-sources")].rating == "3"
    assert all(p.rating != "5" for p in proposals.values())
    assert r.discern_benefits(facts(claim("It blocks receptors.", "mechanism"))).rating == "1"
    assert r.discern_risks(facts(claim(BENEFIT))).rating == "1"


# --- the instruments -------------------------------------------------------------------------


def test_instruments_have_ten_criteria_and_sixteen_questions() -> None:
    assert len(CRITERIA[Instrument.HNR]) == 10
    assert len(CRITERIA[Instrument.DISCERN]) == 16
    assert criterion("discern", "8").key == "uncertainty"
    assert criterion("hnr", "costs").label == "HNR 1"
    every_rule = {key for key in r.RULES}
    assert every_rule <= {(c.instrument, c.key) for cs in CRITERIA.values() for c in cs}


def test_ratings_are_checked_against_the_instrument() -> None:
    assert check_rating(Instrument.HNR, "Not satisfactory") == "not-satisfactory"
    assert check_rating(Instrument.DISCERN, "3") == "3"
    with pytest.raises(InvalidInput, match="discern rates 1, 2, 3, 4, 5; not '6'"):
        check_rating(Instrument.DISCERN, "6")
    with pytest.raises(InvalidInput, match="hnr has no criterion 'price'"):
        criterion("hnr", "price")


# --- any text --------------------------------------------------------------------------------

CATEGORIES = ["efficacy", "benefit", "adverse-effect", "mechanism", "general"]
STATUSES = ["supported", "contested", "contradicted", "insufficient", "not-reviewed"]


@given(st.lists(st.tuples(st.text(max_size=120), st.sampled_from(CATEGORIES),
                          st.sampled_from(STATUSES)), max_size=8),
       st.lists(st.text(max_size=120), max_size=8),
       st.integers(0, 5), st.integers(0, 5))
def test_every_proposal_is_a_rating_of_its_instrument_with_a_reason(
        claims: list[tuple[str, str, str]], sentences: list[str], cited: int,
        overstated: int) -> None:
    card = r.ArticleFacts(
        sentences=tuple(sentences) + tuple(t for t, _, _ in claims),
        claims=tuple(r.ClaimFacts(t, c, s) for t, c, s in claims), cited_sources=cited,
        claims_citing=min(cited, len(claims)), overstated_count=overstated,
        today=date(2026, 12, 7))
    for (instrument, _key), proposal in r.propose(card).items():
        assert proposal.reason
        allowed = ratings_of(instrument)
        assert proposal.rating is None or proposal.rating in allowed
        assert proposal.rating != "5"
        assert all(sentence in card.sentences or sentence in {c.text for c in card.claims}
                   for sentence in proposal.evidence)
