"""Evidence levels, GRADE certainty and claim status — pure functions over plain values.

The rules are written for editors in docs/grading.md; the two must agree (tests compare them).
Nothing here touches the database: callers flatten evidence links into `Evidence` values, ask
`requirement_for()` what a claim needs (or `override_requirement()` for an editor's decision),
and `grade()` returns a `Verdict` whose one-line explanation says why.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tracker.vocabulary import Certainty, ClaimCategory, ClaimStatus, Concern, Stance, StudyDesign

__all__ = [
    "CATEGORY_DEFAULTS",
    "CERTAINTY_ORDER",
    "PHRASE_RULES",
    "STATUS_ORDER",
    "Evidence",
    "Judgements",
    "Need",
    "PhraseRule",
    "Requirement",
    "Verdict",
    "body_certainty",
    "certainty_explanation",
    "combine",
    "design_label",
    "grade",
    "is_counted",
    "is_mechanistic",
    "item_certainty",
    "level",
    "override_requirement",
    "requirement_for",
    "starting_certainty",
]


# --------------------------------------------------------------------------------------------
# Plain inputs and outputs


@dataclass(frozen=True, slots=True)
class Judgements:
    """The reviewer's GRADE judgements for one piece of evidence."""

    risk_of_bias: Concern = Concern.NONE
    inconsistency: Concern = Concern.NONE
    indirectness: Concern = Concern.NONE
    imprecision: Concern = Concern.NONE
    publication_bias: Concern = Concern.NONE
    large_effect: bool = False  # upgrade (+1) — only for evidence that starts below high
    dose_response: bool = False  # upgrade (+1) — likewise


@dataclass(frozen=True, slots=True)
class Evidence:
    """One evidence link, flattened: the cited study's design and how it bears on the claim."""

    citation: str  # a label for explanations (citation key)
    design: StudyDesign | None  # None = design unknown
    stance: Stance
    judgements: Judgements = Judgements()
    verified: bool = True  # unverified citations are listed "to check" and never counted
    retracted: bool = False  # retracted citations are never counted


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a claim needs to count as supported, and why it needs that."""

    min_count: int  # number of qualifying supporting items
    designs: frozenset[StudyDesign]  # which designs qualify
    description: str  # e.g. "at least 2 supporting RCTs"
    reason: str  # e.g. 'the sentence says "Multiple randomized controlled trials"'


@dataclass(frozen=True, slots=True)
class Verdict:
    """The status of a claim given its evidence, with a one-line explanation and the counts."""

    status: ClaimStatus
    certainty: Certainty | None  # of the supporting body; None when nothing supports
    explanation: str  # one line, starts with the status value
    requirement: Requirement
    supporting: int
    contradicting: int
    mixed: int
    background: int
    not_counted: int


# --------------------------------------------------------------------------------------------
# Evidence levels (Oxford CEBM 2011, treatment benefits and harms)

_LEVELS: Mapping[StudyDesign, int | None] = {
    StudyDesign.META_ANALYSIS: 1,
    StudyDesign.SYSTEMATIC_REVIEW: 1,
    StudyDesign.RCT: 2,
    StudyDesign.COHORT: 3,
    StudyDesign.CASE_CONTROL: 4,
    StudyDesign.CASE_SERIES: 4,
    StudyDesign.CASE_REPORT: 4,
    StudyDesign.NARRATIVE_REVIEW: 5,
    StudyDesign.GUIDELINE: 5,
    StudyDesign.PRECLINICAL: 5,
    StudyDesign.PHARMACOLOGY: 5,
    StudyDesign.BOOK: None,
    StudyDesign.OTHER: None,
}

# (singular, plural) for explanations; None is a design nobody recorded.
_LABELS: Mapping[StudyDesign | None, tuple[str, str]] = {
    StudyDesign.META_ANALYSIS: ("meta-analysis", "meta-analyses"),
    StudyDesign.SYSTEMATIC_REVIEW: ("systematic review", "systematic reviews"),
    StudyDesign.RCT: ("RCT", "RCTs"),
    StudyDesign.COHORT: ("cohort study", "cohort studies"),
    StudyDesign.CASE_CONTROL: ("case-control study", "case-control studies"),
    StudyDesign.CASE_SERIES: ("case series", "case series"),
    StudyDesign.CASE_REPORT: ("case report", "case reports"),
    StudyDesign.NARRATIVE_REVIEW: ("narrative review", "narrative reviews"),
    StudyDesign.GUIDELINE: ("guideline", "guidelines"),
    StudyDesign.PRECLINICAL: ("preclinical study", "preclinical studies"),
    StudyDesign.PHARMACOLOGY: ("pharmacology study", "pharmacology studies"),
    StudyDesign.BOOK: ("book", "books"),
    StudyDesign.OTHER: ("source of other design", "sources of other design"),
    None: ("source of unknown design", "sources of unknown design"),
}

_UNLEVELED_RANK = 6  # sorts unleveled evidence after level 5 in explanations and ties


def level(design: StudyDesign | None) -> int | None:
    """The CEBM 2011 level of a design (1 best … 5), or None for books, other and unknown."""
    if design is None:
        return None
    return _LEVELS[design]


def design_label(design: StudyDesign | None, count: int = 1) -> str:
    """The design's name for explanations, plural unless `count` is 1 ("RCT", "RCTs")."""
    singular, plural = _LABELS[design]
    return singular if count == 1 else plural


