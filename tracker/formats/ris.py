"""RIS in and out (EndNote, Zotero, Covidence, Rayyan, EPPI-Reviewer), with rispy. Pure.

Reading: the text is split into records here (``TY  -`` to ``ER  -``), so every record has
its first line and a record cut short (a ``TY`` before the previous record's ``ER``, or the
end of the file) is a "parse" problem naming its line instead of being silently joined to the
next or dropped, as rispy alone would. The whole records are then read by rispy's
`RisParser` (tag mapping, list tags, continuation lines) in one pass, as ``rispy.loads``
reads a file (record by record only when that would differ: see `_read_all`), and each
entry is mapped to `records.Fields`:

======================  ============================================================
TY                      entry type (JOUR -> article, BOOK -> book, CHAP -> incollection,
                        CPAPER -> inproceedings, CONF -> proceedings, RPRT -> techreport,
                        THES -> phdthesis, ELEC -> online, UNPB -> unpublished, else misc);
                        a TY that is not the usual one for its type is kept (``ristype``)
ID                      key (when usable; see `records`)
TI, T1                  title
AU, A1 / A2, ED         authors ("Family, Given") / editors
PY, Y1 (else DA)        year
T2, JO, JF, JA, BT      container (the first present); J2 -> ``shortjournal``
VL, IS, SP + EP         volume, number, pages
DO (else a doi.org UR)  DOI
AN / C1-C8, N1          PMID when "PMID: n" (or AN a number with DB/DP PubMed or MEDLINE);
                        PMCID when "PMCID: PMCn"; another AN -> ``accession``
SN                      ISBN for books and chapters, else ``issn``
UR                      url (the first)
AB, N2                  abstract
KW                      keywords
N1, PB, CY, LA, ET      ``note``, ``publisher``, ``address``, ``language``, ``edition``
======================  ============================================================

Other tags are dropped (README lists them). Writing (`to_ris`) is the inverse, through rispy's
`RisWriter`: ``to_ris`` of an import, read back, gives the same records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import Any

import rispy

from tracker import bibtex
from tracker.bibtex import CitationRecord, ParsedBib, Problem
from tracker.formats.records import Fields, parse_records, person_from_text, refuse_text, shown

__all__ = ["parse_ris", "to_ris", "ris_type"]

FORMAT = "ris"

#: RIS type -> BibTeX entry type; the first RIS type of each entry type is the one written.
_TYPES: dict[str, str] = {
    "JOUR": "article", "EJOUR": "article", "JFULL": "article", "MGZN": "article",
    "NEWS": "article", "INPR": "article", "ABST": "article",
    "BOOK": "book", "EBOOK": "book", "EDBOOK": "book",
    "CHAP": "incollection", "ECHAP": "incollection",
    "CPAPER": "inproceedings", "CONF": "proceedings",
    "RPRT": "techreport", "GOVDOC": "techreport",
    "THES": "phdthesis",
    "ELEC": "online", "BLOG": "online",
    "UNPB": "unpublished", "MANSCPT": "unpublished",
    "GEN": "misc",
}
_WRITTEN: dict[str, str] = {}
for _ris, _type in _TYPES.items():
    _WRITTEN.setdefault(_type, _ris)
_WRITTEN.update({"inbook": "CHAP", "report": "RPRT", "mastersthesis": "THES",
                 "thesis": "THES", "conference": "CPAPER"})
_BOOKISH = frozenset({"book", "incollection", "inbook", "proceedings"})
_PMID = re.compile(r"^\s*pmid:?\s*(\d{1,9})\s*$", re.IGNORECASE)
_PMCID = re.compile(r"^\s*pmcid:?\s*(PMC\d{1,12})\s*$", re.IGNORECASE)
_PARSER = rispy.RisParser()
_CUSTOM = tuple(f"custom{i}" for i in range(1, 9))
_IDENTIFIER_KEYS = ("accession_number", "notes", *_CUSTOM)
_CONTAINERS = ("secondary_title", "journal_name", "alternate_title3", "alternate_title2")
_EXTRA = (("publisher", "publisher"), ("address", "place_published"), ("language", "language"),
          ("edition", "edition"))
_PUBMED = re.compile(r"pubmed|medline", re.IGNORECASE)


def ris_type(entry_type: str, extra: Mapping[str, str]) -> str:
    """The RIS type written for a record: its own (``ristype``), else its entry type's."""
    return extra.get("ristype") or _WRITTEN.get(entry_type, "GEN")


#: (number, first line, text) of a whole record; its text's lines end without "\r"
Whole = tuple[int, int, str]

#: the two tags that frame a record (rispy's tag test), at the start of a line
_FRAME = re.compile(r"^(?:TY|ER)  -", re.MULTILINE)


