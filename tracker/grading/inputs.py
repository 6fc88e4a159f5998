"""The plain values grading works on: one `Evidence` per evidence link (the study's design and
appraisal, the link's stance, directness and effect), and a reviewer's judgements on a claim's
whole body. Callers flatten database rows into these; nothing here touches the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tracker.grading.designs import RATED, REVIEWS, start_of
from tracker.vocabulary import (
    DOWNGRADE_DOMAINS,
    LINK_UPGRADES,
    AppraisalTool,
    BodyDomain,
    Certainty,
    Concern,
    Directness,
    DirectnessElement,
    DualKind,
    Pools,
    Stance,
    StudyDesign,
)

__all__ = [
    "CONCERNS",
    "JUDGEMENT_NAMES",
    "UPGRADES",
    "Appraisal",
    "BodyJudgement",
    "Effect",
    "Evidence",
    "JudgementChange",
    "Judgements",
    "RATIO_MEASURES",
    "concern_step",
    "is_counted",
    "without_awaiting",
]

_STEP = {Concern.NONE: 0, Concern.SERIOUS: 1, Concern.VERY_SERIOUS: 2}
_DIRECTNESS_STEP = {Directness.DIRECT: 0, Directness.NOT_APPLICABLE: 0,
                    Directness.INDIRECT: 1, Directness.VERY_INDIRECT: 2}


def concern_step(concern: Concern | None) -> int:
    """0, 1 or 2 steps down; a concern nobody recorded takes nothing off (and is reported as
    not judged by the caller, never as "no concerns")."""
    return 0 if concern is None else _STEP[concern]


#: The judgements a reviewer records on one link, by name (the fields of `Judgements`, the
#: link's columns, the keys of a review file's and the audit's judgements): GRADE's five
#: concerns, then the two reasons to rate up that a link may carry.
CONCERNS: tuple[str, ...] = tuple(d.value for d in DOWNGRADE_DOMAINS)
UPGRADES: tuple[str, ...] = tuple(d.value for d in LINK_UPGRADES)
JUDGEMENT_NAMES: tuple[str, ...] = CONCERNS + UPGRADES


@dataclass(frozen=True, slots=True)
class Judgements:
    """Concerns a reviewer recorded on one link (this study, for this claim). None: not judged.

    They are the link's own notes — e.g. heterogeneity inside a meta-analysis, or a trial too
    small for this outcome — and are added to the body's domains (the worse one counts). They
    never stand in for an appraisal of the study or for the link's directness."""

    risk_of_bias: Concern | None = None
    inconsistency: Concern | None = None
    indirectness: Concern | None = None
    imprecision: Concern | None = None
    publication_bias: Concern | None = None
    large_effect: bool = False
    dose_response: bool = False

    @property
    def recorded(self) -> bool:
        return any(getattr(self, n) is not None for n in CONCERNS)

    @classmethod
    def stored(cls, values: Mapping[str, str | bool | None]) -> Judgements:
        """From their stored form (a concern's value or None, a flag) by name; a name not
        given is not judged. Raises ValueError on an unknown name or concern."""
        unknown = set(values) - set(JUDGEMENT_NAMES)
        if unknown:
            raise ValueError(f"unknown judgement {sorted(unknown)[0]!r}; use "
                             + ", ".join(JUDGEMENT_NAMES))
        judged: dict[str, Any] = {
            n: None if values.get(n) is None else Concern(str(values[n])) for n in CONCERNS}
        judged.update({n: bool(values.get(n)) for n in UPGRADES})
        return replace(cls(), **judged)

    def as_stored(self) -> dict[str, str | bool | None]:
        """The stored form, by name in `JUDGEMENT_NAMES` order (the audit's and the exports')."""
        values: dict[str, str | bool | None] = {}
        for name in CONCERNS:
            concern = getattr(self, name)
            values[name] = None if concern is None else concern.value
        values.update({name: bool(getattr(self, name)) for name in UPGRADES})
        return values


@dataclass(frozen=True, slots=True)
class JudgementChange:
    """Some of a link's judgements to change (`tracker judge --imprecision serious`): the
    named ones take their value in `values` (None: not judged), the others stay as they are."""

    values: Judgements
    names: frozenset[str]

    def onto(self, current: Judgements = Judgements()) -> Judgements:
        """`current` with the change applied (a new link starts with nothing judged)."""
        return replace(current, **{n: getattr(self.values, n) for n in self.names})


@dataclass(frozen=True, slots=True)
class Appraisal:
    """A study's appraisal: the tool and the overall judgement its algorithm derived; for a
    review, which designs it pools."""

    tool: AppraisalTool
    overall: str
    pools: Pools | None = None


