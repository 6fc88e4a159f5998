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
    PRECLINICAL = "preclinical"  # animal or in-vitro
    PHARMACOLOGY = "pharmacology"  # human pharmacology, labels, PK studies
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
    """GRADE certainty of a body of evidence."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    VERY_LOW = "very-low"


class ClaimStatus(StrEnum):
    """The verdict on a claim given its linked evidence."""

    SUPPORTED = "supported"
    INSUFFICIENT = "insufficient"
    CONTESTED = "contested"
    UNSUPPORTED = "unsupported"


class FlagKind(StrEnum):
    UNSUPPORTED = "unsupported"
    OVERSTATED = "overstated"
    CONTESTED = "contested"
    OUTDATED = "outdated"
    UNVERIFIABLE_SOURCE = "unverifiable-source"
    OTHER = "other"


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
