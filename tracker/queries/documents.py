"""Documents and their sections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from tracker.errors import InvalidInput, NotFound
from tracker.models import Claim, Document, Resource, Section
from tracker.queries.statements import DOCUMENT, _for_document, _run, split_path

# --- documents -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    slug: str
    title: str
    source_path: str
    claims: int
    sections: int
    resources: int
    ingested_at: datetime
    updated_at: datetime
    # What the document says about itself (never claims); None where it said nothing.
    author: str | None
    published: str | None
    language: str | None
    source_url: str | None
    source_format: str


def documents(session: Session) -> list[DocumentRow]:
    return _documents(session)


def _documents(session: Session, document_id: int | None = None) -> list[DocumentRow]:
    """Every document (or one) with its live claim, section and resource counts: each table
    counted in one grouped pass, not once per document."""
    rows = _run(session, _documents_statement(document_id is not None),
                           _for_document(document_id))
    return [DocumentRow(*row) for row in rows]


@cache
def _documents_statement(one: bool) -> Select[Any]:
    def counted(model: Any, *where: Any) -> Any:
        if one:
            where += (model.document_id == bindparam(DOCUMENT),)
        return (select(model.document_id, func.count().label("n"))
                .where(model.retired.is_(False), *where).group_by(model.document_id).subquery())

    claims = counted(Claim, Claim.parent_id.is_(None))
    sections = counted(Section)
    resources = counted(Resource)
    query = (
        select(Document.id, Document.slug, Document.title, Document.source_path,
               func.coalesce(claims.c.n, 0), func.coalesce(sections.c.n, 0),
               func.coalesce(resources.c.n, 0), Document.ingested_at, Document.updated_at,
               Document.author, Document.published, Document.language, Document.source_url,
               Document.source_format)
        .outerjoin(claims, claims.c.document_id == Document.id)
        .outerjoin(sections, sections.c.document_id == Document.id)
        .outerjoin(resources, resources.c.document_id == Document.id)
        .order_by(Document.title)
    )
    return query.where(Document.id == bindparam(DOCUMENT)) if one else query


def resolve_document(session: Session, slug: str | None) -> Document:
    """The document named by `slug`, or the only one when there is just one."""
    if slug:
        document = session.scalar(select(Document).where(Document.slug == slug))
        if document is None:
            raise NotFound(f"no document {slug!r}; `tracker documents` lists them")
        return document
    found = list(session.scalars(select(Document).order_by(Document.id).limit(2)))
    if not found:
        raise NotFound("no document yet; `tracker ingest PATH` adds one")
    if len(found) > 1:
        raise InvalidInput("several documents are tracked; name one with --document SLUG")
    return found[0]


# --- sections --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectionRow:
    id: int
    title: str
    level: int
    kind: str
    path: list[str]
    ordinal: int
    claims: int


def sections(session: Session, document_id: int) -> list[SectionRow]:
    counts = (
        select(Claim.section_id, func.count().label("n"))
        .where(Claim.document_id == document_id, Claim.retired.is_(False),
               Claim.parent_id.is_(None))
        .group_by(Claim.section_id).subquery()
    )
    rows = session.execute(
        select(Section.id, Section.title, Section.level, Section.kind, Section.path_key,
               Section.ordinal, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.section_id == Section.id)
        .where(Section.document_id == document_id, Section.retired.is_(False))
        .order_by(Section.ordinal)
    )
    return [
        SectionRow(id=r[0], title=r[1], level=r[2], kind=r[3], path=split_path(r[4]),
                   ordinal=r[5], claims=r[6])
        for r in rows
    ]
