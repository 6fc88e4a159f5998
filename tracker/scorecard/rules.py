"""The scorecard's computed proposals: pure functions from what the tracker knows about an
article (its sentences, its claims' categories and verdicts, what it cites) to a proposed
rating with its reason (docs/scorecard.md, *Rules*). An editor confirms or overrides each.

The rules read words, not meaning: a proposal says what it found ("0 of 14 benefit claims
carry a number") so an editor can check it in a glance. They never propose DISCERN's 5 — full
marks ask about *each* treatment, which only a reader can judge — and they leave the criteria
they cannot see (disease-mongering, availability, aims, …) to editors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from tracker.grading.wording import classify
from tracker.vocabulary import (
    AssertionStrength,
    Certainty,
    ClaimCategory,
    ClaimStatus,
    HnrRating,
    Instrument,
    Standing,
)

SATISFACTORY = HnrRating.SATISFACTORY.value
NOT_SATISFACTORY = HnrRating.NOT_SATISFACTORY.value
NOT_APPLICABLE = HnrRating.NOT_APPLICABLE.value


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the rules propose for one criterion: a rating (None: left to an editor), why, and
    the sentences behind it."""

    rating: str | None
    reason: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """One live claim as the rules see it."""

    text: str
    category: str
    status: str
    certainty: str | None = None
    standing: str | None = None
    verified_support: bool = False  # a verified, unretracted citation supports it


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    """Everything the rules read about one article."""

    sentences: tuple[str, ...]
    claims: tuple[ClaimFacts, ...]
    cited_sources: int = 0  # studies the text itself cites (DOI, PMID, "a 2023 review")
    claims_citing: int = 0  # claims whose sentence cites one
    resources: int = 0  # further reading the article lists
    published: str | None = None  # the article's own date
    newest_evidence_year: int | None = None  # newest verified study linked to its claims
    overstated_count: int = 0  # claims whose wording overstates their evidence
    today: date = date(2000, 1, 1)


# --- what the words say ----------------------------------------------------------------------

_NUMBER_WORDS = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|\d[\d,.]*)"

#: A quantified effect: a percentage, a ratio, NNT, "3 in 10", "2 points", a CI.
QUANTITY = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|percent\b|per cent\b|percentage points?\b)"
    r"|\bNN[TH]\b|\bnumber needed to (?:treat|harm)\b"
    r"|\b(?:odds|risk|hazard|rate) ratios?\b|\brelative risks?\b"
    r"|\b(?:absolute|relative) (?:risk )?(?:reduction|increase|difference)\b"
    r"|\b(?:standardi[sz]ed )?mean differences?\b|\beffect sizes?\b"
    rf"|\b{_NUMBER_WORDS} (?:out )?(?:in|of) (?:every )?\d[\d,]*\b"
    r"|\b\d+(?:\.\d+)?[- ](?:points?|mm)\b|\bconfidence intervals?\b|\b95% CI\b",
    re.IGNORECASE)

#: Costs: money words, prices, insurance.
COST = re.compile(
    r"\b(?:costs?|costly|price[sd]?|pricing|expensive|inexpensive|cheap(?:er)?|afford\w*"
    r"|insurance|insurers?|reimburs\w*|out-of-pocket|co-?pay\w*|medicare|medicaid)\b"
    r"|[$€£]\s?\d", re.IGNORECASE)
AMOUNT = re.compile(r"[$€£]\s?\d|\b\d[\d,.]*\s*(?:dollars|euros|pounds|USD|EUR|GBP)\b",
                    re.IGNORECASE)

#: Another option named: a comparison or an existing treatment (placebo is not one).
ALTERNATIVE = re.compile(
    r"\b(?:compared (?:with|to)|in comparison (?:with|to)|versus|vs\.?|instead of|unlike"
    r"|rather than|alternatives?"
    r"|other (?:treatments?|therapies|options|drugs|medications|approaches)"
    r"|(?:conventional|traditional|standard|usual|existing|current|first-line) (?:\w+ )?"
    r"(?:treatments?|therapies|therapy|care|options|management|medications?|drugs)"
    r"|(?:better|worse|more effective|less effective|superior|inferior|advantages?)"
    r" (?:than|over|to))\b", re.IGNORECASE)

