"""Agreement statistics (`tracker.agreement`) against two reference implementations on fixed
tables: scikit-learn's `cohen_kappa_score` (kappa, linear and quadratic weighted kappa, from
the raw pairs) and statsmodels' `cohens_kappa` (the same from the table, with the large-sample
standard error and 95 % interval of Fleiss, Cohen & Everitt 1969). Both are development-only
dependencies (pyproject.toml, `dev`)."""

from __future__ import annotations

import math

import pytest

from tracker.agreement import (
    Weighting,
    agreement,
    cohen_kappa,
    contingency,
    percent_agreement,
)

sklearn_metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn (dev) is the "
                                      "reference for kappa")
inter_rater = pytest.importorskip("statsmodels.stats.inter_rater", reason="statsmodels (dev) "
                                  "is the reference for kappa's standard error")

#: statsmodels takes the square root of a variance that rounding made slightly negative
#: (perfect agreement) and warns; the test handles that case itself.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt")

ROB2 = ["low", "some-concerns", "high"]
ROBINS = ["low", "moderate", "serious", "critical"]
STANCES = ["supports", "contradicts", "mixed", "background"]

#: Fixed tables (rows: the first reviewer, columns: the second), on the scales they stand for.
TABLES: dict[str, tuple[list[str], list[list[int]]]] = {
    "two categories": (["yes", "no"], [[20, 5], [10, 15]]),
    "stance, nominal": (STANCES, [[31, 3, 2, 1], [2, 9, 1, 0], [3, 1, 4, 1], [1, 0, 1, 6]]),
    "RoB 2 domain": (ROB2, [[12, 4, 0], [3, 7, 2], [1, 2, 5]]),
    "ROBINS-I domain": (ROBINS, [[5, 2, 1, 0], [1, 9, 3, 0], [0, 2, 6, 1], [0, 0, 1, 3]]),
    "a category nobody used": (ROB2, [[8, 2, 0], [1, 6, 0], [0, 0, 0]]),
    "perfect agreement": (ROB2, [[4, 0, 0], [0, 3, 0], [0, 0, 2]]),
    "worse than chance": (["yes", "no"], [[1, 9], [8, 2]]),
    "small": (ROB2, [[1, 1, 0], [0, 1, 0], [0, 0, 1]]),
}


def pairs_of(categories: list[str], table: list[list[int]]) -> list[tuple[str, str]]:
    return [(categories[i], categories[j]) for i, row in enumerate(table)
            for j, count in enumerate(row) for _ in range(count)]


def reference(table: list[list[int]], weighting: Weighting) -> tuple[float, float, float, float]:
    """(kappa, se, ci_low, ci_high) from statsmodels."""
    if weighting is Weighting.NONE:
        result = inter_rater.cohens_kappa(table)
    else:
        result = inter_rater.cohens_kappa(table, wt=weighting.value)
    return (float(result.kappa), float(result.std_kappa), float(result.kappa_low),
            float(result.kappa_upp))


@pytest.mark.parametrize("name", list(TABLES))
@pytest.mark.parametrize("weighting", list(Weighting))
def test_kappa_matches_statsmodels_and_scikit_learn(name: str, weighting: Weighting) -> None:
    categories, table = TABLES[name]
    ours = cohen_kappa(table, weighting)
    assert ours.value is not None
    kappa, se, low, high = reference(table, weighting)
    assert ours.value == pytest.approx(kappa, abs=1e-12)
    if math.isnan(se):  # perfect agreement: a variance of zero that rounding made negative
        assert ours.se == pytest.approx(0.0, abs=1e-7)
        assert ours.ci_high == pytest.approx(1.0, abs=1e-12)
        return
    assert ours.se == pytest.approx(se, abs=1e-12)
    assert ours.ci_low == pytest.approx(max(low, -1.0), abs=1e-12)
    assert ours.ci_high == pytest.approx(min(high, 1.0), abs=1e-12)
    first, second = zip(*pairs_of(categories, table), strict=True)
    sk = sklearn_metrics.cohen_kappa_score(
        first, second, labels=categories,
        weights=None if weighting is Weighting.NONE else weighting.value)
    assert ours.value == pytest.approx(float(sk), abs=1e-12)


