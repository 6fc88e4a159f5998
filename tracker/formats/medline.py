"""PubMed MEDLINE in (the "PubMed" format of PubMed's Save and Send-to, and the .nbib of its
Cite button). Pure.

A record is a run of lines separated from the next by a blank line; a field is a line
``TAG - value`` (the tag left-justified in four columns, then "- "), continued on lines that
start with spaces. A line in a record that is neither is a "parse" problem naming its line,
and the record is left out. `split_records` is the bare parse (the import benchmark's floor).

=====================  ==============================================================
PMID                   pmid
TI (else BTI)          title (PubMed's closing full stop dropped)
FAU (else AU), CN      authors ("Family, Given"; CN a group author), in file order
FED (else ED)          editors
DP                     year
JT (else TA)           container; TA -> ``shortjournal``
VI, IP, PG             volume, number, pages (PubMed's "1023-9" expanded to "1023–1029")
LID / AID "[doi]"      DOI
PMC                    ``pmcid``
AB                     abstract
MH, OT, PT             keywords: MeSH headings as written (subheadings, "*" for a major
                       topic), other terms, then publication types (which give the design)
IS, LA, PB             ``issn``, ``language``, ``publisher`` (the first of each)
=====================  ==============================================================

Other fields (affiliations, grants, dates other than DP, comment links...) are dropped. The
entry type is ``article`` (``book`` for a record with BTI and no TI).
"""

from __future__ import annotations

import re

from tracker import bibtex
from tracker.bibtex import ParsedBib, Problem
from tracker.formats.records import Fields, parse_records, person_from_text, refuse_text, shown

__all__ = ["parse_medline", "split_records"]

FORMAT = "pubmed"
_FIELD = re.compile(r"^([A-Z][A-Z0-9]{0,3}) {0,3}- ?(.*)$")
_PAGES = re.compile(r"^(\d+)-(\d+)$")
_PEOPLE = frozenset({"FAU", "AU", "CN"})

#: (number, first line, last line, [(tag, value, line)]) of each record
Record = tuple[int, int, int, list[tuple[str, str, int]]]


def split_records(text: str, source: str = "<string>") -> tuple[list[Record], list[Problem]]:
    """The records of a MEDLINE text as (tag, value, line) lists; a record with a line that is
    neither a field nor a continuation is a problem instead."""
    records: list[Record] = []
    problems: list[Problem] = []
    fields: list[tuple[str, str, int]] = []
    bad: tuple[int, str] | None = None
    start = last = 0
    number = 0

    def close() -> None:
        nonlocal fields, bad
        if fields or bad:
            if bad is None:
                records.append((number, start, last, fields))
            else:
                pmid = next((v for t, v, _ in fields if t == "PMID"), "")
                problems.append(Problem(
                    source, bad[0], pmid or None, None, "parse",
                    f"line {bad[0]} ({shown(bad[1], 40)!r}) is neither a field ('TAG - value') "
                    "nor a continuation (starting with spaces): the record is damaged or cut "
                    "short; nothing of it was imported", number))
        fields, bad = [], None

    for index, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            close()
            continue
        if not fields and bad is None:
            number += 1
            start = index
        last = index
        if line[0] == " ":
            if fields:
                tag, value, at = fields[-1]
                fields[-1] = (tag, f"{value} {line.strip()}", at)
            elif bad is None:
                bad = (index, line)
            continue
        match = _FIELD.match(line) if line[4:6] == "- " or "-" in line[:6] else None
        if match is None:
            if bad is None:
                bad = (index, line)
            continue
        fields.append((match.group(1), match.group(2).strip(), index))
    close()
    return records, problems


def _pages(text: str) -> str:
    """PubMed writes "1023-9" for 1023-1029."""
    match = _PAGES.match(text)
    if match is None:
        return text
    first, last = match.groups()
    if len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return f"{first}–{last}"


def _doi(values: list[str]) -> str | None:
    for value in values:
        if value.endswith("[doi]"):
            return value[: -len("[doi]")].strip()
    return None


def _fields(number: int, line: int, tags: list[tuple[str, str, int]], raw: str) -> Fields:
    by_tag: dict[str, list[str]] = {}
    people: list[tuple[str, str]] = []  # FAU, AU and CN in file order
    for tag, value, _ in tags:
        values = by_tag.get(tag)
        if values is None:
            by_tag[tag] = [value]
        else:
            values.append(value)
        if tag in _PEOPLE:
            people.append((tag, value))

    first = {tag: values[0] for tag, values in by_tag.items()}.get
    fields = Fields(number=number, line=line, raw=raw, entry_type="article")
    title: str | None = first("TI")
    if title is None and first("BTI"):
        title, fields.entry_type = first("BTI"), "book"
    if title and title.endswith(".") and not title.endswith(".."):
        title = title[:-1]
    fields.title = title
    named = "FAU" if "FAU" in by_tag else "AU"
    fields.authors = tuple(p for p in (
        person_from_text(v) if t != "CN" else bibtex.Person(family=v, corporate=True)
        for t, v in people if t != "AU" or named == "AU") if p is not None)
    editors = by_tag.get("FED") or by_tag.get("ED") or []
    fields.editors = tuple(p for p in map(person_from_text, editors) if p is not None)
    fields.pmid = first("PMID")
    fields.date = first("DP")
    fields.container = first("JT") or first("TA")
    if first("TA"):
        fields.extra["shortjournal"] = by_tag["TA"][0]
    fields.volume = first("VI")
    fields.issue = first("IP")
    pages = first("PG")
    fields.pages = _pages(pages) if pages else None
    fields.doi = _doi(by_tag.get("LID", []) + by_tag.get("AID", []))
    fields.abstract = first("AB")
    keywords = by_tag.get("MH", []) + by_tag.get("OT", []) + by_tag.get("PT", [])
    fields.keywords = tuple(dict.fromkeys(k for k in keywords if k))
    for tag, name in (("PMC", "pmcid"), ("IS", "issn"), ("LA", "language"),
                      ("PB", "publisher")):
        if stated := first(tag):
            fields.extra[name] = stated
    return fields


def parse_medline(text: str, source: str = "<string>", known: bibtex.Known | None = None
                  ) -> ParsedBib:
    """Parse MEDLINE text into validated, within-file-deduplicated records and problems (as
    `bibtex.parse_bibtex`; see the module docstring)."""
    refused = refuse_text(text, source, text.count("PMID-"), "records")
    if refused is not None:
        return ParsedBib.refused(refused)
    text = bibtex.prepare_text(text)
    records, problems = split_records(text, source)
    lines = text.split("\n")
    if "\r" in text:
        lines = [x.rstrip("\r") for x in lines]
    drafts = [_fields(number, line, tags, "\n".join(lines[line - 1: end]))
              for number, line, end, tags in records]
    found = len(records) + len(problems)
    return parse_records(source, FORMAT, drafts, found=found, problems=problems, known=known)
