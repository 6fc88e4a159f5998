"""Markdown as CMSs write it: front matter and HTML comments (pure).

Both are blanked, not removed: every character of them becomes a space (newlines kept), so
offsets into the text stay those of the file and a stored span still reads as its claim in
the original. Front matter (YAML between `---` lines, TOML between `+++` lines, at the very
top) also yields metadata: title, author, date, language, description. Setext headings
(a line underlined with `===` or `---`) are read by the parser itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FrontMatter", "blank_comments", "read_front_matter"]

_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?\n)?\1[ \t]*(?:\n|\Z)", re.S)
_FIELD = re.compile(r"^([A-Za-z_][\w-]*)\s*[:=]\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """What a document's front matter says about it (simple `key: value` lines only)."""

    title: str | None = None
    author: str | None = None
    date: str | None = None
    language: str | None = None
    description: str | None = None


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.strip("[]").split(",")[0].strip().strip("\"'") if value.startswith("[") else value


def read_front_matter(text: str) -> tuple[str, FrontMatter]:
    """The text with its front matter blanked, and the fields read from it (title, author or
    authors, date, lang or language, description). No front matter: the text unchanged."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return text, FrontMatter()
    fields: dict[str, str] = {}
    for line in (match.group(2) or "").splitlines():
        field = _FIELD.match(line)
        if field and field.group(2):
            fields.setdefault(field.group(1).casefold(), _unquote(field.group(2)))
    matter = FrontMatter(
        title=fields.get("title") or None,
        author=fields.get("author") or fields.get("authors") or None,
        date=fields.get("date") or fields.get("published") or None,
        language=fields.get("lang") or fields.get("language") or None,
        description=fields.get("description") or None,
    )
    return _blank(text, 0, match.end()), matter


def blank_comments(text: str) -> str:
    """HTML comments (`<!-- … -->`) blanked; an unclosed comment runs to the end of the text.
    Linear: each comment is found with two `find` calls."""
    if "<!--" not in text:
        return text
    out: list[str] = []
    done = 0
    while (start := text.find("<!--", done)) >= 0:
        end = text.find("-->", start + 4)
        end = len(text) if end < 0 else end + 3
        out += (text[done:start], re.sub(r"[^\n]", " ", text[start:end]))
        done = end
    out.append(text[done:])
    return "".join(out)
