"""CSL-JSON in and out (Zotero's and Mendeley's exchange format; citeproc's input). Pure.

A file is a JSON array of items (one object alone is read as one item). JSON that does not
parse is one "parse" problem naming the line and column (nothing of the file is imported);
an item that is not an object is a "parse" problem of that item; problems of an item name
its index ("record N") and id. Items:

========================  =========================================================
id                        key (when usable; see `records`)
type                      entry type (article-journal/-magazine/-newspaper -> article,
                          book, chapter -> incollection, paper-conference ->
                          inproceedings, report -> techreport, thesis -> phdthesis,
                          webpage/post-weblog -> online, manuscript -> unpublished,
                          else misc); a type that is not the usual one is kept (``csltype``)
title                     title
author / editor           people ({family, given}; {literal} a group author)
issued                    year (date-parts, else the first 4-digit year of raw/literal)
container-title           container; container-title-short -> ``shortjournal``
volume, issue, page       volume, number, pages
DOI, PMID, PMCID          DOI, pmid, ``pmcid``
ISBN / ISSN, URL          isbn / ``issn``, url
abstract                  abstract
keyword                   keywords (split on "," and ";", as BibTeX's)
publisher, publisher-place, language, edition, note   ``publisher``, ``address``,
                          ``language``, ``edition``, ``note``
========================  =========================================================

Other variables are dropped. `to_csl_json` writes the inverse (read back by `parse_csl_json`
as the same records, and by citeproc-py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from tracker import bibtex
from tracker.bibtex import CitationRecord, ParsedBib, Person, Problem
from tracker.formats.records import Fields, parse_records, refuse_text

__all__ = ["parse_csl_json", "to_csl_json", "to_csl_items"]

FORMAT = "csl-json"

_TYPES = {
    "article-journal": "article", "article-magazine": "article",
    "article-newspaper": "article", "book": "book", "chapter": "incollection",
    "paper-conference": "inproceedings", "report": "techreport", "thesis": "phdthesis",
    "webpage": "online", "post-weblog": "online", "manuscript": "unpublished",
    "article": "misc", "document": "misc",
}
_WRITTEN: dict[str, str] = {}
for _csl, _entry in _TYPES.items():
    _WRITTEN.setdefault(_entry, _csl)
_WRITTEN.update({"inbook": "chapter", "report": "report", "mastersthesis": "thesis",
                 "proceedings": "book", "conference": "paper-conference"})
_KEYWORD_SPLIT = re.compile(r"[,;]")
_EXTRA = (("publisher", "publisher"), ("publisher-place", "address"),
          ("language", "language"), ("edition", "edition"), ("note", "note"),
          ("container-title-short", "shortjournal"), ("PMCID", "pmcid"), ("ISSN", "issn"))


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return " ".join(str(value).split())


def _people(value: Any) -> tuple[Person, ...]:
    if not isinstance(value, list):
        return ()
    people = []
    for item in value:
        if not isinstance(item, dict):
            continue
        literal = _text(item.get("literal"))
        family = _text(item.get("family"))
        particle = _text(item.get("non-dropping-particle"))
        suffix = _text(item.get("suffix"))
        if particle and family:
            family = f"{particle} {family}"
        if suffix and family:
            family = f"{family}, {suffix}"
        if family:
            people.append(Person(family=family, given=_text(item.get("given"))))
        elif literal:
            people.append(Person(family=literal, corporate=True))
    return tuple(people)


def _year(issued: Any) -> str | None:
    if not isinstance(issued, dict):
        return _text(issued) or None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return _text(parts[0][0]) or None
    return _text(issued.get("raw") or issued.get("literal")) or None


def _fields(item: Mapping[str, Any], number: int, raw: str) -> Fields:
    csl_type = _text(item.get("type"))
    entry_type = _TYPES.get(csl_type, "misc")
    fields = Fields(number=number, line=None, raw=raw, key=_text(item.get("id")),
                    entry_type=entry_type)
    if csl_type and csl_type != _WRITTEN.get(entry_type):
        fields.extra["csltype"] = csl_type
    fields.title = _text(item.get("title")) or None
    fields.authors = _people(item.get("author"))
    fields.editors = _people(item.get("editor"))
    fields.year = _year(item.get("issued"))
    fields.container = _text(item.get("container-title")) or None
    fields.volume = _text(item.get("volume")) or None
    fields.issue = _text(item.get("issue")) or None
    fields.pages = _text(item.get("page")) or None
    fields.doi = _text(item.get("DOI")) or None
    fields.pmid = _text(item.get("PMID")) or None
    fields.isbn = _text(item.get("ISBN")) or None
    fields.url = _text(item.get("URL")) or None
    fields.abstract = _text(item.get("abstract")) or None
    keywords = _text(item.get("keyword"))
    fields.keywords = tuple(dict.fromkeys(
        k.strip() for k in _KEYWORD_SPLIT.split(keywords) if k.strip()))
    for name, key in _EXTRA:
        if value := _text(item.get(name)):
            fields.extra[key] = value
    return fields


def parse_csl_json(text: str, source: str = "<string>", known: bibtex.Known | None = None
                   ) -> ParsedBib:
    """Parse CSL-JSON text into validated, within-file-deduplicated records and problems (as
    `bibtex.parse_bibtex`; see the module docstring)."""
    refused = refuse_text(text, source, 0, "records")
    if refused is not None:
        return ParsedBib.refused(refused)
    try:
        data = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        message = (f"is not valid JSON: {error.msg} at line {error.lineno}, column "
                   f"{error.colno} (truncated or damaged?): nothing of it was imported")
        return ParsedBib.refused(Problem(source, error.lineno, None, None, "parse", message))
    except RecursionError:
        return ParsedBib.refused(Problem(source, None, None, None, "parse",
                                         "JSON nested too deeply"))
    items = data if isinstance(data, list) else [data]
    refused = refuse_text("", source, len(items), "items")
    if refused is not None:
        return ParsedBib.refused(refused)
    problems: list[Problem] = []
    drafts: list[Fields] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(source, None, None, None, "parse",
                                    f"record {number} is a JSON {type(item).__name__}, not an "
                                    "object with CSL variables", number))
            continue
        raw = json.dumps(item, ensure_ascii=False, sort_keys=True)
        drafts.append(_fields(item, number, raw))
    return parse_records(source, FORMAT, drafts, found=len(items), problems=problems,
                         known=known)


def _person(person: Person) -> dict[str, str]:
    if person.corporate or not person.given:
        return {"literal": person.family} if person.corporate else {"family": person.family}
    family, comma, suffix = person.family.partition(", ")
    name = {"family": family, "given": person.given}
    if comma:
        name["suffix"] = suffix
    return name


def to_csl_items(records: Iterable[CitationRecord]) -> list[dict[str, Any]]:
    """The records as CSL-JSON items (dicts)."""
    items = []
    for record in records:
        extra = record.extra
        item: dict[str, Any] = {
            "id": record.key,
            "type": extra.get("csltype") or _WRITTEN.get(record.entry_type, "document"),
        }
        if record.title:
            item["title"] = record.title
        if record.authors:
            item["author"] = [_person(p) for p in record.authors]
        if record.editors:
            item["editor"] = [_person(p) for p in record.editors]
        if record.year is not None:
            item["issued"] = {"date-parts": [[record.year]]}
        for name, value in (("container-title", record.container), ("volume", record.volume),
                            ("issue", record.number), ("page", record.pages),
                            ("DOI", record.doi), ("PMID", record.pmid),
                            ("ISBN", record.isbn), ("URL", record.url),
                            ("abstract", record.abstract)):
            if value:
                item[name] = value
        if record.keywords:
            item["keyword"] = ", ".join(record.keywords)
        for name, key in _EXTRA:
            if extra.get(key):
                item[name] = extra[key]
        items.append(item)
    return items


def to_csl_json(records: Iterable[CitationRecord]) -> str:
    """A CSL-JSON array that `parse_csl_json` reads back as the same records."""
    return json.dumps(to_csl_items(records), ensure_ascii=False, indent=2) + "\n"

