"""The literature: citations and their topics (conditions and routes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, utcnow, vocabulary
from tracker.vocabulary import (
    DesignSource,
    StudyDesign,
    TagState,
)


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