#: The kind or strength of the evidence stated.
STRENGTH = re.compile(
    r"\b(?:randomi[sz]ed|controlled trials?|clinical trials?|meta-analys[ie]s"
    r"|systematic reviews?|observational|cohort stud(?:y|ies)|case (?:series|reports?)"
    r"|pilot stud(?:y|ies)|small (?:study|studies|trials?)|preliminary"
    r"|in (?:mice|rats|animals)|animal (?:studies|models?)|in vitro"
    r"|(?:low|moderate|high)[- ](?:quality|certainty)"
    r"|(?:limited|weak|strong|robust|insufficient|mixed|conflicting) evidence"
    r"|evidence is (?:limited|weak|strong|mixed|lacking))\b", re.IGNORECASE)

#: The text refers to what is not known.
UNCERTAINTY = re.compile(
    r"\b(?:uncertain(?:ty|ties)?|unclear|unknown|not (?:yet )?(?:known|clear|established)"
    r"|(?:limited|insufficient|mixed|conflicting) evidence|(?:more|further) (?:research|studies)"
    r"|need for|remains? (?:to be|unclear)|open questions?)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RedFlagTerm:
    """A word of hype, and whether it asserts novelty (HNR 9) or a benefit."""

    term: str
    pattern: re.Pattern[str]
    novelty: bool


def _term(term: str, pattern: str, novelty: bool) -> RedFlagTerm:
    return RedFlagTerm(term, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE), novelty)


#: Red-flag language: the ten superlatives Abola and Prasad counted in news of cancer drugs
#: (JAMA Oncol 2016;2(1):139–141), which HealthNewsReview also warned of, and three of ours
#: (marked in docs/scorecard.md).
RED_FLAGS: tuple[RedFlagTerm, ...] = (
    _term("breakthrough", r"breakthroughs?", True),
    _term("game changer", r"game[- ]changers?|game[- ]changing", True),
    _term("miracle", r"miracles?|miraculous", False),
    _term("cure", r"cures?|cured", False),
    _term("home run", r"home runs?", False),
    _term("revolutionary", r"revolutionary|revolutioni[sz]e[sd]?|revolutioni[sz]ing", True),
    _term("transformative", r"transformative", True),
    _term("life saver", r"life[- ]?savers?|life-saving", False),
    _term("groundbreaking", r"ground[- ]?breaking", True),
    _term("marvel", r"marvels?|marvell?ous", False),
    _term("wonder drug", r"wonder drugs?", False),
    _term("magic bullet", r"magic bullets?", False),
    _term("paradigm shift", r"paradigm[- ]shifts?|paradigm-shifting", True),
)


@dataclass(frozen=True, slots=True)
class RedFlag:
    """A red-flag word found in a sentence of the article."""

    term: str
    sentence: str
    novelty: bool


def red_flags(sentences: Iterable[str]) -> list[RedFlag]:
    """Every red-flag word of `RED_FLAGS` in the sentences, in order, with its sentence."""
    found: list[RedFlag] = []
    for sentence in sentences:
        for flag in RED_FLAGS:
            if flag.pattern.search(sentence):
                found.append(RedFlag(flag.term, sentence, flag.novelty))
    return found


def matching(pattern: re.Pattern[str], texts: Iterable[str]) -> list[str]:
    """The texts in which `pattern` occurs."""
    return [t for t in texts if pattern.search(t)]


def quantified(text: str) -> bool:
    """Whether a sentence carries a number for an effect (percentage, ratio, NNT, …)."""
    return QUANTITY.search(text) is not None


def hedged(text: str) -> bool:
    """Worded as less than established fact ("probably", "may", "uncertain"…): the GRADE-26
    wording check's own phrase rules (`tracker.grading.wording.classify`), so the scorecard
    and the wording check never read a sentence differently."""
    return classify(text) is not AssertionStrength.CATEGORICAL


_EFFECT = {ClaimCategory.EFFICACY.value, ClaimCategory.BENEFIT.value}
_HARM = {ClaimCategory.ADVERSE_EFFECT.value, ClaimCategory.CONTRAINDICATION.value}
_WEAK_STATUS = {ClaimStatus.INSUFFICIENT.value, ClaimStatus.CONTESTED.value,
                ClaimStatus.CONTRADICTED.value, ClaimStatus.NO_EVIDENCE_FOUND.value}
_WEAK_CERTAINTY = {Certainty.LOW.value, Certainty.VERY_LOW.value}