def _design_rank(design: StudyDesign | None) -> tuple[int, int]:
    """Stable order for explanations: best level first, then the vocabulary's order."""
    lvl = level(design)
    position = len(StudyDesign) if design is None else list(StudyDesign).index(design)
    return (_UNLEVELED_RANK if lvl is None else lvl, position)


def _with_article(design: StudyDesign | None) -> str:
    label = design_label(design, 1)
    article = "an" if label[0] in "aeiou" or label == "RCT" else "a"
    return f"{article} {label}"


def _designs_at(levels: Iterable[int]) -> frozenset[StudyDesign]:
    wanted = set(levels)
    return frozenset(d for d, lvl in _LEVELS.items() if lvl is not None and lvl in wanted)


_RCTS = frozenset({StudyDesign.RCT})
_SYNTHESES = _designs_at([1])
_LEVEL_1_2 = _designs_at([1, 2])
_CLINICAL = _designs_at([1, 2, 3, 4])
_LEVELED = _designs_at([1, 2, 3, 4, 5])
_MECHANISM_DESIGNS = _LEVELED - {StudyDesign.NARRATIVE_REVIEW, StudyDesign.GUIDELINE}


# --------------------------------------------------------------------------------------------
# What counts


def is_counted(item: Evidence) -> bool:
    """Only verified, non-retracted citations count towards a verdict."""
    return item.verified and not item.retracted


# --------------------------------------------------------------------------------------------
# GRADE certainty

#: Certainty from lowest to highest; a certainty's index is its score.
CERTAINTY_ORDER: tuple[Certainty, ...] = (
    Certainty.VERY_LOW,
    Certainty.LOW,
    Certainty.MODERATE,
    Certainty.HIGH,
)

_CLINICAL_START: Mapping[StudyDesign | None, Certainty] = {
    StudyDesign.META_ANALYSIS: Certainty.HIGH,
    StudyDesign.SYSTEMATIC_REVIEW: Certainty.HIGH,
    StudyDesign.RCT: Certainty.HIGH,
    StudyDesign.COHORT: Certainty.LOW,
    StudyDesign.CASE_CONTROL: Certainty.LOW,
    StudyDesign.CASE_SERIES: Certainty.LOW,
    StudyDesign.CASE_REPORT: Certainty.LOW,
    StudyDesign.NARRATIVE_REVIEW: Certainty.VERY_LOW,
    StudyDesign.GUIDELINE: Certainty.VERY_LOW,
    StudyDesign.PRECLINICAL: Certainty.VERY_LOW,
    StudyDesign.PHARMACOLOGY: Certainty.VERY_LOW,
    StudyDesign.BOOK: Certainty.VERY_LOW,
    StudyDesign.OTHER: Certainty.VERY_LOW,
    None: Certainty.VERY_LOW,
}

