"""An entry's decoded fields to a `CitationRecord`: validation, identifiers, container,
year, verification (the rules "Year", "Validation", "DOI", "Container", "Pages" and
"Verified" of docs/bibtex.md)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from tracker.bibtex.designs import design_from_label, detect_design
from tracker.bibtex.latex import WHITESPACE
from tracker.bibtex.model import CitationRecord, shown
from tracker.bibtex.names import parse_names

_DOI_PREFIX = re.compile(
    r"^(?:https?://(?=[^/\s]*doi)[^/\s]*/|doi:\s*|doi\s+)", re.IGNORECASE
)
_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")
#: Characters a DOI never holds: controls, and invisible format characters (zero-width
#: spaces and joiners, bidirectional marks and overrides, soft hyphens); any of them would
#: make one DOI look like two.
_INVISIBLE = frozenset(("Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn", "Cs"))

_PMID = re.compile(r"^(?:pmid:?\s*)?([0-9]{1,9})$", re.IGNORECASE)
_PAGE_DASH = re.compile(r"(?<=\w)[ ]*[-‐‑‒–—]+[ ]*(?=\w)")
_DATE_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_KEYWORD_SPLIT = re.compile(r"[,;]")


def normalise_doi(value: str) -> str | None:
    """A DOI in canonical form (NFC, lower case, no resolver address or "doi:" label), or
    None when it does not match ``10.NNNN/suffix`` with ASCII digits in the prefix, or holds
    an invisible or control character (zero-width, bidirectional, soft hyphen...)."""
    text = value.strip(WHITESPACE)
    doi = _DOI_PREFIX.sub("", text).strip(WHITESPACE)
    if doi != text and "%" in doi:  # taken from an address: undo its %-escapes
        doi = unquote(doi)
    if not doi.isascii():
        doi = unicodedata.normalize("NFC", doi)
        if any(unicodedata.category(c) in _INVISIBLE for c in doi):
            return None
    doi = doi.lower()
    return doi if _DOI.match(doi) else None


def normalise_pmid(value: str) -> str | None:
    """The digits of a PubMed id ("PMID: 123" -> "123"), or None."""
    match = _PMID.match(value.strip(WHITESPACE))
    if match is None:
        return None
    return match.group(1).lstrip("0") or None


def normalise_pages(value: str) -> str:
    """Display pages: every dash between two page parts becomes an en dash ("12--18" ->
    "12–18")."""
    if "-" not in value and "–" not in value and "—" not in value and "‐" not in value:
        return value
    return _PAGE_DASH.sub("–", value)


def plausible_year(text: str, latest: int) -> int | None:
    if len(text) == 4 and text.isdigit():
        year = int(text)
        if 1500 <= year <= latest:
            return year
    return None


def _year_from_date(text: str, latest: int) -> int | None:
    match = _DATE_YEAR.search(text)
    return plausible_year(match.group(1), latest) if match else None


def _keywords(text: str) -> tuple[str, ...]:
    return tuple(k for k in (part.strip(WHITESPACE) for part in _KEYWORD_SPLIT.split(text)) if k)


NO_KEY = "entry has no citation key; add one after the opening brace"
CONTAINER_FIELDS = (
    "journal",
    "journaltitle",
    "booktitle",
    "publisher",
    "institution",
    "howpublished",
)
_CONSUMED = frozenset(
    {"title", "author", "editor", "year", "volume", "number", "pages", "doi", "pmid", "isbn"}
    | {"url", "abstract", "keywords", "studydesign"}
)


def verification(extra: Mapping[str, str]) -> tuple[bool, str | None]:
    """(verified, note) from verifiedfrom / uncertain / seenat; see docs/bibtex.md."""
    verified_from = extra.get("verifiedfrom")
    uncertain = extra.get("uncertain")
    if verified_from is not None and uncertain is None:
        return True, verified_from
    seen_at = extra.get("seenat")
    if uncertain is not None:
        return False, f"{uncertain}; seen at: {seen_at}" if seen_at else uncertain
    return False, f"seen at: {seen_at}" if seen_at else None


@dataclass(slots=True)
class Draft:
    """An entry's fields after decoding, before validation; `issues` are (field, message)."""

    number: int
    key: str
    entry_type: str
    fields: dict[str, str]
    raw: str
    line: int
    issues: list[tuple[str | None, str]]
    digest: str = ""


