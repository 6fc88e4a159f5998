"""Appraising one study with the tool its design calls for, and the tools' own algorithms for
the overall judgement — pure data and functions.

- **RoB 2** (Sterne et al., BMJ 2019;366:l4898; Cochrane Handbook chapter 8) for randomised
  trials: five domains, each low / some concerns / high. Overall: low when every domain is
  low; high when any domain is high; otherwise some concerns — or high when the appraiser
  judges that some concerns in several domains substantially lower confidence in the result
  (the tool's own option; it needs at least two such domains and a reason). Crossover trials
  may add the period and carryover domain (`DS`).
- **ROBINS-I** (Sterne et al., BMJ 2016;355:i4919; Cochrane Handbook chapter 25) for
  non-randomised studies of interventions: seven domains, each low / moderate / serious /
  critical / no information. Overall: the worst domain (critical > serious > moderate > low);
  no information when some domain lacks information and none is serious or critical.
- **AMSTAR 2** (Shea et al., BMJ 2017;358:j4008) for systematic reviews, meta-analyses and
  rapid reviews: sixteen items answered yes / partial yes / no / not applicable, seven of them
  critical (2, 4, 7, 9, 11, 13, 15). A "no" is a weakness (a flaw on a critical item).
  Overall confidence: high (at most one non-critical weakness), moderate (more than one
  non-critical weakness), low (one critical flaw), critically low (more than one).
- **JBI checklists** for case series (10 items; Munn et al., JBI Evid Synth 2020) and case
  reports (8 items; Moola et al., JBI Manual 2020): yes / no / unclear / not applicable.
  JBI gives no scoring; ours is fixed and documented in docs/grading.md: the share of
  applicable items answered yes — at least 70 % low concerns, 50–69 % some concerns, below
  50 % high concerns. GRADE already starts case series and case reports at very low, so this
  judgement cannot lower a certainty; it is required so that nothing counts unappraised.

`concern_steps()` turns an overall judgement into the steps it contributes to GRADE's risk of
bias domain for one study (docs/grading.md, *Risk of bias*).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tracker.vocabulary import AppraisalTool, Pools, StudyDesign

__all__ = [
    "TOOLS",
    "Domain",
    "DomainJudgement",
    "Tool",
    "concern_steps",
    "overall_judgement",
    "tool_for",
    "validate",
]


@dataclass(frozen=True, slots=True)
class Domain:
    """One domain (RoB 2, ROBINS-I) or item (AMSTAR 2, JBI) of a tool."""

    id: str
    name: str
    critical: bool = False  # AMSTAR 2's critical items
    optional: bool = False  # e.g. RoB 2's period and carryover domain for crossover trials


@dataclass(frozen=True, slots=True)
class Tool:
    tool: AppraisalTool
    name: str
    source: str
    domains: tuple[Domain, ...]
    answers: tuple[str, ...]  # the judgements a domain can take
    overall: tuple[str, ...]  # the overall judgements, best first

    def domain(self, domain_id: str) -> Domain | None:
        wanted = domain_id.strip().upper()
        return next((d for d in self.domains if d.id.upper() == wanted), None)

    @property
    def required(self) -> tuple[Domain, ...]:
        return tuple(d for d in self.domains if not d.optional)


@dataclass(frozen=True, slots=True)
class DomainJudgement:
    """A judgement on one domain with its one-line support (a quote or a locator)."""

    domain: str
    judgement: str
    reason: str


def _d(spec: str, *, critical: bool = False, optional: bool = False) -> Domain:
    ident, name = spec.split(" ", 1)
    return Domain(ident, name, critical, optional)


TOOLS: Mapping[AppraisalTool, Tool] = {t.tool: t for t in (
    Tool(AppraisalTool.ROB2, "RoB 2",
         "Sterne JAC et al. RoB 2: a revised tool for assessing risk of bias in randomised "
         "trials. BMJ 2019;366:l4898",
         (_d("D1 Bias arising from the randomisation process"),
          _d("D2 Bias due to deviations from intended interventions"),
          _d("D3 Bias due to missing outcome data"),
          _d("D4 Bias in measurement of the outcome"),
          _d("D5 Bias in selection of the reported result"),
          _d("DS Bias arising from period and carryover effects (crossover trials)",
             optional=True)),
         ("low", "some-concerns", "high"), ("low", "some-concerns", "high")),
    Tool(AppraisalTool.ROBINS_I, "ROBINS-I",
         "Sterne JAC et al. ROBINS-I: a tool for assessing risk of bias in non-randomised "
         "studies of interventions. BMJ 2016;355:i4919",
         (_d("D1 Bias due to confounding"),
          _d("D2 Bias in selection of participants into the study"),
          _d("D3 Bias in classification of interventions"),
          _d("D4 Bias due to deviations from intended interventions"),
          _d("D5 Bias due to missing data"),
          _d("D6 Bias in measurement of outcomes"),
          _d("D7 Bias in selection of the reported result")),
         ("low", "moderate", "serious", "critical", "no-information"),
         ("low", "moderate", "serious", "critical", "no-information")),
    Tool(AppraisalTool.AMSTAR2, "AMSTAR 2",
         "Shea BJ et al. AMSTAR 2: a critical appraisal tool for systematic reviews that "
         "include randomised or non-randomised studies of healthcare interventions, or both. "
         "BMJ 2017;358:j4008",
         (_d("1 Research questions and inclusion criteria include the components of PICO"),
          _d("2 Review methods established before the review (protocol), deviations justified",
             critical=True),
          _d("3 Selection of the study designs for inclusion explained"),
          _d("4 Comprehensive literature search strategy", critical=True),
          _d("5 Study selection performed in duplicate"),
          _d("6 Data extraction performed in duplicate"),
          _d("7 List of excluded studies with justification provided", critical=True),
          _d("8 Included studies described in adequate detail"),
          _d("9 Satisfactory technique for assessing risk of bias in included studies",
             critical=True),
          _d("10 Sources of funding of the included studies reported"),
          _d("11 Appropriate methods for statistical combination of results", critical=True),
          _d("12 Impact of risk of bias of individual studies on the meta-analysis assessed"),
          _d("13 Risk of bias of individual studies accounted for when interpreting results",
             critical=True),
          _d("14 Satisfactory explanation and discussion of heterogeneity"),
          _d("15 Adequate investigation of publication bias and its likely impact",
             critical=True),
          _d("16 Conflicts of interest reported, including funding of the review")),
         ("yes", "partial-yes", "no", "not-applicable"),
         ("high", "moderate", "low", "critically-low")),
    Tool(AppraisalTool.JBI_CASE_SERIES, "JBI checklist for case series",
         "Munn Z et al. Methodological quality of case series studies: an introduction to the "
         "JBI critical appraisal tool. JBI Evid Synth 2020;18(10):2127-33",
         (_d("1 Clear criteria for inclusion"),
          _d("2 Condition measured in a standard, reliable way for all participants"),
          _d("3 Valid methods used to identify the condition for all participants"),
          _d("4 Consecutive inclusion of participants"),
          _d("5 Complete inclusion of participants"),
          _d("6 Clear reporting of participants' demographics"),
          _d("7 Clear reporting of participants' clinical information"),
          _d("8 Outcomes or follow-up results clearly reported"),
          _d("9 Clear reporting of the presenting sites' or clinics' demographic information"),
          _d("10 Appropriate statistical analysis")),
         ("yes", "no", "unclear", "not-applicable"), ("low", "some-concerns", "high")),
    Tool(AppraisalTool.JBI_CASE_REPORT, "JBI checklist for case reports",
         "Moola S et al. Chapter 7: Systematic reviews of etiology and risk. In: Aromataris E, "
         "Munn Z (eds). JBI Manual for Evidence Synthesis, 2020 (appendix: case reports)",
         (_d("1 Patient's demographic characteristics clearly described"),
          _d("2 Patient's history clearly described and presented as a timeline"),
          _d("3 Current clinical condition on presentation clearly described"),
          _d("4 Diagnostic tests or assessment methods and results clearly described"),
          _d("5 Intervention or treatment procedure clearly described"),
          _d("6 Post-intervention clinical condition clearly described"),
          _d("7 Adverse or unanticipated events identified and described"),
          _d("8 The case report provides takeaway lessons")),
         ("yes", "no", "unclear", "not-applicable"), ("low", "some-concerns", "high")),
)}

_TOOL_FOR: Mapping[StudyDesign, AppraisalTool] = {
    StudyDesign.RCT: AppraisalTool.ROB2,
    StudyDesign.COHORT: AppraisalTool.ROBINS_I,
    StudyDesign.CASE_CONTROL: AppraisalTool.ROBINS_I,
    StudyDesign.META_ANALYSIS: AppraisalTool.AMSTAR2,
    StudyDesign.SYSTEMATIC_REVIEW: AppraisalTool.AMSTAR2,
    StudyDesign.RAPID_REVIEW: AppraisalTool.AMSTAR2,
    StudyDesign.CASE_SERIES: AppraisalTool.JBI_CASE_SERIES,
    StudyDesign.CASE_REPORT: AppraisalTool.JBI_CASE_REPORT,
}


def tool_for(design: StudyDesign | None) -> AppraisalTool | None:
    """The tool a design calls for; None for designs GRADE does not rate."""
    return None if design is None else _TOOL_FOR.get(design)


def validate(tool: AppraisalTool, judgements: Mapping[str, DomainJudgement],
             *, escalate: bool = False, pools: Pools | None = None) -> list[str]:
    """Every problem of an appraisal, each naming the domain: unknown domains and answers,
    missing required domains, missing reasons, an escalation RoB 2 does not allow."""
    spec = TOOLS[tool]
    problems: list[str] = []
    for key, given in judgements.items():
        domain = spec.domain(key)
        if domain is None:
            known = ", ".join(d.id for d in spec.domains)
            problems.append(f"{spec.name} has no domain {key!r} (domains: {known})")
        elif given.judgement not in spec.answers:
            problems.append(f"{spec.name} {domain.id}: {given.judgement!r} is not one of "
                            + ", ".join(spec.answers))
        elif not " ".join(given.reason.split()):
            problems.append(f"{spec.name} {domain.id}: a judgement needs a one-line reason "
                            "(a quote or a locator)")
    given_ids = {k.strip().upper() for k in judgements}
    missing = [d.id for d in spec.required if d.id.upper() not in given_ids]
    if missing:
        problems.append(f"{spec.name} needs a judgement on every domain; missing: "
                        + ", ".join(missing))
    if escalate:
        some = [j for j in judgements.values() if j.judgement == "some-concerns"]
        if tool is not AppraisalTool.ROB2:
            problems.append(f"only RoB 2 lets an appraiser raise the overall judgement; "
                            f"{spec.name} derives it")
        elif len(some) < 2:
            problems.append("RoB 2 raises 'some concerns' to 'high' only for some concerns "
                            "in several domains (at least two)")
    if tool is AppraisalTool.AMSTAR2 and pools is None:
        problems.append("AMSTAR 2: record which designs the review pools (randomised, "
                        "non-randomised, both or not-stated)")
    return problems


def _by_id(tool: AppraisalTool, judgements: Mapping[str, DomainJudgement]) -> dict[str, str]:
    spec = TOOLS[tool]
    out: dict[str, str] = {}
    for key, given in judgements.items():
        domain = spec.domain(key)
        if domain is not None:
            out[domain.id] = given.judgement
    return out


def overall_judgement(tool: AppraisalTool, judgements: Mapping[str, DomainJudgement],
                      *, escalate: bool = False) -> str:
    """The tool's own algorithm over validated judgements (see the module docstring)."""
    answers = _by_id(tool, judgements)
    values = list(answers.values())
    if tool is AppraisalTool.ROB2:
        if "high" in values:
            return "high"
        if "some-concerns" in values:
            return "high" if escalate and values.count("some-concerns") >= 2 else "some-concerns"
        return "low"
    if tool is AppraisalTool.ROBINS_I:
        for worst in ("critical", "serious", "no-information", "moderate"):
            if worst in values:
                return worst
        return "low"
    if tool is AppraisalTool.AMSTAR2:
        spec = TOOLS[tool]
        critical = sum(1 for d in spec.domains if d.critical and answers.get(d.id) == "no")
        other = sum(1 for d in spec.domains if not d.critical and answers.get(d.id) == "no")
        if critical > 1:
            return "critically-low"
        if critical == 1:
            return "low"
        return "moderate" if other > 1 else "high"
    applicable = [v for v in values if v != "not-applicable"]
    share = (sum(1 for v in applicable if v == "yes") / len(applicable)) if applicable else 0.0
    if share >= 0.7:
        return "low"
    return "some-concerns" if share >= 0.5 else "high"


#: How many steps an overall judgement takes off one study in GRADE's risk-of-bias domain.
_STEPS: Mapping[AppraisalTool, Mapping[str, int]] = {
    AppraisalTool.ROB2: {"low": 0, "some-concerns": 1, "high": 2},
    # Non-randomised studies already start low (GRADE 3): "moderate" is what a sound
    # non-randomised study reaches, so it takes nothing more off; "no information" is
    # treated like "serious" (the study cannot show it is not).
    AppraisalTool.ROBINS_I: {"low": 0, "moderate": 0, "serious": 1, "critical": 2,
                             "no-information": 1},
    AppraisalTool.AMSTAR2: {"high": 0, "moderate": 0, "low": 1, "critically-low": 2},
    AppraisalTool.JBI_CASE_SERIES: {"low": 0, "some-concerns": 1, "high": 2},
    AppraisalTool.JBI_CASE_REPORT: {"low": 0, "some-concerns": 1, "high": 2},
}


def concern_steps(tool: AppraisalTool, overall: str) -> int:
    """0 (no concern), 1 (serious) or 2 (very serious) for one study's risk of bias."""
    return _STEPS[tool][overall]
