"""Study designs as grading sees them: evidence level, name in explanations, and where GRADE
starts a body of evidence from them.

GRADE rates a body of evidence on one outcome; its starting point is the design of the studies
that carry it (GRADE Handbook 5.1; Balshem et al., GRADE guidelines 3, J Clin Epidemiol
2011;64:401-6): randomised trials start **high**, non-randomised (observational) studies
**low**, and any other evidence — case series and case reports — **very low**. A systematic
review starts from what it pools. Narrative reviews, guidelines, regulatory labels, human
pharmacology and laboratory studies, theses and books are not rated by GRADE at all: they can
bear on a claim (and on the descriptive track they do), but they never carry a certainty.
The CEBM 2011 level is kept for display only; it decides nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tracker.vocabulary import Certainty, Pools, StudyDesign

__all__ = [
    "CERTAINTY_ORDER",
    "CLINICAL",
    "LEVELED",
    "RANDOMISED_TIER",
    "RATED",
    "REVIEWS",
    "SYNTHESES",
    "design_label",
    "design_rank",
    "level",
    "score",
    "start_of",
    "with_article",
]

#: GRADE certainty from lowest to highest; a level's index is its score (0 … 3).
CERTAINTY_ORDER: tuple[Certainty, ...] = (
    Certainty.VERY_LOW,
    Certainty.LOW,
    Certainty.MODERATE,
    Certainty.HIGH,
)


def score(certainty: Certainty) -> int:
    """0 (very low) … 3 (high); `not-assessed` has no score."""
    return CERTAINTY_ORDER.index(certainty)


_LEVELS: Mapping[StudyDesign, int | None] = {
    StudyDesign.META_ANALYSIS: 1,
    StudyDesign.SYSTEMATIC_REVIEW: 1,
    StudyDesign.RCT: 2,
    StudyDesign.RAPID_REVIEW: 3,
    StudyDesign.COHORT: 3,
    StudyDesign.CASE_CONTROL: 4,
    StudyDesign.CASE_SERIES: 4,
    StudyDesign.CASE_REPORT: 4,
    StudyDesign.NARRATIVE_REVIEW: 5,
    StudyDesign.GUIDELINE: 5,
    StudyDesign.PRECLINICAL: 5,
    StudyDesign.PHARMACOLOGY: 5,
    StudyDesign.REGULATORY_LABEL: 5,
    StudyDesign.THESIS: None,
    StudyDesign.BOOK: None,
    StudyDesign.OTHER: None,
}

# (singular, plural) for explanations; None is a design nobody recorded.
_LABELS: Mapping[StudyDesign | None, tuple[str, str]] = {
    StudyDesign.META_ANALYSIS: ("meta-analysis", "meta-analyses"),
    StudyDesign.SYSTEMATIC_REVIEW: ("systematic review", "systematic reviews"),
    StudyDesign.RCT: ("RCT", "RCTs"),
    StudyDesign.RAPID_REVIEW: ("rapid review", "rapid reviews"),
    StudyDesign.COHORT: ("cohort study", "cohort studies"),
    StudyDesign.CASE_CONTROL: ("case-control study", "case-control studies"),
    StudyDesign.CASE_SERIES: ("case series", "case series"),
    StudyDesign.CASE_REPORT: ("case report", "case reports"),
    StudyDesign.NARRATIVE_REVIEW: ("narrative review", "narrative reviews"),
    StudyDesign.GUIDELINE: ("guideline", "guidelines"),
    StudyDesign.PRECLINICAL: ("preclinical study", "preclinical studies"),
    StudyDesign.PHARMACOLOGY: ("pharmacology study", "pharmacology studies"),
    StudyDesign.REGULATORY_LABEL: ("regulatory label", "regulatory labels"),
    StudyDesign.THESIS: ("thesis", "theses"),
    StudyDesign.BOOK: ("book", "books"),
    StudyDesign.OTHER: ("source of other design", "sources of other design"),
    None: ("source of unknown design", "sources of unknown design"),
}

_UNLEVELED_RANK = 6

#: Reviews: GRADE starts them from the designs they pool.
REVIEWS = frozenset({StudyDesign.META_ANALYSIS, StudyDesign.SYSTEMATIC_REVIEW,
                     StudyDesign.RAPID_REVIEW})
SYNTHESES = frozenset({StudyDesign.META_ANALYSIS, StudyDesign.SYSTEMATIC_REVIEW})

#: Designs GRADE rates, with their starting point (reviews: see `start_of`).
_PRIMARY_START: Mapping[StudyDesign, Certainty] = {
    StudyDesign.RCT: Certainty.HIGH,
    StudyDesign.COHORT: Certainty.LOW,
    StudyDesign.CASE_CONTROL: Certainty.LOW,
    StudyDesign.CASE_SERIES: Certainty.VERY_LOW,
    StudyDesign.CASE_REPORT: Certainty.VERY_LOW,
}
RATED = frozenset(_PRIMARY_START) | REVIEWS

_POOLED_START: Mapping[Pools, Certainty] = {
    Pools.RANDOMISED: Certainty.HIGH,
    Pools.NON_RANDOMISED: Certainty.LOW,
    Pools.BOTH: Certainty.LOW,
}

#: The start a review is given before anyone has recorded what it pools — used only to
#: compare the two sides of a claim by design and number while nothing is appraised.
RANDOMISED_TIER = Certainty.HIGH

CLINICAL = frozenset(_PRIMARY_START) | REVIEWS
LEVELED = frozenset(d for d, lvl in _LEVELS.items() if lvl is not None)


def start_of(design: StudyDesign | None, pools: Pools | None = None) -> Certainty | None:
    """Where GRADE starts a body carried by this design; None for designs GRADE does not
    rate, and for a review whose pooled designs are not recorded (or not stated)."""
    if design in _PRIMARY_START:
        return _PRIMARY_START[design]  # type: ignore[index]
    if design in REVIEWS:
        return None if pools is None else _POOLED_START.get(pools)
    return None


def level(design: StudyDesign | None) -> int | None:
    """The CEBM 2011 level of a design (1 best … 5), for display; None when it has none."""
    return None if design is None else _LEVELS[design]


def design_label(design: StudyDesign | None, count: int = 1) -> str:
    """The design's name for explanations, plural unless `count` is 1 ("RCT", "RCTs")."""
    singular, plural = _LABELS[design]
    return singular if count == 1 else plural


def with_article(design: StudyDesign | None) -> str:
    label = design_label(design, 1)
    article = "an" if label[0] in "aeiou" or label == "RCT" else "a"
    return f"{article} {label}"


def design_rank(design: StudyDesign | None) -> tuple[int, int]:
    """Stable order for explanations: best level first, then the vocabulary's order."""
    lvl = level(design)
    position = len(StudyDesign) if design is None else list(StudyDesign).index(design)
    return (_UNLEVELED_RANK if lvl is None else lvl, position)


def designs_named(designs: Iterable[StudyDesign]) -> list[str]:
    return [design_label(d, 2) for d in sorted(designs, key=design_rank)]
