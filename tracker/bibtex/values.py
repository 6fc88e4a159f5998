"""Field values as BibTeX reads them: enclosing braces or quotes, @string macros, `#`
concatenation, each within the limits (the "Field values" and "Limits" rules of
docs/bibtex.md), then decoded once per distinct raw value of a file."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tracker.bibtex.latex import UNESCAPED_BRACE, WHITESPACE, decode_latex, decode_verbatim
from tracker.bibtex.model import Problem, shown
from tracker.limits import (
    MAX_BRACE_DEPTH,
    MAX_FIELD_CHARS,
    MAX_IMPORT_EXPANSION_CHARS,
    MAX_MACRO_EXPANSION_CHARS,
)

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
    for match in UNESCAPED_BRACE.finditer(text, start):
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
            f"{source}: {line}: {shown(key)}: {field}: @string macros expand this import's "
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
            raise _Refused(f"uses the @string macro '{shown(token)}', which was refused")
        if self.defining:
            self.budget -= len(value)
            if self.budget < 0:
                raise _Refused(
                    f"@string macros in this file expand to more than "
                    f"{MAX_MACRO_EXPANSION_CHARS:,} characters in all; use fewer or shorter "
                    "ones")
        return value


NUL_MESSAGE = "contains a NUL character (U+0000), which is not text; remove it"


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
        raise _Refused(NUL_MESSAGE)
    return value


def _depth(text: str) -> int:
    """How deep unescaped braces nest in `text` (counting stops past the limit)."""
    depth = deepest = 0
    for match in UNESCAPED_BRACE.finditer(text):
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
        elif char in WHITESPACE:
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


class FieldValues:
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
        name = field_name(key)
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
                self.source, entry.start_line + 1, shown(entry.key), name, "warning",
                f"uses the @string macro '{shown(token)}', which the file does not define; "
                f"kept as the text '{shown(token)}'"))
        self.macros.missing.clear()


def field_name(key: str) -> str:
    """A field key in lower case, without the `%` comment lines the splitter leaves in front
    of it (biber and JabRef allow comments inside entries)."""
    name = key.lower()
    if "%" in name or "\n" in name:
        lines = (line.strip(WHITESPACE) for line in name.splitlines())
        name = " ".join(line for line in lines if line and not line.startswith("%"))
    return name


def _strip_names(value: str) -> str:
    return value.strip(WHITESPACE)


def read_macros(strings: Iterable[Any], source: str, nul: bool
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
                source, block_line(string), None, None, "warning",
                f"@string macro '{shown(name)}' is defined again (first on line "
                f"{first_line[name.lower()]}); its last value applies to every entry of the "
                "file"))
        else:
            first_line[name.lower()] = block_line(string)
        try:
            value: str | None = _checked_value(str(string.value), macros, nul)
        except _Refused as refused:
            value = None
            message = f"@string macro '{shown(name)}' refused: {refused}"
            problems.append(Problem(source, block_line(string), None, None, "invalid", message))
        macros.values[name.lower()] = value
    macros.defining = False
    if macros.missing:
        for token in dict.fromkeys(macros.missing):
            warnings.append(Problem(
                source, None, None, None, "warning",
                f"an @string definition uses the macro '{shown(token)}', which the file "
                f"does not define; kept as the text '{shown(token)}'"))
        macros.missing.clear()
    return macros, problems, warnings


def block_line(block: Any) -> int | None:
    start = block.start_line
    return None if start is None else int(start) + 1
