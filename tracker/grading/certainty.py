"""GRADE certainty of a claim's body of evidence — pure functions.

The body is rated as a whole, as GRADE does for one outcome (GRADE Handbook section 5;
Cochrane Handbook chapter 14): it **starts** from the design of the studies that carry it
(randomised high, non-randomised low, case series very low; a review from what it pools), is
**rated down** for risk of bias, inconsistency, indirectness, imprecision and publication bias,
and — only a non-randomised body with no serious limitation — **rated up** for a large effect,
a dose-response gradient or plausible confounding that would reduce the effect. Every step is
returned with its reason.

Nothing unassessed is read as "no concerns": while a study that carries the body has no
appraisal, a review's pooled designs are not recorded, a link's directness is not judged on
every element, or the participants behind the body are unknown (and no reviewer judged
imprecision), the certainty is **not assessed**, and the missing pieces are named.

The rules, each with its source, are in docs/grading.md (*Certainty of the body*); the
thresholds below are printed there and compared with it by tests/test_grading.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tracker.grading.appraisal import concern_steps
from tracker.grading.designs import CERTAINTY_ORDER, design_label, score
from tracker.grading.inputs import BodyJudgements, Evidence, concern_step
from tracker.vocabulary import BodyDomain, Certainty, Concern, DirectnessElement, Stance, Upgrade

__all__ = [
    "BALANCED_SHARE",
    "OPTIMAL_INFORMATION_SIZE",
    "FAR_BELOW_OIS",
    "BodyRating",
    "Step",
    "rate_body",
]

#: A rough optimal information size for a continuous outcome (GRADE guidelines 6, Guyatt et
#: al., J Clin Epidemiol 2011;64:1283-93): a body with fewer participants is imprecise.
OPTIMAL_INFORMATION_SIZE = 400
#: "Far less than the OIS" (GRADE guidance 34, Zeng et al., J Clin Epidemiol
#: 2022;150:216-24): rated down twice.
FAR_BELOW_OIS = 100
#: Evidence the other way carrying at least this share of the body's weight makes the
#: inconsistency very serious (the two directions are balanced).
BALANCED_SHARE = 0.4
#: "Most of the evidence" (GRADE guidelines 4 and 8): more than half the body's weight.
MAJORITY = 0.5


@dataclass(frozen=True, slots=True)
class Step:
    """One move of the rating: the starting point (change 0), a domain rated down (negative),
    up (positive) or not (0), with why."""

    domain: str
    change: int
    reason: str

    def text(self) -> str:
        sign = f"{self.change:+d} " if self.change else ""
        return f"{self.domain} {sign}({self.reason})" if self.domain != "start" else (
            f"starts {self.reason}")


@dataclass(frozen=True, slots=True)
class BodyRating:
    certainty: Certainty | None  # None: nothing GRADE rates bears on the claim
    steps: tuple[Step, ...]
    missing: tuple[str, ...]  # what must be recorded before a certainty can be given
    carrying: tuple[str, ...]  # the citations that carry the body

    def explanation(self) -> str:
        if self.certainty is None:
            return "certainty not rated: no study that GRADE rates bears on the claim"
        if self.certainty is Certainty.NOT_ASSESSED:
            return "certainty not assessed: needs " + "; ".join(self.missing)
        return f"certainty {self.certainty}: " + "; ".join(s.text() for s in self.steps)


def _names(items: Sequence[Evidence]) -> str:
    return ", ".join(" ".join(i.citation.split()) or "unnamed" for i in items)


def _weights(items: Sequence[Evidence]) -> tuple[Callable[[Evidence], float], str]:
    """Participants when every item records them, else one per study."""
    if items and all(i.participants for i in items):
        return (lambda i: float(i.participants or 0)), "participants"
    return (lambda i: 1.0), "studies"


def _share(items: Sequence[Evidence], pick: Callable[[Evidence], bool]) -> float:
    weight, _ = _weights(items)
    total = sum(weight(i) for i in items)
    return 0.0 if not total else sum(weight(i) for i in items if pick(i)) / total


def _rob_steps(item: Evidence) -> int:
    assert item.appraisal is not None
    own = concern_steps(item.appraisal.tool, item.appraisal.overall)
    return max(own, concern_step(item.judgements.risk_of_bias))


def _missing(carrying: Sequence[Evidence], body: BodyJudgements) -> list[str]:
    needs: list[str] = []
    unappraised = [i for i in carrying if i.appraisal is None]
    if unappraised:
        needs.append(f"an appraisal of {_names(unappraised)}")
    pools = [i for i in carrying if i.is_review and i.appraisal is not None and i.start() is None]
    if pools:
        needs.append(f"what {_names(pools)} pools")
    unjudged = [i for i in carrying if len(i.directness_missing()) == len(DirectnessElement)]
    if unjudged:
        needs.append(f"the directness of {_names(unjudged)} (population, intervention, "
                     "comparator, outcome, setting)")
    for item in carrying:
        missing = item.directness_missing()
        if missing and item not in unjudged:
            needs.append(f"the directness of {_names([item])} on "
                         + ", ".join(m.value for m in missing))
    if BodyDomain.IMPRECISION not in body:
        unknown = [i for i in carrying if not i.participants]
        if unknown:
            needs.append(f"the participants of {_names(unknown)} (or a reviewer's imprecision "
                         "judgement)")
    return needs


def _reviewed(body: BodyJudgements, domain: BodyDomain) -> tuple[int, str] | None:
    given = body.get(domain)
    if given is None:
        return None
    concern = Concern(given.value)
    return concern_step(concern), f"reviewer: {concern.value.replace('-', ' ')}, " + " ".join(
        given.reason.split())


def _majority_rule(carrying: Sequence[Evidence], steps: Callable[[Evidence], int],
                   what: tuple[str, str]) -> tuple[int, str]:
    any_share = _share(carrying, lambda i: steps(i) >= 1)
    high_share = _share(carrying, lambda i: steps(i) >= 2)
    _, unit = _weights(carrying)
    concerned = [i for i in carrying if steps(i) >= 1]
    if high_share > MAJORITY:
        return 2, f"very serious: most {unit} from {what[1]}: {_names(concerned)}"
    if any_share > MAJORITY:
        return 1, f"serious: most {unit} from {what[0]}: {_names(concerned)}"
    if concerned:
        verb = "carries" if len(concerned) == 1 else "carry"
        return 0, f"no: {_names(concerned)} {verb} less than half the {unit}"
    return 0, "no"


def _risk_of_bias(carrying: Sequence[Evidence], body: BodyJudgements) -> Step:
    own = _reviewed(body, BodyDomain.RISK_OF_BIAS)
    steps, why = own or _majority_rule(
        carrying, _rob_steps,
        ("studies with some concerns or high risk of bias", "studies at high risk of bias"))
    return Step("risk of bias", -steps, why)


def _inconsistency(body_items: Sequence[Evidence], body: BodyJudgements,
                   both_ways: bool) -> Step:
    link = max((concern_step(i.judgements.inconsistency) for i in body_items), default=0)
    weight, unit = _weights(body_items)
    total = sum(weight(i) for i in body_items) or 1.0
    against = sum(weight(i) for i in body_items if i.stance is Stance.CONTRADICTS)
    minority = min(against, total - against) / total
    if both_ways:
        steps = 2 if minority >= BALANCED_SHARE else 1
        why = (f"{'very serious' if steps == 2 else 'serious'}: credible evidence points both "
               f"ways ({minority:.0%} of the {unit} the other way)")
    else:
        steps, why = 0, "no"
    if link > steps:
        flagged = [i for i in body_items if concern_step(i.judgements.inconsistency) == link]
        steps, why = link, (f"{'very serious' if link == 2 else 'serious'}: heterogeneity "
                            f"recorded on {_names(flagged)}")
    own = _reviewed(body, BodyDomain.INCONSISTENCY)
    if own is not None:
        if both_ways and own[0] < 1:
            return Step("inconsistency", -max(steps, 1),
                        why + "; the reviewer's 'no' cannot apply while evidence points both "
                              "ways")
        return Step("inconsistency", -own[0], own[1])
    return Step("inconsistency", -steps, why)


def _indirectness(carrying: Sequence[Evidence], body: BodyJudgements) -> Step:
    own = _reviewed(body, BodyDomain.INDIRECTNESS)
    if own is not None:
        return Step("indirectness", -own[0], own[1])
    steps, why = _majority_rule(carrying, lambda i: i.directness_steps(),
                                ("indirect studies", "very indirect studies"))
    if steps:
        details = "; ".join(f"{i.citation}: {', '.join(i.indirect_elements()) or 'indirect'}"
                            for i in carrying if i.directness_steps())
        why += f" ({details})"
    return Step("indirectness", -steps, why)


def _imprecision(carrying: Sequence[Evidence], body: BodyJudgements, direction: Stance) -> Step:
    own = _reviewed(body, BodyDomain.IMPRECISION)
    if own is not None:
        return Step("imprecision", -own[0], own[1])
    total = sum(i.participants or 0 for i in carrying)
    reasons: list[str] = []
    steps = 0
    if total < FAR_BELOW_OIS:
        steps = 2
        reasons.append(f"{total} participants, far below the optimal information size of "
                       f"{OPTIMAL_INFORMATION_SIZE}")
    elif total < OPTIMAL_INFORMATION_SIZE:
        steps = 1
        reasons.append(f"{total} participants, below the optimal information size of "
                       f"{OPTIMAL_INFORMATION_SIZE}")
    if direction is Stance.SUPPORTS:
        main = max(carrying, key=lambda i: i.participants or 0)
        crosses = main.effect.crosses_no_effect() if main.effect else None
        if crosses:
            steps = min(2, steps + 1)
            reasons.append(f"the 95 % CI of {main.citation} includes no effect")
    link = max((concern_step(i.judgements.imprecision) for i in carrying), default=0)
    if link > steps:
        flagged = [i for i in carrying if concern_step(i.judgements.imprecision) == link]
        steps = link
        reasons.append(f"recorded on {_names(flagged)}")
    word = {0: "no", 1: "serious", 2: "very serious"}[steps]
    detail = "; ".join(reasons) or f"{total} participants"
    return Step("imprecision", -steps, f"{word}: {detail}")


def _publication_bias(carrying: Sequence[Evidence], body: BodyJudgements) -> Step:
    own = _reviewed(body, BodyDomain.PUBLICATION_BIAS)
    if own is not None:
        return Step("publication bias", -own[0], own[1])
    link = max((concern_step(i.judgements.publication_bias) for i in carrying), default=0)
    if link:
        flagged = [i for i in carrying if concern_step(i.judgements.publication_bias) == link]
        return Step("publication bias", -link, f"suspected on {_names(flagged)}")
    return Step("publication bias", 0, "not judged, not rated down")


def _upgrades(carrying: Sequence[Evidence], body: BodyJudgements, start: Certainty,
              rated_down: bool) -> list[Step]:
    claimed: list[tuple[str, int, str]] = []
    for domain, name in ((BodyDomain.LARGE_EFFECT, "large effect"),
                         (BodyDomain.DOSE_RESPONSE, "dose-response"),
                         (BodyDomain.PLAUSIBLE_CONFOUNDING, "plausible confounding")):
        given = body.get(domain)
        if given is not None and Upgrade(given.value) is not Upgrade.NONE:
            up = 2 if Upgrade(given.value) is Upgrade.VERY_LARGE else 1
            claimed.append((name, up, "reviewer: " + " ".join(given.reason.split())))
    for flag, name in (("large_effect", "large effect"), ("dose_response", "dose-response")):
        if carrying and all(getattr(i.judgements, flag) for i in carrying) and not any(
                c[0] == name for c in claimed):
            claimed.append((name, 1, f"recorded on {_names(carrying)}"))
    steps: list[Step] = []
    for name, up, why in claimed:
        if start is Certainty.HIGH:
            steps.append(Step(name, 0, f"not applied: a randomised body starts high; {why}"))
        elif rated_down:
            steps.append(Step(name, 0, f"not applied: the body was rated down (GRADE rates up "
                                       f"only a body with no serious limitation); {why}"))
        else:
            steps.append(Step(name, up, why))
    return steps


def rate_body(body_items: Sequence[Evidence], body: BodyJudgements, direction: Stance,
              both_ways: bool) -> BodyRating:
    """The certainty of a body: `body_items` are the counted, GRADE-rated studies bearing on
    the claim (both directions, as chosen by the status rules); `direction` is the way the body
    points (supports or contradicts); `both_ways` is true when credible evidence points the
    other way too."""
    starts = [(i, i.start()) for i in body_items]
    known = [s for _, s in starts if s is not None]
    unknown_start = [i for i, s in starts if s is None]
    if not body_items:
        return BodyRating(None, (), (), ())
    top = max(known, key=score) if known else None
    carrying = [i for i, s in starts if s is not None and s == top] + unknown_start
    missing = _missing(carrying, body)
    if top is None and not missing:
        missing = [f"what {_names(unknown_start)} pools"]
    names = tuple(i.citation for i in carrying)
    if missing or top is None:
        return BodyRating(Certainty.NOT_ASSESSED, (), tuple(missing), names)
    designs: dict[str, int] = {}
    for item in carrying:
        label = design_label(item.design)
        if item.is_review and item.pools is not None:
            label += f" pooling {item.pools.value} studies"
        designs[label] = designs.get(label, 0) + 1
    start = Step("start", 0, f"{top} ({', '.join(f'{n} × {d}' for d, n in designs.items())}: "
                             f"{_names(carrying)})")
    downs = [
        _risk_of_bias(carrying, body),
        _inconsistency(body_items, body, both_ways),
        _indirectness(carrying, body),
        _imprecision(carrying, body, direction),
        _publication_bias(carrying, body),
    ]
    rated_down = any(s.change < 0 for s in downs)
    ups = _upgrades(carrying, body, top, rated_down)
    total = score(top) + sum(s.change for s in downs + ups)
    final = CERTAINTY_ORDER[min(max(total, 0), len(CERTAINTY_ORDER) - 1)]
    return BodyRating(final, (start, *downs, *ups), (), names)
