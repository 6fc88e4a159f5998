"""Duplicates: the keys two records of one work share, and the merge rule (fill what the
kept record lacks, list conflicts, never overwrite), used within a file, across the files
of an import and against the database (the "Duplicates" rule of docs/bibtex.md)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any, Protocol

from tracker.bibtex.designs import detect_design, studydesign_of
from tracker.bibtex.latex import CACHED_CHARS, decode_latex, is_plain
from tracker.bibtex.model import CitationRecord, Merge, Person
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


#: The fields merged as they are, in the order their conflicts are listed (after the title
#: and the people); the import's merge into the database fills the same columns.
MERGED_FIELDS = ("year", "container", "volume", "number", "pages", "doi", "pmid", "isbn", "url",
                 "abstract")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == () or value == []


class FieldMerger:
    """The merge rule, one field at a time: a value fills a field the kept side lacks; where
    both have one and they differ, the kept one stays and (field, kept, ignored) is listed as
    a conflict. `merge_records` folds records with it, the import
    (`tracker.services.citations`) a record into a stored citation."""

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
        """The merged value of field `name` (`same` says when two values agree, `show` how a
        conflict quotes them)."""
        if _empty(kept):
            if not _empty(incoming):
                self.filled.append(name)
                return incoming
            return kept
        if _empty(incoming):
            return kept
        equal = same(kept, incoming) if same is not None else kept == incoming
        if not equal:
            self.conflicts.append((name, show(kept), show(incoming)))
        return kept


def same_title(a: str, b: str) -> bool:
    """Two titles of one work: equal, or equal once LaTeX, punctuation and case are gone."""
    return a == b or title_key(a) == title_key(b)


def merge_records(
    kept: CitationRecord, incoming: CitationRecord, matched_on: str | None = None
) -> tuple[CitationRecord, Merge]:
    """Fold `incoming` into `kept`: fill what kept lacks, list conflicts, never overwrite."""
    merger = FieldMerger()
    pick = merger.pick
    pick("entry_type", kept.entry_type, incoming.entry_type)
    title = pick("title", kept.title, incoming.title, same=same_title)
    authors, others = _merged_authors(merger, kept, incoming)
    editors = pick("editor", kept.editors, incoming.editors, show=people_text)
    fields = {name: pick(name, getattr(kept, name), getattr(incoming, name))
              for name in MERGED_FIELDS}
    new_keywords = tuple(k for k in incoming.keywords if k not in kept.keywords)
    if new_keywords:
        merger.filled.append("keywords")
    keywords = kept.keywords + new_keywords
    extra = dict(kept.extra)
    for key, value in incoming.extra.items():
        extra[key] = pick(key, extra.get(key), value)
    design, source, reason = _merged_design(merger, kept, incoming, replace(
        kept, title=title, abstract=fields["abstract"], keywords=keywords, extra=extra))
    verified, note = verification(extra)
    merged = replace(
        kept, title=title, authors=authors, others=others, editors=editors, **fields,
        keywords=keywords, design=design, design_source=source, design_reason=reason,
        verified=verified, verification_note=note, extra=extra)
    merge = Merge(
        kept_key=kept.key,
        merged_key=incoming.key,
        line=incoming.line or None,
        matched_on=matched_on or duplicate_reason(kept, incoming) or "manual",
        filled=tuple(merger.filled),
        conflicts=tuple(merger.conflicts),
    )
    return merged, merge


def _merged_authors(merger: FieldMerger, kept: CitationRecord, incoming: CitationRecord
                    ) -> tuple[tuple[Person, ...], bool]:
    """The authors and "and others" of the merge, as one field: the list is taken whole."""
    people = merger.pick(
        "author",
        (kept.authors, kept.others) if kept.authors or kept.others else (),
        (incoming.authors, incoming.others) if incoming.authors or incoming.others else (),
        show=lambda value: people_text(*value),
    )
    return people if people else ((), False)


def _merged_design(merger: FieldMerger, kept: CitationRecord, incoming: CitationRecord,
                   merged: CitationRecord) -> tuple[StudyDesign | None, DesignSource, str]:
    """The design of the merge: a confirmed one is never replaced, else detected again from
    the merged fields (`merged`: title, abstract, keywords and extra merged)."""
    studydesign = merger.pick("studydesign", studydesign_of(kept), studydesign_of(incoming))
    if kept.design_source is DesignSource.CONFIRMED:  # a reviewer's word is never replaced
        return kept.design, kept.design_source, kept.design_reason
    if incoming.design_source is DesignSource.CONFIRMED and studydesign == incoming.design:
        return incoming.design, incoming.design_source, incoming.design_reason
    return detect_design(
        studydesign=studydesign or merged.extra.get("studydesign"),
        keywords=merged.keywords,
        title=merged.title,
        abstract=merged.abstract,
        entry_type=kept.entry_type,
    )


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
