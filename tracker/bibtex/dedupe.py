"""Duplicates: the keys two records of one work share, and the merge rule (fill what the
kept record lacks, list conflicts, never overwrite), used within a file, across the files
of an import and against the database (the "Duplicates" rule of docs/bibtex.md)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, Protocol

from tracker.bibtex.designs import detect_design, studydesign_of
from tracker.bibtex.latex import CACHED_CHARS, decode_latex, is_plain
from tracker.bibtex.model import CitationRecord, Merge
from tracker.bibtex.names import people_text
from tracker.bibtex.records import verification
from tracker.vocabulary import DesignSource, StudyDesign

_FOLD = str.maketrans(
    {"ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ı": "i", "ŋ": "n"}
)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NON_WORD = re.compile(r"[\W_]+")


_ASCII_PUNCTUATION = str.maketrans(
    {char: " " for char in map(chr, range(128)) if not char.isalnum()}
)


def title_key(title: str) -> str:
    """A title reduced for matching: LaTeX, braces, punctuation, accents and case removed."""
    if len(title) > CACHED_CHARS:
        return _title_key(title)
    return _title_key_cached(title)


def _title_key(title: str) -> str:
    if not is_plain(title):
        title = decode_latex(title)
    text = title.casefold()
    if text.isascii():
        return " ".join(text.translate(_ASCII_PUNCTUATION).split())
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text).translate(_FOLD))
    return " ".join(_NON_WORD.sub(" ", text).split())


_title_key_cached = lru_cache(maxsize=1 << 16)(_title_key)


def dedupe_keys(record: CitationRecord) -> tuple[str | None, str | None, str | None]:
    """(doi, pmid, "title|year|first-author-family") - the last is None unless the record
    has a title, a year and a first author (or editor)."""
    first = record.authors[0] if record.authors else record.editors[0] if record.editors else None
    if record.title is None or record.year is None or first is None:
        return record.doi, record.pmid, None
    words = title_key(record.title)
    if not words:
        return record.doi, record.pmid, None
    return record.doi, record.pmid, f"{words}|{record.year}|{title_key(first.family)}"


MATCH_DOI = "doi"
MATCH_PMID = "pmid"
MATCH_TITLE = "title+year+first author"
MATCH_AS_WRITTEN = "key+entry text"  # an entry stored exactly as written (a re-import)


def duplicate_reason(kept: CitationRecord, incoming: CitationRecord) -> str | None:
    """Why two records are the same work ("doi", "pmid", "title+year+first author"), or None."""
    kept_keys, incoming_keys = dedupe_keys(kept), dedupe_keys(incoming)
    if kept_keys[0] is not None and kept_keys[0] == incoming_keys[0]:
        return MATCH_DOI
    if kept_keys[1] is not None and kept_keys[1] == incoming_keys[1]:
        return MATCH_PMID
    same_title = kept_keys[2] is not None and kept_keys[2] == incoming_keys[2]
    if same_title and compatible(kept, incoming):
        return MATCH_TITLE
    return None


def _first_page(pages: str | None) -> str | None:
    return pages.split("–")[0].strip().casefold() if pages else None


class Identifiers(Protocol):
    """What tells two works with the same title, year and first author apart."""

    @property
    def doi(self) -> str | None: ...
    @property
    def pmid(self) -> str | None: ...
    @property
    def volume(self) -> str | None: ...
    @property
    def number(self) -> str | None: ...
    @property
    def pages(self) -> str | None: ...


def compatible(kept: Identifiers, incoming: Identifiers) -> bool:
    """Records whose DOI, PMID, volume, number and first page do not contradict each other
    (same title, year and author but another issue or page is another work)."""
    pairs = (
        (kept.doi, incoming.doi),
        (kept.pmid, incoming.pmid),
        (kept.volume, incoming.volume),
        (kept.number, incoming.number),
        (_first_page(kept.pages), _first_page(incoming.pages)),
    )
    return not any(a and b and a != b for a, b in pairs)


class _FieldMerger:
    """Collects what a merge filled and where the two records disagreed."""

    def __init__(self) -> None:
        self.filled: list[str] = []
        self.conflicts: list[tuple[str, str, str]] = []

    def pick(
        self,
        name: str,
        kept: Any,
        incoming: Any,
        same: Callable[[Any, Any], bool] | None = None,
        show: Callable[[Any], str] = str,
    ) -> Any:
        if kept in (None, "", ()):
            if incoming not in (None, "", ()):
                self.filled.append(name)
                return incoming
            return kept
        if incoming in (None, "", ()):
            return kept
        equal = same(kept, incoming) if same is not None else kept == incoming
        if not equal:
            self.conflicts.append((name, show(kept), show(incoming)))
        return kept


def _same_title(a: str, b: str) -> bool:
    return a == b or title_key(a) == title_key(b)


def merge_records(
    kept: CitationRecord, incoming: CitationRecord, matched_on: str | None = None
) -> tuple[CitationRecord, Merge]:
    """Fold `incoming` into `kept`: fill what kept lacks, list conflicts, never overwrite."""
    merger = _FieldMerger()
    pick = merger.pick
    pick("entry_type", kept.entry_type, incoming.entry_type)
    title = pick("title", kept.title, incoming.title, same=_same_title)
    people = pick(
        "author",
        (kept.authors, kept.others) if kept.authors or kept.others else (),
        (incoming.authors, incoming.others) if incoming.authors or incoming.others else (),
        show=lambda value: people_text(*value),
    )
    authors, others = people if people else ((), False)
    editors = pick("editor", kept.editors, incoming.editors, show=people_text)
    year = pick("year", kept.year, incoming.year)
    container = pick("container", kept.container, incoming.container)
    volume = pick("volume", kept.volume, incoming.volume)
    number = pick("number", kept.number, incoming.number)
    pages = pick("pages", kept.pages, incoming.pages)
    doi = pick("doi", kept.doi, incoming.doi)
    pmid = pick("pmid", kept.pmid, incoming.pmid)
    isbn = pick("isbn", kept.isbn, incoming.isbn)
    url = pick("url", kept.url, incoming.url)
    abstract = pick("abstract", kept.abstract, incoming.abstract)
    new_keywords = tuple(k for k in incoming.keywords if k not in kept.keywords)
    if new_keywords:
        merger.filled.append("keywords")
    keywords = kept.keywords + new_keywords
    extra = dict(kept.extra)
    for key, value in incoming.extra.items():
        extra[key] = pick(key, extra.get(key), value)
    studydesign = pick("studydesign", studydesign_of(kept), studydesign_of(incoming))
    design: StudyDesign | None
    source: DesignSource
    if kept.design_source is DesignSource.CONFIRMED:  # a reviewer's word is never replaced
        design, source, reason = kept.design, kept.design_source, kept.design_reason
    elif incoming.design_source is DesignSource.CONFIRMED and studydesign == incoming.design:
        design, source, reason = incoming.design, incoming.design_source, incoming.design_reason
    else:
        design, source, reason = detect_design(
            studydesign=studydesign or extra.get("studydesign"),
            keywords=keywords,
            title=title,
            abstract=abstract,
            entry_type=kept.entry_type,
        )
    verified, note = verification(extra)
    merged = CitationRecord(
        key=kept.key,
        entry_type=kept.entry_type,
        title=title,
        authors=authors,
        others=others,
        editors=editors,
        year=year,
        container=container,
        volume=volume,
        number=number,
        pages=pages,
        doi=doi,
        pmid=pmid,
        isbn=isbn,
        url=url,
        abstract=abstract,
        keywords=keywords,
        design=design,
        design_source=source,
        design_reason=reason,
        verified=verified,
        verification_note=note,
        extra=extra,
        raw=kept.raw,
        line=kept.line,
        digest=kept.digest,
    )
    merge = Merge(
        kept_key=kept.key,
        merged_key=incoming.key,
        line=incoming.line or None,
        matched_on=matched_on or duplicate_reason(kept, incoming) or "manual",
        filled=tuple(merger.filled),
        conflicts=tuple(merger.conflicts),
    )
    return merged, merge


def merge_duplicates(
    records: Iterable[CitationRecord],
) -> tuple[list[CitationRecord], list[Merge], list[int]]:
    """Fold each record into an earlier one with the same DOI, PMID or (compatible) title key.

    Returns the kept records, the merges, and for each kept record the position of its first
    record in the input (so callers can keep track of where it came from)."""
    kept: list[CitationRecord] = []
    firsts: list[int] = []
    merges: list[Merge] = []
    by_doi: dict[str, int] = {}
    by_pmid: dict[str, int] = {}
    by_title: dict[str, int] = {}
    for position, record in enumerate(records):
        doi, pmid, tkey = dedupe_keys(record)
        index: int | None = None
        matched_on = ""
        if doi is not None and doi in by_doi:
            index, matched_on = by_doi[doi], MATCH_DOI
        elif pmid is not None and pmid in by_pmid:
            index, matched_on = by_pmid[pmid], MATCH_PMID
        elif tkey is not None and tkey in by_title and compatible(kept[by_title[tkey]], record):
            index, matched_on = by_title[tkey], MATCH_TITLE
        if index is None:
            index = len(kept)
            kept.append(record)
            firsts.append(position)
        else:
            kept[index], merge = merge_records(kept[index], record, matched_on)
            merges.append(merge)
            doi, pmid, tkey = dedupe_keys(kept[index])
        if doi is not None:
            by_doi.setdefault(doi, index)
        if pmid is not None:
            by_pmid.setdefault(pmid, index)
        if tkey is not None:
            by_title.setdefault(tkey, index)
    return kept, merges, firsts