#: Measures compared with 1 (no effect); every other measure is a difference, compared with 0.
RATIO_MEASURES = frozenset({"RR", "OR", "HR", "IRR", "RATIO", "RISK RATIO", "ODDS RATIO",
                            "HAZARD RATIO"})


@dataclass(frozen=True, slots=True)
class Effect:
    """What a study found for this claim's outcome, where a reviewer recorded it."""

    measure: str | None = None  # "SMD", "MD", "RR", "OR", "NNT", …
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    participants: int | None = None
    studies: int | None = None  # reviews: how many studies the estimate pools

    def crosses_no_effect(self) -> bool | None:
        """Whether the 95 % CI includes no effect; None when no CI (or measure) is recorded."""
        if self.ci_low is None or self.ci_high is None or not self.measure:
            return None
        null = 1.0 if self.measure.strip().upper() in RATIO_MEASURES else 0.0
        return self.ci_low < null < self.ci_high or null in (self.ci_low, self.ci_high)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One evidence link, flattened."""

    citation: str  # a label for explanations (the citation key)
    design: StudyDesign | None
    stance: Stance
    judgements: Judgements = Judgements()
    verified: bool = True
    retracted: bool = False
    appraisal: Appraisal | None = None
    directness: tuple[tuple[DirectnessElement, Directness], ...] = ()
    effect: Effect | None = None
    #: What of this link waits for an editor's adjudication under dual review (its stance,
    #: its study's appraisal, its directness): the two reviewers' entries differ, and neither
    #: is used. A link whose stance waits is left out whole (whatever `stance` says; a study
    #: proposed for the claim has no stance yet); one whose appraisal or directness waits is
    #: graded as not appraised or not judged (docs/grading.md, *Awaiting adjudication*).
    awaiting: frozenset[DualKind] = frozenset()

    @property
    def rated(self) -> bool:
        """GRADE rates this design (trials, observational studies, case series, reviews)."""
        return self.design in RATED

    @property
    def is_review(self) -> bool:
        return self.design in REVIEWS

    @property
    def pools(self) -> Pools | None:
        return None if self.appraisal is None else self.appraisal.pools

    def start(self) -> Certainty | None:
        """GRADE's starting point for this study; None when unknown (a review whose pooled
        designs nobody recorded) or when GRADE does not rate the design."""
        return start_of(self.design, self.pools)

    def directness_of(self) -> Mapping[DirectnessElement, Directness]:
        return dict(self.directness)

    def directness_missing(self) -> list[DirectnessElement]:
        judged = {element for element, _ in self.directness}
        return [e for e in DirectnessElement if e not in judged]

    def directness_steps(self) -> int:
        """The worst element (indirect −1, very indirect −2), or the link's recorded
        indirectness concern if that is worse."""
        worst = max((_DIRECTNESS_STEP[j] for _, j in self.directness), default=0)
        return max(worst, concern_step(self.judgements.indirectness))

    def indirect_elements(self) -> list[str]:
        return [f"{e} {j}" for e, j in self.directness
                if j in (Directness.INDIRECT, Directness.VERY_INDIRECT)]

    @property
    def participants(self) -> int | None:
        return None if self.effect is None else self.effect.participants


@dataclass(frozen=True, slots=True)
class BodyJudgement:
    """A reviewer's judgement on one domain of a claim's whole body of evidence: a `Concern`
    value for the domains that rate down, an `Upgrade` value for those that rate up."""

    value: str
    reason: str


BodyJudgements = Mapping[BodyDomain, BodyJudgement]


def without_awaiting(evidence: Sequence[Evidence]) -> tuple[list[Evidence], list[str]]:
    """The evidence grading uses while adjudications are pending, and what is left out
    ("schwartzman2009 (stance)"): a link whose stance waits is dropped; one whose appraisal or
    directness waits keeps its stance but neither entry (not appraised, not judged)."""
    used: list[Evidence] = []
    left_out: list[str] = []
    for item in evidence:
        if not item.awaiting:
            used.append(item)
            continue
        kinds = [k.value for k in DualKind if k in item.awaiting]
        left_out.append(f"{' '.join(item.citation.split()) or 'unnamed'} ({', '.join(kinds)})")
        if DualKind.STANCE in item.awaiting:
            continue
        used.append(replace(
            item, awaiting=frozenset(),
            appraisal=None if DualKind.APPRAISAL in item.awaiting else item.appraisal,
            directness=() if DualKind.DIRECTNESS in item.awaiting else item.directness))
    return used, left_out


def is_counted(item: Evidence) -> bool:
    """Only verified, non-retracted citations count towards a verdict."""
    return item.verified and not item.retracted
