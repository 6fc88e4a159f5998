"""Reference formats other than BibTeX, in and out: RIS (`ris`), PubMed MEDLINE / .nbib
(`medline`) and CSL-JSON (`csl`). Each reader turns its records into the same normalised
`bibtex.CitationRecord`s and `bibtex.ParsedBib` report as the BibTeX reader (`records`), so
the import service (`tracker.services.citations`) merges, matches and writes them alike.
Pure: no database, no printing."""

from __future__ import annotations

from pathlib import PurePath

from tracker import bibtex
from tracker.formats.csl import parse_csl_json, to_csl_json
from tracker.formats.medline import parse_medline
from tracker.formats.ris import parse_ris, to_ris

__all__ = ["FORMATS", "detect_format", "parse_references", "to_csl_json", "to_ris"]

#: The formats an import reads, by the name a user gives (`--format`).
FORMATS = ("bibtex", "ris", "pubmed", "csl-json")
_BY_SUFFIX = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".nbib": "pubmed",
              ".medline": "pubmed", ".json": "csl-json", ".csljson": "csl-json"}


def detect_format(name: str, text: str) -> str:
    """The format of a file: by its suffix (.bib, .ris, .nbib/.medline, .json), else by its
    first line (``TY  -`` RIS, ``PMID-`` MEDLINE, ``[`` or ``{`` JSON), else BibTeX."""
    suffix = PurePath(name).suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    start = text.lstrip("\ufeff \t\r\n")[:16]
    if start.startswith("TY  -"):
        return "ris"
    if start.startswith("PMID-"):
        return "pubmed"
    if start.startswith(("[", "{")) and not start.startswith("{\\"):
        return "csl-json"
    return "bibtex"


def parse_references(text: str, source: str, fmt: str, *, known: bibtex.Known | None = None,
                     budget: bibtex.ExpansionBudget | None = None) -> bibtex.ParsedBib:
    """Parse one file in format `fmt` (one of `FORMATS`) into records and problems."""
    if fmt == "bibtex":
        return bibtex.parse_bibtex(text, source, known=known, budget=budget)
    if fmt == "ris":
        return parse_ris(text, source, known)
    if fmt == "pubmed":
        return parse_medline(text, source, known)
    if fmt == "csl-json":
        return parse_csl_json(text, source, known)
    raise ValueError(f"unknown reference format {fmt!r} (one of {', '.join(FORMATS)})")
