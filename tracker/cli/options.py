"""The options and arguments several commands share, each defined once: ids, `--as`,
`--json`, `--document`, and the judgements of an evidence link."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import typer

from tracker.errors import InvalidInput
from tracker.vocabulary import Concern

#: The largest id a row can have (the id columns are 32-bit on PostgreSQL).
MAX_ID = 2**31 - 1
ClaimId = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="a claim's number")]
LinkId = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="an evidence link's number")]
FlagId = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="a flag's number")]
VersionOpt = Annotated[int | None, typer.Option(min=1, max=MAX_ID,
                                                help="fail if it changed since this version")]
AsUser = Annotated[str | None, typer.Option("--as", help="act as this user (or TRACKER_USER)")]
JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
DocumentOpt = Annotated[str | None, typer.Option("--document", "-D", help="document slug")]
ReadAs = Annotated[str | None, typer.Option(
    "--as", help="read as this user (or TRACKER_USER): your own dual-review entries show; "
                 "nobody else's until both are in")]

ClaimOpt = Annotated[int | None, typer.Option("--claim", min=1, max=MAX_ID, help="a claim")]
_CONCERN_VALUES = "|".join([*(c.value for c in Concern), "not-judged"])
RiskOpt = Annotated[str | None, typer.Option(metavar=_CONCERN_VALUES,
    help="a concern on this link: risk of bias for this outcome (the study's appraisal is "
         "separate: `tracker appraise`)")]
InconsistencyOpt = Annotated[str | None, typer.Option(metavar=_CONCERN_VALUES,
    help="a concern on this link: inconsistency (e.g. heterogeneity inside a review)")]
IndirectnessOpt = Annotated[str | None, typer.Option(metavar=_CONCERN_VALUES,
    help="a concern on this link: indirectness overall (judge elements with --directness)")]
ImprecisionOpt = Annotated[str | None, typer.Option(metavar=_CONCERN_VALUES,
    help="a concern on this link: imprecision")]
PubBiasOpt = Annotated[str | None, typer.Option(metavar=_CONCERN_VALUES,
    help="a concern on this link: publication bias")]
LargeOpt = Annotated[bool | None, typer.Option("--large-effect/--no-large-effect",
                                               help="GRADE upgrade")]
DoseOpt = Annotated[bool | None, typer.Option("--dose-response/--no-dose-response",
                                              help="GRADE upgrade")]
DirectnessOpt = Annotated[list[str] | None, typer.Option(
    "--directness", metavar="ELEMENT=JUDGEMENT:REASON",
    help="directness of the study for this claim, per element (population, intervention, "
         "comparator, outcome, setting): direct, indirect, very-indirect, not-applicable "
         "(or not-judged to clear); repeat per element")]
OutcomeOpt = Annotated[str | None, typer.Option(help="effect: the outcome measured")]
MeasureOpt = Annotated[str | None, typer.Option(help="effect: SMD, MD, RR, OR, …")]
EstimateOpt = Annotated[float | None, typer.Option(help="effect: the point estimate")]
CiOpt = Annotated[str | None, typer.Option(metavar="LOW,HIGH", help="effect: the 95 % CI")]
ParticipantsOpt = Annotated[int | None, typer.Option(help="effect: participants analysed")]
StudiesOpt = Annotated[int | None, typer.Option(help="effect: studies pooled (reviews)")]
FollowUpOpt = Annotated[str | None, typer.Option("--follow-up", help="effect: time point")]


def _pairs(values: Sequence[str] | None, what: str) -> dict[str, tuple[str, str]]:
    """"KEY=VALUE:REASON" options → {KEY: (VALUE, REASON)} (the reason may hold colons)."""
    found: dict[str, tuple[str, str]] = {}
    for given in values or []:
        key, sep, rest = given.partition("=")
        value, _, reason = rest.partition(":")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInput(f"{what} {given!r}: write it as KEY=JUDGEMENT:REASON")
        found[key.strip()] = (value.strip(), reason.strip())
    return found


#: The GRADE judgements a reviewer records on one evidence link (the fields of
#: `tracker.grading.Judgements`), each an option of `link` and `judge`.
JUDGEMENT_OPTIONS: dict[str, Any] = {
    "risk_of_bias": RiskOpt, "inconsistency": InconsistencyOpt,
    "indirectness": IndirectnessOpt, "imprecision": ImprecisionOpt,
    "publication_bias": PubBiasOpt, "large_effect": LargeOpt, "dose_response": DoseOpt,
}
#: The study's effect on a link, each an option of `link` and `judge`.
EFFECT_OPTIONS: dict[str, Any] = {
    "outcome": OutcomeOpt, "measure": MeasureOpt, "estimate": EstimateOpt, "ci": CiOpt,
    "participants": ParticipantsOpt, "studies": StudiesOpt, "follow_up": FollowUpOpt,
}
_LINK_OPTIONS: dict[str, Any] = {**JUDGEMENT_OPTIONS, "directness": DirectnessOpt,
                                 **EFFECT_OPTIONS}


@dataclass(frozen=True, slots=True)
class LinkJudgements:
    """What `link` and `judge` record on an evidence link besides its stance: the GRADE
    judgements given, the directness per element, the study's effect."""

    judgements: dict[str, Any]
    directness: dict[str, tuple[str, str]]
    effect: dict[str, Any]


def judging_a_link(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with the options of `_LINK_OPTIONS` in place of its keyword-only parameter
    `judged`, which it receives as one `LinkJudgements`: the options are written once, and
    Typer reads them from the signature this returns."""
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name != "judged":
            parameters.append(parameter)
            continue
        parameters += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                         annotation=option)
                       for name, option in _LINK_OPTIONS.items()]

    @functools.wraps(command)
    def judged_command(*args: Any, **kwargs: Any) -> None:
        given = {name: kwargs.pop(name, None) for name in _LINK_OPTIONS}
        judged = LinkJudgements(
            judgements={k: (v.value if isinstance(v, Enum) else v)
                        for k in JUDGEMENT_OPTIONS if (v := given[k]) is not None},
            directness=_pairs(given["directness"], "--directness"),
            effect=_effect(**{k: given[k] for k in EFFECT_OPTIONS}))
        command(*args, judged=judged, **kwargs)

    judged_command.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters)
    judged_command.__annotations__ = {p.name: p.annotation for p in parameters}
    return judged_command


def _effect(outcome: str | None, measure: str | None, estimate: float | None,
            ci: str | None, participants: int | None, studies: int | None,
            follow_up: str | None) -> dict[str, Any]:
    effect: dict[str, Any] = {"outcome": outcome, "measure": measure, "estimate": estimate,
                              "participants": participants, "studies": studies,
                              "follow_up": follow_up}
    if ci is not None:
        low, sep, high = ci.partition(",")
        if not sep:
            raise InvalidInput(f"--ci {ci!r}: write it as LOW,HIGH (e.g. -1.2,-0.3)")
        effect.update(ci_low=low.strip(), ci_high=high.strip())
    return {k: v for k, v in effect.items() if v is not None}
