"""The controlled vocabularies of the tracker, defined once.

Models, the CLI's choices, the dashboard's select boxes and the grading rules all use these
enums; the stored value is the enum's string value, so the database stays readable.
"""

from __future__ import annotations

from enum import StrEnum


class ClaimCategory(StrEnum):
    """What kind of statement a claim is; decides the evidence it needs by default."""

    MECHANISM = "mechanism"
    PHARMACOKINETICS = "pharmacokinetics"
    ADMINISTRATION = "administration"
    EFFICACY = "efficacy"
    BENEFIT = "benefit"
    ADVERSE_EFFECT = "adverse-effect"
    CONTRAINDICATION = "contraindication"
    EVIDENCE_SUMMARY = "evidence-summary"
    RESEARCH_DIRECTION = "research-direction"
    GENERAL = "general"


class SectionKind(StrEnum):
    """A heading of the article, or a question of its FAQ (whose answer follows it)."""

    HEADING = "heading"
    QUESTION = "question"


class StudyDesign(StrEnum):
    """Study designs, as recorded on a citation (BibTeX field `studydesign`)."""

    META_ANALYSIS = "meta-analysis"
    SYSTEMATIC_REVIEW = "systematic-review"
    RCT = "rct"
    COHORT = "cohort"  # non-randomised controlled / cohort
    CASE_CONTROL = "case-control"
    CASE_SERIES = "case-series"
    CASE_REPORT = "case-report"
    NARRATIVE_REVIEW = "narrative-review"
    GUIDELINE = "guideline"  # guideline or consensus statement
    RAPID_REVIEW = "rapid-review"  # a review with abbreviated methods (e.g. one reviewer)
    PRECLINICAL = "preclinical"  # animal or in-vitro
    PHARMACOLOGY = "pharmacology"  # human pharmacokinetic / pharmacodynamic study
    REGULATORY_LABEL = "regulatory-label"  # a regulator's label or prescribing information
    THESIS = "thesis"  # a graduate thesis or other unpublished (grey) literature
    BOOK = "book"
    OTHER = "other"


class DesignSource(StrEnum):
    """Where a citation's study design came from."""

    ENTRY = "entry"  # the BibTeX entry said so (studydesign field or keywords)
    SUGGESTED = "suggested"  # guessed from title/abstract by a rule; needs a reviewer
    CONFIRMED = "confirmed"  # a reviewer confirmed or set it
    UNKNOWN = "unknown"  # nothing to go on


class Stance(StrEnum):
    """How a cited study bears on a claim."""

    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"
    MIXED = "mixed"
    BACKGROUND = "background"


#: Citation Typing Ontology terms used in exports.
CITO_TERMS: dict[Stance, str] = {
    Stance.SUPPORTS: "cito:supports",
    Stance.CONTRADICTS: "cito:disputes",
    Stance.MIXED: "cito:discusses",
    Stance.BACKGROUND: "cito:citesAsEvidence",
}


class Concern(StrEnum):
    """A GRADE downgrading judgement: none, serious (-1) or very serious (-2)."""

    NONE = "none"
    SERIOUS = "serious"
    VERY_SERIOUS = "very-serious"


class Certainty(StrEnum):
    """GRADE certainty of a body of evidence; `not-assessed` while any study or link the body
    rests on has not been appraised or judged (never read as "no concerns")."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    VERY_LOW = "very-low"
    NOT_ASSESSED = "not-assessed"


class ClaimStatus(StrEnum):
    """The verdict on a claim given its linked evidence (docs/grading.md, *Status*)."""

    SUPPORTED = "supported"
    CONTESTED = "contested"
    CONTRADICTED = "contradicted"
    INSUFFICIENT = "insufficient"
    NO_EVIDENCE_FOUND = "no-evidence-found"
    NOT_REVIEWED = "not-reviewed"


#: How a status reads to people, everywhere (dashboard, exports, reports): one definition.
STATUS_LABELS: dict[ClaimStatus, str] = {
    ClaimStatus.SUPPORTED: "✔ supported",
    ClaimStatus.CONTESTED: "⚠ contested",
    ClaimStatus.CONTRADICTED: "✖ contradicted",
    ClaimStatus.INSUFFICIENT: "◐ insufficient evidence",
    ClaimStatus.NO_EVIDENCE_FOUND: "∅ no evidence found",
    ClaimStatus.NOT_REVIEWED: "○ not reviewed",
}
#: The same labels by the stored value (a row's `status`).
STATUS_LABELS_BY_VALUE: dict[str, str] = {s.value: label for s, label in STATUS_LABELS.items()}


class ClaimTrack(StrEnum):
    """How a claim is graded: an intervention's effect (GRADE certainty of the body of
    evidence) or a descriptive statement — mechanism, pharmacokinetics, description,
    frequency — judged established / plausible / not established."""

    EFFECT = "effect"
    DESCRIPTIVE = "descriptive"


class Standing(StrEnum):
    """The verdict of the descriptive track (docs/grading.md, *Descriptive claims*)."""

    ESTABLISHED = "established"
    PLAUSIBLE = "plausible"
    NOT_ESTABLISHED = "not-established"


class AppraisalTool(StrEnum):
    """The risk-of-bias (or quality) tool a study's design calls for."""

    ROB2 = "rob2"  # randomised trials (Cochrane RoB 2)
    ROBINS_I = "robins-i"  # non-randomised studies of interventions
    AMSTAR2 = "amstar2"  # systematic reviews, meta-analyses, rapid reviews
    JBI_CASE_SERIES = "jbi-case-series"  # JBI checklist for case series
    JBI_CASE_REPORT = "jbi-case-report"  # JBI checklist for case reports


