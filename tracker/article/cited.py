"""The article's own citations: links to PubMed, PMC, DOI and journal pages, identifiers written
out, and "this 2023 review" style references (pure).

They are what the article says it rests on: candidates for a reviewer to import, verify and
link with a stance, never evidence by themselves. Identifiers are normalised so the same
study cited twice is one identifier: a DOI in lower case without its resolver prefix, a PMID
as its digits, a PMCID as "PMC" and its digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = [
    "CitedKind",
    "Reference",
    "classify_link",
    "find_references",
    "normalise_doi",
    "normalise_pmcid",
    "normalise_pmid",
]

CitedKind = str  # "doi", "pmid", "pmcid", "journal" (a journal's page), "phrase"

_MD_LINK = re.compile(r"\[([^\[\]]{0,500})\]\((https?://[^\s()]{1,2000}(?:\([^\s()]*\))?[^\s()]*)\)")
_BARE_URL = re.compile(r"(?<![(\[])\bhttps?://[^\s<>\]\)\"']{1,2000}")
_DOI = re.compile(
    r"\b(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/[^\s\"'<>\]]{1,300})", re.I
)
_PMID = re.compile(r"\bPMID:?\s*(\d{1,9})\b")
_PMCID = re.compile(r"\b(PMC\d{4,10})\b")
#: "this 2023 review", "a 2019 study", "a 2021 meta-analysis of 12 trials": an article, a year.
_PHRASE = re.compile(
    r"(?i:\b(?:a|an|this|that|the|one|these|their|recent)\s+(?:(?:19|20)\d\d\s+)"
    r"(?:[\w-]+\s+){0,3}?(?:systematic\s+review|review|meta-analys[ie]s|study|studies|trial|trials"
    r"|analysis|survey|report|paper|cohort)\b)"
    r"|\b[A-Z][\w'’-]+\s+et\s+al\.?,?\s+\(?(?:19|20)\d\d[a-z]?\)?",
)
_TRAILING = ".,;:)]}>'\""

#: Hosts whose pages are journal articles (a link there is a citation even without a DOI).
_JOURNAL_HOSTS = (
    "nejm.org", "thelancet.com", "jamanetwork.com", "bmj.com", "nature.com",
    "sciencedirect.com", "springer.com", "springermedizin.de", "wiley.com", "tandfonline.com",
    "academic.oup.com", "plos.org", "frontiersin.org", "mdpi.com", "cochranelibrary.com",
    "karger.com", "sagepub.com", "ahajournals.org", "biomedcentral.com", "annals.org",
    "acpjournals.org", "cell.com", "science.org", "pnas.org", "elifesciences.org", "jci.org",
    "thieme-connect.com", "thieme-connect.de", "aerzteblatt.de", "egms.de", "scielo.org",
    "cdc.gov/mmwr", "jstage.jst.go.jp", "europepmc.org", "medrxiv.org", "biorxiv.org",
    "journals.lww.com", "atsjournals.org", "jto.org", "gastrojournal.org", "diabetesjournals.org",
)


@dataclass(frozen=True, slots=True)
class Reference:
    """One citation found in a stretch of text: where, what kind, the normalised identifier."""

    start: int  # span of the link or identifier in the text searched
    end: int
    kind: CitedKind
    identifier: str
    url: str | None
    link_text: str


def normalise_doi(value: str) -> str:
    """'https://doi.org/10.1056/NEJMoa123.' → '10.1056/nejmoa123' (resolver, 'doi:', URL
    escapes and trailing punctuation removed; lower case, as DOIs compare case-blind)."""
    doi = unquote(value.strip())
    doi = re.sub(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", "", doi, flags=re.I)
    doi = doi.rstrip(_TRAILING)
    if doi.count("(") < doi.count(")"):  # a closing bracket of the sentence, not of the DOI
        doi = doi[: doi.rfind(")")]
    return doi.casefold()


def normalise_pmid(value: str) -> str:
    return str(int(re.sub(r"\D", "", value)))


def normalise_pmcid(value: str) -> str:
    return "PMC" + str(int(re.sub(r"\D", "", value)))


def classify_link(url: str) -> tuple[CitedKind, str] | None:
    """(kind, normalised identifier) when `url` points at a study: a DOI resolver or a page
    whose path holds a DOI, PubMed or Europe PMC (PMID), PMC (PMCID), or a journal's site;
    None for any other link (the site's own pages, other health sites)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").casefold()
    path = unquote(parts.path)
    if host.endswith("doi.org") and path.startswith("/10."):
        return "doi", normalise_doi(path[1:])
    if match := re.search(r"/(PMC\d{4,10})\b", path, re.I):
        return "pmcid", normalise_pmcid(match.group(1))
    pubmed = host.endswith(("pubmed.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov"))
    if pubmed and (match := re.search(r"/(?:pubmed/)?(\d{1,9})/?$", path)):
        return "pmid", normalise_pmid(match.group(1))
    europe = host.endswith("europepmc.org")
    if europe and (match := re.search(r"/(?:MED|abstract/MED)/(\d+)", path)):
        return "pmid", normalise_pmid(match.group(1))
    if match := re.search(r"(10\.\d{4,9}/\S+)", path):
        return "doi", normalise_doi(match.group(1))
    if _journal_page(host, path):
        return "journal", url
    return None


def _journal_page(host: str, path: str) -> bool:
    for known in _JOURNAL_HOSTS:
        domain, _, prefix = known.partition("/")
        if (host == domain or host.endswith("." + domain)) and path.lstrip("/").startswith(prefix):
            return True
    return False


def find_references(text: str) -> list[Reference]:
    """Every citation in `text`, in order: Markdown links and bare URLs that `classify_link`
    accepts, DOIs, PMIDs and PMCIDs written out, and phrases naming a dated study ("a 2019
    review", "Smith et al. (2020)"). A stretch already taken by a link is not read again."""
    found: list[Reference] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return not any(a < end and start < b for a, b in taken)

    for match in _MD_LINK.finditer(text):
        kind = classify_link(match.group(2))
        taken.append((match.start(), match.end()))
        if kind is not None:
            found.append(Reference(match.start(), match.end(), kind[0], kind[1], match.group(2),
                                   " ".join(match.group(1).split())))
    for match in _BARE_URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if not free(match.start(), match.start() + len(url)):
            continue
        taken.append((match.start(), match.start() + len(url)))
        if (kind := classify_link(url)) is not None:
            found.append(Reference(match.start(), match.start() + len(url), kind[0], kind[1],
                                   url, ""))
    for pattern, kind_name, normalise in (
        (_DOI, "doi", normalise_doi), (_PMID, "pmid", normalise_pmid),
        (_PMCID, "pmcid", normalise_pmcid),
    ):
        for match in pattern.finditer(text):
            if free(match.start(), match.end()):
                taken.append((match.start(), match.end()))
                found.append(Reference(match.start(), match.end(), kind_name,
                                       normalise(match.group(1)), None, ""))
    for match in _PHRASE.finditer(text):
        if free(match.start(), match.end()):
            phrase = " ".join(match.group(0).split())
            found.append(Reference(match.start(), match.end(), "phrase", phrase, None, phrase))
    return sorted(found, key=lambda ref: (ref.start, ref.end))