_MECHANISTIC_START: Mapping[StudyDesign | None, Certainty] = {
    StudyDesign.PHARMACOLOGY: Certainty.HIGH,
    StudyDesign.RCT: Certainty.HIGH,
    StudyDesign.META_ANALYSIS: Certainty.HIGH,
    StudyDesign.SYSTEMATIC_REVIEW: Certainty.HIGH,
    StudyDesign.PRECLINICAL: Certainty.LOW,
    StudyDesign.COHORT: Certainty.LOW,
    StudyDesign.CASE_CONTROL: Certainty.LOW,
    StudyDesign.CASE_SERIES: Certainty.LOW,
    StudyDesign.CASE_REPORT: Certainty.LOW,
    StudyDesign.NARRATIVE_REVIEW: Certainty.LOW,
    StudyDesign.GUIDELINE: Certainty.LOW,
    StudyDesign.BOOK: Certainty.VERY_LOW,
    StudyDesign.OTHER: Certainty.VERY_LOW,
    None: Certainty.VERY_LOW,
}

_MECHANISTIC_CATEGORIES = frozenset({ClaimCategory.MECHANISM, ClaimCategory.PHARMACOKINETICS})

_CONCERN_STEPS: Mapping[Concern, int] = {
    Concern.NONE: 0,
    Concern.SERIOUS: 1,
    Concern.VERY_SERIOUS: 2,
}
_CONCERN_WORDS: Mapping[Concern, str] = {
    Concern.NONE: "no",
    Concern.SERIOUS: "serious",
    Concern.VERY_SERIOUS: "very serious",
}


def is_mechanistic(category: ClaimCategory) -> bool:
    """Mechanism and pharmacokinetics claims are rated from lab and pharmacology evidence."""
    return category in _MECHANISTIC_CATEGORIES


def starting_certainty(design: StudyDesign | None, category: ClaimCategory) -> Certainty:
    """Where GRADE starts for one item, before its concerns and upgrades."""
    table = _MECHANISTIC_START if is_mechanistic(category) else _CLINICAL_START
    return table[design]


def _rate(item: Evidence, category: ClaimCategory) -> tuple[Certainty, Certainty, list[str]]:
    """(start, final certainty, the moves in words) for one item."""
    start = starting_certainty(item.design, category)
    j = item.judgements
    score = CERTAINTY_ORDER.index(start)
    moves: list[str] = []
    concerns = (
        ("risk of bias", j.risk_of_bias),
        ("inconsistency", j.inconsistency),
        ("indirectness", j.indirectness),
        ("imprecision", j.imprecision),
        ("publication bias", j.publication_bias),
    )
    for name, concern in concerns:
        step = _CONCERN_STEPS[concern]
        if step:
            score -= step
            moves.append(f"-{step} {_CONCERN_WORDS[concern]} {name}")
    for name, claimed in (("large effect", j.large_effect), ("dose-response", j.dose_response)):
        if not claimed:
            continue
        if start is Certainty.HIGH:
            moves.append(f"{name} not applied (starts high)")
        else:
            score += 1
            moves.append(f"+1 {name}")
    top = len(CERTAINTY_ORDER) - 1
    if score < 0:
        moves.append(f"stops at {Certainty.VERY_LOW}")
    elif score > top:
        moves.append(f"stops at {Certainty.HIGH}")
    return start, CERTAINTY_ORDER[min(max(score, 0), top)], moves


def item_certainty(item: Evidence, category: ClaimCategory) -> Certainty:
    """GRADE certainty of one item: start by design, -1/-2 per concern, upgrades, clamp."""
    return _rate(item, category)[1]


def _best_supporting(evidence: Sequence[Evidence], category: ClaimCategory) -> Evidence | None:
    """The counted supporting item that carries the body's rating (ties: best level, then first)."""
    best: Evidence | None = None
    best_key: tuple[int, int] = (-1, 0)
    for item in evidence:
        if not is_counted(item) or item.stance is not Stance.SUPPORTS:
            continue
        key = (CERTAINTY_ORDER.index(item_certainty(item, category)), -_design_rank(item.design)[0])
        if best is None or key > best_key:
            best, best_key = item, key
    return best


def body_certainty(evidence: Sequence[Evidence], category: ClaimCategory) -> Certainty | None:
    """Certainty of the supporting body: its best counted item's, or None when nothing supports."""
    best = _best_supporting(evidence, category)
    return None if best is None else item_certainty(best, category)