class Pools(StrEnum):
    """Which designs a review pools: its GRADE starting point comes from them."""

    RANDOMISED = "randomised"
    NON_RANDOMISED = "non-randomised"
    BOTH = "both"
    NOT_STATED = "not-stated"


class DirectnessElement(StrEnum):
    """The PICO elements (and setting) on which a study can differ from a claim (GRADE 8)."""

    POPULATION = "population"
    INTERVENTION = "intervention"
    COMPARATOR = "comparator"
    OUTCOME = "outcome"
    SETTING = "setting"


class Directness(StrEnum):
    """How directly a study answers the claim on one element (GRADE 8)."""

    DIRECT = "direct"
    INDIRECT = "indirect"
    VERY_INDIRECT = "very-indirect"
    NOT_APPLICABLE = "not-applicable"  # e.g. the comparator of a single-arm series


class Upgrade(StrEnum):
    """A reviewer's judgement on a reason to rate a body up (GRADE 9): large effect takes
    `large` (+1) or `very-large` (+2); dose-response and plausible confounding `present` (+1)."""

    NONE = "none"
    PRESENT = "present"
    LARGE = "large"
    VERY_LARGE = "very-large"


class BodyDomain(StrEnum):
    """A reviewer's judgement on a claim's whole body of evidence (rating down or up)."""

    RISK_OF_BIAS = "risk_of_bias"
    INCONSISTENCY = "inconsistency"
    INDIRECTNESS = "indirectness"
    IMPRECISION = "imprecision"
    PUBLICATION_BIAS = "publication_bias"
    LARGE_EFFECT = "large_effect"
    DOSE_RESPONSE = "dose_response"
    PLAUSIBLE_CONFOUNDING = "plausible_confounding"


#: GRADE's five reasons to rate a body of evidence down, in GRADE's order: each takes a
#: `Concern`, on the body and on one study's link (where the link's columns carry these names).
DOWNGRADE_DOMAINS: tuple[BodyDomain, ...] = (
    BodyDomain.RISK_OF_BIAS, BodyDomain.INCONSISTENCY, BodyDomain.INDIRECTNESS,
    BodyDomain.IMPRECISION, BodyDomain.PUBLICATION_BIAS)

#: The reasons to rate a body up and the `Upgrade` values each takes (GRADE 9).
UPGRADE_VALUES: dict[BodyDomain, tuple[Upgrade, ...]] = {
    BodyDomain.LARGE_EFFECT: (Upgrade.NONE, Upgrade.LARGE, Upgrade.VERY_LARGE),
    BodyDomain.DOSE_RESPONSE: (Upgrade.NONE, Upgrade.PRESENT),
    BodyDomain.PLAUSIBLE_CONFOUNDING: (Upgrade.NONE, Upgrade.PRESENT),
}

#: The reasons to rate up a reviewer may also mark (yes or no) on one study's link; plausible
#: confounding is judged on the whole body only.
LINK_UPGRADES: tuple[BodyDomain, ...] = (BodyDomain.LARGE_EFFECT, BodyDomain.DOSE_RESPONSE)

