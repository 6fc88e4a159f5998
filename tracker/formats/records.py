"""The record-level half of every non-BibTeX import: a format's reader turns each of its
records into `Fields` (plain Unicode values in the tracker's terms, with where the record
starts), and `parse_records` turns those into the same `bibtex.ParsedBib` the BibTeX reader
gives, so the import service merges, matches and writes every format alike. Pure.

Rules shared by RIS, PubMed (MEDLINE) and CSL-JSON, the same as BibTeX's where they meet:

- Limits (`tracker.limits`): a text over `MAX_BIB_TEXT_CHARS`, or with more than
  `MAX_BIB_BLOCKS` records, is one "too-large" problem (the import is refused whole); a record
  over `MAX_ENTRY_CHARS`, a field over `MAX_FIELD_CHARS` and a NUL character are "invalid"
  problems of that record (naming the field); the other records import.
- Validation as for BibTeX: no title, a year that is not plausible (1500 to next year) and a
  malformed DOI are "invalid" problems; the record is left out.
- Keys: the record's own identifier (RIS ``ID``, CSL ``id``) when it is a usable BibTeX key
  (no spaces or BibTeX punctuation, not all digits, at most `MAX_KEY_CHARS`); else one made
  as Zotero does: first author's family name, year, first word of the title
  (``smith2020effect``). A key repeated in a file gets ``-2``, ``-3``... (a warning when the
  record named it).
- Digest: `bibtex.entry_digest` of the record's text with the format's name in place of the
  @string macros, so a re-import of an unchanged file skips the records already stored.
- Duplicates within the file: `bibtex.merge_duplicates` (the same DOI, PMID, or title + year
  + first author), exactly as for BibTeX.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date
from functools import lru_cache
from operator import attrgetter

from tracker import bibtex
from tracker.bibtex import CitationRecord, KnownEntry, ParsedBib, Person, Problem
from tracker.bibtex.model import shown
from tracker.bibtex.pipeline import text_too_long
from tracker.bibtex.values import NUL_MESSAGE
from tracker.limits import (
    MAX_BIB_BLOCKS,
    MAX_ENTRY_CHARS,
    MAX_FIELD_CHARS,
    MAX_KEY_CHARS,
)

__all__ = ["Fields", "parse_records", "person_from_text", "refuse_text", "shown"]

_KEY_FORBIDDEN = re.compile(r"[\s,{}()\"#%'=\\@~]")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset({"a", "an", "the", "of", "on", "in", "and", "for", "to", "with", "at", "by"})


@dataclass(slots=True)
class Fields:
    """One record of a RIS, MEDLINE or CSL-JSON file in the tracker's terms, before
    validation. `number` is its 1-based position among the file's records; `line` its first
    line (None for JSON); `key` the identifier it names ("" for none)."""

    number: int
    line: int | None
    raw: str
    key: str = ""
    entry_type: str = "misc"
    title: str | None = None
    authors: tuple[Person, ...] = ()
    others: bool = False
    editors: tuple[Person, ...] = ()
    year: str | None = None
    date: str | None = None
    container: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    isbn: str | None = None
    url: str | None = None
    abstract: str | None = None
    keywords: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
    #: (field, message) found while reading the record: each refuses it
    issues: list[tuple[str | None, str]] = field(default_factory=list)


def refuse_text(text: str, source: str, records: int, what: str) -> Problem | None:
    """A text too long, or with too many records, is refused whole (kind "too-large")."""
    too_long = text_too_long(text, source)
    if too_long is not None:
        return too_long
    if records > MAX_BIB_BLOCKS:
        return Problem(source, None, None, None, "too-large",
                       f"has {records:,} {what}; at most {MAX_BIB_BLOCKS:,} are read from one "
                       "file - split the file")
    return None


@lru_cache(maxsize=1 << 16)
def person_from_text(name: str) -> Person | None:
    """"Family, Given" (RIS, MEDLINE FAU) -> Person; a name without a comma is kept whole as
    a corporate (or single) name. A suffix after a second comma ("Jr.") joins the family."""
    name = " ".join(name.split())
    if not name:
        return None
    if "," not in name:
        return Person(family=name, corporate=True)
    family, _, rest = name.partition(",")
    given, _, suffix = rest.partition(",")
    family, given, suffix = family.strip(), given.strip(), suffix.strip()
    if suffix:
        family = f"{family}, {suffix}"
    if not family:
        return Person(family=given, corporate=True) if given else None
    return Person(family=family, given=given)


def _ascii_folded(text: str) -> str:
    """`text` case-folded, with accents dropped and other non-ASCII letters left out."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()


