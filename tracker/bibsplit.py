"""BibTeX split into blocks: bibtexparser's splitter, block for block, at a fraction of its cost.

`split(text)` returns the library `bibtexparser.parse_string(text, parse_stack=[])` would:
the same blocks, in the same order, with the same raw text, keys, fields and line numbers.
Pure: no database, no printing.

Why it can be faster and stay the same: bibtexparser's splitter ends whatever block it is in
at a block start (``@type{`` or ``@type(``) that begins a line (after optional whitespace), in
every state (an unclosed brace, an open quote, a missing comma). So the text falls into
independent segments, each from such a line to the next. A segment holding one well-formed
entry (the common case) is read here by regular expressions that follow the splitter's rules:
the delimiters ``{ } " , =`` count unless a backslash precedes them, braces nest, quotes toggle
at depth 0 (braces inside quotes do not count), and a field ends at a ``,`` or ``}`` outside
both. Any other segment — @string, @comment, @preamble, ``(``-delimited blocks, comments
between entries, deep nesting, ``{"}`` inside quotes, an escaped line end, a repeated field,
anything that does not match — goes through bibtexparser's own splitter alone, its line
numbers shifted. When that splitter fails a block of a segment (a syntax error, whose message
and raw text would depend on where the next segment starts), or a segment repeats a key,
the whole text is split by bibtexparser instead. tests/test_bibsplit.py compares every block
with bibtexparser's on the corpora and on generated text.
"""

from __future__ import annotations

import re
from typing import Any

from bibtexparser.entrypoint import parse_string
from bibtexparser.library import Library
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    Field,
    ParsingFailedBlock,
)
from bibtexparser.splitter import Splitter

#: A block start at the beginning of a line (bibtexparser's `_BLOCK_START` there).
_BOUNDARY = re.compile(r"^[^\S\n]*@\w*[ \t]*[{(]", re.MULTILINE)
#: A backslash keeps the next delimiter from counting (the splitter's `(?<!\\)`).
_ESCAPE = r"(?>\\[{}\",=\n]|\\)"


def _braces(depth: int) -> str:
    """A `{...}` group nested at most `depth` deep: inside it only braces count."""
    inner = rf"[^{{}}\\]++|{_ESCAPE}"
    if depth > 1:
        inner += "|" + _braces(depth - 1)
    return rf"\{{(?:{inner})*+\}}"


#: A field value up to the `,` or `}` that ends it: plain text, escapes, brace groups, and
#: quoted strings (braces inside quotes do not count; `{"}` there is left to bibtexparser).
_QUOTED = rf"\"(?:[^\"\\{{]++|\{{(?!\"\}})|{_ESCAPE})*+\""
_VALUE = rf"(?:[^{{}}\",\\]++|{_ESCAPE}|{_QUOTED}|{_braces(4)})*+(?=[,}}])"
#: One field: its name (no delimiter, backslash or `@`), `=`, its value, and the `,` after it
#: (none before the entry's closing `}`).
_FIELD_TEXT = rf"([^{{}}\",=@\\]*)=({_VALUE})(?:,|(?=\}}))"
_FIELD = re.compile(_FIELD_TEXT)
_ANY_FIELD = rf"[^{{}}\",=@\\]*={_VALUE}(?:,|(?=\}}))"
#: A segment that is one well-formed entry and nothing else: type, key (no delimiter,
#: backslash or `@`), fields, the closing `}`, then only white space.
_ENTRY = re.compile(
    rf"[^\S\n]*@(\w*)[ \t]*\{{([^{{}}\",=@\\]*),((?:{_ANY_FIELD})*+)\s*(\}})\s*\Z")
_NOT_ENTRIES = ("@comment", "@preamble", "@string")


class _Fallback(Exception):
    """A segment bibtexparser fails (or that repeats a key): split the whole text instead."""


def split(text: str) -> Library:
    """The blocks of `text`, as `bibtexparser.parse_string(text, parse_stack=[])` gives them."""
    try:
        blocks = _blocks(text)
    except _Fallback:
        return parse_string(text, parse_stack=[])
    library = Library()
    library.add(blocks, fail_on_duplicate_key=False)
    return library


def _blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    starts = [m.start() for m in _BOUNDARY.finditer(text)]
    head_end = starts[0] if starts else len(text)
    if text[:head_end].strip():
        blocks.extend(_split_slowly(text[:head_end], 0))
    line = _line_ends(text, 0, head_end)
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        segment = text[start:end]
        entry = None if "\\\n" in segment else _entry(segment, line)
        if entry is None:
            blocks.extend(_split_slowly(segment, line))
        else:
            blocks.append(entry)
        line += _line_ends(segment, 0, len(segment))
    return blocks


def _line_ends(text: str, start: int, end: int) -> int:
    """Line ends the splitter counts: each `\\n` not escaped by a backslash."""
    return text.count("\n", start, end) - text.count("\\\n", start, end)


def _entry(segment: str, line: int) -> Entry | None:
    """The segment's one well-formed entry (`line`: the segment's first line, 0-based); None
    when the segment is anything else."""
    whole = _ENTRY.match(segment)
    if whole is None or ("@" + whole.group(1).lower()).startswith(_NOT_ENTRIES):
        return None
    line_of_start = line
    line += segment.count("\n", 0, whole.start(3))
    fields: list[Field] = []
    keys: set[str] = set()
    for name, value in _FIELD.findall(segment, whole.start(3), whole.end(4)):
        line += name.count("\n")  # a field's line is the line of its `=`
        key = name.strip()
        keys.add(key)
        fields.append(Field(key=key, value=value.strip(), start_line=line))
        line += value.count("\n")
    if len(keys) != len(fields):
        return None  # a repeated field: bibtexparser's DuplicateFieldKeyBlock
    at = segment.index("@")
    return Entry(start_line=line_of_start, entry_type=whole.group(1).lower(),
                 key=whole.group(2).strip(), fields=fields, raw=segment[at:whole.end(4)])


def _split_slowly(segment: str, line: int) -> list[Block]:
    """The segment through bibtexparser's splitter, its line numbers moved down by `line`."""
    blocks = Splitter(segment).split().blocks
    for block in blocks:
        if isinstance(block, DuplicateBlockKeyBlock) or (
                isinstance(block, ParsingFailedBlock)
                and not isinstance(block, DuplicateFieldKeyBlock)):
            raise _Fallback
        _shift(block, line)
    return blocks


def _shift(block: Any, lines: int) -> None:
    if lines == 0:
        return
    if block.start_line is not None:
        block._start_line_in_file += lines
    inner = getattr(block, "ignore_error_block", None)
    if inner is not None and inner is not block:
        _shift(inner, lines)
    if isinstance(block, Entry):
        for item in block.fields:
            start: int | None = item.start_line
            if start is not None:
                item._start_line = start + lines
