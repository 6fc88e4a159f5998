"""The stored citations as BibTeX records, for the exports (bibtexparser is imported by the
reads that build them, not by every command that reads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker.models import Citation, Resource
from tracker.queries.citations import addressing, linked_to
from tracker.vocabulary import DesignSource, StudyDesign

if TYPE_CHECKING:
    from tracker import bibtex


def record_of(citation: Citation) -> bibtex.CitationRecord:
    """The stored citation as a BibTeX record (for export)."""
    from tracker import bibtex

    def people(rows: list[dict[str, Any]]) -> tuple[bibtex.Person, ...]:
        return tuple(bibtex.Person(family=p["family"], given=p.get("given", ""),
                                   corporate=bool(p.get("corporate"))) for p in rows)

    return bibtex.CitationRecord(
        key=citation.key, entry_type=citation.entry_type, title=citation.title or None,
        authors=people(citation.authors), others=citation.others,
        editors=people(citation.editors), year=citation.year, container=citation.container,
        volume=citation.volume, number=citation.number, pages=citation.pages,
        doi=citation.doi, pmid=citation.pmid, isbn=citation.isbn, url=citation.url,
        abstract=citation.abstract, keywords=tuple(citation.keywords),
        design=StudyDesign(citation.design) if citation.design else None,
        design_source=DesignSource(citation.design_source),
        design_reason=citation.design_reason, verified=citation.verified,
        verification_note=citation.verification_note, extra=dict(citation.extra),
        raw=citation.raw, line=citation.source_line or 0,
    )


def export_records(session: Session, *, document_id: int | None = None
                   ) -> list[bibtex.CitationRecord]:
    """Every citation, or those linked to a document's claims, questions or resources."""
    query = select(Citation).order_by(Citation.key)
    if document_id is not None:
        listed = select(Resource.citation_id).where(Resource.document_id == document_id)
        query = query.where(or_(Citation.id.in_(linked_to(document_id)),
                                Citation.id.in_(addressing(document_id)),
                                Citation.id.in_(listed)))
    return [record_of(c) for c in session.scalars(query)]