def _split(text: str, source: str) -> tuple[list[Whole], list[Problem], int]:
    """Each whole record (``TY`` line to ``ER`` line); problems of records cut short; how
    many records were found. Lines outside records (a "1." header, blank lines, text between
    records) are not a record. Found by one regular expression over the text, not line by
    line: a 50,000-record file has a million lines."""
    records: list[Whole] = []
    problems: list[Problem] = []
    strip_cr = "\r" in text
    start = -1  # offset of the open record's TY line, -1 for none
    first = 0  # its line number
    found = 0
    counted, line = 0, 1  # line is the number of the line holding offset `counted`

    def cut_short(end: int, at: str) -> None:
        key = next((ln[6:].strip() for ln in text[start:end].split("\n")
                    if ln.startswith("ID  -")), "")
        problems.append(Problem(source, first, shown(key) or None, None, "parse",
                                f"record has no end line 'ER  -' before {at}; it was cut short "
                                "(truncated or damaged): nothing of it was imported", found))

    for match in _FRAME.finditer(text):
        at = match.start()
        line += text.count("\n", counted, at)
        counted = at
        if text.startswith("TY", at):
            if start >= 0:
                cut_short(at, f"the next record on line {line}")
            found += 1
            start, first = at, line
        elif start >= 0:
            end = text.find("\n", at)
            raw = text[start: end if end >= 0 else len(text)]
            if strip_cr:
                raw = "\n".join(x.rstrip("\r") for x in raw.split("\n"))
            records.append((found, first, raw))
            start = -1
    if start >= 0:
        cut_short(len(text), "the end of the file")
    return records, problems, found


def _read_all(whole: list[Whole]) -> list[dict[str, Any] | Exception]:
    """rispy's entry of each whole record, in one pass of rispy over all of them (each starts
    with ``TY`` and ends with ``ER``, so rispy returns one entry per record, in order). rispy
    carries one thing from a record to the next, the tag a continuation line extends, which
    only matters to a record whose second line is a continuation; with such a record, or if
    the pass fails, each record is read on its own, so a failure is that record's alone."""
    entries: list[dict[str, Any]] | None = None
    if not any(_starts_with_continuation(raw) for _, _, raw in whole):
        try:
            entries = _PARSER.parse_lines(
                chain.from_iterable(raw.split("\n") for _, _, raw in whole))
        except Exception:  # noqa: BLE001 - read record by record below, to name the one
            entries = None
    if entries is not None and len(entries) == len(whole):
        return list(entries)
    read: list[dict[str, Any] | Exception] = []
    for _, _, raw in whole:
        try:
            one = _PARSER.parse_lines(iter(raw.split("\n")))
        except Exception as error:
            read.append(error)
            continue
        read.append(one[0] if one else {})
    return read


def _starts_with_continuation(raw: str) -> bool:
    """Whether the record's second line is not a tag line (rispy's test)."""
    lines = raw.split("\n", 2)
    return len(lines) > 1 and _PARSER.parse_line(lines[1])[0] is None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if value.__class__ is str:
        return str(value.strip())
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value or "").strip()


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [text for v in values if (text := str(v).strip())]


def _people(names: Iterable[str]) -> tuple[bibtex.Person, ...]:
    return tuple(p for p in map(person_from_text, names) if p is not None)


def _identifiers(entry: Mapping[str, Any], unknown: Mapping[str, list[str]], fields: Fields
                 ) -> None:
    """PMID / PMCID from AN, C1-C8 and N1 ("PMID: n", "PMCID: PMCn"), as exporters write."""
    if not any(key in entry for key in _IDENTIFIER_KEYS):
        return
    accession = _text(entry.get("accession_number"))
    notes = _list(entry.get("notes"))
    candidates = [accession, *(_text(entry[key]) for key in _CUSTOM if key in entry), *notes]
    for value in candidates:
        if (m := _PMID.match(value)) and not fields.pmid:
            fields.pmid = m.group(1)
        elif (m := _PMCID.match(value)) and "pmcid" not in fields.extra:
            fields.extra["pmcid"] = m.group(1).upper()
    if accession and not fields.pmid and accession.isdigit() and _PUBMED.search(
            f"{_text(entry.get('name_of_database'))} {_text(entry.get('database_provider'))}"):
        fields.pmid = accession
    elif accession and not _PMID.match(accession) and not _PMCID.match(accession):
        fields.extra["accession"] = accession
    kept = [note for note in notes if not _PMID.match(note) and not _PMCID.match(note)]
    if kept:
        fields.extra["note"] = "; ".join(kept)


