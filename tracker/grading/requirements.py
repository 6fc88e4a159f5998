"""What a claim needs before it counts as supported: what the sentence itself asserts
("multiple randomized controlled trials have shown" needs two trials) wins over the default
of its track and category; an editor may override either, with a reason. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tracker.grading.designs import CLINICAL, LEVELED, SYNTHESES, design_label, design_rank
from tracker.vocabulary import ClaimCategory, ClaimTrack, StudyDesign

__all__ = [
    "CATEGORY_DEFAULTS",
    "DESCRIPTIVE_DEFAULT",
    "ESTABLISHING",
    "PHRASE_RULES",
    "Need",
    "PhraseRule",
    "Requirement",
    "override_requirement",
    "requirement_for",
]


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a claim needs to count as supported, and why it needs that."""

    min_count: int
    designs: frozenset[StudyDesign]
    description: str  # e.g. "at least 2 supporting RCTs"
    reason: str  # e.g. 'the sentence says "Multiple randomized controlled trials"'


@dataclass(frozen=True, slots=True)
class Need:
    min_count: int
    designs: frozenset[StudyDesign]
    description: str


@dataclass(frozen=True, slots=True)
class PhraseRule:
    """A phrase in the sentence that sets what the claim needs; the first matching rule wins."""

    name: str
    pattern: str  # a case-insensitive regular expression, also printed in docs/grading.md
    need: Need

    def search(self, text: str) -> re.Match[str] | None:
        return re.search(self.pattern, text, re.IGNORECASE)


_RCTS = frozenset({StudyDesign.RCT})
_LEVEL_1_2 = SYNTHESES | _RCTS
_MECHANISM_DESIGNS = LEVELED - {StudyDesign.NARRATIVE_REVIEW, StudyDesign.GUIDELINE}

#: Designs that can establish a descriptive claim on their own: human studies, regulators'
#: labels and guidelines. (A laboratory study also does when a reviewer judges its link
#: direct — e.g. receptor binding for a receptor mechanism; see docs/grading.md.)
ESTABLISHING = (CLINICAL | {StudyDesign.PHARMACOLOGY, StudyDesign.REGULATORY_LABEL,
                            StudyDesign.GUIDELINE})

#: Up to three words between a quantifier and what it counts ("several large, blinded trials").
_GAP = r"(?:[\w,-]+\s+){0,3}?"

PHRASE_RULES: tuple[PhraseRule, ...] = (
    PhraseRule(
        "multiple RCTs",
        r"\b(?:multiple|several|numerous|many)\s+" + _GAP
        + r"(?:randomi[sz]ed\s+controlled\s+trials|RCTs)\b",
        Need(2, _RCTS, "at least 2 supporting RCTs"),
    ),
    PhraseRule(
        "reviews confirm",
        r"\b(?:meta-?\s?analys[ie]s|systematic\s+reviews?"
        r"|(?:comprehensive\s+)?reviews\s+of\s+the\s+(?:available\s+)?evidence)\s+" + _GAP
        + r"(?:confirm|show|demonstrat|establish)\w*",
        Need(1, SYNTHESES, "at least 1 supporting meta-analysis or systematic review"),
    ),
    PhraseRule(
        "multiple studies",
        r"\b(?:numerous|multiple|many|several)\s+" + _GAP + r"(?:clinical\s+)?(?:trials|studies)\b",
        Need(2, CLINICAL, "at least 2 supporting clinical studies"),
    ),
    PhraseRule(
        "hedged",
        r"\b(?:some\s+studies\s+suggest|studies\s+suggest|evidence\s+suggests"
        r"|research\s+suggests|preliminary)\b",
        Need(1, LEVELED, "at least 1 supporting study of any leveled design (levels 1–5)"),
    ),
)

_ANY_SOURCE = Need(1, LEVELED, "at least 1 supporting source at levels 1–5")
_TRIAL_OR_SYNTHESIS = Need(
    1, _LEVEL_1_2,
    "at least 1 supporting study at level 1–2 (meta-analysis, systematic review or RCT)")

