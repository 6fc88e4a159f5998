"""The schema: SQLAlchemy 2.0 typed models. Alembic revisions in `migrations/` create it.

Vocabulary columns store the string values of the enums in `tracker.vocabulary` (checked by the
service layer, readable in SQL). Timestamps are timezone-aware UTC. Rows that people edit
concurrently carry a `version` column used for optimistic locking.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tracker.vocabulary import (
    AppraisalTool,
    AssertionStrength,
    BodyDomain,
    Certainty,
    ClaimCategory,
    ClaimStatus,
    ClaimTrack,
    Concern,
    DesignSource,
    Directness,
    DirectnessElement,
    FlagKind,
    FlagState,
    Instrument,
    NoticeNature,
    PicoFacet,
    Pools,
    Priority,
    QuestionStatus,
    Role,
    SectionKind,
    Stance,
    Standing,
    StudyDesign,
    TagState,
    WordingDecisionKind,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def vocabulary(values: type[StrEnum]) -> dict[str, Any]:
    """A column's `info` naming the vocabulary (`tracker.vocabulary`) its values come from;
    what writes rows without the services (`tracker.backup`'s restore) checks them by it."""
    return {"vocabulary": values}


CONCERN = vocabulary(Concern)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns aware datetimes (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


# --- people and accountability ---------------------------------------------------------------


class User(Base):
    """Someone who reads or works in the tracker. `role` is a `Role` value."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), info=vocabulary(Role))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ApiToken(Base):
    """A credential for the command line on a shared database (`TRACKER_TOKEN`): an admin
    issues it (`tracker users token NAME`), it is shown once, and only its SHA-256 is kept
    (it is 32 random bytes, so a plain hash is enough). Issuing a new one revokes the user's
    others; revoked rows stay, as a record of what was issued when."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class BrowserSession(Base):
    """A dashboard sign-in that survives a reload of the page (`tracker.services.users`).

    The browser keeps a random token in a cookie; only its SHA-256 is stored, with the
    digest of the browser it was made in (`dashboard.sessions.client_binding`). It ends
    `SESSION_MAX_AGE` after `created_at`, `SESSION_IDLE_TIMEOUT` after `last_active_at`, or
    when the user signs out (`ended_at`); ended rows are deleted as new ones are made."""

    __tablename__ = "browser_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    binding: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()


class SignInAttempt(Base):
    """A failed password sign-in, kept for the rate limit's window (`tracker.services.users`).

    Keyed by the username as typed (lower-cased), not by a user: unknown names are limited
    too, so the limit reveals nothing about which names exist. Rows older than the window are
    deleted as new failures arrive; a successful sign-in deletes that name's rows."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (Index("ix_sign_in_attempts_username_at", "username", "at"),)


class AuditEvent(Base):
    """Append-only record of every write: who, when, what, and the values before and after."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)


# --- the tracked article ---------------------------------------------------------------------


class Document(Base):
    """A tracked article. `slug` is its stable identity across revisions of the source file."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    source_path: Mapped[str] = mapped_column(String(1000))
    source_format: Mapped[str] = mapped_column(String(16))
    source_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    # What the document says about itself (tracker.article.ArticleMetadata), never claims.
    author: Mapped[str | None] = mapped_column(String(500))
    published: Mapped[str | None] = mapped_column(String(32))  # ISO date when it could be read
    language: Mapped[str | None] = mapped_column(String(16))  # ISO 639-1
    source_url: Mapped[str | None] = mapped_column(String(2000))  # where a page was fetched
    #: The bytes as received when `source_text` is not them (a web page: `source_text` is its
    #: main content as Markdown, the text the spans refer to); None for text and Markdown.
    source_bytes: Mapped[bytes | None] = mapped_column(LargeBinary)
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    sections: Mapped[list[Section]] = relationship(
        back_populates="document", order_by="Section.ordinal"
    )
    claims: Mapped[list[Claim]] = relationship(
        back_populates="document", order_by="Claim.ordinal"
    )
    resources: Mapped[list[Resource]] = relationship(
        back_populates="document", order_by="Resource.ordinal"
    )

    __mapper_args__ = {"version_id_col": version}


#: Joins section titles in `Section.path_key`; cannot occur in a title.
PATH_SEPARATOR = "\x1f"


class Section(Base):
    """A heading (or FAQ question) of a document; a tree through `parent_id`.

    `path_key` (titles from the top down joined by ' › ') identifies a section across re-ingests.
    Sections that disappear from a revision are retired, never deleted: old claims point at them.
    """

    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"))
    level: Mapped[int] = mapped_column(Integer)
    ordinal: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16), info=vocabulary(SectionKind))
    path_key: Mapped[str] = mapped_column(String(2000))
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    document: Mapped[Document] = relationship(back_populates="sections")
    parent: Mapped[Section | None] = relationship(remote_side=[id])

    __table_args__ = (UniqueConstraint("document_id", "path_key"),)


class Claim(Base):
    """A checkable sentence of a document, verbatim, or a part of one that an editor split off.

    `fingerprint` identifies the wording; re-ingesting keeps the row (and its evidence) for
    unchanged and lightly edited sentences, and retires the ones that disappeared.
    """

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    restates_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32), index=True, info=vocabulary(ClaimCategory))
    category_rule: Mapped[str] = mapped_column(String(200), default="")
    fingerprint: Mapped[str] = mapped_column(String(32), index=True)
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The fragment items of the list this sentence introduces ("Symptoms include:" then
    #: "fever", "cough"), also written after the sentence in `text`; None without a list.
    list_items: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    retired_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The grade, kept current by the service layer (tracker.grading) so coverage is a GROUP BY.
    status: Mapped[str] = mapped_column(String(24), default="not-reviewed", index=True,
                                        info=vocabulary(ClaimStatus))
    certainty: Mapped[str | None] = mapped_column(String(16), info=vocabulary(Certainty))
    standing: Mapped[str | None] = mapped_column(String(20), info=vocabulary(Standing))
    # How the claim is graded (`ClaimTrack`): proposed by a rule from the sentence's words
    # (`track_source` "rule") until a reviewer chooses ("reviewer"), with why.
    track: Mapped[str] = mapped_column(String(16), default="effect",
                                       info=vocabulary(ClaimTrack))
    track_source: Mapped[str] = mapped_column(String(16), default="rule")
    track_reason: Mapped[str] = mapped_column(Text, default="")
    #: The grading rules' version this verdict was computed with (tracker.grading.RULES_VERSION):
    #: set-up regrades the claims graded under older rules.
    rules_version: Mapped[int] = mapped_column(Integer, default=0)
    explanation: Mapped[str] = mapped_column(Text, default="")
    requirement: Mapped[str] = mapped_column(Text, default="")
    # An editor's override of what the claim needs (None: follow the rules).
    override_min_count: Mapped[int | None] = mapped_column(Integer)
    override_designs: Mapped[list[str] | None] = mapped_column(JSON)
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    override_at: Mapped[datetime | None] = mapped_column()
    # An editor's sign-off, with the status it was given on (stale when the status moves on).
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column()
    signed_off_status: Mapped[str | None] = mapped_column(String(24),
                                                            info=vocabulary(ClaimStatus))

    document: Mapped[Document] = relationship(back_populates="claims")
    section: Mapped[Section | None] = relationship()
    parent: Mapped[Claim | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], back_populates="parts"
    )
    parts: Mapped[list[Claim]] = relationship(
        foreign_keys=[parent_id], back_populates="parent", order_by="Claim.ordinal"
    )
    restates: Mapped[Claim | None] = relationship(remote_side=[id], foreign_keys=[restates_id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # A document's live sentences (document_id = ? AND NOT retired AND parent_id IS NULL)
        # are read from this index alone when counted: coverage, the queue, document lists.
        Index("ix_claims_document_id_retired_parent_id", "document_id", "retired",
              "parent_id"),
        # Only parts have a parent: with every sentence in the index, SQLite's planner (which
        # has no statistics) took `parent_id IS NULL` for a selective condition.
        Index("ix_claims_parent_id", "parent_id",
              sqlite_where=sql_text("parent_id IS NOT NULL"),
              postgresql_where=sql_text("parent_id IS NOT NULL")),
    )


class Resource(Base):
    """A resource the document lists (e.g. its "Additional Resources" books), not a claim."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(Text, default="")
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    citation_id: Mapped[int | None] = mapped_column(ForeignKey("citations.id"))

    document: Mapped[Document] = relationship(back_populates="resources")
    citation: Mapped[Citation | None] = relationship()

    __table_args__ = (UniqueConstraint("document_id", "title"),)


class CitedSource(Base):
    """A study the document itself cites (tracker.article.cited): a PubMed, PMC, DOI or journal
    link, an identifier written out, or a "this 2023 review" phrase, with the sentence citing
    it. A candidate for a reviewer to import, verify and link; never evidence by itself.
    Replaced wholesale when the document is re-ingested (nothing refers to these rows)."""

    __tablename__ = "cited_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # doi, pmid, pmcid, journal, phrase
    identifier: Mapped[str] = mapped_column(String(1000))  # normalised
    url: Mapped[str | None] = mapped_column(Text)
    link_text: Mapped[str] = mapped_column(String(500), default="")
    sentence: Mapped[str] = mapped_column(Text, default="")
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)

    claim: Mapped[Claim | None] = relationship()


# --- the literature --------------------------------------------------------------------------


class Citation(Base):
    """A bibliographic record, imported from BibTeX (the original entry kept in `raw`).

    `design` is a `StudyDesign` value; `design_source` says whether the entry stated it, a rule
    suggested it (to be confirmed by a reviewer) or a reviewer set it. Only `verified`,
    non-`retracted` citations count as evidence.
    """

    __tablename__ = "citations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    entry_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    authors_text: Mapped[str] = mapped_column(Text, default="")
    first_author_key: Mapped[str] = mapped_column(Text, default="")
    others: Mapped[bool] = mapped_column(Boolean, default=False)
    editors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    year: Mapped[int | None] = mapped_column(Integer)
    container: Mapped[str | None] = mapped_column(Text)
    volume: Mapped[str | None] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(Text, unique=True)
    pmid: Mapped[str | None] = mapped_column(Text, unique=True)
    isbn: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    design: Mapped[str | None] = mapped_column(String(32), index=True,
                                                 info=vocabulary(StudyDesign))
    design_source: Mapped[str] = mapped_column(String(16), info=vocabulary(DesignSource))
    design_reason: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raw: Mapped[str] = mapped_column(Text, default="")
    #: SHA-256 of `raw` and the file's @string macros (`tracker.bibtex.entry_digest`): an
    #: entry with the same digest is this one as imported, so a re-import skips decoding it.
    #: None for citations stored before revision 0007 or made otherwise.
    entry_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    source_file: Mapped[str | None] = mapped_column(String(1000))
    source_line: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    verification_note: Mapped[str | None] = mapped_column(Text)
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    retraction_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_citations_dedupe", "title_key", "year"),)


class CitationTopic(Base):
    """A condition or route a citation is about (for the evidence gap map).

    `facet` is "condition" or "route"; `source` "rule" (from title/abstract) or "reviewer"."""

    __tablename__ = "citation_topics"

    citation_id: Mapped[int] = mapped_column(
        ForeignKey("citations.id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="rule")
    #: A reviewer's decision (`TagState`: "confirmed" or "rejected"; `tracker.services.tags`);
    #: NULL: nobody decided (a rule's proposal). The gap map leaves rejected tags out.
    state: Mapped[str | None] = mapped_column(String(16), info=vocabulary(TagState))
    #: The words of the title, abstract or keywords that made the rule propose it, as the
    #: reviewer saw them when deciding; NULL when not recorded.
    trigger: Mapped[str | None] = mapped_column(Text)
    # The primary key serves "topics of these citations". (An index on (facet, value) made
    # SQLite's planner read every topic row for one document's gap map.)



# --- evidence, flags and open questions ------------------------------------------------------


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


class Flag(Base):
    """An editor's flag on a claim: open, then resolved or dismissed, with who, when and why."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    kind: Mapped[str] = mapped_column(String(32), info=vocabulary(FlagKind))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open", info=vocabulary(FlagState))
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    claim: Mapped[Claim] = relationship()

    __mapper_args__ = {"version_id_col": version}
    # "Open flags of these claims": the queue's NOT EXISTS, open-flag counts and kinds. (No
    # index on state alone: three values, and SQLite's planner preferred it to this one.)
    __table_args__ = (Index("ix_flags_claim_id_state", "claim_id", "state"),)


class OpenQuestion(Base):
    """A research question the article raises, the claims it comes from and the citations
    that address it."""

    __tablename__ = "open_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), default="open",
                                        info=vocabulary(QuestionStatus))
    priority: Mapped[str] = mapped_column(String(16), default="medium",
                                          info=vocabulary(Priority))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("document_id", "slug"),)


class QuestionClaim(Base):
    __tablename__ = "question_claims"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("open_questions.id", ondelete="CASCADE"), primary_key=True
    )
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)


class QuestionEvidence(Base):
    __tablename__ = "question_evidence"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("open_questions.id", ondelete="CASCADE"), primary_key=True
    )
    citation_id: Mapped[int] = mapped_column(ForeignKey("citations.id"), primary_key=True)
    note: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusChange(Base):
    """Append-only history of claim statuses (NULL: not yet / no longer a live claim).

    Written whenever grading moves a claim, so coverage over time is a sum in SQL."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24), info=vocabulary(ClaimStatus))
    to_status: Mapped[str | None] = mapped_column(String(24), info=vocabulary(ClaimStatus))


# --- dual review -----------------------------------------------------------------------------


class DualReviewDocument(Base):
    """A document under dual review: each stance, study appraisal and link directness of its
    claims is entered independently by two reviewers (`DualEntry`), never written directly
    (`tracker.services.dual`). No row: single review."""

    __tablename__ = "dual_review_documents"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    required_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    required_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")


class ReviewAssignment(Base):
    """An editor gave a claim (its links' stance and directness) or a study (its appraisal) of
    a document to a pair of reviewers: only they may enter its judgements, and it is in their
    queues. `target` is "claim:ID" or "study:ID"."""

    __tablename__ = "review_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    target: Mapped[str] = mapped_column(String(32))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    citation_id: Mapped[int | None] = mapped_column(ForeignKey("citations.id"), index=True)
    first_reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    second_reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("document_id", "target"),)


class DualItem(Base):
    """One judgement two reviewers make independently (`DualKind`): the stance of a citation
    on a claim, a study's appraisal, or a link's directness; its `state` (`DualState`) and,
    once decided, how (agreed, an editor chose the first or second entry, or their own),
    why, and what became the record. `target` ("stance:CLAIM:CITATION", "appraisal:CITATION",
    "directness:CLAIM:CITATION") is unique: two reviewers entering at once share one item."""

    __tablename__ = "dual_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    citation_id: Mapped[int] = mapped_column(ForeignKey("citations.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), default="open", index=True)
    #: A study proposed for a claim under dual review (a candidate both reviewers then judge);
    #: None for a link that already existed.
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the second entry arrived: from then on both entries are visible to everyone.
    revealed_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision: Mapped[str | None] = mapped_column(String(16))  # agreed, first, second, own
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class DualEntry(Base):
    """One reviewer's independent entry on a `DualItem`: what they judged (`payload`: the
    stance, the appraisal's domains or the directness of each element, each with its reason).
    Hidden from everyone else until the item's second entry arrives."""

    __tablename__ = "dual_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("dual_items.id", ondelete="CASCADE"),
                                         index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    values: Mapped[list[DualEntryValue]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="DualEntryValue.field")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("item_id", "reviewer_id"),)