def weakly_supported(claim: ClaimFacts) -> bool:
    """A claim whose evidence is uncertain: reviewed and not supported, graded low or very low,
    or (descriptive) not established."""
    return (claim.status in _WEAK_STATUS or claim.certainty in _WEAK_CERTAINTY
            or claim.standing == Standing.NOT_ESTABLISHED.value)


def _of(claims: Sequence[ClaimFacts], categories: set[str]) -> list[ClaimFacts]:
    return [c for c in claims if c.category in categories]


def _quote(texts: Sequence[str], most: int = 3) -> tuple[str, ...]:
    return tuple(texts[:most])


# --- HealthNewsReview.org --------------------------------------------------------------------


def about_an_intervention(claims: Sequence[ClaimFacts]) -> bool:
    """HNR rates stories about an intervention; an article without an efficacy or benefit
    claim makes no such claim, and the intervention criteria do not apply."""
    return bool(_of(claims, _EFFECT))


_NO_INTERVENTION = Proposal(NOT_APPLICABLE, "the article makes no efficacy or benefit claim, "
                                            "so it describes no intervention to rate")


def hnr_costs(facts: ArticleFacts) -> Proposal:
    """Satisfactory when a sentence names a cost with an amount; a cost named without an
    amount, or none, is not."""
    if not about_an_intervention(facts.claims):
        return _NO_INTERVENTION
    costs = matching(COST, facts.sentences)
    priced = [s for s in costs if AMOUNT.search(s)]
    if priced:
        return Proposal(SATISFACTORY, f"{len(priced)} sentence(s) give a cost with an amount",
                        _quote(priced))
    if costs:
        return Proposal(NOT_SATISFACTORY, f"{len(costs)} sentence(s) mention cost or insurance "
                        "but none gives an amount", _quote(costs))
    return Proposal(NOT_SATISFACTORY, "no sentence mentions a cost, a price or insurance")


def hnr_benefits(facts: ArticleFacts) -> Proposal:
    """Satisfactory when at least one efficacy or benefit claim carries a number (a
    percentage, a ratio, NNT, an effect size); otherwise not."""
    if not about_an_intervention(facts.claims):
        return _NO_INTERVENTION
    effect = _of(facts.claims, _EFFECT)
    numbers = [c.text for c in effect if quantified(c.text)]
    if numbers:
        return Proposal(SATISFACTORY, f"{len(numbers)} of {len(effect)} efficacy or benefit "
                        "claims carry a number", _quote(numbers))
    return Proposal(NOT_SATISFACTORY, f"none of the {len(effect)} efficacy or benefit claims "
                    "carries a number (no effect size, percentage, ratio or NNT)",
                    _quote([c.text for c in effect]))


def hnr_harms(facts: ArticleFacts) -> Proposal:
    """Satisfactory when a harm is named and at least one harm statement is quantified;
    harms named without a number, or none named, are not."""
    if not about_an_intervention(facts.claims):
        return _NO_INTERVENTION
    harms = _of(facts.claims, _HARM)
    if not harms:
        return Proposal(NOT_SATISFACTORY, "no adverse-effect or contraindication claim: the "
                        "article names no harm")
    numbers = [c.text for c in harms if quantified(c.text)]
    if numbers:
        return Proposal(SATISFACTORY, f"{len(numbers)} of {len(harms)} harm claims carry a "
                        "number", _quote(numbers))
    return Proposal(NOT_SATISFACTORY, f"{len(harms)} claims name harms but none says how often "
                    "they happen (no number)", _quote([c.text for c in harms]))


def quality_of_evidence(strength_sentences: Sequence[str], overstated_count: int,
                        unhedged_weak_count: int) -> Proposal:
    """HNR 4 from counts: not satisfactory when claims overstate their evidence
    (`overstated_count`: editors' open "overstated" flags, and the wording check's verdicts
    where it runs), when the text never says what kind of evidence it rests on, or when
    claims with contested, contradicted, insufficient or low-certainty evidence are stated
    without a hedge (`unhedged_weak_count`); satisfactory otherwise."""
    problems: list[str] = []
    if overstated_count:
        problems.append(f"{overstated_count} claim(s) overstate their evidence")
    if not strength_sentences:
        problems.append("the text never says what kind of evidence it rests on or how strong "
                        "it is")
    if unhedged_weak_count:
        problems.append(f"{unhedged_weak_count} claim(s) with uncertain evidence (contested, "
                        "contradicted, insufficient or low certainty) are stated without a "
                        "hedge")
    if problems:
        return Proposal(NOT_SATISFACTORY, "; ".join(problems), _quote(list(strength_sentences)))
    return Proposal(SATISFACTORY, f"{len(strength_sentences)} sentence(s) state the kind or "
                    "strength of the evidence, and no claim overstates it",
                    _quote(list(strength_sentences)))