def _certainty_reason(best: Evidence, category: ClaimCategory) -> str:
    start, _, moves = _rate(best, category)
    head = (
        f"best supporting evidence is {_one_line(best.citation) or 'an unnamed citation'}, "
        f"{_with_article(best.design)} (starts {start})"
    )
    return ", ".join([head, *(moves or ["no concerns"])])


def certainty_explanation(evidence: Sequence[Evidence], category: ClaimCategory) -> str:
    """'moderate: best supporting evidence is smith2020, an RCT (starts high), -1 serious …'."""
    best = _best_supporting(evidence, category)
    if best is None:
        return "none: no counted supporting evidence"
    return f"{item_certainty(best, category)}: {_certainty_reason(best, category)}"


# --------------------------------------------------------------------------------------------
# Requirements: what the sentence asserts wins over the category default


@dataclass(frozen=True, slots=True)
class Need:
    """How many supporting items of which designs a claim needs, in words."""

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
        """Where the phrase occurs in `text`, if it does."""
        return re.search(self.pattern, text, re.IGNORECASE)


#: Up to three words between a quantifier and what it counts ("several large, blinded trials").
_GAP = r"(?:[\w,-]+\s+){0,3}?"

#: Ordered: the first rule whose pattern occurs in the sentence sets the requirement.
PHRASE_RULES: tuple[PhraseRule, ...] = (
    PhraseRule(
        "multiple RCTs",
        r"\b(?:multiple|several|numerous|many)\s+"
        + _GAP
        + r"(?:randomi[sz]ed\s+controlled\s+trials|RCTs)\b",
        Need(2, _RCTS, "at least 2 supporting RCTs"),
    ),
    PhraseRule(
        "reviews confirm",
        r"\b(?:meta-?\s?analys[ie]s|systematic\s+reviews?"
        r"|(?:comprehensive\s+)?reviews\s+of\s+the\s+(?:available\s+)?evidence)\s+"
        + _GAP
        + r"(?:confirm|show|demonstrat|establish)\w*",
        Need(1, _SYNTHESES, "at least 1 supporting meta-analysis or systematic review"),
    ),
    PhraseRule(
        "multiple studies",
        r"\b(?:numerous|multiple|many|several)\s+" + _GAP + r"(?:clinical\s+)?(?:trials|studies)\b",
        Need(2, _CLINICAL, "at least 2 supporting clinical studies (levels 1–4)"),
    ),
    PhraseRule(
        "hedged",
        r"\b(?:some\s+studies\s+suggest|studies\s+suggest|evidence\s+suggests"
        r"|research\s+suggests|preliminary)\b",
        Need(1, _LEVELED, "at least 1 supporting study of any leveled design (levels 1–5)"),
    ),
)

_LEVEL_1_5_SOURCE = Need(1, _LEVELED, "at least 1 supporting source at levels 1–5")

