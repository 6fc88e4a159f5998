"""BibTeX in and out: read a reviewer's .bib file, normalise its entries into citation records,
and write records back as BibTeX, CSV or JSON. Pure: no database, no printing.

The pipeline of `parse_bibtex` is a row of named steps, each a small function:

    split (bibtexparser, splitter only) -> resolve @string macros -> normalise each entry
    -> validate -> merge duplicates within the file -> ParsedBib

Failures are data: a block bibtexparser cannot parse, a repeated key and an entry that fails
validation each become a `Problem` (with file, line, key and field) instead of an exception,
and the entry is left out of `records`. Invariant (tested on every corpus file):
``len(records) + len(merges) + len({p.entry_number for entry problems}) == found``. An entry
problem carries the entry's key (possibly ""), first line and `entry_number` (its position
among the file's entries); problems about other blocks (@string, @comment, @preamble) or the
whole file have ``key=None`` and ``entry_number=None``.

Rules, in one place:

- Encoding (`decode_bib_file`): the encoding the user states (`--encoding`), else UTF-16
  when the file starts with a UTF-16 BOM, else UTF-8 (a BOM is stripped, reported as
  "utf-8-sig"), else the single-byte encoding (Windows-1252, Latin-1, Latin-9, Latin-2) or
  GBK whose reading gives plausible words (`tracker.encodings.detect`, with a confidence and
  its evidence); a file that reads equally well in two, or plausibly in none, is a
  `BibFileError` naming the line and both readings. `parse_bib_file` reports a guessed
  encoding as an "encoding" problem; the import reports it as a note. NUL bytes (outside
  UTF-16) mean a binary file: `BibFileError`, naming the line of the first.
- Limits (`tracker.limits`), so that every input is parsed in bounded time and memory: a file
  or upload over `MAX_BIB_FILE_BYTES` is a `BibFileError` before it is read; a text over
  `MAX_BIB_TEXT_CHARS`, or with more than `MAX_BIB_BLOCKS` block starts, is one "too-large"
  problem and nothing of it is parsed. An entry over `MAX_ENTRY_CHARS`, a key over
  `MAX_KEY_CHARS`, an entry type over `MAX_ENTRY_TYPE_CHARS`, a field value over
  `MAX_FIELD_CHARS` (as written or once its macros are expanded) or nested more than
  `MAX_BRACE_DEPTH` deep, and a NUL character anywhere in an entry (UTF-16 text or a pasted
  string; PostgreSQL cannot store it) are "invalid" problems of that entry, with its line and
  the field; the other entries import. A @string over a limit is a problem of its block, and
  every field using it one of its entry; expansion inside a file's @string definitions is
  bounded by `MAX_MACRO_EXPANSION_CHARS`, and what macros add to the fields of one import
  (every use counted, over all its files: `ExpansionBudget`) by `MAX_IMPORT_EXPANSION_CHARS`,
  past which `ExpansionLimit` refuses the import whole. A redefined @string and a macro used
  but never defined are warnings (`ParsedBib.warnings`); a key that differs only in case from
  an earlier one is a duplicate key. Messages quote at most a short start of a value.
- Line endings: CRLF is kept, so `raw` stays byte-faithful; bibtexparser counts lines on
  LF, so line numbers are right. A file with bare CR line ends (classic Mac) is converted to
  LF before parsing, or every entry would be on line 1.
- Field values: @string macros and ``#`` concatenation are resolved as BibTeX does (macro
  names case-insensitive; ``jan``..``dec`` predefined as the full English month names);
  enclosing braces or quotes are removed. Text fields are then LaTeX-decoded for display
  (`decode_latex`): accents and symbols from a small table, protective braces dropped,
  ``--``/``---`` to en/em dash, ````` ``x'' ````` to curly quotes, ``~`` to a space, runs of
  ASCII whitespace to one space, ``$`` math delimiters dropped; a macro the table lacks
  goes to pylatexenc (or, when pylatexenc has no text for it, is dropped and its argument
  kept). ``%`` comments between the parts of a value or before a field are ignored. Verbatim
  fields (doi, url, file, eprint, verifiedfrom, seenat, ...) only lose braces and the
  escapes ``\\_ \\% \\& \\# \\$ \\{ \\}`` (and ``\\textbackslash{}``-style words), so URLs
  keep their ``--`` and ``~``.
- Pages are display text with every dash between two page parts turned into an en dash:
  ``12--18`` and ``12-18`` both become ``12–18`` (written back as ``12--18``).
- Names: bibtexparser's `split_multiple_persons_names` and `parse_single_name_into_parts`
  (non-strict), cached per distinct string; a list with no brace or backslash is split by
  the equivalent regular expression (property-tested against bibtexparser's loop). A name
  that starts with a backslash after "and" gets an empty group in front, as bibtexparser
  2.1.0 would otherwise drop its first two characters. family = von + last + jr, given =
  first. A name that is a single brace group, ``{World Health Organization}``, is a
  corporate author (family = the name, given = ""). A name ``others`` sets `others` and is
  not a Person.
- Year: a ``year`` field must be a 4-digit year from 1500 to next year ("2019a", "in press"
  are invalid). With no year field, the first 4-digit number of a biblatex ``date`` in that
  range is used (a date without one leaves the year empty; no problem).
- Validation, each a kind "invalid" problem that keeps the entry out of `records`: no
  citation key; no title (for every entry type - a titleless @misc with a url is still
  rejected, so the rule has no exceptions); a year field that is not a plausible year; a doi
  field that `normalise_doi` cannot read. Fields bibtexparser saw twice in one entry make it a
  kind "parse" problem. A key used twice: the later entry is a "duplicate-key" problem.
- DOI: lower-case, without ``https://doi.org/``, ``http://dx.doi.org/`` (or another
  resolver address such as ``http://doi.acm.org/``) or ``doi:``; must match
  ``^10\\.\\d{4,9}/\\S+$``. Without a doi field, a resolver address in ``url`` gives it.
  PMID: the digits of a ``pmid`` field (or of ``eprint`` with ``eprinttype = pubmed``); a
  pmid field that is not a number stays in `extra` as written.
- Container: the first present of journal, journaltitle, booktitle, publisher, institution,
  howpublished; the others stay in `extra`.
- Verified: ``verified`` is True when the entry has a ``verifiedfrom`` field and no
  ``uncertain`` field (the curated library's convention). ``verification_note`` is the
  ``verifiedfrom`` text for a verified entry; otherwise the ``uncertain`` text, followed by
  "seen at: <seenat>" when there is one; None when the entry has none of these fields.
  The three fields stay in `extra`, so a record written back keeps its status.
- Study design (`detect_design`): an entry's own ``studydesign`` field (tolerant of case,
  spaces, underscores and synonyms, see `design_from_label`), else the highest-ranked
  keyword or PubMed publication type in ``keywords`` -> source ENTRY; else
  @thesis/@phdthesis/@mastersthesis -> THESIS (SUGGESTED: grey literature, whatever its title
  says it pools); else the first rule of
  `DESIGN_RULES` that matches the title (then the abstract) -> SUGGESTED, with the rule and
  the matched words as the reason; else @book/@inbook/@incollection -> BOOK (SUGGESTED); else
  (None, UNKNOWN, "no design information"). An unrecognised studydesign stays in `extra`.
- Duplicates within a file: the same DOI, else the same PMID, else the same `title_key` +
  year + first author's (else first editor's) family name (accents and case folded; an
  entry with no title, year or person has no such key), but only when DOI, PMID,
  volume, number and first page do not contradict (the same title by the same author in the
  same year in another issue or on another page is another work). The later entry is folded
  into the first: fields the first lacks are filled, keywords are united, differing values
  are listed as conflicts and the first's value kept. A record that took an ``uncertain``
  note from an unverified entry becomes unverified; a CONFIRMED design is never replaced.
  `dedupe_keys` and `merge_records` give the database layer the same keys and rules.
- Round trip: `to_bibtex` writes UTF-8 BibTeX that both bibtexparser and pybtex read, such
  that ``parse_bibtex(to_bibtex(records))`` gives records equal to the input apart from
  `raw` and `line` (`encode_latex` is the inverse of `decode_latex`; a studydesign field is
  written only when the design came from one).

Speed: the import must stay close to bibtexparser's own parse, so no middleware runs after
the splitter (`tracker.bibsplit`, which gives bibtexparser's blocks at a fraction of its
cost); enclosing, macros and decoding happen in one pass per field, cached per distinct raw
value within the file, with cheap substring checks in front of every regular
expression or decoder, and names, LaTeX and title keys cached per distinct string across
files (bounded `lru_cache`s of pure functions, which keep only values up to 2,048 characters).
The limits cost a length check per entry and per field, and a count of braces per distinct
value (as decoding, which scans it anyway). Every regular expression runs in linear time
(look-behinds and possessive quantifiers where backtracking was quadratic, tested against the
expressions they replaced in tests/test_fuzz.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache, lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ExplicitComment,
    ImplicitComment,
    ParsingFailedBlock,
    Preamble,
    String,
)

from tracker import bibsplit, encodings
from tracker.limits import (
    MAX_BIB_BLOCKS,
    MAX_BIB_FILE_BYTES,
    MAX_BIB_TEXT_CHARS,
    MAX_BRACE_DEPTH,
    MAX_ENTRY_CHARS,
    MAX_ENTRY_TYPE_CHARS,
    MAX_FIELD_CHARS,
    MAX_IMPORT_EXPANSION_CHARS,
    MAX_KEY_CHARS,
    MAX_MACRO_EXPANSION_CHARS,
    MB,
    read_bounded,
)
from tracker.vocabulary import DesignSource, StudyDesign

__all__ = [
    "CONTAINER_FIELDS",
    "DESIGN_RULES",
    "MONTH_MACROS",
    "VERBATIM_FIELDS",
    "BibFileError",
    "CitationRecord",
    "Decoded",
    "DesignRule",
    "ExpansionBudget",
    "ExpansionLimit",
    "Merge",
    "ParsedBib",
    "Person",
    "Problem",
    "decode_bib_bytes",
    "decode_bib_file",
    "decode_latex",
    "decode_verbatim",
    "dedupe_keys",
    "design_from_label",
    "detect_design",
    "duplicate_reason",
    "encode_latex",
    "encode_verbatim",
    "merge_records",
    "normalise_doi",
    "normalise_pages",
    "normalise_pmid",
    "parse_bib_file",
    "parse_bibtex",
    "parse_names",
    "read_bib_file",
    "title_key",
    "to_bibtex",
    "to_csv",
    "to_json",
]

# ---------------------------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------------------------


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
        """(doi, pmid, title|year|first-author key); see `dedupe_keys`."""
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


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text and how it was decoded: `encoding` is a codec name; for a file that is
    not UTF, `confidence` and `evidence` are `tracker.encodings.detect`'s (or `stated`: the
    user named the encoding)."""

    text: str
    encoding: str
    confidence: float = 1.0
    evidence: str = ""
    stated: bool = False

    @property
    def unicode(self) -> bool:
        return self.encoding in UNICODE_ENCODINGS

    def note(self) -> str:
        """What an import report says about the encoding ("" for UTF)."""
        name = encodings.name_of(self.encoding)
        if self.stated:
            return f"read as {name}, as stated"
        if self.unicode:
            return ""
        return (f"not UTF-8: read as {name} (confidence {self.confidence:.2f}: "
                f"{self.evidence}); save it as UTF-8, or state the encoding with --encoding")