def hnr_evidence(facts: ArticleFacts) -> Proposal:
    unhedged = [c for c in facts.claims if weakly_supported(c) and not hedged(c.text)]
    return quality_of_evidence(matching(STRENGTH, facts.sentences), facts.overstated_count,
                               len(unhedged))


def _support_share(facts: ArticleFacts) -> str:
    supported = sum(c.verified_support for c in facts.claims)
    return (f"the desk found verified support for {supported} of {len(facts.claims)} claims "
            "(its own finding, not the article's)")


def hnr_sources(facts: ArticleFacts) -> Proposal:
    """Not satisfactory when the article cites nothing; when it does, whether the sources are
    independent and conflicts declared is left to an editor."""
    if not facts.cited_sources:
        return Proposal(NOT_SATISFACTORY, "the article cites no source: no DOI, PubMed or "
                        "journal link and no named study in its text; " + _support_share(facts))
    return Proposal(None, f"the article cites {facts.cited_sources} source(s); whether they are "
                    "independent and conflicts of interest declared is an editor's judgement; "
                    + _support_share(facts))


def hnr_alternatives(facts: ArticleFacts) -> Proposal:
    """Satisfactory when a sentence compares with another option and carries a number; naming
    alternatives without comparing their benefits and harms in numbers is not."""
    if not about_an_intervention(facts.claims):
        return _NO_INTERVENTION
    named = matching(ALTERNATIVE, facts.sentences)
    compared = [s for s in named if quantified(s)]
    if compared:
        return Proposal(SATISFACTORY, f"{len(compared)} sentence(s) compare with another option "
                        "in numbers", _quote(compared))
    if named:
        return Proposal(NOT_SATISFACTORY, f"{len(named)} sentence(s) name other options, but "
                        "none compares their benefits or harms in numbers", _quote(named))
    return Proposal(NOT_SATISFACTORY, "no sentence names another option or compares with one")


def hnr_novelty(facts: ArticleFacts) -> Proposal:
    """Not satisfactory when the text calls the approach new in red-flag words
    ("groundbreaking", "breakthrough", …); otherwise left to an editor."""
    novel = [f for f in red_flags(facts.sentences) if f.novelty]
    if novel:
        terms = ", ".join(dict.fromkeys(f'"{f.term}"' for f in novel))
        return Proposal(NOT_SATISFACTORY, f"novelty superlatives ({terms}) without establishing "
                        "what is new about the approach", _quote([f.sentence for f in novel]))
    return Proposal(None, "no novelty superlative; whether the story establishes what is new "
                    "is an editor's judgement")


# --- DISCERN (1 no … 5 yes) ------------------------------------------------------------------


def discern_sources(facts: ArticleFacts) -> Proposal:
    """1 when the article cites nothing; 3 when under half its claims' sentences cite; 4
    otherwise."""
    share = _support_share(facts)
    if not facts.cited_sources:
        return Proposal("1", "no source cited in the text; " + share)
    claims = len(facts.claims) or 1
    if facts.claims_citing * 2 < claims:
        return Proposal("3", f"{facts.cited_sources} source(s) cited, from "
                        f"{facts.claims_citing} of {len(facts.claims)} claims; " + share)
    return Proposal("4", f"{facts.claims_citing} of {len(facts.claims)} claims cite a source; "
                    + share)


def discern_dates(facts: ArticleFacts) -> Proposal:
    """1 when neither the article nor any source it cites carries a date; 3 with one of them;
    4 with both. The age of the newest study the desk linked is reported beside."""
    dated = [what for what, present in (("the article is dated", bool(facts.published)),
                                        ("its cited sources are dated",
                                         facts.cited_sources > 0)) if present]
    if facts.newest_evidence_year is not None:
        age = facts.today.year - facts.newest_evidence_year
        newest = (f"the newest verified study the desk linked is from "
                  f"{facts.newest_evidence_year} ({age} year(s) old)")
    else:
        newest = "the desk has linked no verified study yet"
    rating = {0: "1", 1: "3", 2: "4"}[len(dated)]
    said = " and ".join(dated) if dated else "neither the article nor a cited source is dated"
    return Proposal(rating, f"{said}; {newest}")


