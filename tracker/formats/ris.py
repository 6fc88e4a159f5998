"""RIS in and out (EndNote, Zotero, Covidence, Rayyan, EPPI-Reviewer), with rispy. Pure.

Reading: the text is split into records here (``TY  -`` to ``ER  -``), so every record has
its first line and a record cut short (a ``TY`` before the previous record's ``ER``, or the
end of the file) is a "parse" problem naming its line instead of being silently joined to the
next or dropped, as rispy alone would. Each whole record's lines are then read by rispy's
`RisParser` (tag mapping, list tags, continuation lines) and mapped to `records.Fields`:

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
_IDENTIFIER_KEYS = ("accession_number", "notes", *(f"custom{i}" for i in range(1, 9)))


def ris_type(entry_type: str, extra: Mapping[str, str]) -> str:
    """The RIS type written for a record: its own (``ristype``), else its entry type's."""
    return extra.get("ristype") or _WRITTEN.get(entry_type, "GEN")


def _split(text: str, source: str) -> tuple[list[tuple[int, int, list[str]]], list[Problem], int]:
    """(number, first line, lines) of each whole record; problems of records cut short;
    how many records were found."""
    records: list[tuple[int, int, list[str]]] = []
    problems: list[Problem] = []
    current: list[str] | None = None
    start = 0
    found = 0

    def cut_short(at: str) -> None:
        assert current is not None
        key = next((ln[6:].strip() for ln in current if ln.startswith("ID  -")), "")
        problems.append(Problem(source, start, shown(key) or None, None, "parse",
                                f"record has no end line 'ER  -' before {at}; it was cut short "
                                "(truncated or damaged): nothing of it was imported", found))

    lines = text.split("\n")
    if "\r" in text:
        lines = [line.rstrip("\r") for line in lines]
    for index, line in enumerate(lines, start=1):
        if line.startswith("TY  -"):  # rispy's tag test, for the two tags that frame a record
            if current is not None:
                cut_short(f"the next record on line {index}")
            found += 1
            current, start = [line], index
        elif current is None:
            continue  # a "1." header, a blank line, text between records: not a record
        elif line.startswith("ER  -"):
            current.append(line)
            records.append((found, start, current))
            current = None
        else:
            current.append(line)
    if current is not None:
        cut_short("the end of the file")
    return records, problems, found


def _read_all(whole: list[tuple[int, int, list[str]]]) -> list[dict[str, Any] | Exception]:
    """rispy's entry of each whole record, in one pass of rispy over all of them (each starts
    with ``TY`` and ends with ``ER``, so rispy returns one entry per record, in order). rispy
    carries one thing from a record to the next, the tag a continuation line extends, which
    only matters to a record whose second line is a continuation; with such a record, or if
    the pass fails, each record is read on its own, so a failure is that record's alone."""
    entries: list[dict[str, Any]] | None = None
    if not any(len(lines) > 1 and _PARSER.parse_line(lines[1])[0] is None
               for _, _, lines in whole):
        try:
            entries = _PARSER.parse_lines(chain.from_iterable(lines for _, _, lines in whole))
        except Exception:  # noqa: BLE001 - read record by record below, to name the one
            entries = None
    if entries is not None and len(entries) == len(whole):
        return list(entries)
    read: list[dict[str, Any] | Exception] = []
    for _, _, lines in whole:
        try:
            one = _PARSER.parse_lines(iter(lines))
        except Exception as error:
            read.append(error)
            continue
        read.append(one[0] if one else {})
    return read


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
    database = f"{_text(entry.get('name_of_database'))} {_text(entry.get('database_provider'))}"
    candidates = [accession, *(_text(entry.get(f"custom{i}")) for i in range(1, 9)),
                  *_list(entry.get("notes"))]
    notes: list[str] = []
    for value in candidates:
        if (m := _PMID.match(value)) and not fields.pmid:
            fields.pmid = m.group(1)
        elif (m := _PMCID.match(value)) and "pmcid" not in fields.extra:
            fields.extra["pmcid"] = m.group(1).upper()
    if accession and not fields.pmid and accession.isdigit() and re.search(
            r"pubmed|medline", database, re.IGNORECASE):
        fields.pmid = accession
    elif accession and not _PMID.match(accession) and not _PMCID.match(accession):
        fields.extra["accession"] = accession
    for note in _list(entry.get("notes")):
        if not _PMID.match(note) and not _PMCID.match(note):
            notes.append(note)
    if notes:
        fields.extra["note"] = "; ".join(notes)


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
    containers = [_text(entry.get(k)) for k in ("secondary_title", "journal_name",
                                                 "alternate_title3", "alternate_title2")]
    containers.append(_text(unknown.get("BT")))
    fields.container = next((c for c in containers if c), None)
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
    for name, key in (("publisher", "publisher"), ("address", "place_published"),
                      ("language", "language"), ("edition", "edition")):
        if value := _text(entry.get(key)):
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
    for (number, line, lines), entry in zip(whole, entries, strict=True):
        if isinstance(entry, Exception):  # a rispy bug must not take the import down
            problems.append(Problem(source, line, None, None, "parse",
                                    f"rispy could not read this record: {shown(str(entry))}",
                                    number))
            continue
        drafts.append(_fields(entry, number, line, "\n".join(lines)))
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