def record_from_draft(draft: Draft, latest_year: int) -> CitationRecord | None:
    """Build the record, appending validation issues to the draft; None when invalid."""
    fields = draft.fields
    issues = draft.issues
    if not draft.key:
        issues.append((None, NO_KEY))
    title = fields.get("title") or None
    if title is None:
        issues.append(("title", "entry has no title; add a title field"))
    year: int | None = None
    year_text = fields.get("year")
    if year_text:
        year = plausible_year(year_text, latest_year)
        if year is None:
            issues.append(
                ("year", f"year '{shown(year_text)}' is not a plausible year (1500-{latest_year})")
            )
    elif "date" in fields:
        year = _year_from_date(fields["date"], latest_year)
    doi: str | None = None
    doi_text = fields.get("doi")
    if doi_text:
        doi = normalise_doi(doi_text)
        if doi is None:
            message = (f"DOI {shown(doi_text)!r} is malformed (expected 10.NNNN/suffix, "
                       "without invisible characters)")
            issues.append(("doi", message))
    if issues:
        return None
    return _build_record(draft, title, year, doi)


def _container_and_extra(fields: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    """The first container field present, and every field not stored elsewhere."""
    extra = {key: value for key, value in fields.items() if value and key not in _CONSUMED}
    for key in CONTAINER_FIELDS:
        value = fields.get(key)
        if value:
            del extra[key]
            return value, extra
    return None, extra


def _doi_from_url(url: str | None) -> str | None:
    if url is None or "doi" not in url or _DOI_PREFIX.match(url) is None:
        return None
    return normalise_doi(url)


def _pmid(fields: Mapping[str, str], extra: dict[str, str]) -> str | None:
    """The pmid field's number (a pmid that is not one is kept in `extra`), else the eprint
    of a biblatex ``eprinttype = pubmed``."""
    text = fields.get("pmid")
    if text:
        pmid = normalise_pmid(text)
        if pmid is None:
            extra["pmid"] = text
        return pmid
    if fields.get("eprinttype", "").lower() == "pubmed":
        return normalise_pmid(fields.get("eprint", ""))
    return None


def _build_record(
    draft: Draft, title: str | None, year: int | None, doi: str | None
) -> CitationRecord:
    fields = draft.fields
    container, extra = _container_and_extra(fields)
    url = fields.get("url") or None
    doi = doi or _doi_from_url(url)
    pmid = _pmid(fields, extra)
    authors, others = parse_names(fields["author"]) if "author" in fields else ((), False)
    editors = parse_names(fields["editor"])[0] if "editor" in fields else ()
    keywords = _keywords(fields["keywords"]) if "keywords" in fields else ()
    studydesign = fields.get("studydesign")
    if studydesign and design_from_label(studydesign) is None:
        extra["studydesign"] = studydesign
    abstract = fields.get("abstract") or None
    design, source, reason = detect_design(
        studydesign=studydesign,
        keywords=keywords,
        title=title,
        abstract=abstract,
        entry_type=draft.entry_type,
    )
    verified, note = verification(extra)
    pages = fields.get("pages")
    return CitationRecord(
        key=draft.key,
        entry_type=draft.entry_type,
        title=title,
        authors=authors,
        others=others,
        editors=editors,
        year=year,
        container=container,
        volume=fields.get("volume") or None,
        number=fields.get("number") or None,
        pages=normalise_pages(pages) if pages else None,
        doi=doi,
        pmid=pmid,
        isbn=fields.get("isbn") or None,
        url=url,
        abstract=abstract,
        keywords=keywords,
        design=design,
        design_source=source,
        design_reason=reason,
        verified=verified,
        verification_note=note,
        extra=extra,
        raw=draft.raw,
        line=draft.line,
        digest=draft.digest,
    )