#: What a claim needs when its sentence asserts nothing more specific.
CATEGORY_DEFAULTS: Mapping[ClaimCategory, Need] = {
    ClaimCategory.EFFICACY: Need(
        1,
        _LEVEL_1_2,
        "at least 1 supporting study at level 1–2 (meta-analysis, systematic review or RCT)",
    ),
    ClaimCategory.BENEFIT: Need(
        1,
        _LEVEL_1_2,
        "at least 1 supporting study at level 1–2 (meta-analysis, systematic review or RCT)",
    ),
    ClaimCategory.EVIDENCE_SUMMARY: Need(
        1, _SYNTHESES, "at least 1 supporting meta-analysis or systematic review"
    ),
    ClaimCategory.MECHANISM: Need(
        1,
        _MECHANISM_DESIGNS,
        "at least 1 supporting study at levels 1–5 other than a narrative review or guideline",
    ),
    ClaimCategory.PHARMACOKINETICS: Need(
        1,
        _MECHANISM_DESIGNS,
        "at least 1 supporting study at levels 1–5 other than a narrative review or guideline",
    ),
    ClaimCategory.ADVERSE_EFFECT: _LEVEL_1_5_SOURCE,
    ClaimCategory.CONTRAINDICATION: _LEVEL_1_5_SOURCE,
    ClaimCategory.ADMINISTRATION: _LEVEL_1_5_SOURCE,
    ClaimCategory.RESEARCH_DIRECTION: _LEVEL_1_5_SOURCE,
    ClaimCategory.GENERAL: _LEVEL_1_5_SOURCE,
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _requirement(need: Need, reason: str) -> Requirement:
    return Requirement(need.min_count, need.designs, need.description, reason)


def requirement_for(text: str, category: ClaimCategory) -> Requirement:
    """What the claim needs: the first phrase rule found in the sentence, else the default.

    "may", "can" and "might" alone do not hedge a claim: only the phrases of the "hedged" rule do.
    """
    for rule in PHRASE_RULES:
        found = rule.search(text)
        if found:
            return _requirement(rule.need, f'the sentence says "{_one_line(found.group(0))}"')
    article = "an" if category.value[0] in "aeiou" else "a"
    return _requirement(CATEGORY_DEFAULTS[category], f"default for {article} {category} claim")


_NAMED_SETS: Mapping[frozenset[StudyDesign], tuple[str, str]] = {
    _SYNTHESES: ("meta-analysis or systematic review", "meta-analyses or systematic reviews"),
    _LEVEL_1_2: (
        "study at level 1–2 (meta-analysis, systematic review or RCT)",
        "studies at level 1–2 (meta-analyses, systematic reviews or RCTs)",
    ),
    _CLINICAL: ("clinical study (levels 1–4)", "clinical studies (levels 1–4)"),
    _LEVELED: ("source at levels 1–5", "sources at levels 1–5"),
}


def _describe(min_count: int, designs: frozenset[StudyDesign]) -> str:
    plural = 1 if min_count == 1 else 2
    if designs in _NAMED_SETS:
        what = _NAMED_SETS[designs][plural - 1]
    else:
        labels = [design_label(d, plural) for d in sorted(designs, key=_design_rank)]
        what = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
    return f"at least {min_count} supporting {what}"


def override_requirement(
    min_count: int, designs: Iterable[StudyDesign], reason: str
) -> Requirement:
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


# --------------------------------------------------------------------------------------------
# Status

#: Weakest first: a compound claim takes the status of its weakest part.
STATUS_ORDER: tuple[ClaimStatus, ...] = (
    ClaimStatus.UNSUPPORTED,
    ClaimStatus.CONTESTED,
    ClaimStatus.INSUFFICIENT,
    ClaimStatus.SUPPORTED,
)

_VERBS: Mapping[Stance, tuple[str, str]] = {
    Stance.SUPPORTS: ("supports", "support"),
    Stance.CONTRADICTS: ("contradicts", "contradict"),
    Stance.MIXED: ("mixed", "mixed"),
    Stance.BACKGROUND: ("as background", "as background"),
}


def _summary(counted: Sequence[Evidence]) -> str:
    """'1 meta-analysis, 2 RCTs support, 1 RCT contradicts, 1 systematic review mixed'."""
    groups: list[str] = []
    for stance in Stance:
        designs = Counter(item.design for item in counted if item.stance is stance)
        if not designs:
            continue
        ordered = sorted(designs.items(), key=lambda pair: _design_rank(pair[0]))
        counts = ", ".join(f"{n} {design_label(d, n)}" for d, n in ordered)
        singular, plural = _VERBS[stance]
        groups.append(f"{counts} {singular if designs.total() == 1 else plural}")
    return ", ".join(groups)


def _not_counted(evidence: Sequence[Evidence]) -> list[str]:
    """'2 unverified not counted (to check: a, b)', '1 retracted not counted (c)'."""
    retracted = [_one_line(i.citation) or "unnamed" for i in evidence if i.retracted]
    unverified = [
        _one_line(i.citation) or "unnamed" for i in evidence if not i.verified and not i.retracted
    ]
    clauses: list[str] = []
    if unverified:
        names = ", ".join(unverified)
        clauses.append(f"{len(unverified)} unverified not counted (to check: {names})")
    if retracted:
        clauses.append(f"{len(retracted)} retracted not counted ({', '.join(retracted)})")
    return clauses


def _status(
    supporting: Sequence[Evidence], contradicting: Sequence[Evidence], requirement: Requirement
) -> tuple[ClaimStatus, list[Evidence]]:
    """The status, and the contradicting items that contest the claim when it is contested."""
    if not supporting:
        return ClaimStatus.UNSUPPORTED, []
    qualifying = [item for item in supporting if item.design in requirement.designs]
    if len(qualifying) < requirement.min_count:
        return ClaimStatus.INSUFFICIENT, []
    levels = [lvl for lvl in (level(item.design) for item in qualifying) if lvl is not None]
    best = min(levels) if levels else None
    against = [item for item in contradicting if _comparable(level(item.design), best)]
    if against:
        return ClaimStatus.CONTESTED, against
    return ClaimStatus.SUPPORTED, []


def _comparable(against: int | None, best_for: int | None) -> bool:
    """Evidence against is comparable when its level is at most one worse than the best for.

    Unleveled evidence against never contests; leveled evidence against unleveled support does.
    """
    if against is None:
        return False
    if best_for is None:
        return True
    return against <= best_for + 1


def grade(
    evidence: Sequence[Evidence], requirement: Requirement, category: ClaimCategory
) -> Verdict:
    """The verdict on one claim: unsupported, insufficient, contested or supported, and why."""
    counted = [item for item in evidence if is_counted(item)]
    by_stance = {s: [item for item in counted if item.stance is s] for s in Stance}
    supporting, contradicting = by_stance[Stance.SUPPORTS], by_stance[Stance.CONTRADICTS]
    status, against = _status(supporting, contradicting, requirement)

    summary = _summary(counted)
    if status is ClaimStatus.UNSUPPORTED:
        clauses = ["no supporting evidence", summary]
    elif status is ClaimStatus.INSUFFICIENT:
        clauses = [f"needs {requirement.description} ({_one_line(requirement.reason)})"]
        clauses.append(f"has {summary}")
    elif status is ClaimStatus.CONTESTED:
        names = ", ".join(_one_line(item.citation) or "unnamed" for item in against)
        clauses = [summary, f"comparable evidence against: {names}"]
    else:
        clauses = [summary]
    clauses.extend(_not_counted(evidence))
    best = _best_supporting(evidence, category)
    certainty = None if best is None else item_certainty(best, category)
    if best is not None:
        clauses.append(f"certainty {certainty} ({_certainty_reason(best, category)})")

    return Verdict(
        status=status,
        certainty=certainty,
        explanation=f"{status}: " + "; ".join(c for c in clauses if c),
        requirement=requirement,
        supporting=len(supporting),
        contradicting=len(contradicting),
        mixed=len(by_stance[Stance.MIXED]),
        background=len(by_stance[Stance.BACKGROUND]),
        not_counted=len(evidence) - len(counted),
    )


# --------------------------------------------------------------------------------------------
# Compound claims


def combine(parts: Sequence[tuple[str, Verdict]]) -> Verdict:
    """One verdict for a sentence split into parts: the weakest part's status, lowest certainty.

    The requirement is a summary only: the largest count any part needs and every design any
    part accepts; each part was graded against its own requirement.
    """
    if not parts:
        raise ValueError("a compound claim needs at least one part")
    verdicts = [verdict for _, verdict in parts]
    status = min((v.status for v in verdicts), key=STATUS_ORDER.index)
    rated = [v.certainty for v in verdicts if v.certainty is not None]
    certainty = min(rated, key=CERTAINTY_ORDER.index) if rated else None

    labels = [_one_line(label) or f"part {n}" for n, (label, _) in enumerate(parts, start=1)]
    listing = "; ".join(f"{label} {v.status}" for label, v in zip(labels, verdicts, strict=True))
    explanation = f"{status}: parts — {listing}"
    if certainty is not None:
        explanation += f"; certainty {certainty} (lowest of the parts with supporting evidence)"

    requirement = Requirement(
        min_count=max(v.requirement.min_count for v in verdicts),
        designs=frozenset().union(*(v.requirement.designs for v in verdicts)),
        description="each part graded on its own",
        reason=f"compound claim in {len(parts)} parts: {', '.join(labels)}",
    )
    return Verdict(
        status=status,
        certainty=certainty,
        explanation=explanation,
        requirement=requirement,
        supporting=sum(v.supporting for v in verdicts),
        contradicting=sum(v.contradicting for v in verdicts),
        mixed=sum(v.mixed for v in verdicts),
        background=sum(v.background for v in verdicts),
        not_counted=sum(v.not_counted for v in verdicts),
    )