UNICODE_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16")


def read_bib_file(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The text of a .bib file and the encoding used to decode it (see `decode_bib_file`)."""
    decoded = decode_bib_file(path, encoding)
    return decoded.text, decoded.encoding


def decode_bib_file(path: Path, encoding: str | None = None) -> Decoded:
    """Read and decode a .bib file (see the module docstring; `encoding` states it). A file
    over `MAX_BIB_FILE_BYTES` is refused before it is read."""
    path = Path(path)
    if path.is_dir():
        raise BibFileError(path, "is a directory, not a BibTeX file")
    try:
        data = read_bounded(path, MAX_BIB_FILE_BYTES, lambda size: _too_large(size, path))
    except OSError as error:
        raise BibFileError(path, f"cannot be read: {error.strerror or error}") from error
    return decode_bib_bytes(data, path, encoding)


def _too_large(size: int, path: Path) -> BibFileError:
    return BibFileError(
        path,
        f"is {size:,} bytes; a BibTeX file may be at most {MAX_BIB_FILE_BYTES:,} bytes "
        f"({MAX_BIB_FILE_BYTES // MB} MB) - split it into smaller files",
    )


def read_bib_bytes(data: bytes, path: Path | str, encoding: str | None = None
                   ) -> tuple[str, str]:
    """Decode the bytes of a .bib file (e.g. an upload) as `read_bib_file` does."""
    decoded = decode_bib_bytes(data, path, encoding)
    return decoded.text, decoded.encoding


def decode_bib_bytes(data: bytes, path: Path | str, encoding: str | None = None) -> Decoded:
    """Decode the bytes of a .bib file; `path` names it in errors. More than
    `MAX_BIB_FILE_BYTES` is refused before decoding."""
    path = Path(path)
    if len(data) > MAX_BIB_FILE_BYTES:
        raise _too_large(len(data), path)
    if encoding:
        return _stated(data, path, encoding)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as error:
            raise BibFileError(path, "starts with a UTF-16 mark but is not UTF-16") from error
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise BibFileError(
            path, f"is a binary file (it contains NUL bytes, the first on line {line}), not "
                  "BibTeX text"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if text.startswith("\ufeff"):
            return Decoded(text[1:], "utf-8-sig")
        return Decoded(text, "utf-8")
    try:
        found = encodings.detect(data)
    except encodings.EncodingUnsure as unsure:
        raise BibFileError(path, f"is not UTF-8 and its encoding is unclear: {unsure}; save "
                                 "it as UTF-8, or state the encoding (--encoding latin-1, "
                                 "latin-2, latin-9, cp1252, ...)") from None
    return Decoded(found.text, found.encoding, found.confidence, found.evidence)


def _stated(data: bytes, path: Path, encoding: str) -> Decoded:
    """`data` decoded as the user says it is encoded."""
    codec = encodings.codec(encoding)
    if codec is None:
        raise BibFileError(path, f"unknown encoding {encoding!r} (e.g. utf-8, latin-1, "
                                 "latin-2, latin-9, cp1252)")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise BibFileError(path, f"line {line}: byte 0x{data[error.start]:02x} is not "
                                 f"{encodings.name_of(codec)}, as stated") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise BibFileError(path, "is a binary file (it contains NUL characters), not BibTeX")
    return Decoded(text, codec, stated=True)


def parse_bib_file(path: Path, encoding: str | None = None) -> ParsedBib:
    """Read and parse a .bib file; a file that is not UTF gets an "encoding" problem that
    names the encoding guessed and the confidence."""
    decoded = decode_bib_file(path, encoding)
    parsed = parse_bibtex(decoded.text, source=str(path))
    if decoded.unicode or decoded.stated:
        return parsed
    problem = Problem(str(path), None, None, None, "encoding", decoded.note())
    return replace(parsed, problems=(problem, *parsed.problems))


# ---------------------------------------------------------------------------------------------
# LaTeX <-> Unicode
# ---------------------------------------------------------------------------------------------

_WHITESPACE = " \t\n\r\f\v"
_WHITESPACE_RUN = re.compile(r"[ \t\n\r\f\v]+")
_CONTROL_WHITESPACE = re.compile(r"[\t\n\r\f\v]")
#: A character that may need decoding, or whitespace other than a single space.
_SPECIAL = re.compile(r"[\\{}~$\t\n\r\f\v]")

_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "b": "\u0331",
    "d": "\u0323",
}

_SYMBOL_WORDS = {
    "ss": "ß",
    "SS": "SS",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "dj": "đ",
    "DJ": "Đ",
    "textendash": "–",
    "textemdash": "—",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbackslash": "\\",
    "textbraceleft": "{",
    "textbraceright": "}",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textunderscore": "_",
    "textdollar": "$",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "textquotesingle": "'",
    "textquotedbl": '"',
    "guillemotleft": "«",
    "guillemotright": "»",
    "guillemetleft": "«",
    "guillemetright": "»",
    "quotedblbase": "„",
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "S": "§",
    "P": "¶",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "pounds": "£",
    "textsterling": "£",
    "euro": "€",
    "texteuro": "€",
    "textdegree": "°",
    "textbullet": "•",
    "textperiodcentered": "·",
    "textmu": "µ",
    "slash": "/",
    "textpm": "±",
    "texttimes": "×",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    "BibTeX": "BibTeX",
}

#: Macros that only format their argument (or the rest of their group): dropped for display.
_FORMAT_WORDS = frozenset(
    {"emph", "textit", "textbf", "textsc", "textrm", "textsf", "texttt", "textup", "textsl"}
    | {"textmd", "textnormal", "mbox", "hbox", "url", "mkbibquote", "mkbibemph", "mkbibitalic"}
    | {"mkbibbold", "NoCaseChange", "ensuremath", "textsuperscript", "textsubscript"}
    | {"it", "bf", "em", "sc", "rm", "sf", "tt", "sl", "up", "md", "normalfont", "relax"}
    | {"protect"}
)

_CONTROL_SYMBOLS = {
    "&": "&",
    "%": "%",
    "$": "$",
    "#": "#",
    "_": "_",
    "{": "{",
    "}": "}",
    "~": "~",
    "^": "^",
    " ": " ",
    "\t": " ",
    "\n": " ",
    "\r": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "\\": " ",
    "-": "",
    "/": "",
    "@": "",
    "!": "",
}

_LETTER = r"(?:\\[ij](?![A-Za-z])|[A-Za-z])"
_LATEX_TOKEN = re.compile(
    r"\\(?P<acc>['`^\"~=.])\s*(?:\{\s*(?P<a1>" + _LETTER + r")\s*\}|(?P<a2>" + _LETTER + r"))"
    r"|\\(?P<lacc>[uvHckrbd])(?:\s*\{\s*(?P<l1>" + _LETTER + r")\s*\}|\s+(?P<l2>[A-Za-z]))"
    r"|(?P<noop>\\noopsort\s*\{[^{}]*\})"
    r"|\\(?P<word>[A-Za-z]+)[ \t\n\r]*(?P<args>(?:\{[^{}]*\}){0,9})"
    r"|\\(?P<sym>[^A-Za-z]?)"
    r"|(?P<dash>---?)"
    r"|(?P<quote>``|'')"
    r"|(?P<math>\$)"
    r"|(?P<tilde>~)"
    r"|(?P<brace>[{}])",
    re.DOTALL,
)
_DASHES = {"--": "–", "---": "—"}
_QUOTES = {"``": "“", "''": "”"}


def _collapse(text: str) -> str:
    """One space for every run of ASCII whitespace, none at the ends."""
    if (
        "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
        and _CONTROL_WHITESPACE.search(text) is None
    ):
        return text
    return _WHITESPACE_RUN.sub(" ", text).strip(_WHITESPACE)


def _is_plain(text: str) -> bool:
    """True when `decode_latex` has nothing to do but collapse spaces (the common case)."""
    return (
        _SPECIAL.search(text) is None and "--" not in text and "``" not in text and "''" not in text
    )


def _letter(token: str) -> str:
    return {"\\i": "i", "\\j": "j"}.get(token, token)


def _decode_token(match: re.Match[str]) -> str:
    """One table entry; macros the table lacks go to `_unknown_macro`."""
    accent = match.group("acc") or match.group("lacc")
    if accent is not None:
        letter = match.group("a1") or match.group("a2") or match.group("l1") or match.group("l2")
        return unicodedata.normalize("NFC", _letter(letter) + _ACCENTS[accent])
    word = match.group("word")
    if word is not None:
        args = match.group("args")
        if word == "url":
            return decode_verbatim(args)
        if word == "href" and args:  # \href{address}{text}: the text
            return _decode_table(args[args.rfind("{") :])
        symbol = "" if word in _FORMAT_WORDS else _SYMBOL_WORDS.get(word)
        if symbol is None:
            return _unknown_macro(f"\\{word}", args)
        return symbol + _decode_table(args) if args else symbol
    symbol = match.group("sym")
    if symbol is not None:
        decoded = _CONTROL_SYMBOLS.get(symbol)
        return _unknown_macro(match.group(0), "") if decoded is None else decoded
    text = match.group(0)
    return _DASHES.get(text) or _QUOTES.get(text) or (" " if text == "~" else "")


def _decode_table(text: str) -> str:
    return _LATEX_TOKEN.sub(_decode_token, text)


def _unknown_macro(macro: str, args: str) -> str:
    """pylatexenc's text for a macro the table lacks (``\\alpha`` -> α); when it has none,
    the macro is dropped and its arguments kept (``\\mkbibacro{NASA}`` -> NASA)."""
    if len(args) > _CACHED_CHARS:
        return _unknown_macro_text(macro, args)
    return _unknown_macro_cached(macro, args)


def _unknown_macro_text(macro: str, args: str) -> str:
    try:
        text = str(_pylatexenc().latex_to_text(macro + args))
    except Exception:  # pylatexenc trips on some macros without their arguments
        text = ""
    text = text.replace("\xa0", " ").replace("\xad", "")
    if text.strip(_WHITESPACE) or not args:
        return text
    return _decode_table(args)


_unknown_macro_cached = lru_cache(maxsize=4096)(_unknown_macro_text)


@cache
def _pylatexenc() -> Any:
    from pylatexenc.latex2text import (  # type: ignore[import-untyped]
        LatexNodes2Text,
        MacroTextSpec,
        get_default_latex_context_db,
    )

    context = get_default_latex_context_db()
    context.add_context_category(
        "evidence-tracker", prepend=True, macros=[MacroTextSpec("url", simplify_repl="%s")]
    )
    return LatexNodes2Text(latex_context=context, math_mode="text", keep_braced_groups=False)


#: Longer strings stay out of the caches shared across files: an abstract is rarely decoded
#: twice, and 65,536 cached values of a field's maximum size would hold gigabytes.
_CACHED_CHARS = 2048


def _decode_text(text: str) -> str:
    return _WHITESPACE_RUN.sub(" ", _decode_table(text)).strip(_WHITESPACE)


_decode_cached = lru_cache(maxsize=1 << 16)(_decode_text)


def decode_latex(text: str) -> str:
    """LaTeX field text to display Unicode: accents, symbols, dashes, quotes; braces dropped."""
    if not _is_plain(text):
        return _decode_cached(text) if len(text) <= _CACHED_CHARS else _decode_text(text)
    if "  " in text or text[:1] == " " or text[-1:] == " ":  # no tab or newline: plain
        return _WHITESPACE_RUN.sub(" ", text).strip(_WHITESPACE)
    return text


_ENCODE = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "–": "--",
    "—": "---",
}
_NEEDS_ENCODE = re.compile(r"[\\{}$%&#_~^–—]|--|``|''")
_LIGATURE_CHARS = "-`'"


def encode_latex(text: str) -> str:
    """Display Unicode to BibTeX field text such that `decode_latex` gives it back.

    Non-ASCII letters stay UTF-8; LaTeX specials are escaped; a literal brace or backslash
    becomes ``\\textbraceleft{}`` etc. (BibTeX and pybtex count every brace, escaped or not);
    ``{}`` separates characters that would otherwise form a ligature (``--``, ``````,
    ``''``)."""
    text = _collapse(text)
    if _NEEDS_ENCODE.search(text) is None:
        return text
    out: list[str] = []
    last = ""
    for char in text:
        piece = _ENCODE.get(char, char)
        if last and last in _LIGATURE_CHARS and piece[0] == last:
            out.append("{}")
        out.append(piece)
        last = piece[-1]
    return "".join(out)


_VERBATIM_TOKEN = re.compile(
    r"\\(textbackslash|textbraceleft|textbraceright)\{\}|\\([_%&#${}])|[{}]"
)
_VERBATIM_ENCODE = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
}


def _decode_verbatim_token(match: re.Match[str]) -> str:
    word = match.group(1)
    if word is not None:
        return _SYMBOL_WORDS[word]
    return match.group(2) or ""


def decode_verbatim(text: str) -> str:
    """A verbatim field (url, doi, ...): only braces and ``\\_``-style escapes are removed."""
    if "\\" in text or "{" in text or "}" in text:
        text = _VERBATIM_TOKEN.sub(_decode_verbatim_token, text)
    return _collapse(text)


def encode_verbatim(text: str) -> str:
    """Inverse of `decode_verbatim`."""
    text = _collapse(text)
    if "\\" not in text and "{" not in text and "}" not in text:
        return text
    return "".join(_VERBATIM_ENCODE.get(char, char) for char in text)


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

_UNESCAPED_BRACE = re.compile(r"(?<!\\)[{}]")
_BACKSLASH_WORD = re.compile(r"(?<=[ \t\r\n])\\")


def _is_single_group(text: str) -> bool:
    """True when `text` is one brace group from first to last character."""
    if len(text) < 2 or text[0] != "{" or text[-1] != "}":
        return False
    depth = 0
    last = len(text) - 1
    for match in _UNESCAPED_BRACE.finditer(text):
        depth += 1 if match.group() == "{" else -1
        if depth == 0 and match.start() != last:
            return False
        if depth < 0:
            return False
    return depth == 0


def _parse_person(name: str) -> Person | None:
    if len(name) > _CACHED_CHARS:
        return _person(name)
    return _person_cached(name)


def _person(name: str) -> Person | None:
    if name[:1] == "{" and _is_single_group(name):
        corporate = decode_latex(name)
        return Person(family=corporate, corporate=True) if corporate else None
    parts = parse_single_name_into_parts(name, strict=False)
    family = " ".join(parts.von + parts.last + parts.jr)
    given = " ".join(parts.first)
    if not _is_plain(name):  # the words of a plain name need no decoding
        family, given = decode_latex(family), decode_latex(given)
    if not family:
        return Person(family=given) if given else None
    return Person(family=family, given=given)


_person_cached = lru_cache(maxsize=1 << 16)(_person)
#: Tried only where a whitespace run starts (the look-behind), so a long run of spaces is not
#: scanned again from each of its characters.
_NAME_SEPARATOR = re.compile(r"(?<![ \t\r\n])[ \t\r\n]++and[ \t\r\n]+", re.IGNORECASE)


def _split_names(value: str) -> list[str]:
    """bibtexparser's `split_multiple_persons_names`. Braces and backslashes are all that make
    its character loop more than a split on whitespace-"and"-whitespace, so a list without
    them takes that split (a property test checks both agree)."""
    if "{" in value or "}" in value or "\\" in value:
        return list(split_multiple_persons_names(value))
    value = value.strip(" \r\n\t")
    return _NAME_SEPARATOR.split(value) if value else []


def parse_names(value: str) -> tuple[tuple[Person, ...], bool]:
    """A BibTeX name list (author/editor field, un-decoded) -> (people, "and others")."""
    if len(value) > _CACHED_CHARS:
        return _names(value)
    return _names_cached(value)


def _names(value: str) -> tuple[tuple[Person, ...], bool]:
    people: list[Person] = []
    others = False
    if "\\" in value:
        # split_multiple_persons_names drops the first two characters of a name that starts
        # with a backslash after "and" (bibtexparser 2.1.0); an empty group in front keeps them.
        value = _BACKSLASH_WORD.sub(r"{}\\", value)
    for name in _split_names(value):
        name = name.strip(_WHITESPACE)
        if name == "others":
            others = True
        elif name:
            person = _parse_person(name)
            if person is not None:
                people.append(person)
    return tuple(people), others


_names_cached = lru_cache(maxsize=1 << 16)(_names)


@lru_cache(maxsize=1 << 16)
def _format_person(person: Person) -> str:
    """A name as BibTeX text that `parse_names` reads back as this person: the plain form
    when it works, else with ", ," (an empty first name) and braces to stop BibTeX's word
    splitting."""
    family = encode_latex(person.family)
    if person.corporate:
        return "{" + family + "}"
    given = encode_latex(person.given)
    candidates: tuple[str, ...]
    if given:
        candidates = (f"{family}, {given}", f"{{{family}}}, {{{given}}}")
    else:
        candidates = (family, f"{family}, ,", f"{{{family}}}, ,")
    neighbour = Person("X")
    for text in candidates:  # checked between two other names, as it will be written
        if parse_names(f"X and {text} and X") == ((neighbour, person, neighbour), False):
            return text
    return candidates[-1]


def _format_people(people: Sequence[Person], others: bool) -> str:
    names = [_format_person(person) for person in people]
    if others:
        names.append("others")
    return " and ".join(names)


def _people_text(people: Sequence[Person], others: bool = False) -> str:
    """People for messages and CSV: "Family, Given; Family, Given; others"."""
    names = [f"{p.family}, {p.given}" if p.given else p.family for p in people]
    if others:
        names.append("others")
    return "; ".join(names)


# ---------------------------------------------------------------------------------------------
# Field values: enclosing, macros, concatenation
# ---------------------------------------------------------------------------------------------

MONTH_MACROS: Mapping[str, str] = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}


def _closing_brace(text: str, start: int) -> int:
    """Index of the brace closing the one at `start`, or -1."""
    depth = 0
    for match in _UNESCAPED_BRACE.finditer(text, start):
        depth += 1 if match.group() == "{" else -1
        if depth == 0:
            return match.start()
    return -1


def _closing_quote(text: str, start: int) -> int:
    """Index of the quote closing the one at `start` (quotes inside braces do not count)."""
    depth = 0
    for index in range(start + 1, len(text)):
        char = text[index]
        if char == "{" and text[index - 1] != "\\":
            depth += 1
        elif char == "}" and text[index - 1] != "\\":
            depth -= 1
        elif char == '"' and depth == 0:
            return index
    return -1


class _Refused(Exception):
    """A field or @string value over a limit (`tracker.limits`); the message says which."""


class ExpansionLimit(Exception):
    """The @string macros of one import expand its fields past `MAX_IMPORT_EXPANSION_CHARS`
    in all (every use counted): the whole import is refused. The message names the file,
    line, key and field where the total went over."""

    def __init__(self, source: str, line: int, key: str, field: str) -> None:
        super().__init__(
            f"{source}: {line}: {_shown(key)}: {field}: @string macros expand this import's "
            f"fields to more than {MAX_IMPORT_EXPANSION_CHARS:,} characters in all; the "
            "import is refused - use fewer or shorter macros, or import fewer entries at once")


class ExpansionBudget:
    """How many more characters @string macros may add to the fields of one import (shared
    by its files; `parse_bibtex` charges every use of a value that macros made longer)."""

    __slots__ = ("left",)

    def __init__(self, total: int | None = None) -> None:
        self.left = MAX_IMPORT_EXPANSION_CHARS if total is None else total


class _Macros:
    """A file's @string macros, and how much more expanding them in @string definitions may
    produce in this file (`MAX_MACRO_EXPANSION_CHARS`: macros that double each other grow
    exponentially). A refused macro maps to None. Names used but never defined are collected
    in `missing` (kept as written, as BibTeX does after its warning)."""

    __slots__ = ("values", "budget", "defining", "missing")

    def __init__(self) -> None:
        self.values: dict[str, str | None] = {}
        self.budget = MAX_MACRO_EXPANSION_CHARS
        self.defining = True
        self.missing: list[str] = []

    def expand(self, token: str) -> str:
        """A macro's value (macro names are case-insensitive; the months are predefined),
        or the token as written when no macro has that name."""
        name = token.lower()
        if name not in self.values:
            if name in MONTH_MACROS:
                return MONTH_MACROS[name]
            self.missing.append(token)
            return token
        value = self.values[name]
        if value is None:
            raise _Refused(f"uses the @string macro '{_shown(token)}', which was refused")
        if self.defining:
            self.budget -= len(value)
            if self.budget < 0:
                raise _Refused(
                    f"@string macros in this file expand to more than "
                    f"{MAX_MACRO_EXPANSION_CHARS:,} characters in all; use fewer or shorter "
                    "ones")
        return value


_NUL_MESSAGE = "contains a NUL character (U+0000), which is not text; remove it"


def _checked_value(raw: str, macros: _Macros, nul: bool) -> str:
    """`_resolve_value` within the limits; `nul` says whether the file has a NUL at all (so
    the common case costs a length check and a count of braces, once per distinct value)."""
    if len(raw) > MAX_FIELD_CHARS:
        raise _Refused(
            f"value is {len(raw):,} characters long; a field may hold at most {MAX_FIELD_CHARS:,}"
        )
    if raw.count("{") > MAX_BRACE_DEPTH and _depth(raw) > MAX_BRACE_DEPTH:
        raise _Refused(f"braces are nested more than {MAX_BRACE_DEPTH} deep")
    value = _resolve_value(raw, macros)
    if nul and "\x00" in value:
        raise _Refused(_NUL_MESSAGE)
    return value


def _depth(text: str) -> int:
    """How deep unescaped braces nest in `text` (counting stops past the limit)."""
    depth = deepest = 0
    for match in _UNESCAPED_BRACE.finditer(text):
        if match.group() == "{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_BRACE_DEPTH:
                    break
        elif depth:
            depth -= 1
    return deepest


def _resolve_value(raw: str, macros: _Macros) -> str:
    """A raw field value as BibTeX reads it: enclosing removed, macros and `#` resolved."""
    if len(raw) >= 2:
        first, last = raw[0], raw[-1]
        if first == "{" and last == "}":
            inner = raw[1:-1]
            if ("{" not in inner and "}" not in inner) or _closing_brace(raw, 0) == len(raw) - 1:
                return inner
        elif first == '"' and last == '"' and '"' not in raw[1:-1]:
            return raw[1:-1]
    if raw.isdigit():
        return raw
    return _concatenate(raw, macros)


_MACRO_END = re.compile(r"[\s#%]")


def _skip_space(raw: str, index: int) -> int:
    """The index of the next character that is neither whitespace nor in a `%` comment."""
    end = len(raw)
    while index < end:
        char = raw[index]
        if char == "%":
            newline = raw.find("\n", index)
            index = end if newline < 0 else newline + 1
        elif char in _WHITESPACE:
            index += 1
        else:
            break
    return index


def _concatenate(raw: str, macros: _Macros) -> str:
    """Resolve `a # "b" # {c}` (with `%` comments between the parts); anything malformed
    is returned as written. A result over `MAX_FIELD_CHARS` is refused before it is built."""
    pieces: list[str] = []
    size = 0
    index, end = _skip_space(raw, 0), len(raw)
    while index < end:
        char = raw[index]
        if char in '{"':
            close = _closing_brace(raw, index) if char == "{" else _closing_quote(raw, index)
            if close < 0:
                return raw
            pieces.append(raw[index + 1 : close])
            index = close + 1
        else:
            stop = _MACRO_END.search(raw, index)
            close = end if stop is None else stop.start()
            pieces.append(macros.expand(raw[index:close]))
            index = close
        size += len(pieces[-1])
        if size > MAX_FIELD_CHARS:
            raise _Refused(
                f"value is longer than {MAX_FIELD_CHARS:,} characters once its @string "
                "macros are expanded"
            )
        index = _skip_space(raw, index)
        if index < end:
            if raw[index] != "#":
                return raw
            index = _skip_space(raw, index + 1)
    return "".join(pieces)


#: Fields whose text is not LaTeX (addresses, identifiers, file paths).
VERBATIM_FIELDS = frozenset(
    {"doi", "url", "eprint", "file", "pdf", "verba", "verbb", "verbc", "verifiedfrom", "seenat"}
)
NAME_FIELDS = frozenset({"author", "editor"})


class _FieldValues:
    """Per-file decoding of raw field values, cached per distinct raw string (a file repeats
    its journals, publishers and months; decoding each once keeps the parse cheap)."""

    __slots__ = ("macros", "nul", "_caches", "_specs", "budget", "source", "_grown", "warnings",
                 "_warned")

    def __init__(self, macros: _Macros, nul: bool = False, budget: ExpansionBudget | None = None,
                 source: str = "") -> None:
        self.macros = macros
        #: whether the text holds a NUL anywhere (only then is each value searched for one)
        self.nul = nul
        self.budget = budget or ExpansionBudget()
        self.source = source
        #: raw value -> how many characters its macros added (only values that grew)
        self._grown: dict[str, int] = {}
        #: undefined macros, each reported once per file
        self.warnings: list[Problem] = []
        self._warned: set[str] = set()
        #: one cache per decoder: raw value -> decoded value
        self._caches: dict[Callable[[str], str], dict[str, str]] = {
            decode_latex: {},
            decode_verbatim: {},
            _strip_names: {},
        }
        #: field key as written -> (lower-case key, the decoder's cache, decoder)
        self._specs: dict[str, tuple[str, dict[str, str], Callable[[str], str]]] = {}

    def _spec(self, key: str) -> tuple[str, dict[str, str], Callable[[str], str]]:
        name = _field_name(key)
        decoder: Callable[[str], str] = decode_latex
        if name in NAME_FIELDS:
            decoder = _strip_names
        elif name in VERBATIM_FIELDS:
            decoder = decode_verbatim
        spec = self._specs[key] = (name, self._caches[decoder], decoder)
        return spec

    def entry_fields(self, entry: Any, issues: list[tuple[str | None, str]]) -> dict[str, str]:
        """An entry's fields by lower-case key, decoded; a repeated key keeps its first value.
        A value over a limit is left out and appended to `issues` as (field, message)."""
        fields: dict[str, str] = {}
        specs = self._specs
        for item in entry.fields:
            key = item.key
            name, cache_, decoder = specs[key] if key in specs else self._spec(key)
            if name in fields:
                continue
            raw = item.value
            value = cache_.get(raw)
            if value is None:
                try:
                    resolved = _checked_value(raw, self.macros, self.nul)
                except _Refused as refused:
                    issues.append((name, str(refused)))
                    self.macros.missing.clear()
                    continue
                if len(resolved) > len(raw):
                    self._grown[raw] = len(resolved) - len(raw)
                if self.macros.missing:
                    self._missing(entry, name)
                value = cache_[raw] = decoder(resolved)
            if self._grown and raw in self._grown:
                self._charge(self._grown[raw], entry, name)
            fields[name] = value
        return fields

    def _charge(self, grown: int, entry: Any, name: str) -> None:
        self.budget.left -= grown
        if self.budget.left < 0:
            raise ExpansionLimit(self.source, entry.start_line + 1, entry.key, name)

    def _missing(self, entry: Any, name: str) -> None:
        """Warn (once per file and name) of a macro used but never defined."""
        for token in self.macros.missing:
            if token.lower() in self._warned:
                continue
            self._warned.add(token.lower())
            self.warnings.append(Problem(
                self.source, entry.start_line + 1, _shown(entry.key), name, "warning",
                f"uses the @string macro '{_shown(token)}', which the file does not define; "
                f"kept as the text '{_shown(token)}'"))
        self.macros.missing.clear()


def _field_name(key: str) -> str:
    """A field key in lower case, without the `%` comment lines the splitter leaves in front
    of it (biber and JabRef allow comments inside entries)."""
    name = key.lower()
    if "%" in name or "\n" in name:
        lines = (line.strip(_WHITESPACE) for line in name.splitlines())
        name = " ".join(line for line in lines if line and not line.startswith("%"))
    return name


def _strip_names(value: str) -> str:
    return value.strip(_WHITESPACE)


def _macros(strings: Iterable[Any], source: str, nul: bool
            ) -> tuple[_Macros, list[Problem], list[Problem]]:
    """Step 2: @string definitions in file order; a macro may use the ones before it; a
    redefinition wins (for every entry of the file: a warning says so). A definition over a
    limit is a problem, and fields using it are too. Returns the macros, the problems and
    the warnings."""
    macros = _Macros()
    problems: list[Problem] = []
    warnings: list[Problem] = []
    first_line: dict[str, int | None] = {}
    for string in strings:
        name = str(string.key)
        if name.lower() in first_line:
            warnings.append(Problem(
                source, _line(string), None, None, "warning",
                f"@string macro '{_shown(name)}' is defined again (first on line "
                f"{first_line[name.lower()]}); its last value applies to every entry of the "
                "file"))
        else:
            first_line[name.lower()] = _line(string)
        try:
            value: str | None = _checked_value(str(string.value), macros, nul)
        except _Refused as refused:
            value = None
            message = f"@string macro '{_shown(name)}' refused: {refused}"
            problems.append(Problem(source, _line(string), None, None, "invalid", message))
        macros.values[name.lower()] = value
    macros.defining = False
    if macros.missing:
        for token in dict.fromkeys(macros.missing):
            warnings.append(Problem(
                source, None, None, None, "warning",
                f"an @string definition uses the macro '{_shown(token)}', which the file "
                f"does not define; kept as the text '{_shown(token)}'"))
        macros.missing.clear()
    return macros, problems, warnings


# ---------------------------------------------------------------------------------------------
# Normalisers
# ---------------------------------------------------------------------------------------------

#: A resolver address (doi.org, dx.doi.org, doi.acm.org, ...) or a "doi:" label before a DOI.
#: The host is checked for "doi" by a look-ahead, so a long host is scanned once, not once
#: per "doi" in it.
_DOI_PREFIX = re.compile(
    r"^(?:https?://(?=[^/\s]*doi)[^/\s]*/|doi:\s*|doi\s+)", re.IGNORECASE
)
_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")
#: Characters a DOI never holds: controls, and invisible format characters (zero-width
#: spaces and joiners, bidirectional marks and overrides, soft hyphens); any of them would
#: make one DOI look like two.
_INVISIBLE = frozenset(("Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn", "Cs"))

_PMID = re.compile(r"^(?:pmid:?\s*)?([0-9]{1,9})$", re.IGNORECASE)
_PAGE_DASH = re.compile(r"(?<=\w)[ ]*[-‐‑‒–—]+[ ]*(?=\w)")
_DATE_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_KEYWORD_SPLIT = re.compile(r"[,;]")


def normalise_doi(value: str) -> str | None:
    """A DOI in canonical form (NFC, lower case, no resolver address or "doi:" label), or
    None when it does not match ``10.NNNN/suffix`` with ASCII digits in the prefix, or holds
    an invisible or control character (zero-width, bidirectional, soft hyphen...)."""
    text = value.strip(_WHITESPACE)
    doi = _DOI_PREFIX.sub("", text).strip(_WHITESPACE)
    if doi != text and "%" in doi:  # taken from an address: undo its %-escapes
        doi = unquote(doi)
    if not doi.isascii():
        doi = unicodedata.normalize("NFC", doi)
        if any(unicodedata.category(c) in _INVISIBLE for c in doi):
            return None
    doi = doi.lower()
    return doi if _DOI.match(doi) else None


def normalise_pmid(value: str) -> str | None:
    """The digits of a PubMed id ("PMID: 123" -> "123"), or None."""
    match = _PMID.match(value.strip(_WHITESPACE))
    if match is None:
        return None
    return match.group(1).lstrip("0") or None


def normalise_pages(value: str) -> str:
    """Display pages: every dash between two page parts becomes an en dash ("12--18" ->
    "12–18")."""
    if "-" not in value and "–" not in value and "—" not in value and "‐" not in value:
        return value
    return _PAGE_DASH.sub("–", value)


def _plausible_year(text: str, latest: int) -> int | None:
    if len(text) == 4 and text.isdigit():
        year = int(text)
        if 1500 <= year <= latest:
            return year
    return None


def _year_from_date(text: str, latest: int) -> int | None:
    match = _DATE_YEAR.search(text)
    return _plausible_year(match.group(1), latest) if match else None


def _keywords(text: str) -> tuple[str, ...]:
    return tuple(k for k in (part.strip(_WHITESPACE) for part in _KEYWORD_SPLIT.split(text)) if k)


# ---------------------------------------------------------------------------------------------
# Study design
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DesignRule:
    """A transparent suggestion rule: when `pattern` matches, suggest `design`."""

    name: str
    design: StudyDesign
    pattern: re.Pattern[str]


def _rule(name: str, design: StudyDesign, pattern: str) -> DesignRule:
    return DesignRule(name, design, re.compile(pattern))


#: Suggestion rules, tried in order on the lower-cased title, then the abstract; the first
#: match wins.
DESIGN_RULES: tuple[DesignRule, ...] = (
    _rule("meta-analysis", StudyDesign.META_ANALYSIS, r"\bmeta-?\s?analy[sz]"),
    _rule(
        "systematic review",
        StudyDesign.SYSTEMATIC_REVIEW,
        r"\bsystematic(?:\s+literature)?\s+review|\boverview of (?:systematic )?reviews"
        r"|\bcochrane review",
    ),
    _rule(
        "randomised trial",
        StudyDesign.RCT,
        r"\brandomi[sz]ed|\bdouble[- ]blind|\bplacebo[- ]controlled|\brcts?\b",
    ),
    _rule("case-control", StudyDesign.CASE_CONTROL, r"\bcase[- ]control"),
    _rule(
        "case series",
        StudyDesign.CASE_SERIES,
        r"\bcase[- ]series|\ba report of (?:\d+|two|three|four|five|six|seven|eight|nine|ten)"
        r" cases|\bretrospective analysis of",
    ),
    _rule("case report", StudyDesign.CASE_REPORT, r"\bcase reports?\b|\ba case of\b"),
    _rule(
        "cohort",
        StudyDesign.COHORT,
        r"\bcohort|\bprospective|\bretrospective (?:study|analysis|review|chart review)"
        r"|\bobservational study|\blongitudinal study",
    ),
    _rule(
        "guideline", StudyDesign.GUIDELINE, r"\bguidelines?\b|\bconsensus\b|\bposition statement"
    ),
    _rule(
        "preclinical",
        StudyDesign.PRECLINICAL,
        r"\brats?\b|\bmice\b|\bmouse\b|\bmurine\b|\bin vitro\b|\bcells?\b"
        r"|\breceptors expressed\b|\boocytes?\b|\banimal models?\b",
    ),
    _rule(
        "pharmacology",
        StudyDesign.PHARMACOLOGY,
        r"\bpharmacokinetics?\b|\bbioavailability\b|\bpharmacodynamics?\b",
    ),
    _rule("review", StudyDesign.NARRATIVE_REVIEW, r"\breview\b"),
)
_ANY_RULE = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in DESIGN_RULES))


def _alternatives(pattern: str) -> list[str]:
    """The top-level ``|`` branches of a regular expression."""
    branches, depth, start = [], 0, 0
    for index, char in enumerate(pattern):
        if char == "(" and pattern[index - 1 : index] != "\\":
            depth += 1
        elif char == ")" and pattern[index - 1 : index] != "\\":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
    return [*branches, pattern[start:]]


def _literal_start(branch: str) -> str:
    """The text every match of `branch` starts with: its leading letters and spaces, less a
    last letter that a ``?`` or ``*`` makes optional."""
    literal = re.match(r"(?:\\b)?([a-z ]*)(.?)", branch)
    if literal is None:  # cannot happen: every part of the expression is optional
        return ""
    text, after = literal.group(1), literal.group(2)
    return text[:-1] if after in ("?", "*", "{") else text


def _rule_stems(rules: Iterable[DesignRule]) -> tuple[str, ...]:
    """Text that every rule match contains (the shortest, where one holds another); empty
    when a rule has a branch without a literal start, which turns the shortcut off."""
    stems = {_literal_start(b) for rule in rules for b in _alternatives(rule.pattern.pattern)}
    if "" in stems:
        return ()
    return tuple(sorted(s for s in stems if not any(t != s and t in s for t in stems)))


#: A title containing none of these needs no regex at all (a substring test is several
#: times cheaper than the rules' alternation).
_RULE_STEMS = _rule_stems(DESIGN_RULES)

_D = StudyDesign
#: Labels accepted in a `studydesign` field (after `_label_key`), besides the enum values.
_DESIGN_SYNONYMS: Mapping[str, StudyDesign] = {
    **{value.value.replace("-", " "): value for value in StudyDesign},
    "meta analyses": _D.META_ANALYSIS,
    "metaanalysis": _D.META_ANALYSIS,
    "systematic reviews": _D.SYSTEMATIC_REVIEW,
    "systematic review and meta analysis": _D.META_ANALYSIS,
    "cochrane review": _D.SYSTEMATIC_REVIEW,
    "randomized controlled trial": _D.RCT,
    "randomised controlled trial": _D.RCT,
    "randomized controlled trials": _D.RCT,
    "randomized trial": _D.RCT,
    "randomised trial": _D.RCT,
    "randomized clinical trial": _D.RCT,
    "randomised clinical trial": _D.RCT,
    "cohort study": _D.COHORT,
    "cohort studies": _D.COHORT,
    "prospective cohort": _D.COHORT,
    "retrospective cohort": _D.COHORT,
    "observational": _D.COHORT,
    "observational study": _D.COHORT,
    "non randomised controlled": _D.COHORT,
    "non randomized controlled": _D.COHORT,
    "controlled clinical trial": _D.COHORT,
    "case control study": _D.CASE_CONTROL,
    "case control studies": _D.CASE_CONTROL,
    "case reports": _D.CASE_REPORT,
    "review": _D.NARRATIVE_REVIEW,
    "narrative": _D.NARRATIVE_REVIEW,
    "guidelines": _D.GUIDELINE,
    "practice guideline": _D.GUIDELINE,
    "clinical practice guideline": _D.GUIDELINE,
    "consensus": _D.GUIDELINE,
    "consensus statement": _D.GUIDELINE,
    "consensus development conference": _D.GUIDELINE,
    "animal": _D.PRECLINICAL,
    "animal study": _D.PRECLINICAL,
    "animal studies": _D.PRECLINICAL,
    "in vitro": _D.PRECLINICAL,
    "in vitro study": _D.PRECLINICAL,
    "pre clinical": _D.PRECLINICAL,
    "pharmacokinetics": _D.PHARMACOLOGY,
    "pharmacokinetic study": _D.PHARMACOLOGY,
    # a label is a regulator's document, not a pharmacology study: GRADE does not rate it
    "drug label": _D.REGULATORY_LABEL,
    "label": _D.REGULATORY_LABEL,
    "product label": _D.REGULATORY_LABEL,
    "prescribing information": _D.REGULATORY_LABEL,
    "package insert": _D.REGULATORY_LABEL,
    "summary of product characteristics": _D.REGULATORY_LABEL,
    "smpc": _D.REGULATORY_LABEL,
    "regulatory document": _D.REGULATORY_LABEL,
    # abbreviated reviews (one reviewer, narrative synthesis), e.g. CADTH rapid responses
    "rapid response": _D.RAPID_REVIEW,
    "rapid response report": _D.RAPID_REVIEW,
    "rapid reviews": _D.RAPID_REVIEW,
    # unpublished (grey) literature: a thesis is not a published review, whatever it pools
    "dissertation": _D.THESIS,
    "masters thesis": _D.THESIS,
    "phd thesis": _D.THESIS,
    "doctoral thesis": _D.THESIS,
    "grey literature": _D.THESIS,
    "gray literature": _D.THESIS,
    "book chapter": _D.BOOK,
}
#: Keywords and PubMed publication types that name a design (after `_label_key`).
_KEYWORD_DESIGNS: Mapping[str, StudyDesign] = {
    "meta analysis": _D.META_ANALYSIS,
    "systematic review": _D.SYSTEMATIC_REVIEW,
    "randomized controlled trial": _D.RCT,
    "randomised controlled trial": _D.RCT,
    "rct": _D.RCT,
    "controlled clinical trial": _D.COHORT,
    "observational study": _D.COHORT,
    "cohort study": _D.COHORT,
    "case control study": _D.CASE_CONTROL,
    "case series": _D.CASE_SERIES,
    "case reports": _D.CASE_REPORT,
    "case report": _D.CASE_REPORT,
    "practice guideline": _D.GUIDELINE,
    "guideline": _D.GUIDELINE,
    "consensus development conference": _D.GUIDELINE,
    "consensus statement": _D.GUIDELINE,
    "animal study": _D.PRECLINICAL,
    "in vitro study": _D.PRECLINICAL,
    "review": _D.NARRATIVE_REVIEW,
}
#: When several keywords name a design, the most specific wins ("Review" is the weakest).
_KEYWORD_RANK = {
    design: rank
    for rank, design in enumerate(
        (
            _D.META_ANALYSIS,
            _D.SYSTEMATIC_REVIEW,
            _D.RCT,
            _D.GUIDELINE,
            _D.CASE_CONTROL,
            _D.COHORT,
            _D.CASE_SERIES,
            _D.CASE_REPORT,
            _D.PRECLINICAL,
            _D.PHARMACOLOGY,
            _D.NARRATIVE_REVIEW,
            _D.BOOK,
            _D.OTHER,
        )
    )
}
_LABEL_SEPARATORS = re.compile(r"[\s_\-]+")
_BOOK_TYPES = frozenset({"book", "inbook", "incollection", "mvbook", "bookinbook"})
_THESIS_TYPES = frozenset({"thesis", "phdthesis", "mastersthesis"})
FIELD_REASON = "studydesign field"
NO_DESIGN = "no design information"


def _label_key(label: str) -> str:
    return _LABEL_SEPARATORS.sub(" ", label.casefold()).strip()


def design_from_label(label: str) -> StudyDesign | None:
    """The design a `studydesign` value names ("RCT", "meta_analysis", "Cohort study"...)."""
    return _DESIGN_SYNONYMS.get(_label_key(label))


def _design_from_keywords(keywords: Iterable[str]) -> tuple[StudyDesign, str] | None:
    best: tuple[StudyDesign, str] | None = None
    for keyword in keywords:
        design = _KEYWORD_DESIGNS.get(_label_key(keyword))
        if design is not None and (best is None or _KEYWORD_RANK[design] < _KEYWORD_RANK[best[0]]):
            best = (design, keyword)
    return best


def _suggest(where: str, text: str | None) -> tuple[StudyDesign, str] | None:
    if not text:
        return None
    text = text.lower()
    if _RULE_STEMS and not any(stem in text for stem in _RULE_STEMS):
        return None
    if _ANY_RULE.search(text) is None:  # one pass rules out most of the rest
        return None
    for rule in DESIGN_RULES:
        match = rule.pattern.search(text)
        if match is not None:
            return rule.design, f"rule '{rule.name}': {where} mentions '{match.group(0)}'"
    return None


def detect_design(
    *,
    studydesign: str | None = None,
    keywords: Iterable[str] = (),
    title: str | None = None,
    abstract: str | None = None,
    entry_type: str = "",
) -> tuple[StudyDesign | None, DesignSource, str]:
    """(design, where it came from, why) for an entry; see the module docstring. A thesis
    entry type wins over its title's words: a thesis "meta-analysis" is grey literature."""
    if studydesign:
        design = design_from_label(studydesign)
        if design is not None:
            return design, DesignSource.ENTRY, f"{FIELD_REASON}: {design.value}"
    from_keywords = _design_from_keywords(keywords) if keywords else None
    if from_keywords is not None:
        design, keyword = from_keywords
        return design, DesignSource.ENTRY, f"keyword '{keyword}'"
    if entry_type in _THESIS_TYPES:
        return StudyDesign.THESIS, DesignSource.SUGGESTED, f"entry type @{entry_type}"
    suggestion = _suggest("title", title) or _suggest("abstract", abstract)
    if suggestion is not None:
        return suggestion[0], DesignSource.SUGGESTED, suggestion[1]
    if entry_type in _BOOK_TYPES:
        return StudyDesign.BOOK, DesignSource.SUGGESTED, f"entry type @{entry_type}"
    return None, DesignSource.UNKNOWN, NO_DESIGN


def _studydesign_of(record: CitationRecord) -> str | None:
    """The studydesign value to write for a record whose design came from that field."""
    if record.design is None:
        return None
    if record.design_source is DesignSource.CONFIRMED:
        return record.design.value
    if record.design_source is DesignSource.ENTRY and record.design_reason.startswith(FIELD_REASON):
        return record.design.value
    return None


# ---------------------------------------------------------------------------------------------
# Dedupe keys
# ---------------------------------------------------------------------------------------------

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
    if len(title) > _CACHED_CHARS:
        return _title_key(title)
    return _title_key_cached(title)


def _title_key(title: str) -> str:
    if not _is_plain(title):
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


# ---------------------------------------------------------------------------------------------
# Entry -> record
# ---------------------------------------------------------------------------------------------

NO_KEY = "entry has no citation key; add one after the opening brace"
CONTAINER_FIELDS = (
    "journal",
    "journaltitle",
    "booktitle",
    "publisher",
    "institution",
    "howpublished",
)
_CONSUMED = frozenset(
    {"title", "author", "editor", "year", "volume", "number", "pages", "doi", "pmid", "isbn"}
    | {"url", "abstract", "keywords", "studydesign"}
)


def _verification(extra: Mapping[str, str]) -> tuple[bool, str | None]:
    """(verified, note) from verifiedfrom / uncertain / seenat; see the module docstring."""
    verified_from = extra.get("verifiedfrom")
    uncertain = extra.get("uncertain")
    if verified_from is not None and uncertain is None:
        return True, verified_from
    seen_at = extra.get("seenat")
    if uncertain is not None:
        return False, f"{uncertain}; seen at: {seen_at}" if seen_at else uncertain
    return False, f"seen at: {seen_at}" if seen_at else None


@dataclass(slots=True)
class _Draft:
    """An entry's fields after decoding, before validation; `issues` are (field, message)."""

    number: int
    key: str
    entry_type: str
    fields: dict[str, str]
    raw: str
    line: int
    issues: list[tuple[str | None, str]]
    digest: str = ""


def _record_from_draft(draft: _Draft, latest_year: int) -> CitationRecord | None:
    """Build the record, appending validation issues to the draft; None when invalid."""
    fields = draft.fields
    issues = draft.issues
    if not draft.key:
        issues.append((None, NO_KEY))
    title = fields.get("title") or None
    if title is None:
        issues.append(("title", "entry has no title; add a title field"))
    year: int | None = None
    year_text = fields.get("year")
    if year_text:
        year = _plausible_year(year_text, latest_year)
        if year is None:
            issues.append(
                ("year", f"year '{_shown(year_text)}' is not a plausible year (1500-{latest_year})")
            )
    elif "date" in fields:
        year = _year_from_date(fields["date"], latest_year)
    doi: str | None = None
    doi_text = fields.get("doi")
    if doi_text:
        doi = normalise_doi(doi_text)
        if doi is None:
            message = (f"DOI {_shown(doi_text)!r} is malformed (expected 10.NNNN/suffix, "
                       "without invisible characters)")
            issues.append(("doi", message))
    if issues:
        return None
    return _build_record(draft, title, year, doi)


def _container_and_extra(fields: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    """The first container field present, and every field not stored elsewhere."""
    extra = {key: value for key, value in fields.items() if value and key not in _CONSUMED}
    for key in CONTAINER_FIELDS:
        value = fields.get(key)
        if value:
            del extra[key]
            return value, extra
    return None, extra


def _doi_from_url(url: str | None) -> str | None:
    if url is None or "doi" not in url or _DOI_PREFIX.match(url) is None:
        return None
    return normalise_doi(url)


def _pmid(fields: Mapping[str, str], extra: dict[str, str]) -> str | None:
    """The pmid field's number (a pmid that is not one is kept in `extra`), else the eprint
    of a biblatex ``eprinttype = pubmed``."""
    text = fields.get("pmid")
    if text:
        pmid = normalise_pmid(text)
        if pmid is None:
            extra["pmid"] = text
        return pmid
    if fields.get("eprinttype", "").lower() == "pubmed":
        return normalise_pmid(fields.get("eprint", ""))
    return None


def _build_record(
    draft: _Draft, title: str | None, year: int | None, doi: str | None
) -> CitationRecord:
    fields = draft.fields
    container, extra = _container_and_extra(fields)
    url = fields.get("url") or None
    doi = doi or _doi_from_url(url)
    pmid = _pmid(fields, extra)
    authors, others = parse_names(fields["author"]) if "author" in fields else ((), False)
    editors = parse_names(fields["editor"])[0] if "editor" in fields else ()
    keywords = _keywords(fields["keywords"]) if "keywords" in fields else ()
    studydesign = fields.get("studydesign")
    if studydesign and design_from_label(studydesign) is None:
        extra["studydesign"] = studydesign
    abstract = fields.get("abstract") or None
    design, source, reason = detect_design(
        studydesign=studydesign,
        keywords=keywords,
        title=title,
        abstract=abstract,
        entry_type=draft.entry_type,
    )
    verified, note = _verification(extra)
    pages = fields.get("pages")
    return CitationRecord(
        key=draft.key,
        entry_type=draft.entry_type,
        title=title,
        authors=authors,
        others=others,
        editors=editors,
        year=year,
        container=container,
        volume=fields.get("volume") or None,
        number=fields.get("number") or None,
        pages=normalise_pages(pages) if pages else None,
        doi=doi,
        pmid=pmid,
        isbn=fields.get("isbn") or None,
        url=url,
        abstract=abstract,
        keywords=keywords,
        design=design,
        design_source=source,
        design_reason=reason,
        verified=verified,
        verification_note=note,
        extra=extra,
        raw=draft.raw,
        line=draft.line,
        digest=draft.digest,
    )


# ---------------------------------------------------------------------------------------------
# Merging duplicates
# ---------------------------------------------------------------------------------------------

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


class _FieldMerger:
    """Collects what a merge filled and where the two records disagreed."""

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
        if kept in (None, "", ()):
            if incoming not in (None, "", ()):
                self.filled.append(name)
                return incoming
            return kept
        if incoming in (None, "", ()):
            return kept
        equal = same(kept, incoming) if same is not None else kept == incoming
        if not equal:
            self.conflicts.append((name, show(kept), show(incoming)))
        return kept


def _same_title(a: str, b: str) -> bool:
    return a == b or title_key(a) == title_key(b)


def merge_records(
    kept: CitationRecord, incoming: CitationRecord, matched_on: str | None = None
) -> tuple[CitationRecord, Merge]:
    """Fold `incoming` into `kept`: fill what kept lacks, list conflicts, never overwrite."""
    merger = _FieldMerger()
    pick = merger.pick
    pick("entry_type", kept.entry_type, incoming.entry_type)
    title = pick("title", kept.title, incoming.title, same=_same_title)
    people = pick(
        "author",
        (kept.authors, kept.others) if kept.authors or kept.others else (),
        (incoming.authors, incoming.others) if incoming.authors or incoming.others else (),
        show=lambda value: _people_text(*value),
    )
    authors, others = people if people else ((), False)
    editors = pick("editor", kept.editors, incoming.editors, show=_people_text)
    year = pick("year", kept.year, incoming.year)
    container = pick("container", kept.container, incoming.container)
    volume = pick("volume", kept.volume, incoming.volume)
    number = pick("number", kept.number, incoming.number)
    pages = pick("pages", kept.pages, incoming.pages)
    doi = pick("doi", kept.doi, incoming.doi)
    pmid = pick("pmid", kept.pmid, incoming.pmid)
    isbn = pick("isbn", kept.isbn, incoming.isbn)
    url = pick("url", kept.url, incoming.url)
    abstract = pick("abstract", kept.abstract, incoming.abstract)
    new_keywords = tuple(k for k in incoming.keywords if k not in kept.keywords)
    if new_keywords:
        merger.filled.append("keywords")
    keywords = kept.keywords + new_keywords
    extra = dict(kept.extra)
    for key, value in incoming.extra.items():
        extra[key] = pick(key, extra.get(key), value)
    studydesign = pick("studydesign", _studydesign_of(kept), _studydesign_of(incoming))
    design: StudyDesign | None
    source: DesignSource
    if kept.design_source is DesignSource.CONFIRMED:  # a reviewer's word is never replaced
        design, source, reason = kept.design, kept.design_source, kept.design_reason
    elif incoming.design_source is DesignSource.CONFIRMED and studydesign == incoming.design:
        design, source, reason = incoming.design, incoming.design_source, incoming.design_reason
    else:
        design, source, reason = detect_design(
            studydesign=studydesign or extra.get("studydesign"),
            keywords=keywords,
            title=title,
            abstract=abstract,
            entry_type=kept.entry_type,
        )
    verified, note = _verification(extra)
    merged = CitationRecord(
        key=kept.key,
        entry_type=kept.entry_type,
        title=title,
        authors=authors,
        others=others,
        editors=editors,
        year=year,
        container=container,
        volume=volume,
        number=number,
        pages=pages,
        doi=doi,
        pmid=pmid,
        isbn=isbn,
        url=url,
        abstract=abstract,
        keywords=keywords,
        design=design,
        design_source=source,
        design_reason=reason,
        verified=verified,
        verification_note=note,
        extra=extra,
        raw=kept.raw,
        line=kept.line,
        digest=kept.digest,
    )
    merge = Merge(
        kept_key=kept.key,
        merged_key=incoming.key,
        line=incoming.line or None,
        matched_on=matched_on or duplicate_reason(kept, incoming) or "manual",
        filled=tuple(merger.filled),
        conflicts=tuple(merger.conflicts),
    )
    return merged, merge


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


def _merge_within_file(
    records: Iterable[CitationRecord],
) -> tuple[list[CitationRecord], list[Merge]]:
    """Step 5: fold each record into an earlier one with the same DOI, PMID or title key."""
    kept, merges, _firsts = merge_duplicates(records)
    return kept, merges


# ---------------------------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------------------------

_BLOCK_HEAD = re.compile(r"@\s*([\w-]*)\s*[{(]\s*([^,\s{}()@]*)")
_NOT_ENTRIES = frozenset({"comment", "preamble", "string"})
#: Where the splitter may start a block (its own pattern): counted to refuse a file with too
#: many blocks before splitting it (a match inside a field value counts too, so the count is
#: never below the number of blocks).
_BLOCK_START = re.compile(r"@\w*[ \t]*[{(]")


def _shown(text: str, limit: int = 80) -> str:
    """`text` for a message: whole when short, else its start and "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _refuse_text(text: str, source: str) -> Problem | None:
    """Step 0: a text over `MAX_BIB_TEXT_CHARS`, or with more than `MAX_BIB_BLOCKS` block
    starts, is refused whole before the splitter spends time and memory on it."""
    if len(text) > MAX_BIB_TEXT_CHARS:
        message = (
            f"the text is {len(text):,} characters long; at most {MAX_BIB_TEXT_CHARS:,} "
            "are read at once - split it into smaller files"
        )
        return Problem(source, None, None, None, "too-large", message)
    if text.count("@") <= MAX_BIB_BLOCKS:
        return None
    beyond = next(islice(_BLOCK_START.finditer(text), MAX_BIB_BLOCKS, None), None)
    if beyond is None:
        return None
    line = text.count("\n", 0, beyond.start()) + 1
    message = (
        f"has more than {MAX_BIB_BLOCKS:,} blocks (@entries, @string, @comment; the block "
        f"start on line {line} is past the limit) - split the file"
    )
    return Problem(source, None, None, None, "too-large", message)


@dataclass(slots=True)
class _Blocks:
    """Step 1's output: the blocks of a split file, sorted by what they are. Entries, parsed
    or failed, carry their 1-based number among the file's entries; other failed blocks None."""

    entries: list[tuple[int, Any]] = field(default_factory=list)
    strings: list[Any] = field(default_factory=list)
    failed: list[tuple[int | None, Any]] = field(default_factory=list)
    comments: int = 0
    preambles: int = 0
    found: int = 0


def _failed_block_is_entry(block: Any) -> bool:
    if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock):
        return True
    head = _BLOCK_HEAD.match(block.raw or "")
    return (head.group(1).lower() if head else "") not in _NOT_ENTRIES


def _split(text: str) -> _Blocks:
    """Step 1: bibtexparser's splitter only, or its equal `tracker.bibsplit` (no middlewares:
    enclosing, macros and LaTeX are handled per distinct value by `_FieldValues`, which is
    cheaper than a pass per field)."""
    library = bibsplit.split(text)
    blocks = _Blocks()
    for block in library.blocks:
        if isinstance(block, Entry):
            blocks.found += 1
            blocks.entries.append((blocks.found, block))
        elif isinstance(block, String):
            blocks.strings.append(block)
        elif isinstance(block, DuplicateBlockKeyBlock) and isinstance(
            block.ignore_error_block, String
        ):
            blocks.strings.append(block.ignore_error_block)  # a redefinition: later wins
        elif isinstance(block, ParsingFailedBlock):
            number = None
            if _failed_block_is_entry(block):
                blocks.found += 1
                number = blocks.found
            blocks.failed.append((number, block))
        elif isinstance(block, ExplicitComment | ImplicitComment):
            blocks.comments += 1
        elif isinstance(block, Preamble):
            blocks.preambles += 1
    return blocks


def _keys_differing_in_case(blocks: _Blocks, source: str) -> list[Problem]:
    """Step 1b: BibTeX keys ignore case, so an entry whose key differs only in case from an
    earlier entry's is a duplicate key: it becomes a problem and is left out."""
    seen: dict[str, Any] = {}
    kept: list[tuple[int, Any]] = []
    problems: list[Problem] = []
    for number, entry in blocks.entries:
        folded = str(entry.key).lower()
        earlier = seen.get(folded)
        if earlier is None or not entry.key:
            seen.setdefault(folded, entry)
            kept.append((number, entry))
            continue
        problems.append(Problem(
            source, entry.start_line + 1, _shown(entry.key), None, "duplicate-key",
            f"key '{_shown(entry.key)}' differs only in case from '{_shown(earlier.key)}' on "
            f"line {earlier.start_line + 1} (BibTeX keys ignore case); this entry was "
            "skipped - give it a unique key", number))
    blocks.entries = kept
    return problems


def _line(block: Any) -> int | None:
    start = block.start_line
    return None if start is None else int(start) + 1


def _failed_block_problem(block: Any, number: int | None, source: str) -> Problem:
    """A block bibtexparser could not parse (`number` is its entry number, if an entry)."""
    line = _line(block)
    if isinstance(block, DuplicateBlockKeyBlock):
        key = str(block.key)
        if not key:  # a second keyless entry: the missing key is what to fix
            return Problem(source, line, key, None, "invalid", NO_KEY, number)
        previous = _line(block.previous_block)
        message = (
            f"key '{_shown(key)}' is already used by the entry on line {previous}; "
            "this entry was skipped - give it a unique key"
        )
        return Problem(source, line, _shown(key), None, "duplicate-key", message, number)
    if isinstance(block, DuplicateFieldKeyBlock):
        entry: Any = block.ignore_error_block
        names = _shown(", ".join(sorted(block.duplicate_keys)))
        message = f"field '{names}' appears more than once in the entry; keep one"
        return Problem(source, line, _shown(str(entry.key)), names, "parse", message, number)
    head = _BLOCK_HEAD.match(block.raw or "")
    block_type = _shown(head.group(1).lower() if head else "", MAX_ENTRY_TYPE_CHARS)
    reason = getattr(block.error, "abort_reason", None) or str(block.error) or "syntax error"
    reason = _shown(" ".join(str(reason).split()), 300)  # it can quote a whole broken field
    if number is None:
        message = f"could not parse this @{block_type} block: {reason}"
        return Problem(source, line, None, None, "parse", message)
    message = f"could not parse this @{block_type} entry: {reason}"
    key = _shown(head.group(2)) if head else ""
    return Problem(source, line, key, None, "parse", message, number)


def _draft(number: int, entry: Any, values: _FieldValues, digest: str) -> _Draft:
    """Step 3: an entry's decoded fields (bibtexparser gives the type in lower case); an entry
    over a limit is not decoded at all, a field over one is left out; both become issues."""
    issues = _entry_issues(entry, values.nul)
    fields = {} if issues else values.entry_fields(entry, issues)
    line = entry.start_line + 1
    return _Draft(number, entry.key, entry.entry_type, fields, entry.raw, line, issues, digest)


def _entry_issues(entry: Any, nul: bool) -> list[tuple[str | None, str]]:
    """The limits of a whole entry (`tracker.limits`): its size, its key, its type."""
    issues: list[tuple[str | None, str]] = []
    if len(entry.raw) > MAX_ENTRY_CHARS:
        issues.append((None, f"entry is {len(entry.raw):,} characters long; an entry may be "
                             f"at most {MAX_ENTRY_CHARS:,}"))
    if len(entry.key) > MAX_KEY_CHARS:
        issues.append((None, f"citation key is {len(entry.key):,} characters long; a key may "
                             f"be at most {MAX_KEY_CHARS}"))
    if len(entry.entry_type) > MAX_ENTRY_TYPE_CHARS:
        issues.append((None, f"entry type '@{_shown(entry.entry_type, 40)}' is "
                             f"{len(entry.entry_type):,} characters long; at most "
                             f"{MAX_ENTRY_TYPE_CHARS}"))
    if nul and "\x00" in entry.raw:  # the field that has it, else the entry (key, name...)
        where = (item.key for item in entry.fields if "\x00" in item.value)
        issues.append((_field_name(next(where, "")) or None, _NUL_MESSAGE))
    return issues


def prepare_text(text: str) -> str:
    """Step 0: drop a BOM; turn bare-CR line ends into LF so line numbers count (every
    reference format's parser starts with it)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text and "\r\n" not in text:
        text = text.replace("\r", "\n")
    return text


def _normalise_entries(
    entries: Iterable[tuple[int, Any, str]], values: _FieldValues, source: str
) -> tuple[list[CitationRecord], list[Problem]]:
    """Steps 3-4: each entry becomes a record, or "invalid" problems when validation fails."""
    latest_year = date.today().year + 1
    records: list[CitationRecord] = []
    problems: list[Problem] = []
    for number, entry, digest in entries:
        draft = _draft(number, entry, values, digest)
        record = None if draft.issues else _record_from_draft(draft, latest_year)
        if record is not None:
            records.append(record)
            continue
        key = _shown(draft.key)
        for name, message in draft.issues:
            problems.append(Problem(source, draft.line, key, name, "invalid", message, number))
    return records, problems


def _macro_signature(strings: Sequence[Any]) -> str:
    """The file's @string definitions as written, in order (a redefinition counts)."""
    return "\x1e".join(f"{block.key}\x1f{block.value}" for block in strings)


def _digest_prefix(macros: str) -> Any:
    return hashlib.sha256(macros.encode("utf-8", "surrogatepass") + b"\x00")


def _finish_digest(prefix: Any, raw: str) -> str:
    digest = prefix.copy()
    digest.update(raw.encode("utf-8", "surrogatepass"))
    return str(digest.hexdigest())


def entry_digest(raw: str, macros: str = "") -> str:
    """SHA-256 (hex) of the file's @string definitions (`macros`: as written, in order,
    "" for none), a NUL, and the entry's text. Two entries with the same digest decode to
    the same record, so a stored digest marks an entry as imported."""
    return _finish_digest(_digest_prefix(macros), raw)


def _digested(blocks: _Blocks) -> list[tuple[int, Any, str]]:
    """Each entry with its `entry_digest` (the macros hashed once per file)."""
    prefix = _digest_prefix(_macro_signature(blocks.strings))
    return [(number, entry, _finish_digest(prefix, entry.raw))
            for number, entry in blocks.entries]


def _known_entries(entries: list[tuple[int, Any, str]], known: Known | None
                   ) -> tuple[list[tuple[int, Any, str]], tuple[KnownEntry, ...]]:
    """Split `entries` into those to decode and those `known` says were imported as written."""
    if known is None or not entries:
        return entries, ()
    stored = known([digest for _, _, digest in entries])
    if not stored:
        return entries, ()
    kept: list[tuple[int, Any, str]] = []
    skipped: list[KnownEntry] = []
    for item in entries:
        number, entry, digest = item
        into = stored.get(digest)
        if into is not None:
            skipped.append(KnownEntry(entry.key, entry.start_line + 1, number, into))
        else:
            kept.append(item)
    return kept, tuple(skipped)


def parse_bibtex(text: str, source: str = "<string>", known: Known | None = None,
                 budget: ExpansionBudget | None = None) -> ParsedBib:
    """Parse BibTeX text into valid, within-file-deduplicated records plus problems.

    `known`, when given, names the entries already stored exactly as written; they are not
    decoded again but listed in `ParsedBib.known` (so re-importing a file costs little more
    than splitting it). `budget` bounds what @string macros add to the fields of all the
    files of one import (ExpansionLimit past it)."""
    refused = _refuse_text(text, source)
    if refused is not None:
        return ParsedBib(source, (), (), (refused,), 0, 0, 0, 0)
    try:
        blocks = _split(prepare_text(text))
    except Exception as error:  # a splitter bug must not take the import down
        message = f"bibtexparser failed: {_shown(str(error), 300)}"
        return ParsedBib(source, (), (), (Problem(source, None, None, None, "parse", message),),
                         0, 0, 0, 0)
    case_problems = _keys_differing_in_case(blocks, source)
    entries, known_entries = _known_entries(_digested(blocks), known)
    nul = "\x00" in text
    macros, macro_problems, warnings = _macros(blocks.strings, source, nul)
    values = _FieldValues(macros, nul, budget, source)
    valid, invalid = _normalise_entries(entries, values, source)
    failed = [_failed_block_problem(block, number, source) for number, block in blocks.failed]
    records, merges = _merge_within_file(valid)
    problems = sorted(invalid + failed + macro_problems + case_problems,
                      key=lambda p: (p.line is None, p.line or 0))
    return ParsedBib(
        source=source,
        records=tuple(records),
        merges=tuple(merges),
        problems=tuple(problems),
        found=blocks.found,
        strings=len(blocks.strings),
        comments=blocks.comments,
        preambles=blocks.preambles,
        known=known_entries,
        warnings=tuple(sorted(warnings + values.warnings,
                              key=lambda p: (p.line is None, p.line or 0))),
    )


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

#: The container field to write, by entry type (when `extra` does not rule it out).
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
        ("author", _format_people(record.authors, record.others) or None),
        ("editor", _format_people(record.editors, False) or None),
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
        ("studydesign", _studydesign_of(record)),
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
        _people_text(record.authors, record.others),
        _people_text(record.editors),
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
