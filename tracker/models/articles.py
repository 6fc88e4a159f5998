"""The tracked article: documents, their sections, claims, listed resources and cited sources."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, utcnow, vocabulary
from tracker.vocabulary import (
    Certainty,
    ClaimCategory,
    ClaimStatus,
    ClaimTrack,
    SectionKind,
    Standing,
)

if TYPE_CHECKING:
    from tracker.models.citations import Citation


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