def test_the_two_category_table_by_hand() -> None:
    """p_o = 35/50 = 0.7; p_e = 0.5 · 0.6 + 0.5 · 0.4 = 0.5; κ = (0.7 − 0.5) / 0.5 = 0.4."""
    _, table = TABLES["two categories"]
    assert percent_agreement(table) == pytest.approx(70.0)
    result = cohen_kappa(table)
    assert (result.observed, result.expected) == (pytest.approx(0.7), pytest.approx(0.5))
    assert result.value == pytest.approx(0.4)


def test_weighted_kappa_counts_near_misses_on_an_ordered_scale() -> None:
    """'low' against 'some concerns' is a smaller disagreement than 'low' against 'high': with
    the same number of agreements, the table whose misses are adjacent has the higher
    weighted kappa, and the same unweighted one."""
    adjacent = [[5, 3, 0], [0, 5, 0], [0, 0, 5]]
    distant = [[5, 0, 3], [0, 5, 0], [0, 0, 5]]
    assert cohen_kappa(adjacent).value == pytest.approx(cohen_kappa(distant).value or 0)
    for weighting in (Weighting.LINEAR, Weighting.QUADRATIC):
        near, far = cohen_kappa(adjacent, weighting).value, cohen_kappa(distant, weighting).value
        assert near is not None and far is not None and near > far


def test_kappa_is_undefined_when_both_reviewers_always_say_the_same_one_thing() -> None:
    result = cohen_kappa([[6, 0], [0, 0]])
    assert result.value is None and result.se is None
    assert "same single category" in result.note
    assert percent_agreement([[6, 0], [0, 0]]) == 100.0


def test_the_interval_stays_within_minus_one_and_one() -> None:
    result = cohen_kappa([[1, 0], [0, 1]])
    assert result.value == 1.0
    assert result.ci_high is not None and result.ci_high <= 1.0
    assert result.ci_low is not None and result.ci_low >= -1.0


def test_agreement_reports_weighted_kappa_only_for_ordered_scales() -> None:
    categories, table = TABLES["RoB 2 domain"]
    ordered = agreement(pairs_of(categories, table), categories, order=categories)
    assert (ordered.n, ordered.agreed) == (36, 24)
    assert ordered.percent == pytest.approx(100 * 24 / 36)
    assert ordered.linear is not None and ordered.quadratic is not None
    categories, table = TABLES["stance, nominal"]
    nominal = agreement(pairs_of(categories, table), categories)
    assert nominal.kappa is not None and nominal.linear is None and nominal.quadratic is None
    empty = agreement([], ROB2, order=ROB2)
    assert (empty.n, empty.percent, empty.kappa) == (0, None, None)


def test_a_judgement_off_the_order_leaves_the_weighted_kappas_out() -> None:
    """ROBINS-I's "no information" is not between "low" and "critical": with it in a table,
    only the unweighted kappa is reported, and the note says why."""
    scale = [*ROBINS, "no-information"]
    pairs = [("low", "low"), ("moderate", "serious"), ("no-information", "low"),
             ("serious", "serious")]
    result = agreement(pairs, scale, order=ROBINS)
    assert result.kappa is not None and result.linear is None and result.quadratic is None
    assert result.note.startswith("no weighted kappa: no-information is not on the ordered")
    within = agreement(pairs[:2] + pairs[3:], scale, order=ROBINS)
    expected = cohen_kappa(contingency(pairs[:2] + pairs[3:], ROBINS), Weighting.LINEAR)
    assert within.linear == expected and within.note == ""


def test_bad_tables_and_categories_are_refused() -> None:
    with pytest.raises(ValueError, match="square"):
        cohen_kappa([[1, 2], [3]])
    with pytest.raises(ValueError, match="at least one item"):
        cohen_kappa([[0, 0], [0, 0]])
    with pytest.raises(ValueError, match="not on the scale"):
        contingency([("low", "unknown")], ROB2)
    assert math.isclose(sum(map(sum, contingency([("low", "high")], ROB2))), 1)
