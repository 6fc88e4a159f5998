"""How often two reviewers agree: percentage agreement and Cohen's kappa — pure functions.

Two reviewers judge the same items independently (`tracker.services.dual`); each measured
judgement (a link's stance, one domain of a study's appraisal, one element of a link's
directness) gives a square table of counts, rows the first reviewer's category and columns the
second's, over the categories of the judgement's scale. From it:

- **percentage agreement** p_o — the share of items on the diagonal;
- **Cohen's kappa** κ = (p_o − p_e) / (1 − p_e), where p_e = Σ p_i· p_·i is the agreement
  expected by chance from the two reviewers' own marginal shares (Cohen, Educ Psychol Meas
  1960;20:37-46);
- **weighted kappa** for ordered scales (Cohen, Psychol Bull 1968;70:213-20), with agreement
  weights w_ij = 1 − |i − j| / (k − 1) (linear, Cicchetti-Allison) or
  1 − (i − j)² / (k − 1)² (quadratic, Fleiss-Cohen), over the k categories of the whole scale
  (not only those used): p_o and p_e become Σ w_ij p_ij and Σ w_ij p_i· p_·j;
- a **95 % confidence interval** κ ± 1.96 · SE from the large-sample variance of Fleiss, Cohen
  and Everitt (Psychol Bull 1969;72:323-7), the same for every weighting:
  Var κ = [Σ p_ij (w_ij − (w̄_i· + w̄_·j)(1 − κ))² − (κ − p_e (1 − κ))²] / (n (1 − p_e)²),
  with w̄_i· = Σ_j p_·j w_ij and w̄_·j = Σ_i p_i· w_ij — the formula statsmodels'
  `cohens_kappa` and SAS PROC FREQ use. The interval is clipped to [−1, 1].

Kappa is undefined when chance agreement is certain (p_e = 1: both reviewers used one and the
same category for every item); it is then None and only the percentage is reported, with the
reason. tests/test_agreement.py compares every figure with scikit-learn and statsmodels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tracker.grading.appraisal import TOOLS
from tracker.vocabulary import AppraisalTool, Directness, DirectnessElement, Pools, Stance

__all__ = [
    "Z_95",
    "Agreement",
    "Kappa",
    "Measure",
    "Weighting",
    "agreement",
    "cohen_kappa",
    "contingency",
    "measure_of",
    "percent_agreement",
]

#: The standard normal quantile for a two-sided 95 % interval.
Z_95 = 1.959963984540054


class Weighting(StrEnum):
    """How far apart two categories of an ordered scale count as disagreeing."""

    NONE = "none"  # Cohen's kappa: any two different categories disagree fully
    LINEAR = "linear"
    QUADRATIC = "quadratic"


@dataclass(frozen=True, slots=True)
class Kappa:
    """A kappa with its large-sample standard error and 95 % CI (None where undefined)."""

    value: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    observed: float  # weighted observed agreement p_o
    expected: float  # weighted chance agreement p_e
    weighting: Weighting
    note: str = ""  # why the value is missing, when it is


@dataclass(frozen=True, slots=True)
class Agreement:
    """Agreement of two reviewers on one judgement over `n` items."""

    n: int
    agreed: int
    percent: float | None  # 0-100; None without items
    kappa: Kappa | None  # Cohen's (unweighted); None without items
    linear: Kappa | None  # weighted; None for a nominal scale or without items
    quadratic: Kappa | None
    note: str = ""  # why the weighted kappas are missing on an ordered scale


def contingency(pairs: Iterable[tuple[str, str]], categories: Sequence[str]
                ) -> list[list[int]]:
    """Counts of (first reviewer's category, second's): rows the first, columns the second,
    both in the order of `categories`. A category outside the scale is an error."""
    index = {c: n for n, c in enumerate(categories)}
    if len(index) != len(categories):
        raise ValueError("the categories of a scale must be distinct")
    table = [[0] * len(categories) for _ in categories]
    for first, second in pairs:
        if first not in index or second not in index:
            raise ValueError(f"({first!r}, {second!r}) is not on the scale "
                             + ", ".join(categories))
        table[index[first]][index[second]] += 1
    return table


def _weights(k: int, weighting: Weighting) -> list[list[float]]:
    if weighting is Weighting.NONE or k < 2:
        return [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    span = float(k - 1)
    if weighting is Weighting.LINEAR:
        return [[1.0 - abs(i - j) / span for j in range(k)] for i in range(k)]
    return [[1.0 - (i - j) ** 2 / span ** 2 for j in range(k)] for i in range(k)]


def percent_agreement(table: Sequence[Sequence[int]]) -> float | None:
    """The share of items both reviewers put in the same category, in per cent."""
    n = sum(sum(row) for row in table)
    if n == 0:
        return None
    return 100.0 * sum(table[i][i] for i in range(len(table))) / n


def cohen_kappa(table: Sequence[Sequence[int]],
                weighting: Weighting = Weighting.NONE) -> Kappa:
    """Cohen's kappa (weighted for LINEAR or QUADRATIC) of a square table of counts, with its
    standard error and 95 % CI (module docstring). Raises ValueError for an empty or
    non-square table."""
    k = len(table)
    if k == 0 or any(len(row) != k for row in table):
        raise ValueError("kappa needs a square table of counts")
    n = sum(sum(row) for row in table)
    if n == 0:
        raise ValueError("kappa needs at least one item")
    if any(c < 0 for row in table for c in row):
        raise ValueError("counts cannot be negative")
    w = _weights(k, weighting)
    p = [[table[i][j] / n for j in range(k)] for i in range(k)]
    rows = [sum(p[i]) for i in range(k)]
    cols = [sum(p[i][j] for i in range(k)) for j in range(k)]
    observed = sum(w[i][j] * p[i][j] for i in range(k) for j in range(k))
    expected = sum(w[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    if math.isclose(expected, 1.0, rel_tol=0.0, abs_tol=1e-12):
        return Kappa(None, None, None, None, observed, expected, weighting,
                     "undefined: both reviewers gave every item the same single category")
    kappa = (observed - expected) / (1.0 - expected)
    w_row = [sum(cols[j] * w[i][j] for j in range(k)) for i in range(k)]
    w_col = [sum(rows[i] * w[i][j] for i in range(k)) for j in range(k)]
    spread = sum(p[i][j] * (w[i][j] - (w_row[i] + w_col[j]) * (1.0 - kappa)) ** 2
                 for i in range(k) for j in range(k))
    variance = (spread - (kappa - expected * (1.0 - kappa)) ** 2) / (n * (1.0 - expected) ** 2)
    se = math.sqrt(max(variance, 0.0))
    return Kappa(kappa, se, max(kappa - Z_95 * se, -1.0), min(kappa + Z_95 * se, 1.0),
                 observed, expected, weighting)


def agreement(pairs: Iterable[tuple[str, str]], categories: Sequence[str], *,
              order: Sequence[str] | None = None) -> Agreement:
    """Everything reported for one judgement: n, agreed, percentage, Cohen's kappa over
    `categories` and — for a scale with an `order` (its ordered categories from one end to the
    other, e.g. low, some concerns, high) — the weighted kappas over that order. A judgement
    off the order ("no information", "not applicable") leaves the weighted kappas out, with
    the reason."""
    given = list(pairs)
    table = contingency(given, categories)
    n = sum(sum(row) for row in table)
    agreed = sum(table[i][i] for i in range(len(table)))
    if n == 0:
        return Agreement(0, 0, None, None, None, None)
    linear = quadratic = None
    note = ""
    if order is not None:
        off = sorted({v for pair in given for v in pair} - set(order))
        if off:
            note = (f"no weighted kappa: {', '.join(off)} is not on the ordered scale "
                    + " < ".join(order))
        else:
            ranked = contingency(given, order)
            linear = cohen_kappa(ranked, Weighting.LINEAR)
            quadratic = cohen_kappa(ranked, Weighting.QUADRATIC)
    return Agreement(n, agreed, percent_agreement(table), cohen_kappa(table), linear,
                     quadratic, note)


# --- what dual review measures ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """One judgement dual review measures agreement on: its label, its scale and, when the
    scale is ordered, its order (weighted kappa)."""

    field: str  # as stored with each entry: "stance", "rob2:D1", "population", …
    label: str  # "stance", "RoB 2 D1", "directness: population"
    kind: str  # DualKind value
    categories: tuple[str, ...]
    order: tuple[str, ...] | None


#: The ordered part of each tool's domain answers and overall judgements ("no information",
#: "not applicable" and JBI's "unclear" stand outside any order).
_ORDERED_ANSWERS: Mapping[AppraisalTool, tuple[str, ...] | None] = {
    AppraisalTool.ROB2: ("low", "some-concerns", "high"),
    AppraisalTool.ROBINS_I: ("low", "moderate", "serious", "critical"),
    AppraisalTool.AMSTAR2: ("yes", "partial-yes", "no"),
    AppraisalTool.JBI_CASE_SERIES: None,
    AppraisalTool.JBI_CASE_REPORT: None,
}
_ORDERED_OVERALL: Mapping[AppraisalTool, tuple[str, ...]] = {
    AppraisalTool.ROB2: ("low", "some-concerns", "high"),
    AppraisalTool.ROBINS_I: ("low", "moderate", "serious", "critical"),
    AppraisalTool.AMSTAR2: ("high", "moderate", "low", "critically-low"),
    AppraisalTool.JBI_CASE_SERIES: ("low", "some-concerns", "high"),
    AppraisalTool.JBI_CASE_REPORT: ("low", "some-concerns", "high"),
}
_DIRECTNESS_ORDER = (Directness.DIRECT.value, Directness.INDIRECT.value,
                     Directness.VERY_INDIRECT.value)


def measure_of(field: str) -> Measure:
    """The measure a stored entry value belongs to (ValueError for an unknown field)."""
    if field == "stance":
        return Measure(field, "stance", "stance", tuple(s.value for s in Stance), None)
    if field in {e.value for e in DirectnessElement}:
        return Measure(field, f"directness: {field}", "directness",
                       tuple(d.value for d in Directness), _DIRECTNESS_ORDER)
    name, _, part = field.partition(":")
    tool = AppraisalTool(name)
    spec = TOOLS[tool]
    if part == "overall":
        return Measure(field, f"{spec.name} overall", "appraisal", spec.overall,
                       _ORDERED_OVERALL[tool])
    if part == "pools":
        return Measure(field, f"{spec.name} pools", "appraisal",
                       tuple(p.value for p in Pools), None)
    if part == "escalate":
        return Measure(field, f"{spec.name} overall raised to high", "appraisal",
                       ("yes", "no"), None)
    domain = spec.domain(part)
    if domain is None:
        raise ValueError(f"{spec.name} has no domain {part!r}")
    return Measure(field, f"{spec.name} {domain.id}", "appraisal", spec.answers,
                   _ORDERED_ANSWERS[tool])
