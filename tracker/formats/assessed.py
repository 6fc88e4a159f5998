"""The plain data the claim-level exports (Web Annotation, CiTO, FHIR) are written from, and
the public addresses of a study (DOI, PubMed, PubMed Central). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

__all__ = ["Article", "AssessedClaim", "Study", "identifier_links", "study_iri"]


@dataclass(frozen=True, slots=True)
class Study:
    """A study linked to a claim, with the link's stance."""

    key: str
    title: str
    year: int | None
    authors: str
    doi: str | None
    pmid: str | None
    pmcid: str | None
    stance: str
    cito: str
    verified: bool
    retracted: bool
    design: str | None = None
    effect: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AssessedClaim:
    """A claim of the article as graded: where it stands in the text (None when its span is
    unknown), its verdict and its evidence."""

    id: int
    text: str
    section: tuple[str, ...]
    status: str
    certainty: str | None
    explanation: str
    track: str
    span: tuple[int, int] | None
    studies: tuple[Study, ...]
    #: judgements of the whole body of evidence: (GRADE domain, value, reason)
    body: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    title: str
    #: the page's address, else the file it was read from
    address: str
    text: str
    language: str | None


def identifier_links(doi: str | None, pmid: str | None, pmcid: str | None = None
                     ) -> list[tuple[str, str]]:
    """(label, address) of a study's DOI, PubMed and PubMed Central pages, those it has."""
    links: list[tuple[str, str]] = []
    if doi:
        links.append((f"doi:{doi}", f"https://doi.org/{quote(doi, safe='/:;()._-')}"))
    if pmid and pmid.isdigit():
        links.append((f"PMID {pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"))
    if pmcid and pmcid.upper().startswith("PMC") and pmcid[3:].isdigit():
        links.append((pmcid.upper(),
                      f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid.upper()}/"))
    return links


def study_iri(study: Study) -> str:
    """The study's address: its DOI, else its PubMed page, else a URN from its key."""
    links = identifier_links(study.doi, study.pmid)
    return links[0][1] if links else f"urn:evidence-tracker:citation:{quote(study.key)}"