#: The default of an effect claim, by category, when the sentence asserts nothing specific.
CATEGORY_DEFAULTS: Mapping[ClaimCategory, Need] = {
    ClaimCategory.EFFICACY: _TRIAL_OR_SYNTHESIS,
    ClaimCategory.BENEFIT: _TRIAL_OR_SYNTHESIS,
    ClaimCategory.EVIDENCE_SUMMARY: Need(
        1, SYNTHESES, "at least 1 supporting meta-analysis or systematic review"),
    ClaimCategory.MECHANISM: Need(
        1, _MECHANISM_DESIGNS,
        "at least 1 supporting study at levels 1–5 other than a narrative review or guideline"),
    ClaimCategory.PHARMACOKINETICS: Need(
        1, _MECHANISM_DESIGNS,
        "at least 1 supporting study at levels 1–5 other than a narrative review or guideline"),
    ClaimCategory.ADVERSE_EFFECT: _ANY_SOURCE,
    ClaimCategory.CONTRAINDICATION: _ANY_SOURCE,
    ClaimCategory.ADMINISTRATION: _ANY_SOURCE,
    ClaimCategory.RESEARCH_DIRECTION: _ANY_SOURCE,
    ClaimCategory.GENERAL: _ANY_SOURCE,
}

#: The default of every descriptive claim, whatever its category or section: the same
#: evidence gives the same verdict wherever the sentence stands in the article.
DESCRIPTIVE_DEFAULT = Need(
    1, ESTABLISHING,
    "at least 1 supporting human study, regulatory label or guideline (a laboratory study "
    "counts when its link is judged direct)")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _requirement(need: Need, reason: str) -> Requirement:
    return Requirement(need.min_count, need.designs, need.description, reason)


def requirement_for(text: str, category: ClaimCategory,
                    track: ClaimTrack = ClaimTrack.EFFECT) -> Requirement:
    """The first phrase rule found in the sentence, else the track's (and, for effect claims,
    the category's) default. "may", "can" and "might" do not lower what a claim needs; they
    are judged by the wording check against the certainty instead."""
    for rule in PHRASE_RULES:
        found = rule.search(text)
        if found:
            return _requirement(rule.need, f'the sentence says "{_one_line(found.group(0))}"')
    if track is ClaimTrack.DESCRIPTIVE:
        return _requirement(DESCRIPTIVE_DEFAULT, "default for a descriptive claim")
    article = "an" if category.value[0] in "aeiou" else "a"
    return _requirement(CATEGORY_DEFAULTS[category], f"default for {article} {category} claim")


_NAMED_SETS: Mapping[frozenset[StudyDesign], tuple[str, str]] = {
    SYNTHESES: ("meta-analysis or systematic review", "meta-analyses or systematic reviews"),
    _LEVEL_1_2: ("study at level 1–2 (meta-analysis, systematic review or RCT)",
                 "studies at level 1–2 (meta-analyses, systematic reviews or RCTs)"),
    CLINICAL: ("clinical study", "clinical studies"),
    LEVELED: ("source at levels 1–5", "sources at levels 1–5"),
}


def _describe(min_count: int, designs: frozenset[StudyDesign]) -> str:
    plural = 1 if min_count == 1 else 2
    if designs in _NAMED_SETS:
        what = _NAMED_SETS[designs][plural - 1]
    else:
        labels = [design_label(d, plural) for d in sorted(designs, key=design_rank)]
        what = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
    return f"at least {min_count} supporting {what}"


def override_requirement(min_count: int, designs: Iterable[StudyDesign],
                         reason: str) -> Requirement:
    """An editor's requirement for one claim; the reason is required and kept in the verdict."""
    why = _one_line(reason)
    chosen = frozenset(designs)
    if not why:
        raise ValueError("an override needs a reason")
    if min_count < 1:
        raise ValueError("an override needs at least 1 supporting item")
    if not chosen:
        raise ValueError("an override needs at least one qualifying study design")
    return Requirement(min_count, chosen, _describe(min_count, chosen), f"editor override: {why}")
