"""The values of `tracker.bibtex`: a citation record and its people, the problems a file can
have, and the report of parsing one (docs/bibtex.md). Pure: no database, no printing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tracker.vocabulary import DesignSource, StudyDesign


@dataclass(frozen=True, slots=True)
class Person:
    """An author or editor, in display Unicode. A corporate author has only a family name."""

    family: str
    given: str = ""
    corporate: bool = False

    def __str__(self) -> str:
        return f"{self.given} {self.family}" if self.given else self.family


@dataclass(frozen=True, slots=True)
class CitationRecord:
    """One normalised BibTeX entry. `extra` holds every other field, decoded; treat it as
    read-only (a plain dict so records pickle and compare)."""

    key: str
    entry_type: str
    title: str | None
    authors: tuple[Person, ...] = ()
    others: bool = False
    editors: tuple[Person, ...] = ()
    year: int | None = None
    container: str | None = None
    volume: str | None = None
    number: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    isbn: str | None = None
    url: str | None = None
    abstract: str | None = None
    keywords: tuple[str, ...] = ()
    design: StudyDesign | None = None
    design_source: DesignSource = DesignSource.UNKNOWN
    design_reason: str = "no design information"
    verified: bool = False
    verification_note: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict, hash=False)
    raw: str = ""
    line: int = 0
    #: `entry_digest` of the entry as imported ("" for a record not parsed from a file)
    digest: str = field(default="", compare=False)

    @property
    def dedupe_keys(self) -> tuple[str | None, str | None, str | None]:
        """(doi, pmid, title|year|first-author key); see `dedupe.dedupe_keys` (imported here,
        not at the top: `dedupe` builds on this module)."""
        from tracker.bibtex.dedupe import dedupe_keys

        return dedupe_keys(self)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a user must fix in a .bib file. kind: "parse", "duplicate-key", "invalid",
    "encoding" or "too-large" (the whole text, see `tracker.limits`); or "warning", which
    refuses nothing (`ParsedBib.warnings`). An entry problem has the
    entry's key (shortened when absurdly long), first line and number."""

    source: str
    line: int | None
    key: str | None
    field: str | None
    kind: str
    message: str
    #: For an entry problem, the entry's 1-based position among the file's entries (so the
    #: entries a file lost can be counted even when keys and lines repeat); else None.
    entry_number: int | None = None

    def __str__(self) -> str:
        parts = [self.source]
        if self.line is not None:
            parts.append(str(self.line))
        if self.key:
            parts.append(self.key)
        if self.field:
            parts.append(self.field)
        return ": ".join(parts) + ": " + self.message


@dataclass(frozen=True, slots=True)
class Merge:
    """An incoming entry folded into a kept one; conflicts are (field, kept, ignored)."""

    kept_key: str
    merged_key: str
    line: int | None
    matched_on: str
    filled: tuple[str, ...]
    conflicts: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class ParsedBib:
    """The result of parsing one BibTeX text. `found` counts the entry blocks bibtexparser
    found, parsed or failed; `strings`, `comments` and `preambles` count the other blocks."""

    source: str
    records: tuple[CitationRecord, ...]
    merges: tuple[Merge, ...]
    problems: tuple[Problem, ...]
    found: int
    strings: int
    comments: int
    preambles: int
    #: Entries left out because they are already stored exactly as written (see `Known`).
    known: tuple[KnownEntry, ...] = ()
    #: What may not be what the file meant but refuses nothing: a redefined @string, a macro
    #: used but never defined (kind "warning").
    warnings: tuple[Problem, ...] = ()

    @classmethod
    def refused(cls, problem: Problem) -> ParsedBib:
        """A file of which nothing was read, `problem` saying why (too large, not parsable)."""
        return cls(problem.source, (), (), (problem,), 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class KnownEntry:
    """An entry whose `entry_digest` is a stored citation's: the same text, with the same
    @string macros, was imported before, so it is neither decoded nor validated again."""

    key: str
    line: int
    number: int
    #: the key of the citation stored from it (another when the key was taken: `key-2`)
    into: str


#: Given `entry_digest`s, the key of the citation stored from each entry that was imported.
Known = Callable[[Sequence[str]], dict[str, str]]


class BibFileError(Exception):
    """A file that cannot be read as BibTeX at all (unreadable, binary)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def shown(text: str, limit: int = 80) -> str:
    """`text` for a message: whole when short, else its start and "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