def discern_additional_sources(facts: ArticleFacts) -> Proposal:
    """1 when the article lists no further reading or help; 3 when it does."""
    if facts.resources:
        return Proposal("3", f"lists {facts.resources} further resource(s); whether they are "
                        "sources of support is an editor's judgement")
    return Proposal("1", "lists no further reading or source of support")


def discern_uncertainty(facts: ArticleFacts) -> Proposal:
    """From the claims with uncertain evidence: 1 when none is hedged, 3 when some are, 4 when
    all are. Before any is known, whether the text refers to uncertainty at all: 1 or 3."""
    weak = [c for c in facts.claims if weakly_supported(c)]
    if weak:
        soft = [c.text for c in weak if hedged(c.text)]
        hard = [c.text for c in weak if not hedged(c.text)]
        rating = "4" if not hard else "3" if soft else "1"
        return Proposal(rating, f"{len(soft)} of {len(weak)} claims with uncertain evidence "
                        "(contested, contradicted, insufficient or low certainty) are hedged",
                        _quote(hard or soft))
    mentions = matching(UNCERTAINTY, facts.sentences)
    if mentions:
        return Proposal("3", f"{len(mentions)} sentence(s) refer to what is not known; no claim "
                        "is graded uncertain yet", _quote(mentions))
    return Proposal("1", "no sentence refers to uncertainty; no claim is graded uncertain yet")


def discern_benefits(facts: ArticleFacts) -> Proposal:
    """1 when no benefit is described; 3 when benefits are described without numbers; 4 when
    some carry one."""
    return _how_often(_of(facts.claims, _EFFECT), "no efficacy or benefit claim",
                      "benefit claims carry a number", "describe benefits, none with a number")


def discern_risks(facts: ArticleFacts) -> Proposal:
    """1 when no risk is described; 3 when risks are named without numbers; 4 when some carry
    one."""
    return _how_often(_of(facts.claims, _HARM), "no adverse-effect or contraindication claim",
                      "harm claims carry a number", "name risks, none says how often")


def _how_often(claims: Sequence[ClaimFacts], none: str, numbered: str,
               unnumbered: str) -> Proposal:
    """DISCERN's rating of what the claims describe: 1 none, 3 without numbers, 4 with some
    ("2 of 5 {numbered}"; "5 claims {unnumbered}")."""
    if not claims:
        return Proposal("1", none)
    numbers = [c.text for c in claims if quantified(c.text)]
    if numbers:
        return Proposal("4", f"{len(numbers)} of {len(claims)} {numbered}", _quote(numbers))
    return Proposal("3", f"{len(claims)} claims {unnumbered}", _quote([c.text for c in claims]))


def discern_options(facts: ArticleFacts) -> Proposal:
    """1 when no other option is named; 3 when one is."""
    named = matching(ALTERNATIVE, facts.sentences)
    if named:
        return Proposal("3", f"{len(named)} sentence(s) name other options", _quote(named))
    return Proposal("1", "no sentence names another option")


Rule = Callable[[ArticleFacts], Proposal]

#: The criteria the rules propose for, by instrument and key; the rest are editors' alone.
RULES: dict[tuple[Instrument, str], Rule] = {
    (Instrument.HNR, "costs"): hnr_costs,
    (Instrument.HNR, "benefits"): hnr_benefits,
    (Instrument.HNR, "harms"): hnr_harms,
    (Instrument.HNR, "evidence"): hnr_evidence,
    (Instrument.HNR, "sources"): hnr_sources,
    (Instrument.HNR, "alternatives"): hnr_alternatives,
    (Instrument.HNR, "novelty"): hnr_novelty,
    (Instrument.DISCERN, "sources"): discern_sources,
    (Instrument.DISCERN, "dates"): discern_dates,
    (Instrument.DISCERN, "additional-sources"): discern_additional_sources,
    (Instrument.DISCERN, "uncertainty"): discern_uncertainty,
    (Instrument.DISCERN, "benefits"): discern_benefits,
    (Instrument.DISCERN, "risks"): discern_risks,
    (Instrument.DISCERN, "options"): discern_options,
}

LEFT_TO_EDITORS = Proposal(None, "no rule: an editor's judgement")


def propose(facts: ArticleFacts) -> dict[tuple[Instrument, str], Proposal]:
    """Every computed proposal for one article."""
    return {key: rule(facts) for key, rule in RULES.items()}