class DualEntryValue(Base):
    """One measured judgement of an entry — "stance", an appraisal's "rob2:D1" or
    "rob2:overall", a directness element "population" — so agreement is counted in SQL."""

    __tablename__ = "dual_entry_values"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("dual_entries.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(24))


# --- the article scorecard -------------------------------------------------------------------


class ScorecardRating(Base):
    """An editor's rating of one criterion of a document's scorecard (`tracker.scorecard`):
    HealthNewsReview's ("satisfactory", "not-satisfactory", "not-applicable") or DISCERN's
    ("1"–"5"), with why and what the rules proposed at the time (None: no proposal). No row:
    the rules' proposal stands. Each change is in the audit trail."""

    __tablename__ = "scorecard_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    instrument: Mapped[str] = mapped_column(String(16), info=vocabulary(Instrument))
    criterion: Mapped[str] = mapped_column(String(32))
    rating: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    proposed: Mapped[str | None] = mapped_column(String(24))
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    # The unique constraint's index serves "this document's ratings" too.
    __table_args__ = (UniqueConstraint("document_id", "instrument", "criterion"),)


class RetractionNotice(Base):
    """A notice about a cited paper (retraction, expression of concern, correction,
    reinstatement) read from the Retraction Watch database (`tracker citations
    check-retractions`), matched to the citation by DOI or PMID. A retraction also marks the
    citation `retracted` (it stops counting); the others are shown beside it."""

    __tablename__ = "retraction_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    citation_id: Mapped[int] = mapped_column(ForeignKey("citations.id", ondelete="CASCADE"),
                                             index=True)
    #: the database's "Record ID" (the notice's identity there)
    record_id: Mapped[str] = mapped_column(String(32))
    nature: Mapped[str] = mapped_column(String(32), info=vocabulary(NoticeNature))
    notice_date: Mapped[date | None] = mapped_column(Date)
    notice_doi: Mapped[str | None] = mapped_column(String(255))
    notice_pmid: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: "doi" or "pmid": what matched the citation
    matched_on: Mapped[str] = mapped_column(String(8))
    source_file: Mapped[str] = mapped_column(String(1000))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("citation_id", "record_id"),)
