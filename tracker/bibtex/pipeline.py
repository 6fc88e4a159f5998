"""`parse_bibtex`: BibTeX text to records and problems, as a row of named steps (split ->
@string macros -> decode each entry -> validate -> merge duplicates; docs/bibtex.md). The
splitter is `tracker.bibsplit`, bibtexparser's own block for block."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

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

from tracker import bibsplit
from tracker.bibtex.dedupe import merge_duplicates
from tracker.bibtex.model import (
    CitationRecord,
    Known,
    KnownEntry,
    Merge,
    ParsedBib,
    Problem,
    shown,
)
from tracker.bibtex.records import NO_KEY, Draft, record_from_draft
from tracker.bibtex.values import (
    NUL_MESSAGE,
    ExpansionBudget,
    FieldValues,
    block_line,
    field_name,
    read_macros,
)
from tracker.limits import (
    MAX_BIB_BLOCKS,
    MAX_BIB_TEXT_CHARS,
    MAX_ENTRY_CHARS,
    MAX_ENTRY_TYPE_CHARS,
    MAX_KEY_CHARS,
)

_BLOCK_HEAD = re.compile(r"@\s*([\w-]*)\s*[{(]\s*([^,\s{}()@]*)")
_NOT_ENTRIES = frozenset({"comment", "preamble", "string"})
#: Where the splitter may start a block (its own pattern): counted to refuse a file with too
#: many blocks before splitting it (a match inside a field value counts too, so the count is
#: never below the number of blocks).
_BLOCK_START = re.compile(r"@\w*[ \t]*[{(]")


def text_too_long(text: str, source: str) -> Problem | None:
    """A text over `MAX_BIB_TEXT_CHARS`, in any reference format, is refused whole."""
    if len(text) <= MAX_BIB_TEXT_CHARS:
        return None
    message = (f"the text is {len(text):,} characters long; at most {MAX_BIB_TEXT_CHARS:,} "
               "are read at once - split it into smaller files")
    return Problem(source, None, None, None, "too-large", message)


def _refuse_text(text: str, source: str) -> Problem | None:
    """Step 0: a text over `MAX_BIB_TEXT_CHARS`, or with more than `MAX_BIB_BLOCKS` block
    starts, is refused whole before the splitter spends time and memory on it."""
    too_long = text_too_long(text, source)
    if too_long is not None:
        return too_long
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
    enclosing, macros and LaTeX are handled per distinct value by `FieldValues`, which is
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
            source, entry.start_line + 1, shown(entry.key), None, "duplicate-key",
            f"key '{shown(entry.key)}' differs only in case from '{shown(earlier.key)}' on "
            f"line {earlier.start_line + 1} (BibTeX keys ignore case); this entry was "
            "skipped - give it a unique key", number))
    blocks.entries = kept
    return problems


def _failed_block_problem(block: Any, number: int | None, source: str) -> Problem:
    """A block bibtexparser could not parse (`number` is its entry number, if an entry)."""
    line = block_line(block)
    if isinstance(block, DuplicateBlockKeyBlock):
        key = str(block.key)
        if not key:  # a second keyless entry: the missing key is what to fix
            return Problem(source, line, key, None, "invalid", NO_KEY, number)
        previous = block_line(block.previous_block)
        message = (
            f"key '{shown(key)}' is already used by the entry on line {previous}; "
            "this entry was skipped - give it a unique key"
        )
        return Problem(source, line, shown(key), None, "duplicate-key", message, number)
    if isinstance(block, DuplicateFieldKeyBlock):
        entry: Any = block.ignore_error_block
        names = shown(", ".join(sorted(block.duplicate_keys)))
        message = f"field '{names}' appears more than once in the entry; keep one"
        return Problem(source, line, shown(str(entry.key)), names, "parse", message, number)
    head = _BLOCK_HEAD.match(block.raw or "")
    block_type = shown(head.group(1).lower() if head else "", MAX_ENTRY_TYPE_CHARS)
    reason = getattr(block.error, "abort_reason", None) or str(block.error) or "syntax error"
    reason = shown(" ".join(str(reason).split()), 300)  # it can quote a whole broken field
    if number is None:
        message = f"could not parse this @{block_type} block: {reason}"
        return Problem(source, line, None, None, "parse", message)
    message = f"could not parse this @{block_type} entry: {reason}"
    key = shown(head.group(2)) if head else ""
    return Problem(source, line, key, None, "parse", message, number)


def _draft(number: int, entry: Any, values: FieldValues, digest: str) -> Draft:
    """Step 3: an entry's decoded fields (bibtexparser gives the type in lower case); an entry
    over a limit is not decoded at all, a field over one is left out; both become issues."""
    issues = _entry_issues(entry, values.nul)
    fields = {} if issues else values.entry_fields(entry, issues)
    line = entry.start_line + 1
    return Draft(number, entry.key, entry.entry_type, fields, entry.raw, line, issues, digest)


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
        issues.append((None, f"entry type '@{shown(entry.entry_type, 40)}' is "
                             f"{len(entry.entry_type):,} characters long; at most "
                             f"{MAX_ENTRY_TYPE_CHARS}"))
    if nul and "\x00" in entry.raw:  # the field that has it, else the entry (key, name...)
        where = (item.key for item in entry.fields if "\x00" in item.value)
        issues.append((field_name(next(where, "")) or None, NUL_MESSAGE))
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
    entries: Iterable[tuple[int, Any, str]], values: FieldValues, source: str
) -> tuple[list[CitationRecord], list[Problem]]:
    """Steps 3-4: each entry becomes a record, or "invalid" problems when validation fails."""
    latest_year = date.today().year + 1
    records: list[CitationRecord] = []
    problems: list[Problem] = []
    for number, entry, digest in entries:
        draft = _draft(number, entry, values, digest)
        record = None if draft.issues else record_from_draft(draft, latest_year)
        if record is not None:
            records.append(record)
            continue
        key = shown(draft.key)
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
        return ParsedBib.refused(refused)
    try:
        blocks = _split(prepare_text(text))
    except Exception as error:  # a splitter bug must not take the import down
        message = f"bibtexparser failed: {shown(str(error), 300)}"
        return ParsedBib.refused(Problem(source, None, None, None, "parse", message))
    case_problems = _keys_differing_in_case(blocks, source)
    entries, known_entries = _known_entries(_digested(blocks), known)
    nul = "\x00" in text
    macros, macro_problems, warnings = read_macros(blocks.strings, source, nul)
    values = FieldValues(macros, nul, budget, source)
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


def _merge_within_file(
    records: Iterable[CitationRecord],
) -> tuple[list[CitationRecord], list[Merge]]:
    """Step 5: fold each record into an earlier one with the same DOI, PMID or title key."""
    kept, merges, _firsts = merge_duplicates(records)
    return kept, merges
