"""The verdict on one claim: status, certainty (effect claims) or standing (descriptive
claims), and a one-line explanation that shows every step. Pure.

Statuses (docs/grading.md, *Status*):

- **not reviewed** — nobody has linked anything to the claim or recorded a search for it;
- **no evidence found** — a reviewer looked (the search is recorded with its date) and nothing
  counted bears on the claim;
- **insufficient** — what is recorded does not reach what the claim needs (only sources still
  to check, only mixed or background evidence, or fewer or weaker studies than the sentence
  promises);
- **contested** — evidence against of comparable strength;
- **contradicted** — evidence against that is clearly stronger (or the only evidence there is);
- **supported** — what the claim needs, and no comparable evidence against.

"Strength" compares the two sides by GRADE certainty once every study on both sides is
appraised and every link's directness judged; before that, by design (GRADE's starting point)
and number, and the certainty waits ("supported — not yet appraised").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracker.grading.appraisal import concern_steps
from tracker.grading.certainty import BodyRating, Step, rate_body
from tracker.grading.designs import RANDOMISED_TIER, design_label, design_rank, score
from tracker.grading.inputs import (
    BodyJudgements,
    Evidence,
    concern_step,
    is_counted,
    without_awaiting,
)
from tracker.grading.requirements import ESTABLISHING, Requirement
from tracker.vocabulary import (
    Certainty,
    ClaimStatus,
    ClaimTrack,
    Directness,
    Stance,
    Standing,
    StudyDesign,
)

__all__ = [
    "AWAITING",
    "CLEARLY_OUTWEIGHS",
    "STANDING_ORDER",
    "STATUS_ORDER",
    "Verdict",
    "combine",
    "grade",
]

#: Weakest first: a compound claim takes the status of its weakest part.
STATUS_ORDER: tuple[ClaimStatus, ...] = (
    ClaimStatus.CONTRADICTED,
    ClaimStatus.CONTESTED,
    ClaimStatus.NO_EVIDENCE_FOUND,
    ClaimStatus.INSUFFICIENT,
    ClaimStatus.NOT_REVIEWED,
    ClaimStatus.SUPPORTED,
)
STANDING_ORDER: tuple[Standing, ...] = (
    Standing.NOT_ESTABLISHED, Standing.PLAUSIBLE, Standing.ESTABLISHED)

#: What a verdict's head says while a judgement it rests on waits for an editor's
#: adjudication under dual review (docs/grading.md, *Awaiting adjudication*).
AWAITING = "awaiting adjudication"

#: At equal strength, one side outweighs the other "clearly" with this many times its weight
#: (participants when every study on both sides records them, else studies).
CLEARLY_OUTWEIGHS = 3.0


@dataclass(frozen=True, slots=True)
class Verdict:
    status: ClaimStatus
    certainty: Certainty | None  # effect track; None when nothing GRADE rates bears on it
    standing: Standing | None  # descriptive track
    track: ClaimTrack
    explanation: str  # one line, starts with the status
    requirement: Requirement
    supporting: int = 0
    contradicting: int = 0
    mixed: int = 0
    background: int = 0
    not_counted: int = 0
    steps: tuple[Step, ...] = ()
    missing: tuple[str, ...] = ()
    searched: bool = False
    notes: tuple[str, ...] = field(default=())
    #: What waits for adjudication and is left out, e.g. "schwartzman2009 (stance)".
    awaiting: tuple[str, ...] = ()

    @property
    def headline(self) -> str:
        """"supported — not yet appraised", "contested", "supported (established)",
        "insufficient — awaiting adjudication" …"""
        if self.certainty is Certainty.NOT_ASSESSED:
            head = f"{self.status} — not yet appraised"
        elif self.standing is not None:
            head = f"{self.status} ({self.standing})"
        else:
            head = self.status.value
        return _awaiting_head(head, bool(self.awaiting))


def _awaiting_head(head: str, awaiting: bool) -> str:
    if not awaiting:
        return head
    return f"{head}, {AWAITING}" if " — " in head else f"{head} — {AWAITING}"


def _awaiting_clause(left_out: Sequence[str]) -> list[str]:
    if not left_out:
        return []
    return [f"left out until an editor adjudicates the reviewers' entries: "
            f"{', '.join(left_out)}"]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _names(items: Sequence[Evidence]) -> str:
    return ", ".join(_one_line(i.citation) or "unnamed" for i in items)


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
        ordered = sorted(designs.items(), key=lambda pair: design_rank(pair[0]))
        counts = ", ".join(f"{n} {design_label(d, n)}" for d, n in ordered)
        singular, plural = _VERBS[stance]
        groups.append(f"{counts} {singular if designs.total() == 1 else plural}")
    return ", ".join(groups)


def _not_counted(evidence: Sequence[Evidence]) -> list[str]:
    retracted = [_one_line(i.citation) or "unnamed" for i in evidence if i.retracted]
    unverified = [_one_line(i.citation) or "unnamed" for i in evidence
                  if not i.verified and not i.retracted]
    clauses: list[str] = []
    if unverified:
        clauses.append(f"{len(unverified)} unverified not counted (to check: "
                       f"{', '.join(unverified)})")
    if retracted:
        clauses.append(f"{len(retracted)} retracted not counted ({', '.join(retracted)})")
    return clauses


# --- strength of one study, for comparing the two sides ----------------------------------


def _assessed(item: Evidence) -> bool:
    return (item.appraisal is not None and item.start() is not None
            and not item.directness_missing())


def _strength(item: Evidence, by_certainty: bool) -> int:
    """By design (GRADE's start; a review whose pooling is unknown as randomised) — or, once
    everything is assessed, the study's own certainty for this claim: start minus its risk of
    bias, its link's indirectness and the concerns recorded on the link."""
    start = item.start()
    if not by_certainty:
        return score(start if start is not None else RANDOMISED_TIER)
    assert start is not None and item.appraisal is not None
    j = item.judgements
    down = (max(concern_steps(item.appraisal.tool, item.appraisal.overall),
                concern_step(j.risk_of_bias))
            + item.directness_steps() + concern_step(j.imprecision)
            + concern_step(j.inconsistency) + concern_step(j.publication_bias))
    return max(score(start) - down, 0)


@dataclass(frozen=True, slots=True)
class _Sides:
    status: ClaimStatus | None  # None: decided by the requirement (supported / insufficient)
    body: list[Evidence]
    direction: Stance
    both_ways: bool
    clause: str  # why, in words


def _weight_fn(items: Sequence[Evidence]) -> tuple[Callable[[Evidence], float], str]:
    if items and all(i.participants for i in items):
        return (lambda i: float(i.participants or 0)), "participants"
    return (lambda i: 1.0), "studies"


def _compare(support: list[Evidence], against: list[Evidence], unrated_support: bool) -> _Sides:
    """Weigh the GRADE-rated evidence for and against (docs/grading.md, *Status*)."""
    if not against:
        return _Sides(None, support, Stance.SUPPORTS, False, "")
    if not support:
        if unrated_support and all(i.start() is Certainty.VERY_LOW for i in against):
            return _Sides(ClaimStatus.CONTESTED, against, Stance.CONTRADICTS, True,
                          f"inconsistency: case reports or series against ({_names(against)}) "
                          "and only sources GRADE does not rate for")
        return _Sides(ClaimStatus.CONTRADICTED, against, Stance.CONTRADICTS, False,
                      f"evidence against ({_names(against)}) and no study GRADE rates for")
    by_certainty = all(_assessed(i) for i in support + against)
    basis = "certainty" if by_certainty else "design and number (not yet appraised)"
    best_for = max(_strength(i, by_certainty) for i in support)
    best_against = max(_strength(i, by_certainty) for i in against)
    diff = best_against - best_for
    top = max(best_for, best_against)
    credible_for = [i for i in support if _strength(i, by_certainty) >= top - 1]
    credible_against = [i for i in against if _strength(i, by_certainty) >= top - 1]
    if diff <= -2:
        return _Sides(None, support, Stance.SUPPORTS, False,
                      f"evidence against ({_names(against)}) much weaker by {basis}; "
                      "not credible against the support")
    if diff >= 2:
        return _Sides(ClaimStatus.CONTRADICTED, against, Stance.CONTRADICTS, False,
                      f"evidence against ({_names(against)}) clearly stronger by {basis}")
    weight, unit = _weight_fn(credible_for + credible_against)
    w_for = sum(weight(i) for i in credible_for) or 1.0
    w_against = sum(weight(i) for i in credible_against)
    ratio = w_against / w_for
    both = credible_for + credible_against
    tally = f"{unit}: {w_against:g} against, {w_for:g} for"
    if diff >= 0 and ratio >= CLEARLY_OUTWEIGHS:
        return _Sides(ClaimStatus.CONTRADICTED, both, Stance.CONTRADICTS, True,
                      f"evidence against ({_names(credible_against)}) comparable by {basis} "
                      f"and clearly outweighs the support ({tally}); inconsistency: the "
                      "evidence points both ways")
    if diff <= 0 and ratio <= 1 / CLEARLY_OUTWEIGHS:
        return _Sides(None, both, Stance.SUPPORTS, True,
                      f"evidence against ({_names(credible_against)}) comparable by {basis} "
                      f"but clearly outweighed ({tally}); inconsistency: the evidence points "
                      "both ways")
    return _Sides(ClaimStatus.CONTESTED, both, Stance.SUPPORTS, True,
                  f"comparable evidence against by {basis}: {_names(credible_against)} "
                  f"({tally}); inconsistency: the evidence points both ways")


# --- the two tracks ----------------------------------------------------------------------


def _qualifies(item: Evidence, requirement: Requirement, track: ClaimTrack) -> bool:
    if item.design in requirement.designs:
        return True
    # On the descriptive track a laboratory study counts when its link is judged direct.
    return (track is ClaimTrack.DESCRIPTIVE and item.design is StudyDesign.PRECLINICAL
            and not item.directness_missing() and item.directness_steps() == 0
            and requirement.designs >= ESTABLISHING)


def _requirement_met(support: Sequence[Evidence], requirement: Requirement,
                     track: ClaimTrack) -> bool:
    return sum(1 for i in support if _qualifies(i, requirement, track)) >= requirement.min_count


def _effect(counted: list[Evidence], requirement: Requirement, body: BodyJudgements
            ) -> tuple[ClaimStatus, BodyRating, str]:
    support = [i for i in counted if i.stance is Stance.SUPPORTS]
    rated_for = [i for i in support if i.rated]
    rated_against = [i for i in counted if i.stance is Stance.CONTRADICTS and i.rated]
    sides = _compare(rated_for, rated_against, unrated_support=bool(support))
    status = sides.status
    if status is None:
        status = (ClaimStatus.SUPPORTED if _requirement_met(support, requirement,
                                                            ClaimTrack.EFFECT)
                  else ClaimStatus.INSUFFICIENT)
    rating = rate_body(sides.body, body, sides.direction, sides.both_ways)
    return status, rating, sides.clause


_HUMAN_OR_AUTHORITY = ESTABLISHING


def _descriptive(counted: list[Evidence], requirement: Requirement
                 ) -> tuple[ClaimStatus, Standing, str]:
    """Established when a human study, a label or a guideline (or a laboratory study judged
    direct) supports it and none of those contradicts it; plausible when only secondary or
    indirect sources support it; not established otherwise."""
    def establishing(item: Evidence) -> bool:
        if item.design in _HUMAN_OR_AUTHORITY:
            return True
        return (item.design is StudyDesign.PRECLINICAL and not item.directness_missing()
                and item.directness_steps() == 0)

    def indirect(item: Evidence) -> bool:
        return any(j in (Directness.INDIRECT, Directness.VERY_INDIRECT) for _, j in item.directness)

    support = [i for i in counted if i.stance is Stance.SUPPORTS]
    strong_for = [i for i in support if establishing(i) and not indirect(i)]
    strong_against = [i for i in counted
                      if i.stance is Stance.CONTRADICTS and establishing(i) and not indirect(i)]
    if strong_for and strong_against:
        return (ClaimStatus.CONTESTED, Standing.NOT_ESTABLISHED,
                f"inconsistency: {_names(strong_for)} for, {_names(strong_against)} against")
    if strong_against:
        return (ClaimStatus.CONTRADICTED, Standing.NOT_ESTABLISHED,
                f"not established: {_names(strong_against)} against")
    if strong_for:
        if _requirement_met(support, requirement, ClaimTrack.DESCRIPTIVE):
            return (ClaimStatus.SUPPORTED, Standing.ESTABLISHED,
                    f"established by {_names(strong_for)}")
        return (ClaimStatus.INSUFFICIENT, Standing.PLAUSIBLE,
                f"plausible: {_names(strong_for)} support it, short of what it needs")
    if support:
        return (ClaimStatus.INSUFFICIENT, Standing.PLAUSIBLE,
                f"plausible: only secondary or indirect sources support it "
                f"({_names(support)})")
    return ClaimStatus.INSUFFICIENT, Standing.NOT_ESTABLISHED, "not established"


def grade(evidence: Sequence[Evidence], requirement: Requirement, track: ClaimTrack,
          body: BodyJudgements | None = None, *, searched: bool = False) -> Verdict:
    """The verdict on one claim (or one part of a split sentence).

    `body` holds the reviewers' judgements on the claim's whole body; `searched` says a
    reviewer recorded looking for evidence (for "no evidence found"). What waits for
    adjudication (`Evidence.awaiting`) is left out, and the head and the first clause say so."""
    body = body or {}
    evidence, left_out = without_awaiting(evidence)
    waiting = _awaiting_clause(left_out)
    counted = [i for i in evidence if is_counted(i)]
    by_stance = {s: [i for i in counted if i.stance is s] for s in Stance}
    counts: dict[str, Any] = dict(
        supporting=len(by_stance[Stance.SUPPORTS]),
        contradicting=len(by_stance[Stance.CONTRADICTS]), mixed=len(by_stance[Stance.MIXED]),
        background=len(by_stance[Stance.BACKGROUND]), not_counted=len(evidence) - len(counted),
        searched=searched, awaiting=tuple(left_out))
    bearing = by_stance[Stance.SUPPORTS] + by_stance[Stance.CONTRADICTS]
    tail = [c for c in (_summary(counted), *_not_counted(evidence)) if c]

    if not bearing:
        if not evidence and not searched:
            status = ClaimStatus.NOT_REVIEWED
            clauses = ["nothing else is recorded" if left_out
                       else "nobody has linked evidence or recorded a search"]
        elif searched and not any(i.stance is Stance.MIXED for i in counted):
            status = ClaimStatus.NO_EVIDENCE_FOUND
            clauses = ["a reviewer looked and recorded no study that bears on it", *tail]
        else:
            status = ClaimStatus.INSUFFICIENT
            clauses = ["no counted study supports or contradicts it", *tail]
        standing = Standing.NOT_ESTABLISHED if (
            track is ClaimTrack.DESCRIPTIVE and status is ClaimStatus.INSUFFICIENT) else None
        return Verdict(status, None, standing, track,
                       f"{_awaiting_head(status.value, bool(left_out))}: "
                       + "; ".join(waiting + clauses), requirement, **counts)

    if track is ClaimTrack.DESCRIPTIVE:
        status, standing, why = _descriptive(counted, requirement)
        clauses = waiting + _requirement_clause(status, requirement) + tail + [why]
        return Verdict(status, None, standing, track,
                       f"{_awaiting_head(f'{status} ({standing})', bool(left_out))}: "
                       + "; ".join(clauses), requirement, **counts)

    status, rating, why = _effect(counted, requirement, body)
    clauses = waiting + _requirement_clause(status, requirement) + tail + ([why] if why else [])
    clauses.append(rating.explanation())
    head = _awaiting_head(f"{status} — not yet appraised"
                          if rating.certainty is Certainty.NOT_ASSESSED else status.value,
                          bool(left_out))
    return Verdict(status, rating.certainty, None, track, f"{head}: " + "; ".join(clauses),
                   requirement, steps=rating.steps, missing=rating.missing, **counts)


def _requirement_clause(status: ClaimStatus, requirement: Requirement) -> list[str]:
    if status is not ClaimStatus.INSUFFICIENT:
        return []
    return [f"needs {requirement.description} ({_one_line(requirement.reason)})"]


# --- compound claims ---------------------------------------------------------------------


def combine(parts: Sequence[tuple[str, Verdict]]) -> Verdict:
    """One verdict for a sentence split into parts: the weakest part's status; the lowest
    certainty of its effect parts — none when any effect part has none, not assessed when
    any is not assessed — and the lowest standing of its descriptive parts."""
    if not parts:
        raise ValueError("a compound claim needs at least one part")
    verdicts = [v for _, v in parts]
    status = min((v.status for v in verdicts), key=STATUS_ORDER.index)
    effect = [v for v in verdicts if v.track is ClaimTrack.EFFECT]
    descriptive = [v for v in verdicts if v.track is ClaimTrack.DESCRIPTIVE]
    certainty: Certainty | None = None
    if effect:
        values = [v.certainty for v in effect]
        if any(c is None for c in values):
            certainty = None
        elif any(c is Certainty.NOT_ASSESSED for c in values):
            certainty = Certainty.NOT_ASSESSED
        else:
            certainty = min((c for c in values if c is not None), key=score)
    standing: Standing | None = None
    if descriptive and all(v.standing is not None for v in descriptive):
        standing = min((v.standing for v in descriptive if v.standing is not None),
                       key=STANDING_ORDER.index)
    labels = [_one_line(label) or f"part {n}" for n, (label, _) in enumerate(parts, start=1)]
    listing = "; ".join(f"{label} {v.headline}" + (f", certainty {v.certainty}"
                                                    if v.certainty else "")
                        for label, v in zip(labels, verdicts, strict=True))
    awaiting = tuple(a for v in verdicts for a in v.awaiting)
    head = _awaiting_head(f"{status} — not yet appraised" if certainty is Certainty.NOT_ASSESSED
                          else status.value, bool(awaiting))
    explanation = f"{head}: parts — {listing}"
    if status is ClaimStatus.CONTESTED:
        contested = [label for label, v in zip(labels, verdicts, strict=True)
                     if v.status is ClaimStatus.CONTESTED]
        explanation += (f"; inconsistency: credible evidence points both ways on "
                        f"{', '.join(contested)}")
    if effect:
        explanation += ("; certainty " + (certainty.value if certainty else "none")
                        + " (lowest of the parts; none when a part has none)")
    requirement = Requirement(
        min_count=max(v.requirement.min_count for v in verdicts),
        designs=frozenset().union(*(v.requirement.designs for v in verdicts)),
        description="each part graded on its own",
        reason=f"compound claim in {len(parts)} parts: {', '.join(labels)}",
    )
    track = ClaimTrack.EFFECT if effect else ClaimTrack.DESCRIPTIVE
    return Verdict(status, certainty, standing, track, explanation, requirement,
                   supporting=sum(v.supporting for v in verdicts),
                   contradicting=sum(v.contradicting for v in verdicts),
                   mixed=sum(v.mixed for v in verdicts),
                   background=sum(v.background for v in verdicts),
                   not_counted=sum(v.not_counted for v in verdicts),
                   searched=any(v.searched for v in verdicts), awaiting=awaiting)
