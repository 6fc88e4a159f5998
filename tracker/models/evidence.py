"""Evidence: claim-citation links and their directness, study appraisals, body-of-evidence
judgements, searches, review items, claim tags and wording decisions.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import CONCERN, Base, utcnow, vocabulary
from tracker.vocabulary import (
    AppraisalTool,
    AssertionStrength,
    BodyDomain,
    Certainty,
    ClaimStatus,
    Directness,
    DirectnessElement,
    PicoFacet,
    Pools,
    Stance,
    TagState,
    WordingDecisionKind,
)

if TYPE_CHECKING:
    from tracker.models.articles import Claim
    from tracker.models.citations import Citation


class EvidenceLink(Base):
    """How one citation bears on one claim: stance, where in the source, a note, concerns a
    reviewer recorded for this study on this claim (`Concern` values, NULL = not judged; two
    upgrade flags), the study's effect for the claim's outcome, and (`LinkDirectness`) how
    directly the study answers the claim."""

    __tablename__ = "evidence_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    citation_id: Mapped[int] = mapped_column(ForeignKey("citations.id"), index=True)
    stance: Mapped[str] = mapped_column(String(16), info=vocabulary(Stance))
    locator: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    risk_of_bias: Mapped[str | None] = mapped_column(String(16), info=CONCERN)
    inconsistency: Mapped[str | None] = mapped_column(String(16), info=CONCERN)
    indirectness: Mapped[str | None] = mapped_column(String(16), info=CONCERN)
    imprecision: Mapped[str | None] = mapped_column(String(16), info=CONCERN)
    publication_bias: Mapped[str | None] = mapped_column(String(16), info=CONCERN)
    large_effect: Mapped[bool] = mapped_column(Boolean, default=False)
    dose_response: Mapped[bool] = mapped_column(Boolean, default=False)
    # The study's effect on the claim's outcome, where a reviewer recorded it.
    effect_outcome: Mapped[str | None] = mapped_column(Text)
    effect_measure: Mapped[str | None] = mapped_column(String(32))
    effect_estimate: Mapped[float | None] = mapped_column(Float)
    effect_ci_low: Mapped[float | None] = mapped_column(Float)
    effect_ci_high: Mapped[float | None] = mapped_column(Float)
    participants: Mapped[int | None] = mapped_column(Integer)
    studies: Mapped[int | None] = mapped_column(Integer)
    follow_up: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    claim: Mapped[Claim] = relationship()
    citation: Mapped[Citation] = relationship()
    directness: Mapped[list[LinkDirectness]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="LinkDirectness.element")

    __mapper_args__ = {"version_id_col": version}
    # Links are deleted (unlink); AUTOINCREMENT stops SQLite from giving a removed link's id to
    # the next one, where a stale form's (id, version) would then edit the wrong link.
    __table_args__ = (UniqueConstraint("claim_id", "citation_id"), {"sqlite_autoincrement": True})


class LinkDirectness(Base):
    """How directly one linked study answers its claim on one element (`DirectnessElement`:
    population, intervention, comparator, outcome, setting), with why. No row: not judged."""

    __tablename__ = "link_directness"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_links.id", ondelete="CASCADE"), primary_key=True)
    element: Mapped[str] = mapped_column(String(16), primary_key=True,
                                         info=vocabulary(DirectnessElement))
    judgement: Mapped[str] = mapped_column(String(16), info=vocabulary(Directness))
    reason: Mapped[str] = mapped_column(Text)
    judged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    judged_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appraisal(Base):
    """A study's risk-of-bias appraisal, once per citation, with the tool its design calls for
    (`AppraisalTool`). `overall` is derived by the tool's own algorithm
    (`tracker.grading.overall_judgement`) from the domains; `pools` says, for a review, which
    designs it pools."""

    __tablename__ = "appraisals"

    id: Mapped[int] = mapped_column(primary_key=True)
    citation_id: Mapped[int] = mapped_column(ForeignKey("citations.id"), unique=True)
    tool: Mapped[str] = mapped_column(String(24), info=vocabulary(AppraisalTool))
    overall: Mapped[str] = mapped_column(String(24))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    pools: Mapped[str | None] = mapped_column(String(16), info=vocabulary(Pools))
    note: Mapped[str] = mapped_column(Text, default="")
    appraised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    appraised_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    citation: Mapped[Citation] = relationship()
    domains: Mapped[list[AppraisalDomain]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="AppraisalDomain.ordinal")

    __mapper_args__ = {"version_id_col": version}


class AppraisalDomain(Base):
    """One domain (or item) of an appraisal: the judgement and its one-line support."""

    __tablename__ = "appraisal_domains"

    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), primary_key=True)
    domain: Mapped[str] = mapped_column(String(8), primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    judgement: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)


class BodyJudgement(Base):
    """A reviewer's judgement on one GRADE domain of a claim's whole body of evidence
    (`BodyDomain`): it replaces the rules' proposal for that domain, and the explanation says
    so with the reason."""

    __tablename__ = "body_judgements"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    domain: Mapped[str] = mapped_column(String(32), primary_key=True,
                                        info=vocabulary(BodyDomain))
    value: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    judged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    judged_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceSearch(Base):
    """A reviewer looked for evidence on a claim: where, when, what was found (for "no
    evidence found", which says when it was looked for)."""

    __tablename__ = "evidence_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    searched_at: Mapped[datetime] = mapped_column(default=utcnow)
    searched_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sources: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")


class ReviewItem(Base):
    """What a review file last loaded for one item (a link, flag, appraisal, …): a digest of
    the item's state right after the load. A later load compares the item now with it: an
    item people changed or removed since is left as they left it (`tracker.services.review`)."""

    __tablename__ = "review_items"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    item: Mapped[str] = mapped_column(String(300), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimTag(Base):
    """A reviewer's decision on a PICO tag of a claim (`tracker.pico`): a rule's proposal
    confirmed or rejected, or a tag the reviewer added (`source` "reviewer"). Proposals
    themselves are not stored: the rules recompute them from the sentence."""

    __tablename__ = "claim_tags"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    facet: Mapped[str] = mapped_column(String(16), primary_key=True, info=vocabulary(PicoFacet))
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="rule")
    state: Mapped[str] = mapped_column(String(16), info=vocabulary(TagState))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class WordingDecision(Base):
    """An editor's decision on a proposed "overstated" flag (GRADE guideline 26,
    `tracker.grading.wording`), with the reading and the evidence it was made on: it applies
    while the sentence's strength, the allowed strength, the certainty and the status are
    unchanged; when the evidence moves, the proposal is made afresh. Append-only history."""

    __tablename__ = "wording_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16), info=vocabulary(WordingDecisionKind))
    strength: Mapped[str] = mapped_column(String(16), info=vocabulary(AssertionStrength))
    allowed_strength: Mapped[str] = mapped_column(String(16),
                                                  info=vocabulary(AssertionStrength))
    certainty: Mapped[str | None] = mapped_column(String(16), info=vocabulary(Certainty))
    status: Mapped[str] = mapped_column(String(24), info=vocabulary(ClaimStatus))
    suggestion: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