def _fields(entry: Mapping[str, Any], number: int, line: int, raw: str) -> Fields:
    unknown: Mapping[str, list[str]] = entry.get("unknown_tag") or {}
    ty = _text(entry.get("type_of_reference")).upper()
    entry_type = _TYPES.get(ty, "misc")
    fields = Fields(number=number, line=line, raw=raw, key=_text(entry.get("id")),
                    entry_type=entry_type)
    if ty and ty != _WRITTEN.get(entry_type):
        fields.extra["ristype"] = ty
    fields.title = _text(entry.get("title") or entry.get("primary_title")) or None
    fields.authors = _people([*_list(entry.get("authors")), *_list(entry.get("first_authors"))])
    fields.editors = _people([*_list(entry.get("secondary_authors")), *unknown.get("ED", [])])
    fields.year = _text(entry.get("year") or entry.get("publication_year")) or None
    fields.date = _text(entry.get("date")) or None
    fields.container = next((c for c in (_text(entry.get(k)) for k in _CONTAINERS) if c),
                            None) or _text(unknown.get("BT")) or None
    if short := _text(entry.get("alternate_title1")):
        fields.extra["shortjournal"] = short
    fields.volume = _text(entry.get("volume")) or None
    fields.issue = _text(entry.get("number")) or None
    start, end = _text(entry.get("start_page")), _text(entry.get("end_page"))
    fields.pages = (f"{start}–{end}" if start and end else start or end) or None
    fields.doi = _text(entry.get("doi")) or None
    urls = _list(entry.get("urls"))
    fields.url = urls[0] if urls else None
    fields.abstract = _text(entry.get("abstract") or entry.get("notes_abstract")) or None
    fields.keywords = tuple(dict.fromkeys(_list(entry.get("keywords"))))
    serial = _text(entry.get("issn"))
    if serial and entry_type in _BOOKISH:
        fields.isbn = serial
    elif serial:
        fields.extra["issn"] = serial
    for name, key in _EXTRA:
        if key in entry and (value := _text(entry[key])):
            fields.extra[name] = value
    _identifiers(entry, unknown, fields)
    return fields


def parse_ris(text: str, source: str = "<string>", known: bibtex.Known | None = None
              ) -> ParsedBib:
    """Parse RIS text into validated, within-file-deduplicated records and problems (as
    `bibtex.parse_bibtex`; see the module docstring)."""
    refused = refuse_text(text, source, text.count("TY  -"), "records")
    if refused is not None:
        return ParsedBib.refused(refused)
    text = bibtex.prepare_text(text)
    whole, problems, found = _split(text, source)
    entries = _read_all(whole)
    drafts: list[Fields] = []
    for (number, line, raw), entry in zip(whole, entries, strict=True):
        if isinstance(entry, Exception):  # a rispy bug must not take the import down
            problems.append(Problem(source, line, None, None, "parse",
                                    f"rispy could not read this record: {shown(str(entry))}",
                                    number))
            continue
        drafts.append(_fields(entry, number, line, raw))
    return parse_records(source, FORMAT, drafts, found=found, problems=problems, known=known)


def _entry(record: CitationRecord) -> dict[str, Any]:
    """A record as rispy's dict (values on one line each: RIS has no line breaks in values)."""
    def one_line(value: str) -> str:
        return " ".join(value.split())

    extra = record.extra
    entry: dict[str, Any] = {"type_of_reference": ris_type(record.entry_type, extra),
                             "id": record.key}
    if record.title:
        entry["title"] = one_line(record.title)
    if record.authors:
        entry["authors"] = [_name(p) for p in record.authors]
    if record.editors:
        entry["secondary_authors"] = [_name(p) for p in record.editors]
    if record.year is not None:
        entry["year"] = str(record.year)
    if record.container:
        entry["secondary_title"] = one_line(record.container)
    if extra.get("shortjournal"):
        entry["alternate_title1"] = one_line(extra["shortjournal"])
    for key, value in (("volume", record.volume), ("number", record.number),
                       ("doi", record.doi)):
        if value:
            entry[key] = one_line(value)
    if record.pages:
        start, dash, end = record.pages.partition("–")
        entry["start_page"] = one_line(start)
        if dash and end:
            entry["end_page"] = one_line(end)
    if record.pmid:
        entry["accession_number"] = f"PMID: {record.pmid}"
    elif extra.get("accession"):
        entry["accession_number"] = one_line(extra["accession"])
    if extra.get("pmcid"):
        entry["custom2"] = f"PMCID: {extra['pmcid']}"
    serial = record.isbn or extra.get("issn")
    if serial:
        entry["issn"] = one_line(serial)
    if record.url:
        entry["urls"] = [record.url]
    if record.abstract:
        entry["abstract"] = one_line(record.abstract)
    if record.keywords:
        entry["keywords"] = [one_line(k) for k in record.keywords]
    if extra.get("note"):
        entry["notes"] = [one_line(extra["note"])]
    for name, key in (("publisher", "publisher"), ("address", "place_published"),
                      ("language", "language"), ("edition", "edition")):
        if extra.get(name):
            entry[key] = one_line(extra[name])
    return entry


def _name(person: bibtex.Person) -> str:
    """"Family, Given" (with ", Jr." after the given name, as `person_from_text` reads it)."""
    if not person.given:
        return person.family
    family, comma, suffix = person.family.partition(", ")
    return f"{family}, {person.given}, {suffix}" if comma else f"{family}, {person.given}"


def to_ris(records: Iterable[CitationRecord]) -> str:
    """RIS that `parse_ris` (and rispy) reads back as the same records."""
    return str(rispy.dumps([_entry(r) for r in records]))