@lru_cache(maxsize=1 << 14)
def _ascii_word(text: str) -> str:
    return "".join(_WORD.findall(_ascii_folded(text)))


def _made_key(fields: Fields, year: int | None) -> str:
    """Zotero's style: family name of the first author, year, first title word."""
    first = fields.authors[0] if fields.authors else fields.editors[0] if fields.editors else None
    family = _ascii_word(first.family.split()[0] if first and not first.corporate and
                         first.family.split() else (first.family if first else ""))[:30]
    word = next((w for m in _WORD.finditer(_ascii_folded(fields.title or ""))
                 if (w := m.group()) not in _STOP), "")
    key = f"{family or 'anon'}{year or ''}{word[:20]}"
    return key or f"record{fields.number}"


def usable_key(key: str) -> bool:
    """A record's own identifier that can be a citation key (and be written as BibTeX)."""
    return (0 < len(key) <= MAX_KEY_CHARS and not key.isdigit()
            and _KEY_FORBIDDEN.search(key) is None)


def _limits(fields: Fields) -> None:
    """The limits of one record and its values, as issues.

    Every value a reader takes from a record is made from the record's text (`raw`) and is
    at most twice as long (MEDLINE's "1023-9" -> "1023–1029" is the only growth), and a NUL
    in a value is in the text, as itself or as JSON's escape: so a record of at most half a
    field's limit, with neither, has no value to check."""
    raw = fields.raw
    if len(raw) > MAX_ENTRY_CHARS:
        fields.issues.append((None, f"record is {len(raw):,} characters long; a record "
                                    f"may be at most {MAX_ENTRY_CHARS:,}"))
        return
    if 2 * len(raw) <= MAX_FIELD_CHARS and "\x00" not in raw and "\\u0000" not in raw:
        return
    values: list[tuple[str, str | None]] = [
        ("title", fields.title), ("year", fields.year), ("container", fields.container),
        ("volume", fields.volume), ("number", fields.issue), ("pages", fields.pages),
        ("doi", fields.doi), ("pmid", fields.pmid), ("isbn", fields.isbn), ("url", fields.url),
        ("abstract", fields.abstract), ("keywords", "; ".join(fields.keywords)),
        ("author", "; ".join(p.family + p.given for p in fields.authors)),
        ("editor", "; ".join(p.family + p.given for p in fields.editors)),
        *fields.extra.items(),
    ]
    for name, value in values:
        if not value:
            continue
        if len(value) > MAX_FIELD_CHARS:
            fields.issues.append((name, f"value is {len(value):,} characters long; a field may "
                                        f"be at most {MAX_FIELD_CHARS:,}"))
        elif "\x00" in value:
            fields.issues.append((name, NUL_MESSAGE))


def _year(fields: Fields, latest: int) -> int | None:
    text = fields.year
    if text:
        match = _YEAR.search(text)
        year = int(match.group(1)) if match else None
        if year is None or not 1500 <= year <= latest:
            fields.issues.append(("year", f"year '{shown(text)}' is not a plausible year "
                                          f"(1500-{latest})"))
            return None
        return year
    if fields.date:
        match = _YEAR.search(fields.date)
        if match and 1500 <= int(match.group(1)) <= latest:
            return int(match.group(1))
    return None


