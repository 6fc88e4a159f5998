"""Records out: BibTeX that `parse_bibtex` reads back as the same records (the "Round
trip" rule of docs/bibtex.md), CSV safe to open in a spreadsheet, and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from tracker.bibtex.designs import studydesign_of
from tracker.bibtex.latex import encode_latex, encode_verbatim
from tracker.bibtex.model import CitationRecord, Person
from tracker.bibtex.names import format_people, people_text
from tracker.bibtex.records import CONTAINER_FIELDS
from tracker.bibtex.values import VERBATIM_FIELDS

_CONTAINER_BY_TYPE = {
    "article": "journal",
    "inproceedings": "booktitle",
    "incollection": "booktitle",
    "inbook": "booktitle",
    "conference": "booktitle",
    "book": "publisher",
    "techreport": "institution",
    "report": "institution",
    "misc": "howpublished",
    "online": "howpublished",
}


def _container_field(record: CitationRecord) -> str:
    """A container field that reads back as the container: it must outrank every container
    field left in `extra`."""
    ranks = [CONTAINER_FIELDS.index(key) for key in record.extra if key in CONTAINER_FIELDS]
    ceiling = min(ranks, default=len(CONTAINER_FIELDS))
    preferred = _CONTAINER_BY_TYPE.get(record.entry_type, "journal")
    if CONTAINER_FIELDS.index(preferred) < ceiling:
        return preferred
    return CONTAINER_FIELDS[max(ceiling - 1, 0)]


def _bibtex_fields(record: CitationRecord) -> list[tuple[str, str]]:
    """(field, BibTeX value text without enclosing) in writing order."""
    text = encode_latex
    fields: list[tuple[str, str | None]] = [
        ("author", format_people(record.authors, record.others) or None),
        ("editor", format_people(record.editors, False) or None),
        ("title", text(record.title) if record.title else None),
        (_container_field(record), text(record.container) if record.container else None),
        ("year", str(record.year) if record.year is not None else None),
        ("volume", text(record.volume) if record.volume else None),
        ("number", text(record.number) if record.number else None),
        ("pages", text(record.pages) if record.pages else None),
        ("doi", encode_verbatim(record.doi) if record.doi else None),
        ("pmid", record.pmid),
        ("isbn", text(record.isbn) if record.isbn else None),
        ("url", encode_verbatim(record.url) if record.url else None),
        ("keywords", text(", ".join(record.keywords)) if record.keywords else None),
        ("studydesign", studydesign_of(record)),
        ("abstract", text(record.abstract) if record.abstract else None),
    ]
    written = {name for name, value in fields if value is not None}
    for key, value in record.extra.items():
        if key in written or not value:
            continue
        fields.append((key, encode_verbatim(value) if key in VERBATIM_FIELDS else text(value)))
    return [(name, value) for name, value in fields if value is not None]


def _entry_text(record: CitationRecord) -> str:
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in _bibtex_fields(record))
    return f"@{record.entry_type}{{{record.key},\n{body}\n}}\n"


def to_bibtex(records: Iterable[CitationRecord]) -> str:
    """UTF-8 BibTeX that `parse_bibtex` reads back as the same records (and pybtex reads).
    Keys are written as they are: records sharing a key give a file with a repeated key."""
    return "\n".join(_entry_text(record) for record in records)


CSV_COLUMNS = (
    "key",
    "entry_type",
    "title",
    "authors",
    "editors",
    "year",
    "container",
    "volume",
    "number",
    "pages",
    "doi",
    "pmid",
    "isbn",
    "url",
    "abstract",
    "keywords",
    "design",
    "design_source",
    "design_reason",
    "verified",
    "verification_note",
    "line",
    "extra",
)


def _csv_row(record: CitationRecord) -> list[str]:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    return [
        record.key,
        record.entry_type,
        text(record.title),
        people_text(record.authors, record.others),
        people_text(record.editors),
        text(record.year),
        text(record.container),
        text(record.volume),
        text(record.number),
        text(record.pages),
        text(record.doi),
        text(record.pmid),
        text(record.isbn),
        text(record.url),
        text(record.abstract),
        "; ".join(record.keywords),
        record.design.value if record.design else "",
        record.design_source.value,
        record.design_reason,
        "yes" if record.verified else "no",
        text(record.verification_note),
        str(record.line),
        json.dumps(dict(record.extra), ensure_ascii=False) if record.extra else "",
    ]


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's "CSV
# injection"): an imported title like `=HYPERLINK(...)` must reach an editor as text. A
# spreadsheet set to split on ";" (or a tab) starts cells inside ours too, after each
# separator: `x;=cmd|' /C calc'!A0;y`.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_AFTER_SEPARATOR = re.compile(r"([;,\t\r\n])(?=[=+\-@])")


def _inert_cell(value: str) -> str:
    """The cell as text a spreadsheet will not evaluate, however it splits the line: an
    apostrophe in front of the cell, and after any separator (`;`, `,`, tab, line break),
    where a formula character follows."""
    value = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def to_csv(records: Iterable[CitationRecord]) -> str:
    """One row per record; people as "Family, Given; ...", extra fields as a JSON object.
    A cell a spreadsheet would run as a formula starts with an apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([_inert_cell(cell) for cell in _csv_row(record)] for record in records)
    return buffer.getvalue()


def _record_json(record: CitationRecord) -> dict[str, Any]:
    def people(persons: Sequence[Person]) -> list[dict[str, str]]:
        return [{"family": p.family, "given": p.given} for p in persons]

    return {
        "key": record.key,
        "entry_type": record.entry_type,
        "title": record.title,
        "authors": people(record.authors),
        "others": record.others,
        "corporate_authors": [p.family for p in record.authors if p.corporate],
        "editors": people(record.editors),
        "year": record.year,
        "container": record.container,
        "volume": record.volume,
        "number": record.number,
        "pages": record.pages,
        "doi": record.doi,
        "pmid": record.pmid,
        "isbn": record.isbn,
        "url": record.url,
        "abstract": record.abstract,
        "keywords": list(record.keywords),
        "design": record.design.value if record.design else None,
        "design_source": record.design_source.value,
        "design_reason": record.design_reason,
        "verified": record.verified,
        "verification_note": record.verification_note,
        "extra": dict(record.extra),
        "line": record.line,
        "raw": record.raw,
    }


def to_json(records: Iterable[CitationRecord]) -> str:
    """A JSON list of objects with every field; authors as [{"family", "given"}]."""
    return json.dumps([_record_json(r) for r in records], ensure_ascii=False, indent=2)