#: How each GRADE domain reads to people (the dashboard's labels).
DOMAIN_LABELS: dict[BodyDomain, str] = {
    BodyDomain.RISK_OF_BIAS: "Risk of bias",
    BodyDomain.INCONSISTENCY: "Inconsistency",
    BodyDomain.INDIRECTNESS: "Indirectness",
    BodyDomain.IMPRECISION: "Imprecision",
    BodyDomain.PUBLICATION_BIAS: "Publication bias",
    BodyDomain.LARGE_EFFECT: "Large effect",
    BodyDomain.DOSE_RESPONSE: "Dose-response gradient",
    BodyDomain.PLAUSIBLE_CONFOUNDING: "Plausible confounding",
}


class FlagKind(StrEnum):
    UNSUPPORTED = "unsupported"
    OVERSTATED = "overstated"
    CONTESTED = "contested"
    OUTDATED = "outdated"
    UNVERIFIABLE_SOURCE = "unverifiable-source"
    OTHER = "other"


class NoticeNature(StrEnum):
    """What a notice about a published paper says (the Retraction Watch database's
    RetractionNature): only a retraction stops a study counting; the others are shown."""

    RETRACTION = "retraction"
    EXPRESSION_OF_CONCERN = "expression-of-concern"
    CORRECTION = "correction"
    REINSTATEMENT = "reinstatement"


class FlagState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class QuestionStatus(StrEnum):
    OPEN = "open"
    EMERGING = "emerging-evidence"
    ANSWERED = "answered"


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Role(StrEnum):
    """Roles, each including the rights of the ones before it."""

    VIEWER = "viewer"
    REVIEWER = "reviewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def includes(self, other: Role) -> bool:
        """True when this role has every right of `other`."""
        return self.rank >= other.rank


class DualKind(StrEnum):
    """A judgement two reviewers enter independently under dual review
    (`tracker.services.dual`): a link's stance, a study's appraisal, a link's directness."""

    STANCE = "stance"
    APPRAISAL = "appraisal"
    DIRECTNESS = "directness"


class DualState(StrEnum):
    """Where a dually reviewed judgement stands: waiting for its entries (`open`, the only
    state in which an entry is hidden from everyone but its reviewer), both entries agree and
    are the record, they differ and wait for an editor, or an editor decided."""

    OPEN = "open"
    AGREED = "agreed"
    AWAITING = "awaiting-adjudication"
    ADJUDICATED = "adjudicated"


class AssertionStrength(StrEnum):
    """How firmly a sentence asserts what it says (`tracker.grading.wording`), strongest
    first: stated as fact, "probably"/"likely", "may"/"might"/"could", or said to be
    uncertain. GRADE guideline 26 pairs each with a certainty of evidence."""

    CATEGORICAL = "categorical"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    UNCERTAIN = "uncertain"


class WordingVerdict(StrEnum):
    """A sentence's wording against the certainty of its evidence (GRADE guideline 26)."""

    OVERSTATED = "overstated"
    MATCHES = "matches"
    UNDERSTATED = "understated"
    NOT_COMPARED = "not compared"


class WordingDecisionKind(StrEnum):
    """An editor's decision on a proposed "overstated" flag: accepted (the flag is raised)
    or dismissed (with a reason)."""

    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


class PicoFacet(StrEnum):
    """What a PICO tag describes (`tracker.pico`): the condition or population, the setting,
    the route and the regimen of the intervention, the comparator, the outcome, the time
    frame. (`condition` and `route` are also the gap map's axes.)"""

    CONDITION = "condition"
    SETTING = "setting"
    ROUTE = "route"
    REGIMEN = "regimen"
    COMPARATOR = "comparator"
    OUTCOME = "outcome"
    TIME = "time"


class TagState(StrEnum):
    """A PICO tag: proposed by a rule, or confirmed or rejected by a reviewer."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Instrument(StrEnum):
    """An instrument of the article scorecard (docs/scorecard.md): HealthNewsReview.org's ten
    criteria, or DISCERN's sixteen questions (Charnock et al. 1999)."""

    HNR = "hnr"
    DISCERN = "discern"


class HnrRating(StrEnum):
    """HealthNewsReview.org's three ratings of a criterion."""

    SATISFACTORY = "satisfactory"
    NOT_SATISFACTORY = "not-satisfactory"
    NOT_APPLICABLE = "not-applicable"


#: DISCERN's 1–5 scale (1: no, 2–4: partially, 5: yes), stored as text beside HNR's ratings.
DISCERN_RATINGS: tuple[str, ...] = ("1", "2", "3", "4", "5")