def _record(fields: Fields, own: str, digest: str, latest: int) -> CitationRecord | None:
    """Validate `fields` (appending issues) and build the record, as BibTeX's entries are;
    its key is `own` (the record's usable identifier), else one made from it."""
    _limits(fields)
    if fields.issues:
        return None
    title = " ".join(fields.title.split()) if fields.title else None
    if not title:
        fields.issues.append(("title", "record has no title"))
    year = _year(fields, latest)
    doi: str | None = None
    if fields.doi:
        doi = bibtex.normalise_doi(fields.doi)
        if doi is None:
            fields.issues.append(("doi", f"DOI {shown(fields.doi)!r} is malformed (expected "
                                         "10.NNNN/suffix, without invisible characters)"))
    if fields.issues:
        return None
    extra = {k: v for k, v in fields.extra.items() if v}
    pmid = None
    if fields.pmid:
        pmid = bibtex.normalise_pmid(fields.pmid)
        if pmid is None:
            extra["pmid"] = fields.pmid
    if doi is None and fields.url and "doi" in fields.url:
        doi = bibtex.normalise_doi(fields.url)
    design, source, reason = bibtex.detect_design(
        studydesign=None, keywords=fields.keywords, title=title, abstract=fields.abstract,
        entry_type=fields.entry_type)
    return CitationRecord(
        key=own or _made_key(fields, year), entry_type=fields.entry_type, title=title,
        authors=fields.authors,
        others=fields.others, editors=fields.editors, year=year,
        container=fields.container or None, volume=fields.volume or None,
        number=fields.issue or None,
        pages=bibtex.normalise_pages(fields.pages) if fields.pages else None,
        doi=doi, pmid=pmid, isbn=fields.isbn or None, url=fields.url or None,
        abstract=fields.abstract or None, keywords=fields.keywords, design=design,
        design_source=source, design_reason=reason, extra=extra, raw=fields.raw,
        line=fields.line or 0, digest=digest)


def parse_records(
    source: str,
    format_name: str,
    drafts: Sequence[Fields],
    *,
    found: int,
    problems: Sequence[Problem] = (),
    known: bibtex.Known | None = None,
) -> ParsedBib:
    """Records of one file (`drafts`, in file order) -> `ParsedBib`: records not stored before
    (`known`), validated, merged within the file, keys made unique. `found` counts every record
    of the file, those a reader could not read (already in `problems`) included."""
    digests = [bibtex.entry_digest(d.raw, format_name) for d in drafts]
    stored = known(digests) if known is not None and digests else {}
    latest = date.today().year + 1
    valid: list[CitationRecord] = []
    invalid: list[Problem] = []
    skipped: list[KnownEntry] = []
    for draft, digest in zip(drafts, digests, strict=True):
        own = draft.key if usable_key(draft.key) else ""
        into = stored.get(digest)
        if into is not None:
            skipped.append(KnownEntry(own or into, draft.line or 0, draft.number, into))
            continue
        record = _record(draft, own, digest, latest)
        if record is not None:
            valid.append(record)
            continue
        where = "" if draft.line is not None else f"record {draft.number}: "
        for name, message in draft.issues:
            invalid.append(Problem(source, draft.line, shown(draft.key) or None, name,
                                   "invalid", where + message, draft.number))
    kept, merges, _firsts = bibtex.merge_duplicates(valid)
    records, warnings = _unique_keys(kept, source, {d.key for d in drafts if d.key})
    every = sorted([*problems, *invalid], key=lambda p: (p.line is None, p.line or 0,
                                                         p.entry_number or 0))
    return ParsedBib(source=source, records=tuple(records), merges=tuple(merges),
                     problems=tuple(every), found=found, strings=0, comments=0, preambles=0,
                     known=tuple(skipped), warnings=tuple(warnings))


_NAMES = [f.name for f in dataclass_fields(CitationRecord)]
assert _NAMES[0] == "key"
_REST = attrgetter(*_NAMES[1:])


def _with_key(record: CitationRecord, key: str) -> CitationRecord:
    """`dataclasses.replace(record, key=key)`, without its per-call look-up of the fields."""
    return CitationRecord(key, *_REST(record))


def _unique_keys(records: list[CitationRecord], source: str, named: set[str]
                 ) -> tuple[list[CitationRecord], list[Problem]]:
    """Keys ignore case, as BibTeX's: a repeated one gets "-2", "-3"..."""
    taken: set[str] = set()
    out: list[CitationRecord] = []
    warnings: list[Problem] = []
    for record in records:
        key = record.key
        if key.lower() in taken:
            base, n = key[: MAX_KEY_CHARS - 6], 2
            while f"{base}-{n}".lower() in taken:
                n += 1
            new = f"{base}-{n}"
            if key in named:
                warnings.append(Problem(source, record.line or None, shown(key), None, "warning",
                                        f"identifier '{shown(key)}' is used by an earlier "
                                        f"record; imported as {new}"))
            record = _with_key(record, new)
        taken.add(record.key.lower())
        out.append(record)
    return out, warnings
