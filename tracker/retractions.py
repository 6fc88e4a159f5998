"""The Retraction Watch database, in the CSV layout Crossref publishes it openly: read its
notices (retractions, expressions of concern, corrections, reinstatements) about original
papers, keyed by the papers' DOI and PMID. Pure: no database.

Columns read (by name, in any order; others are ignored): ``Record ID``,
``OriginalPaperDOI``, ``OriginalPaperPubMedID``, ``RetractionNature``, ``RetractionDate``,
``RetractionDOI``, ``RetractionPubMedID``, ``Reason``. A missing column refuses the file
(`NoticeFileError`). In a row, "unavailable" / empty DOIs and PubMed ID "0" mean none; DOIs
are normalised as citations' are (`bibtex.normalise_doi`); dates are the database's
``M/D/YYYY H:MM`` (or ISO ``YYYY-MM-DD``). A row whose nature is not one of the four, or whose
date cannot be read, is a problem naming its line and column; a row with neither DOI nor
PMID of the original paper cannot be matched and is counted, not reported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from tracker import bibtex
from tracker.limits import MAX_NOTICE_FILE_BYTES, MB, read_bounded
from tracker.vocabulary import NoticeNature

__all__ = ["COLUMNS", "Notice", "NoticeFile", "NoticeFileError", "parse_notices",
           "read_notice_file"]

COLUMNS = ("Record ID", "OriginalPaperDOI", "OriginalPaperPubMedID", "RetractionNature",
           "RetractionDate", "RetractionDOI", "RetractionPubMedID", "Reason")
_NATURES = {
    "retraction": NoticeNature.RETRACTION,
    "expression of concern": NoticeNature.EXPRESSION_OF_CONCERN,
    "correction": NoticeNature.CORRECTION,
    "reinstatement": NoticeNature.REINSTATEMENT,
}


class NoticeFileError(Exception):
    """A file that cannot be read as the Retraction Watch CSV at all."""


@dataclass(frozen=True, slots=True)
class Notice:
    """One row: a notice about an original paper (its DOI and/or PMID)."""

    line: int
    record_id: str
    nature: NoticeNature
    paper_doi: str | None
    paper_pmid: str | None
    notice_date: date | None
    notice_doi: str | None
    notice_pmid: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class NoticeFile:
    source: str
    notices: tuple[Notice, ...]
    #: (line, column, message) of rows that were not read
    problems: tuple[tuple[int, str, str], ...]
    rows: int
    #: rows naming neither a DOI nor a PMID of the original paper
    unmatchable: int


def _doi(text: str) -> str | None:
    text = text.strip()
    if not text or text.lower() in ("unavailable", "none", "n/a", "0"):
        return None
    return bibtex.normalise_doi(text)


def _pmid(text: str) -> str | None:
    text = text.strip()
    return None if text in ("", "0") else bibtex.normalise_pmid(text)


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    day = text.split(" ")[0]
    for pattern in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(day, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"date {text[:40]!r} is neither M/D/YYYY nor YYYY-MM-DD")


def parse_notices(text: str, source: str = "<string>") -> NoticeFile:
    """The notices of a Retraction Watch CSV text (see the module docstring)."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise NoticeFileError(
            f"{source}: not the Retraction Watch CSV layout: no column {', '.join(missing)} "
            f"(its header has {', '.join(header[:12]) or 'nothing'})")
    reader.fieldnames = header
    notices: list[Notice] = []
    problems: list[tuple[int, str, str]] = []
    rows = unmatchable = 0
    try:
        for row in reader:
            rows += 1
            line = reader.line_num
            nature = _NATURES.get((row.get("RetractionNature") or "").strip().lower())
            if nature is None:
                problems.append((line, "RetractionNature", "nature "
                                 f"{(row.get('RetractionNature') or '')[:40]!r} is not "
                                 "Retraction, Expression of concern, Correction or "
                                 "Reinstatement"))
                continue
            try:
                when = _date(row.get("RetractionDate") or "")
            except ValueError as error:
                problems.append((line, "RetractionDate", str(error)))
                continue
            paper_doi = _doi(row.get("OriginalPaperDOI") or "")
            paper_pmid = _pmid(row.get("OriginalPaperPubMedID") or "")
            if paper_doi is None and paper_pmid is None:
                unmatchable += 1
                continue
            notices.append(Notice(
                line=line, record_id=(row.get("Record ID") or "").strip()[:32] or f"line-{line}",
                nature=nature, paper_doi=paper_doi, paper_pmid=paper_pmid, notice_date=when,
                notice_doi=_doi(row.get("RetractionDOI") or ""),
                notice_pmid=_pmid(row.get("RetractionPubMedID") or ""),
                reason=" ".join((row.get("Reason") or "").split())[:10_000]))
    except csv.Error as error:
        raise NoticeFileError(f"{source}: line {reader.line_num}: not CSV: {error}") from None
    return NoticeFile(source, tuple(notices), tuple(problems), rows, unmatchable)


def read_notice_file(path: Path) -> NoticeFile:
    """Read and parse the CSV file (refused past `MAX_NOTICE_FILE_BYTES`, before reading)."""
    def too_large(size: int) -> NoticeFileError:
        return NoticeFileError(f"{path}: is {size:,} bytes; at most "
                               f"{MAX_NOTICE_FILE_BYTES // MB} MB are read")

    try:
        data = read_bounded(Path(path), MAX_NOTICE_FILE_BYTES, too_large)
    except OSError as error:
        raise NoticeFileError(f"{path}: cannot be read: {error.strerror or error}") from None
    return parse_bytes(data, str(path))


def parse_bytes(data: bytes, source: str) -> NoticeFile:
    """Decode (UTF-8, else the detected encoding, as for reference files) and parse."""
    if len(data) > MAX_NOTICE_FILE_BYTES:
        raise NoticeFileError(f"{source}: is {len(data):,} bytes; at most "
                              f"{MAX_NOTICE_FILE_BYTES // MB} MB are read")
    try:
        text = bibtex.decode_bib_bytes(data, source).text if not _utf8(data) else \
            data.decode("utf-8")
    except bibtex.BibFileError as error:
        raise NoticeFileError(str(error)) from None
    return parse_notices(text, source)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data
