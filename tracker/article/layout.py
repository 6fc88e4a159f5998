"""Steps 1-3 and 5 of reading an article: lines and blocks; the title, furniture, boilerplate,
table of contents and page breaks taken out; headings and content placed into sections; the
listed resources.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from tracker.article import furniture, language
from tracker.article.text import (
    _BOILERPLATE_LINE,
    _BULLET,
    _CONTENTS_TITLE,
    _FAQ_TITLE,
    _HEADING_MAX_CHARS,
    _HEADING_MAX_WORDS,
    _MD_FENCE,
    _QUESTION_MAX_CHARS,
    _RESOURCES_TITLE,
    _SETEXT,
    _URL,
    _clean,
    _ends_sentence,
    _key,
    _md_heading,
    _unwrap_links,
)
from tracker.article.values import ParsedResource, ParsedSection
from tracker.vocabulary import SectionKind


@dataclass(frozen=True, slots=True)
class _Line:
    start: int  # offset of the first non-space character
    end: int  # offset after the last non-space character
    text: str  # the stripped line


@dataclass(frozen=True, slots=True)
class _Block:
    """Consecutive non-blank lines; `md_level` > 0 for a Markdown heading line."""

    lines: tuple[_Line, ...]
    md_level: int = 0

    @property
    def start(self) -> int:
        return self.lines[0].start

    @property
    def end(self) -> int:
        return self.lines[-1].end

    @property
    def single(self) -> str | None:
        """The text of a one-line block, else None."""
        return self.lines[0].text if len(self.lines) == 1 else None


def _lines(text: str) -> list[_Line | None]:
    """Every line, stripped, with its span; None for a blank line."""
    result: list[_Line | None] = []
    offset = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            result.append(_Line(offset + lead, offset + lead + len(stripped), stripped))
        else:
            result.append(None)
        offset += len(raw) + 1
    return result


def _blocks(text: str, markdown: bool) -> list[_Block]:
    """Paragraph-like blocks; in Markdown a heading line is a block of its own, code is skipped."""
    blocks: list[_Block] = []
    current: list[_Line] = []
    in_fence = False

    def flush() -> None:
        if current:
            blocks.append(_Block(tuple(current)))
            current.clear()

    for line in _lines(text):
        if markdown and line is not None and _MD_FENCE.match(line.text):
            in_fence = not in_fence
            flush()
            continue
        if line is None or in_fence:
            flush()
            continue
        heading = _md_heading(line.text) if markdown else None
        if heading:
            flush()
            blocks.append(_Block((line,), md_level=heading[0]))
            continue
        setext = _SETEXT.match(line.text) if markdown else None
        if setext and current and not _BULLET.match(current[-1].text):
            underlined = current.pop()
            flush()
            blocks.append(_Block((underlined,), md_level=1 if setext.group(1)[0] == "=" else 2))
            continue
        current.append(line)
    flush()
    return blocks


# --------------------------------------------------------------------------------------------
# Step 2: title, boilerplate, table of contents, page breaks


def _heading_text(block: _Block) -> str:
    """The title a heading block shows (Markdown hashes and emphasis removed)."""
    text = block.lines[0].text
    if block.md_level:
        heading = _md_heading(text)
        text = heading[1] if heading else text
    return _clean(text)


def _looks_like_heading(line: str) -> bool:
    """A plain-text heading: one short line, no sentence punctuation, not a bullet or a URL."""
    text = _clean(line)
    if not text or _BULLET.match(line) or _URL.search(text):
        return False
    if len(text) > _HEADING_MAX_CHARS or language.word_count(text) > _HEADING_MAX_WORDS:
        return False
    if text[-1] in ".!,;:。．！、，；：؛،" or text[0].islower():
        return False
    return any(ch.isalpha() for ch in text)


_STRAY_TOKEN = re.compile(r"[=&?_/@#|{}<>\\]|^[\W\d]+$|^[0-9a-f]{8,}$", re.IGNORECASE)


def _is_stray(block: _Block) -> bool:
    """A line before the title that cannot be one: a single token that is a tracking string or
    a stray mark (symbols, mostly digits, a hex id, three digits or more among letters), or a
    line of site furniture ("Skip to content", a breadcrumb, a date)."""
    if block.md_level or len(block.lines) != 1:
        return False
    text = _clean(block.lines[0].text)
    if not text or furniture.furniture_kind(text) is not None:
        return True
    if len(text.split()) != 1:
        return False
    digits = sum(ch.isdigit() for ch in text)
    return bool(_STRAY_TOKEN.search(text)) or (digits >= 3 and digits < len(text))


def _take_title(
    blocks: list[_Block], markdown: bool, fallback: str | None = None
) -> tuple[str, list[_Block]]:
    """The title is the first `#` heading (Markdown) or a short first line (plain text), after
    any stray tokens and furniture before it (left out); `fallback` (front matter, a page's
    metadata) when the text has none."""
    lead = 0
    while lead < len(blocks) - 1 and _is_stray(blocks[lead]):
        lead += 1
    blocks = blocks[lead:]
    if not blocks:
        return fallback or "", blocks
    first = blocks[0]
    if markdown:
        if first.md_level == 1:
            return _heading_text(first), blocks[1:]
        return fallback or "", blocks
    line = first.lines[0].text
    if _BULLET.match(line) or _URL.search(line) or len(line) > 150 or _ends_sentence(line):
        return fallback or "", blocks
    if len(first.lines) == 1:
        return _clean(line), blocks[1:]
    rest = _Block(first.lines[1:])
    return _clean(line), [rest, *blocks[1:]]


class _Furniture(NamedTuple):
    """The blocks left after site furniture is taken out, and what the furniture said."""

    blocks: list[_Block]
    author: str | None
    published: str | None
    kinds: tuple[str, ...]


def _furniture_line(line: _Line) -> furniture.FurnitureLine | None:
    return furniture.furniture_kind(_clean(_unwrap_links(_BULLET.sub("", line.text))))


def _take_out_furniture(blocks: list[_Block], markdown: bool) -> _Furniture:
    """Blocks whose every line is furniture (`tracker.article.furniture.furniture_kind`) are
    left out, their author and date kept; a heading that opens a furniture box ("Related
    articles", "Share this page", "Book an appointment") is left out with everything up to the
    next heading of its level or above (plain text: the next heading)."""
    kept: list[_Block] = []
    author = published = None
    kinds: list[str] = []
    skipping: int | None = None  # the Markdown level (99 in plain text) of the box being skipped
    for block in blocks:
        title = _heading_candidate(block, markdown)
        level = block.md_level or 99
        if skipping is not None:
            if title is None or level > skipping:
                continue  # inside the box
            skipping = None  # a heading of the box's level or above ends it
        if title is not None and furniture.is_furniture_heading(title, markdown=markdown):
            kinds.append("box")
            skipping = level
            continue
        if block.md_level:
            kept.append(block)
            continue
        found = [_furniture_line(line) for line in block.lines]
        if not all(found):
            kept.append(block)
            continue
        for item in found:
            assert item is not None
            kinds.append(item.kind)
            author = author or item.author
            published = published or item.date
    return _Furniture(kept, author, published, tuple(dict.fromkeys(kinds)))


def _is_boilerplate(block: _Block, title: str) -> bool:
    """Site furniture: a repeated title line, 'Find other … articles:', bare URL lines."""
    if block.md_level:
        return False
    if title and block.single is not None and _key(block.single) == _key(title):
        return True
    return all(_is_boilerplate_line(line.text) for line in block.lines)


def _is_boilerplate_line(line: str) -> bool:
    if _BOILERPLATE_LINE.match(line):
        return True
    return bool(_URL.search(line)) and not _ends_sentence(line)


def _bullet_items(block: _Block) -> list[str] | None:
    """The item texts when every line of the block is a bullet, else None."""
    if block.md_level or not all(_BULLET.match(line.text) for line in block.lines):
        return None
    return [_BULLET.sub("", line.text) for line in block.lines]


def _heading_candidate(block: _Block, markdown: bool) -> str | None:
    """The heading title the block would have, before context is known."""
    if markdown:
        return _heading_text(block) if block.md_level else None
    line = block.single
    return _clean(line) if line is not None and _looks_like_heading(line) else None


def _find_toc(blocks: list[_Block], markdown: bool) -> tuple[int | None, frozenset[str]]:
    """The bulleted table of contents: the first list (before any heading) naming later headings.

    A list counts when it has at least two items, every item is heading-like, and at least half
    of the items match (case-insensitively) a heading that follows it.
    """
    headings = [_heading_candidate(block, markdown) for block in blocks]
    later = Counter(_key(title) for title in headings if title is not None)  # after `index`
    for index, block in enumerate(blocks):
        title = headings[index]
        if title is not None:
            if not _CONTENTS_TITLE.match(_key(_heading_text(block))):
                return None, frozenset()
            later[_key(title)] -= 1
        items = _bullet_items(block)
        if not items or len(items) < 2:
            continue
        keys = [_key(item) for item in items]
        if not all(_looks_like_heading(_unwrap_links(item)) for item in items):
            continue
        matched = sum(later[key] > 0 for key in keys)
        if matched >= 2 and matched * 2 >= len(keys):
            return index, frozenset(keys)
    return None, frozenset()


def _is_back_matter(key: str) -> bool:
    return bool(_FAQ_TITLE.match(key) or _RESOURCES_TITLE.match(key))


def _join_page_breaks(blocks: list[_Block], protected: frozenset[str]) -> list[_Block]:
    """Re-join a paragraph split by a page break.

    A block whose last line has no sentence-final punctuation, followed by a block starting
    with a lowercase letter, is one paragraph. Headings named by the table of contents (or
    back-matter headings) are never joined.
    """
    result: list[list[_Line]] = []  # lines of each joined block (lists: joining is O(1))
    levels: list[int] = []
    for block in blocks:
        first = block.lines[0].text
        previous = result[-1] if result else None
        if (
            previous is not None
            and not levels[-1]
            and not block.md_level
            and first[:1].islower()
            and not _BULLET.match(first)
            and not _ends_sentence(previous[-1].text)
            and not (len(previous) == 1 and _key(previous[0].text) in protected)
        ):
            previous.extend(block.lines)
            continue
        result.append(list(block.lines))
        levels.append(block.md_level)
    return [_Block(tuple(lines), level) for lines, level in zip(result, levels, strict=True)]


# --------------------------------------------------------------------------------------------
# Step 3: headings and content → sections


@dataclass(frozen=True, slots=True)
class _Placed:
    """A content block with the section path it sits in."""

    block: _Block
    path: tuple[str, ...]
    in_resources: bool


@dataclass(frozen=True, slots=True)
class _Frame:
    """An open section while walking: its title and Markdown depth (0 in plain text)."""

    title: str
    md_level: int


class _Layout(NamedTuple):
    sections: list[ParsedSection]
    content: list[_Placed]


def _question_title(block: _Block) -> str | None:
    """A one-line block ending in '?' (emphasis allowed) is an FAQ question."""
    line = block.single
    if line is None or _BULLET.match(line):
        return None
    text = _heading_text(block)
    return text if text.endswith("?") and len(text) <= _QUESTION_MAX_CHARS else None


def _lay_out(blocks: list[_Block], markdown: bool, toc: frozenset[str]) -> _Layout:
    """Walk the blocks, building the section tree and placing each content block in it.

    A heading that repeats an earlier one at the same place of the outline (same path) opens
    that section again instead of a second one with the same path.

    Plain text: headings named by the table of contents and back-matter headings are level 1,
    every other heading is level 2 under the last level-1 heading (no table of contents: all
    headings are level 1). Markdown: levels follow the `#` depth. In an FAQ section, a line
    ending in '?' is a question section one level below the FAQ heading.
    """
    sections: list[ParsedSection] = []
    content: list[_Placed] = []
    stack: list[_Frame] = []
    paths: set[tuple[str, ...]] = set()  # a heading repeated at the same place is one section

    def faq_depth() -> int | None:
        for depth, frame in enumerate(stack):
            if _FAQ_TITLE.match(_key(frame.title)):
                return depth
        return None

    def open_section(
        title: str, level: int, md_level: int, kind: SectionKind, block: _Block
    ) -> None:
        del stack[level - 1 :]
        stack.append(_Frame(title, md_level))
        path = tuple(frame.title for frame in stack)
        if path in paths:
            return
        paths.add(path)
        sections.append(
            ParsedSection(title, len(stack), kind, path, len(sections), block.start, block.end)
        )

    for block in blocks:
        title = _heading_candidate(block, markdown)
        if title is not None and _CONTENTS_TITLE.match(_key(title)):
            continue
        faq = faq_depth()
        question = _question_title(block) if faq is not None else None
        if question is not None and faq is not None and not _is_back_matter(_key(question)):
            open_section(question, faq + 2, block.md_level or 99, SectionKind.QUESTION, block)
            continue
        if title is None:
            resources = any(_RESOURCES_TITLE.match(_key(frame.title)) for frame in stack)
            content.append(_Placed(block, tuple(frame.title for frame in stack), resources))
            continue
        open_section(
            title,
            _heading_level(title, block, stack, markdown, toc),
            block.md_level,
            SectionKind.HEADING,
            block,
        )
    return _Layout(sections, content)


def _heading_level(
    title: str, block: _Block, stack: list[_Frame], markdown: bool, toc: frozenset[str]
) -> int:
    if markdown:
        depth = len(stack)
        while depth and stack[depth - 1].md_level >= block.md_level:
            depth -= 1
        return depth + 1
    key = _key(title)
    if not toc or key in toc or _is_back_matter(key) or not stack:
        return 1
    return 2


# --------------------------------------------------------------------------------------------
# Step 5: resources


_RESOURCE_ITEM = re.compile(r"^(?:[-*+•]\s+)?\d{1,3}[.)]\s+(?P<n>\S.*)$|^[-*+•]\s+(?P<b>\S.*)$")


def _resources(content: Iterable[_Placed]) -> list[ParsedResource]:
    """Items of the resources list: an item line, then its description lines (any page break).
    An item repeating an earlier title is left out (a title names one resource)."""
    items: list[tuple[_Line, str, list[_Line]]] = []
    titles: set[str] = set()
    for placed in content:
        if not placed.in_resources:
            continue
        for line in placed.block.lines:
            match = _RESOURCE_ITEM.match(line.text)
            title = _clean(match.group("n") or match.group("b")) if match else ""
            if match and title not in titles:
                titles.add(title)
                items.append((line, title, []))
            elif items and not match:
                items[-1][2].append(line)
    return [
        ParsedResource(
            ordinal=index,
            title=title,
            description=_clean(" ".join(line.text for line in description)),
            start=first.start,
            end=(description[-1] if description else first).end,
        )
        for index, (first, title, description) in enumerate(items, start=1)
    ]
