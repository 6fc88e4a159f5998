"""Article text → sections, claims and listed resources (pure functions over text).

The pipeline is a few named steps, each a small function over plain values:

    normalise_newlines → blocks → title → drop boilerplate → table of contents
    → join page-broken paragraphs → headings and content → sections, claims, resources
    → categories → FAQ restatements

Nothing here touches the database or the file system: the caller reads the file, stores the
returned values, and re-ingests a revision with `reconcile()`.

Spans: every `start`/`end` is a character offset (end exclusive) into `ParsedArticle.text`, which is
the input after `normalise_newlines()` (leading BOM removed, CRLF and CR turned into LF). Store
that normalised text if you want to highlight spans later.

Limits (`tracker.limits`): a text over `MAX_ARTICLE_BYTES` characters, a NUL character, more
than `MAX_ARTICLE_CLAIMS` claims, a Markdown heading over `MAX_HEADING_CHARS` or a listed
resource's title over `MAX_RESOURCE_TITLE_CHARS` is an ArticleError naming the line. Every step
is linear in the text (no backtracking regular expression, no quadratic join); comparing
claims pairwise (FAQ restatements, revisions) is bounded by the claim limit and, for a
revision, by `EDIT_WINDOW`.
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from tracker.article import cited as cited_refs
from tracker.article import furniture, language
from tracker.article.markdown import blank_comments, read_front_matter
from tracker.limits import (
    MAX_ARTICLE_BYTES,
    MAX_ARTICLE_CLAIMS,
    MAX_HEADING_CHARS,
    MAX_RESOURCE_TITLE_CHARS,
)
from tracker.vocabulary import ClaimCategory, SectionKind

__all__ = [
    "ArticleError",
    "ArticleMetadata",
    "CategoryRule",
    "DECIDING_SECTION_RULES",
    "KEYWORD_RULES",
    "SECTION_DEFAULT_RULES",
    "EDIT_SIMILARITY",
    "RESTATEMENT_THRESHOLD",
    "ParsedArticle",
    "ParsedCitedSource",
    "ParsedClaim",
    "ParsedResource",
    "ParsedSection",
    "Reconciliation",
    "StoredClaim",
    "categorise",
    "fingerprint",
    "normalise_newlines",
    "parse_article",
    "reconcile",
]


class ArticleError(ValueError):
    """The text cannot be read as an article (empty, or no sentence to record as a claim)."""


# --------------------------------------------------------------------------------------------
# Public values


@dataclass(frozen=True, slots=True)
class ParsedSection:
    """A heading of the article, or a question of its FAQ."""

    title: str
    level: int  # 1 = top level
    kind: SectionKind
    path: tuple[str, ...]  # titles from the top level down, including this one
    ordinal: int  # order of appearance over all sections, 0-based
    start: int  # span of the heading line in ParsedArticle.text
    end: int


@dataclass(frozen=True, slots=True)
class ParsedClaim:
    """One checkable sentence of the article."""

    text: str  # verbatim, whitespace runs collapsed to one space, emphasis markers removed
    section_path: tuple[str, ...]  # () for the introduction
    ordinal: int  # order within the document, 0-based
    start: int  # first to last character of the sentence in ParsedArticle.text
    end: int
    category: ClaimCategory
    category_rule: str  # the rule that chose the category, for people to read
    incomplete: bool  # the sentence was cut off (no sentence-final punctuation)
    fingerprint: str  # fingerprint(text)
    restates: int | None  # FAQ answers: ordinal of the body claim restated, else None
    #: Fragment list items that belong to this sentence ("Symptoms include:" then "fever",
    #: "cough"): the claim's text is the sentence followed by the items joined with "; ".
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedResource:
    """An entry of the article's resources / further-reading list (not a claim)."""

    ordinal: int  # 1-based position in the list
    title: str
    description: str  # the following lines joined, whitespace collapsed
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ParsedCitedSource:
    """A study the article itself cites (a PubMed, PMC, DOI or journal link, an identifier
    written out, or a "this 2023 review" phrase): a candidate for a reviewer, not evidence."""

    ordinal: int  # order of appearance, 0-based
    kind: str  # doi, pmid, pmcid, journal, phrase (tracker.article.cited)
    identifier: str  # normalised: DOI lower case, PMID digits, "PMC" + digits, URL, phrase
    url: str | None
    link_text: str
    sentence: str  # the claim citing it, or the line of the article it sits in
    claim_ordinal: int | None  # the claim citing it, None outside claims (reference lists)
    start: int  # span of the link or identifier in ParsedArticle.text
    end: int


@dataclass(frozen=True, slots=True)
class ArticleMetadata:
    """What the document says about itself, never claims: from bylines and date lines, front
    matter, or a page's metadata."""

    author: str | None = None
    published: str | None = None  # ISO yyyy-mm-dd when it could be read
    furniture: tuple[str, ...] = ()  # the kinds of furniture left out (byline, date, …)


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    title: str
    text: str  # the normalised text the spans refer to
    content_hash: str  # sha256 hex of text.encode("utf-8")
    sections: tuple[ParsedSection, ...]
    claims: tuple[ParsedClaim, ...]
    resources: tuple[ParsedResource, ...]
    language: str | None = None  # ISO 639-1, given, declared or detected
    metadata: ArticleMetadata = ArticleMetadata()
    cited: tuple[ParsedCitedSource, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredClaim:
    """A live claim the database already holds for the document being re-ingested."""

    id: int
    text: str
    fingerprint: str
    section_path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """How the claims of a new revision map onto the stored ones."""

    kept: tuple[tuple[int, int], ...]  # (stored id, new ordinal): same fingerprint
    edited: tuple[tuple[int, int], ...]  # (stored id, new ordinal): lightly edited wording
    added: tuple[int, ...]  # new ordinals with no stored counterpart
    retired: tuple[int, ...]  # stored ids with no counterpart in the new text


# --------------------------------------------------------------------------------------------
# Vocabulary of the text

_SENTENCE_END = re.compile(r"[.!?。！？．؟۔।…][\"'”’)\]」』]*(?:\*\*|__|\*)?$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_MD_HEADING_START = re.compile(r"^(#{1,6})\s+")
_MD_FENCE = re.compile(r"^\s*(```|~~~)")
_SETEXT = re.compile(r"^(=+|-{2,})\s*$")  # the underline of a setext heading
_URL = re.compile(r"https?://|www\.\w", re.IGNORECASE)
_EMPHASIS = re.compile(r"\*\*|__|\*")
_WHITESPACE = re.compile(r"\s+")

_FAQ_TITLE = re.compile(
    r"^(?:frequently asked questions|faqs?|common questions)(?: \(faqs?\))?$", re.IGNORECASE
)
_RESOURCES_TITLE = re.compile(
    r"^(?:additional resources|further reading|references|resources|recommended reading"
    r"|bibliography|sources)$",
    re.IGNORECASE,
)
_CONTENTS_TITLE = re.compile(r"^(?:table of contents|contents|in this article)$", re.IGNORECASE)

#: Lines that belong to the hosting site, not the article.
_BOILERPLATE_LINE = re.compile(
    r"^(?:find (?:other|more) .*\barticles?\b.*|back to home\b.*|related articles?:?)$",
    re.IGNORECASE,
)

#: Sentences about the article itself: true of the text, not of the world, so not claims.
_META_SENTENCE = re.compile(
    r"\bthis (?:article|guide|post|page|piece|section)\b"
    r"|\bthe following (?:sections?|paragraphs?)\b"
    r"|\bin this (?:article|guide|post)\b|\bread on\b",
    re.IGNORECASE,
)


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Words ending in a period that do not end a sentence (lowercase, period included).
_ABBREVIATIONS = _word_set(
    "e.g. i.e. vs. v. dr. mr. mrs. ms. prof. st. al. fig. figs. approx. cf. no. nos. inc. "
    "ltd. jr. sr. ca. vol. pp. p. ed. eds. resp. dept. univ. jan. feb. mar. apr. jun. jul. "
    "aug. sep. sept. oct. nov. dec."
)
_INITIALS = re.compile(r"^(?:[a-z]\.)+$", re.IGNORECASE)
#: A match covers a whole run of [.!?] (the look-behind keeps it from being tried again from
#: inside a run, which made a long run of dots quadratic); the spaces after it are not
#: backtracked into (possessive).
_BOUNDARY = re.compile(r"(?<![.!?])[.!?]+[\"'”’)\]]*(?:\*\*|__|\*)?(?=\s++(\S))")
_SENTENCE_OPENER = re.compile(r"[A-Z0-9\"“‘'(\[*_]")

_HEADING_MAX_CHARS = 80
_QUESTION_MAX_CHARS = 300  # a longer line ending in "?" is an answer, not an FAQ question
_HEADING_MAX_WORDS = 12
_MIN_CLAIM_WORDS = 3
_LIST_ITEM_MAX_WORDS = 5  # a bullet this short without a full stop is a list item, not a claim


def normalise_newlines(text: str) -> str:
    """Remove a leading BOM and turn CRLF / CR into LF: the text every span refers to."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _clean(raw: str) -> str:
    """Emphasis markers removed and whitespace runs collapsed: how claims and titles read."""
    return _WHITESPACE.sub(" ", _EMPHASIS.sub("", raw)).strip()


def _unwrap_links(text: str) -> str:
    """Markdown links ``[text](target)`` replaced by their text, as the regular expression
    ``\\[([^\\]]*)\\]\\([^)]*\\)`` would, in one pass: every ``[`` before the same ``]``
    fails or succeeds alike, so the search resumes after that ``]`` (the expression itself
    tried each ``[`` of a run again, quadratic on a line of brackets)."""
    if "](" not in text:
        return text
    out: list[str] = []
    done = start = 0
    while (opening := text.find("[", start)) >= 0:
        closing = text.find("]", opening + 1)
        if closing < 0:
            break
        if text[closing + 1 : closing + 2] != "(":
            start = closing + 1
            continue
        end = text.find(")", closing + 2)
        if end < 0:
            break
        out += (text[done:opening], text[opening + 1 : closing])
        done = start = end + 1
    out.append(text[done:])
    return "".join(out)


def _link_text(text: str) -> str:
    """Markdown links ``[text](target)`` replaced by their text, for claims: like
    `_unwrap_links`, but the target may hold balanced brackets (``(javascript:alert(1))``,
    ``…/Foo_(bar)``). Linear: a scan that does not close ends the search."""
    if "](" not in text:
        return text
    out: list[str] = []
    done = start = 0
    while (opening := text.find("[", start)) >= 0:
        closing = text.find("]", opening + 1)
        if closing < 0:
            break
        if text[closing + 1 : closing + 2] != "(":
            start = closing + 1
            continue
        depth, end = 1, closing + 2
        while end < len(text) and depth and text[end] != "\n":
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
        if depth:
            break
        out += (text[done:opening], text[opening + 1 : closing])
        done = start = end
    out.append(text[done:])
    return "".join(out)


def _key(title: str) -> str:
    """Comparison key for headings: cleaned, links unwrapped, casefolded, no trailing colon
    (cached for heading-sized text: the walk asks for the same titles over and over)."""
    return _cached_key(title) if len(title) <= _QUESTION_MAX_CHARS else _key_of(title)


def _key_of(title: str) -> str:
    return _clean(_unwrap_links(title)).casefold().rstrip(":").strip()


_cached_key = lru_cache(maxsize=4096)(_key_of)


def _md_heading(line: str) -> tuple[int, str] | None:
    """(level, text) of a Markdown heading line: ``## Title ##`` -> (2, "Title"); the closing
    hashes and spaces are stripped without a regular expression (``(.*?)\\s*#*\\s*$`` was
    quadratic on a long run of spaces or hashes)."""
    start = _MD_HEADING_START.match(line)
    if start is None:
        return None
    return len(start.group(1)), line[start.end() :].rstrip().rstrip("#").rstrip()


def _ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text.rstrip()))


# --------------------------------------------------------------------------------------------
# Step 1: lines and blocks


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
# Step 4: sentences → claims


class _Unit(NamedTuple):
    """A paragraph or one bullet item: a region of the text to split into sentences."""

    bullet: bool
    start: int
    end: int


def _units(block: _Block, text: str) -> list[_Unit]:
    """Split a content block into paragraphs and bullet items (continuation lines included)."""
    units: list[_Unit] = []
    for line in block.lines:
        marker = _BULLET.match(line.text)
        if marker:
            units.append(_Unit(True, line.start + marker.end(), line.end))
        elif units:
            units[-1] = units[-1]._replace(end=line.end)
        else:
            units.append(_Unit(False, line.start, line.end))
    return [unit for unit in units if text[unit.start : unit.end].strip()]


def _is_abbreviation(region: str, period: int) -> bool:
    """True when the '.' at `period` ends an abbreviation or initials, not a sentence."""
    start = period
    while start > 0 and not region[start - 1].isspace():
        start -= 1
    word = region[start : period + 1].lstrip("([\"'“‘*_").lower()
    return word in _ABBREVIATIONS or bool(_INITIALS.match(word))


#: Units a full stop may follow inside a sentence ("2.5 mg. were given"): before a lower-case
#: word they do not end one.
_UNITS = _word_set("mg mcg µg g kg ml l dl mm cm m km min mins h hr hrs sec s mmol mol iu")
_WORD_BEFORE = re.compile(r"([^\W\d_]{2,})$")


def _lower_case_start(region: str, match: re.Match[str]) -> bool:
    """The boundary `match` ends a sentence although the next word starts in lower case: one
    mark (not an ellipsis) after a word of two letters or more that is not a unit."""
    opener = match.group(1)
    if not opener.islower() or len(match.group(0).rstrip("\"'”’)]*_")) != 1:
        return False
    word = _WORD_BEFORE.search(region, 0, match.start())
    return word is not None and word.group(1).casefold() not in _UNITS


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans within text[start:end], trimmed of surrounding whitespace.

    A sentence ends at '.', '!' or '?' (closing quotes, brackets and emphasis allowed) followed by
    whitespace and a capital, digit, quote or bracket; never after an abbreviation or initials
    ("e.g.", "Dr.", "J."). A single '.', '!' or '?' after a word of two letters or more that is
    not a unit ("mg", "ml") also ends a sentence before a lower-case word ("… anaesthetic. it
    is …"); an ellipsis never does.
    """
    region = text[start:end]
    spans: list[tuple[int, int]] = []
    current = 0
    for match in _BOUNDARY.finditer(region):
        if not _SENTENCE_OPENER.match(match.group(1)) and not _lower_case_start(region, match):
            continue
        last_dot = match.group(0).rstrip("\"'”’)]*_")
        if last_dot == "." and _is_abbreviation(region, match.start()):
            continue
        spans.append((current, match.end()))
        current = match.end()
    spans.append((current, len(region)))
    result: list[tuple[int, int]] = []
    for a, b in spans:
        piece = region[a:b]
        lead = len(piece) - len(piece.lstrip())
        trimmed = piece.strip()
        if trimmed:
            result.append((start + a + lead, start + a + lead + len(trimmed)))
    return result


class _Sentence(NamedTuple):
    text: str
    path: tuple[str, ...]
    start: int
    end: int
    incomplete: bool
    items: tuple[str, ...] = ()


def _is_claim_text(sentence: str) -> bool:
    """Checkable statements only: not questions, not about the article or furniture (see
    `tracker.article.furniture`), not fragments of fewer than three words."""
    if sentence.endswith(("?", "？", "؟")) or _META_SENTENCE.search(sentence):
        return False
    if furniture.is_not_a_claim(sentence):
        return False
    return language.word_count(sentence) >= _MIN_CLAIM_WORDS


#: English finite verbs and auxiliaries: a list item without a full stop that has one of these
#: among its first four words is a statement ("Ketamine can cause nausea"), else a fragment
#: ("feeling tired or exhausted", "complex regional pain syndrome").
_STATEMENT_VERB = re.compile(
    r"^(?:\S+\s+){0,3}?(?:is|are|was|were|can|cannot|can't|may|might|could|will|would|should|must"
    r"|has|have|had|does|do|did|helps?|causes?|reduces?|increases?|improves?|lowers?|affects?"
    r"|makes?|leads?|prevents?|protects?|shows?|contains?)\b",
    re.IGNORECASE,
)


def _is_statement_item(item: str, lang: str | None, introduced: bool) -> bool:
    """A list item that is a full statement (a claim of its own) rather than a fragment that
    belongs to the sentence introducing the list.

    A statement ends with sentence-final punctuation and does not start in lower case
    ("- fever;" and "- a cough." continue the sentence before the list). Without an
    introducing sentence, an English item of six words or more with a verb among its first
    four words is a statement even without a full stop; anything else is a fragment.
    """
    if _ends_sentence(item) and not item[:1].islower():
        return True
    if introduced or lang not in (None, "en"):
        return False
    return len(item.split()) > _LIST_ITEM_MAX_WORDS and bool(_STATEMENT_VERB.match(item))


def _split(text: str, start: int, end: int, lang: str | None) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end]: English by `_split_sentences`, other languages that
    pysbd knows by pysbd (`tracker.article.language.segment`)."""
    if lang in (None, "en") or not language.supported_by_segmenter(lang):
        return _split_sentences(text, start, end)
    assert lang is not None
    return [(start + a, start + b) for a, b in language.segment(text[start:end], lang)]


class _Pending:
    """A sentence being built: its span, words, list items; `standalone` when it is a claim
    without items too (an introducing sentence of fewer than three words is not)."""

    __slots__ = ("sentence", "standalone", "items", "end")

    def __init__(self, sentence: _Sentence, standalone: bool) -> None:
        self.sentence = sentence
        self.standalone = standalone
        self.items: list[str] = []
        self.end = sentence.end

    def finished(self) -> _Sentence | None:
        if not self.items:
            return self.sentence if self.standalone else None
        text = f"{self.sentence.text} {'; '.join(self.items)}"
        return self.sentence._replace(text=text, end=self.end, items=tuple(self.items),
                                      incomplete=False)


_ITEM_TRAIL = ";,. "


def _unit_sentences(
    unit: _Unit, text: str, path: tuple[str, ...], lang: str | None
) -> list[_Pending]:
    spans = _split(text, unit.start, unit.end, lang)
    sentences: list[_Pending] = []
    for index, (a, b) in enumerate(spans):
        cleaned = _clean(_link_text(text[a:b]))
        if not cleaned:
            continue
        last = index == len(spans) - 1
        introduces = last and cleaned[-1] in ":："
        if not _is_claim_text(cleaned):
            if not (introduces and _introduces_list(cleaned)):
                continue
            sentences.append(_Pending(_Sentence(cleaned, path, a, b, False), standalone=False))
            continue
        # A paragraph's last sentence without a full stop was cut off (a colon opens a list).
        cut_off = last and not unit.bullet and not _ends_sentence(cleaned) and not introduces
        sentences.append(_Pending(_Sentence(cleaned, path, a, b, cut_off), standalone=True))
    return sentences


def _introduces_list(sentence: str) -> bool:
    """A sentence ending in a colon that is not a claim by itself only because it is short
    ("Symptoms include:"): neither a question, furniture nor a self-description."""
    return not (_META_SENTENCE.search(sentence) or furniture.is_not_a_claim(sentence))


def _sentences(content: Iterable[_Placed], text: str, lang: str | None) -> list[_Sentence]:
    """The claims' sentences in order. A list item that is a fragment joins the sentence ending
    in a colon just before its list (in the same section) as one of its items; a fragment
    without such a sentence is no claim."""
    pending: list[_Pending] = []
    introducer: _Pending | None = None
    for placed in content:
        if placed.in_resources:
            introducer = None
            continue
        for unit in _units(placed.block, text):
            if unit.bullet:
                item = _clean(_link_text(text[unit.start : unit.end]))
                introduced = introducer is not None and introducer.sentence.path == placed.path
                if not _is_statement_item(item, lang, introduced):
                    question = item.endswith(("?", "？", "؟"))
                    if introduced and introducer is not None and item.strip(_ITEM_TRAIL) \
                            and not question:
                        introducer.items.append(item.rstrip(_ITEM_TRAIL))
                        introducer.end = unit.end
                    continue
            found = _unit_sentences(unit, text, placed.path, lang)
            pending += found
            last = found[-1] if found else None
            introducer = last if last and last.sentence.text[-1] in ":：" else None
    return [sentence for p in pending if (sentence := p.finished()) is not None]


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


# --------------------------------------------------------------------------------------------
# Categories


class CategoryRule(NamedTuple):
    """One categorisation rule: the category, the pattern it looks for, and why."""

    category: ClaimCategory
    pattern: re.Pattern[str]
    description: str


def _rule(category: ClaimCategory, pattern: str, description: str) -> CategoryRule:
    return CategoryRule(category, re.compile(pattern, re.IGNORECASE), description)


_C = ClaimCategory

#: Tried first, on the section titles (nearest first): sections whose every sentence is of
#: their kind whatever its words ("Opioid-sparing … side effects" under Benefits is a benefit).
DECIDING_SECTION_RULES: tuple[CategoryRule, ...] = (
    _rule(_C.BENEFIT, r"\bbenefits?\b|\badvantages?\b", "a section listing benefits"),
    _rule(_C.ADMINISTRATION, r"\badminist|\broutes?\b|\bdelivery\b", "a section on administration"),
    _rule(_C.RESEARCH_DIRECTION, r"\bfuture\b|\boutlook\b", "a section on future directions"),
)

#: Then the sentence's own words, in this order (the first match wins).
KEYWORD_RULES: tuple[CategoryRule, ...] = (
    _rule(
        _C.CONTRAINDICATION,
        r"contraindicat|not be suitable|\bprecautions?\b|should not be used|should be avoided",
        "who should not receive it",
    ),
    _rule(
        _C.ADVERSE_EFFECT,
        r"side[- ]effects?|adverse|hallucinat|dizziness|nausea|psychotropic|dissociative symptoms"
        r"|(?:considered|generally|is) safe\b|well[- ]tolerated|toxicit",
        "harms and safety",
    ),
    _rule(
        _C.EVIDENCE_SUMMARY,
        r"randomi[sz]ed controlled trials?|meta-analys|systematic reviews?|comprehensive reviews"
        r"|body of (?:scientific )?(?:literature|evidence)|clinical trials|observational studies",
        "what the body of studies shows",
    ),
    _rule(
        _C.RESEARCH_DIRECTION,
        r"\binvestigations\b|research into|\bunderway\b|increasingly being incorporated"
        r"|may improve efficacy|future",
        "work in progress or expected",
    ),
    _rule(_C.BENEFIT, r"\bbenefits?\b|\badvantages?\b", "an advantage over alternatives"),
    _rule(
        _C.PHARMACOKINETICS,
        r"bioavailability|\bonset\b|metaboli|\bduration\b|half-life|absorption"
        r"|\blast(?:s|ing)? (?:from|for|up to|between|about|\d)"
        r"|eliminat|clearance",
        "time course and fate in the body",
    ),
    _rule(
        _C.MECHANISM,
        r"receptor|\bnmda\b|neurotransmi|mechanism|sensiti[sz]ation|antagoni",
        "how it works",
    ),
    _rule(
        _C.GENERAL,
        r"\b(?:is|are) an? (?:[\w-]+,? ){0,3}(?:condition|syndrome|disorder|disease)\b"
        r"|\bcaused by\b|^patients with [\w -]+ (?:experience|suffer|have)\b",
        "describes a condition, not the treatment",
    ),
    _rule(
        _C.EFFICACY,
        r"efficac|\beffective|\brelie[fv]|alleviat|\breduc\w* (?:\w+ )?pain|\btreat(?:s|ed|ing)?\b"
        r"|\banalgesi|\baddress",
        "what it treats and how well",
    ),
    _rule(
        _C.ADMINISTRATION,
        r"infusion|intranasal|\boral\b|sublingual|intramuscular|topical|administered|\broutes?\b"
        r"|injection",
        "how it is given",
    ),
)

#: Last, the section titles again (nearest first), for sentences without telling words.
SECTION_DEFAULT_RULES: tuple[CategoryRule, ...] = (
    _rule(_C.CONTRAINDICATION, r"contraindicat|precaution", "a section on contraindications"),
    _rule(_C.ADVERSE_EFFECT, r"\brisks?\b|side effects?|adverse|\bsafe(?:ty)?\b", "on harms"),
    _rule(
        _C.EVIDENCE_SUMMARY,
        r"evidence|\btrials?\b|meta-analys|systematic review|research findings|\bstudies\b",
        "a section on the evidence",
    ),
    _rule(_C.RESEARCH_DIRECTION, r"ongoing research|emerging|\bfuture\b", "a section on research"),
    _rule(_C.PHARMACOKINETICS, r"pharmacokinetic|duration|how long", "a section on time course"),
    _rule(_C.MECHANISM, r"mechanism|how .* works?|pharmacodynamic", "a section on mechanism"),
    _rule(_C.ADMINISTRATION, r"administ|route|infusion|dosing|dosage", "a section on delivery"),
    _rule(_C.EFFICACY, r"conditions|indications?|efficacy|effective|\btreat", "a section on uses"),
)


def _match_section(
    rules: Sequence[CategoryRule], section_path: tuple[str, ...]
) -> tuple[ClaimCategory, str] | None:
    for title in reversed(section_path):
        for rule in rules:
            if rule.pattern.search(title):
                return rule.category, f'section "{_quoted(title)}"'
    return None


#: The most of a title or of matched words a rule description quotes (the stored rule is at
#: most 200 characters).
_QUOTED_MAX = 120


def _quoted(text: str) -> str:
    return text if len(text) <= _QUOTED_MAX else text[: _QUOTED_MAX - 1] + "…"


def _whole_words(text: str, start: int, end: int) -> str:
    """The matched text widened to whole words ("metaboli" → "Metabolized"), shortened to
    `_QUOTED_MAX` characters (a 'word' can be a megabyte of letters)."""
    low = max(0, start - _QUOTED_MAX)
    while start > low and text[start - 1].isalnum():
        start -= 1
    high = min(len(text), end + _QUOTED_MAX)
    while end < high and text[end].isalnum():
        end += 1
    return _quoted(text[start:end])


def categorise(text: str, section_path: tuple[str, ...]) -> tuple[ClaimCategory, str]:
    """The claim's category and the rule that chose it.

    Order: DECIDING_SECTION_RULES on the section titles (nearest first), then KEYWORD_RULES on
    the sentence (first match wins), then SECTION_DEFAULT_RULES on the titles, then general.
    """
    decided = _match_section(DECIDING_SECTION_RULES, section_path)
    if decided:
        return decided
    for rule in KEYWORD_RULES:
        match = rule.pattern.search(text)
        if match:
            return rule.category, f'keyword "{_whole_words(text, match.start(), match.end())}"'
    return _match_section(SECTION_DEFAULT_RULES, section_path) or (
        ClaimCategory.GENERAL,
        "no rule matched",
    )


# --------------------------------------------------------------------------------------------
# Fingerprints and similarity


def _normalised_wording(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.split())


def fingerprint(text: str) -> str:
    """Stable id of a claim's wording, blind to case, whitespace, punctuation and emphasis.

    sha256 of the casefolded text with punctuation turned into spaces and whitespace collapsed;
    the first 16 hex characters.
    """
    return hashlib.sha256(_normalised_wording(text).encode("utf-8")).hexdigest()[:16]


_STOP_WORDS = _word_set(
    """a an the and or but nor of in on at to for from by with without as is are was were be been
    being it its this that these those which who whom whose what when where how why can may might
    could should would will shall also such than then there their they them some other others
    more most many much very often usually generally typically including include includes via
    into over under about after before during while both each any all not no own so well
    has have had do does did one two use used using"""
)


def _stem(word: str) -> str:
    """A light suffix-stripper: enough to match 'blocking'/'blocks', 'infusions'/'infusion'."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ly", "ing", "ed"):
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


#: Stems that say the same thing in other words (after _stem), so restatements line up.
_EQUIVALENT_TERMS: dict[str, tuple[str, ...]] = {
    "blockad": ("block",),
    "hypertension": ("high", "blood", "pressur"),
    "disorder": ("condition",),
    "iv": ("intravenous",),
}


def _terms(text: str) -> frozenset[str]:
    """Content words of a sentence: lowercase, stop words dropped, stemmed, equivalents merged."""
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", text).casefold())
    stems = (_stem(word) for word in words if len(word) > 1 and word not in _STOP_WORDS)
    return frozenset(term for stem in stems for term in _EQUIVALENT_TERMS.get(stem, (stem,)))


#: An FAQ answer restates a body claim when their similarity reaches this.
RESTATEMENT_THRESHOLD = 0.3


def _similarity(a: frozenset[str], b: frozenset[str], weight: dict[str, float]) -> float:
    union = sum(weight[term] for term in a | b)
    return sum(weight[term] for term in a & b) / union if union else 0.0


def _restatements(claims: Sequence[ParsedClaim]) -> dict[int, int]:
    """FAQ answer ordinal → ordinal of the body claim it restates.

    Method: content words (lowercase, stop words removed, light suffix stripping) of each claim;
    similarity is a Jaccard index in which every word weighs its inverse document frequency over
    the article's claims (ln((1 + N) / (1 + df)) + 1), so shared rare domain terms such as
    'NMDA' or 'contraindicated' count for more than 'ketamine' or 'pain'. A body claim in the
    same category adds 0.1. The best body claim is linked when the score is at least
    RESTATEMENT_THRESHOLD (0.3); otherwise the answer restates nothing.
    """
    terms = [_terms(claim.text) for claim in claims]
    frequency: dict[str, int] = {}
    for claim_terms in terms:
        for term in claim_terms:
            frequency[term] = frequency.get(term, 0) + 1
    total = len(claims)
    weight = {term: math.log((1 + total) / (1 + df)) + 1 for term, df in frequency.items()}
    body = [claim for claim in claims if not _in_faq(claim.section_path)]
    links: dict[int, int] = {}
    for answer in claims:
        if not _in_faq(answer.section_path) or not body:
            continue
        scored = [
            (
                _similarity(terms[answer.ordinal], terms[candidate.ordinal], weight)
                + (0.1 if candidate.category == answer.category else 0.0),
                -candidate.ordinal,
            )
            for candidate in body
        ]
        score, negative_ordinal = max(scored)
        if score >= RESTATEMENT_THRESHOLD:
            links[answer.ordinal] = -negative_ordinal
    return links


def _in_faq(path: tuple[str, ...]) -> bool:
    return any(_FAQ_TITLE.match(_key(title)) for title in path)


# --------------------------------------------------------------------------------------------
# parse_article


_FRONT_MATTER_START = re.compile(r"\A(?:---|\+\+\+)[ \t]*\n")


def _is_markdown(text: str) -> bool:
    return bool(re.search(r"^#{1,6} ", text, re.MULTILINE) or _FRONT_MATTER_START.match(text))


def parse_article(
    text: str,
    fmt: Literal["text", "markdown"] | None = None,
    *,
    language: str | None = None,
    title: str | None = None,
    metadata: ArticleMetadata | None = None,
) -> ParsedArticle:
    """Read an article into its sections, claims, listed resources and cited sources.

    `fmt` forces plain text or Markdown; by default Markdown is assumed when a line starts with
    '#' and a space or the text opens with front matter. Spans refer to
    `normalise_newlines(text)`, returned as `.text` (Markdown front matter and HTML comments are
    read as blank, so they shift nothing). `language` (an ISO 639-1 code) is how sentences are
    split; by default the front matter's, else detected. `title` and `metadata` are what the
    source said (a page's title, author and date), used where the text says nothing.
    Raises ArticleError when the text is empty, holds no sentence to record, or is over a limit
    of `tracker.limits` (size, claims, heading and resource title length, a NUL character).
    """
    if len(text) > MAX_ARTICLE_BYTES:
        raise ArticleError(
            f"the article is {len(text):,} characters long; at most {MAX_ARTICLE_BYTES:,} "
            "are read - split it into several documents"
        )
    normalised = normalise_newlines(text)
    if not normalised.strip():
        raise ArticleError("the article is empty")
    if "\x00" in normalised:
        raise ArticleError(
            f"line {_line_of(normalised, normalised.index(chr(0)))}: contains a NUL character "
            "(U+0000), which is not text; remove it"
        )
    markdown = _is_markdown(normalised) if fmt is None else fmt == "markdown"
    work, matter = read_front_matter(normalised) if markdown else (normalised, None)
    work = blank_comments(work) if markdown else work
    if not work.strip():
        raise ArticleError("the article is empty (only front matter or comments)")
    all_blocks = _blocks(work, markdown)
    _check_headings(all_blocks, work)
    fallback = (matter.title if matter else None) or title
    found_title, blocks = _take_title(all_blocks, markdown, fallback)
    taken = _take_out_furniture(blocks, markdown)
    blocks = [block for block in taken.blocks if not _is_boilerplate(block, found_title)]
    toc_index, toc = _find_toc(blocks, markdown)
    if toc_index is not None:
        del blocks[toc_index]
    single_lines = (block.single for block in blocks if block.single is not None)
    protected = toc | {_key(line) for line in single_lines if _is_back_matter(_key(line))}
    layout = _lay_out(_join_page_breaks(blocks, protected), markdown, toc)
    lang = language_of(layout.content, work, language or (matter.language if matter else None))
    sentences = _sentences(layout.content, work, lang)
    if not sentences:
        raise ArticleError(
            "the article has no sentences to record as claims (only headings, lists or links)"
        )
    if len(sentences) > MAX_ARTICLE_CLAIMS:
        raise ArticleError(
            f"the article has {len(sentences):,} claims; a document may have at most "
            f"{MAX_ARTICLE_CLAIMS:,} (the one on line "
            f"{_line_of(normalised, sentences[MAX_ARTICLE_CLAIMS].start)} is past the limit) - "
            "split it into several documents"
        )
    resources = _resources(layout.content)
    _check_resources(resources, normalised)
    claims = _claims(sentences)
    given = metadata or ArticleMetadata()
    return ParsedArticle(
        title=found_title,
        text=normalised,
        content_hash=hashlib.sha256(normalised.encode("utf-8")).hexdigest(),
        sections=tuple(layout.sections),
        claims=claims,
        resources=tuple(resources),
        language=lang,
        metadata=ArticleMetadata(
            author=given.author or (matter.author if matter else None) or taken.author,
            published=(given.published
                       or (furniture.parse_date(matter.date) if matter and matter.date else None)
                       or taken.published),
            furniture=tuple(dict.fromkeys(given.furniture + taken.kinds)),
        ),
        cited=_cited_sources(layout.content, work, claims),
    )


def language_of(content: Sequence[_Placed], text: str, given: str | None) -> str | None:
    """The article's language: `given` (normalised) when there is one, else py3langid's guess
    on the article's content blocks (not its headings or furniture)."""
    code = language.normalise_language(given)
    if code:
        return code
    sample: list[str] = []
    size = 0
    for placed in content:
        if size > 20_000:
            break
        piece = text[placed.block.start : placed.block.end]
        sample.append(piece)
        size += len(piece)
    return language.detect_language("\n".join(sample))


def _cited_sources(
    content: Sequence[_Placed], text: str, claims: Sequence[ParsedClaim]
) -> tuple[ParsedCitedSource, ...]:
    """The article's own citations, each with the claim whose span holds it (or, outside the
    claims, the line it sits in)."""
    starts = [claim.start for claim in claims]
    found: list[ParsedCitedSource] = []
    for placed in content:
        for unit in _units(placed.block, text):
            region = text[unit.start : unit.end]
            for ref in cited_refs.find_references(region):
                start, end = unit.start + ref.start, unit.start + ref.end
                at = bisect.bisect_right(starts, start) - 1
                claim = claims[at] if at >= 0 and start < claims[at].end else None
                sentence = claim.text if claim else _clean(_link_text(region))
                found.append(ParsedCitedSource(
                    ordinal=len(found), kind=ref.kind, identifier=ref.identifier[:1000],
                    url=ref.url, link_text=ref.link_text[:500], sentence=sentence[:5000],
                    claim_ordinal=claim.ordinal if claim else None, start=start, end=end,
                ))
    return tuple(found)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _check_headings(blocks: Iterable[_Block], text: str) -> None:
    """A Markdown heading over `MAX_HEADING_CHARS` is refused (plain-text headings are short
    lines by definition, FAQ questions at most 300 characters)."""
    for block in blocks:
        if block.md_level and len(title := _heading_text(block)) > MAX_HEADING_CHARS:
            raise ArticleError(
                f"line {_line_of(text, block.start)}: a heading of {len(title):,} characters; "
                f"a heading may have at most {MAX_HEADING_CHARS} - is it a paragraph?"
            )


def _check_resources(resources: Iterable[ParsedResource], text: str) -> None:
    for resource in resources:
        if len(resource.title) > MAX_RESOURCE_TITLE_CHARS:
            raise ArticleError(
                f"line {_line_of(text, resource.start)}: the listed resource's title has "
                f"{len(resource.title):,} characters; at most {MAX_RESOURCE_TITLE_CHARS:,}"
            )


def _claims(sentences: Sequence[_Sentence]) -> tuple[ParsedClaim, ...]:
    claims: list[ParsedClaim] = []
    for ordinal, sentence in enumerate(sentences):
        category, rule = categorise(sentence.text, sentence.path)
        claims.append(
            ParsedClaim(
                text=sentence.text,
                section_path=sentence.path,
                ordinal=ordinal,
                start=sentence.start,
                end=sentence.end,
                category=category,
                category_rule=rule,
                incomplete=sentence.incomplete,
                fingerprint=fingerprint(sentence.text),
                restates=None,
                items=sentence.items,
            )
        )
    links = _restatements(claims)
    return tuple(_with_restates(claim, links.get(claim.ordinal)) for claim in claims)


def _with_restates(claim: ParsedClaim, restates: int | None) -> ParsedClaim:
    return claim if restates is None else dataclasses.replace(claim, restates=restates)


# --------------------------------------------------------------------------------------------
# reconcile

#: Two wordings are the same claim lightly edited when difflib's ratio reaches this.
EDIT_SIMILARITY = 0.8
_SAME_SECTION_BONUS = 0.05
#: Up to this many (stored, new) pairs of unmatched claims, every pair is compared; beyond it
#: (a revision that rewrites most of a long article) each new claim is compared with the
#: `EDIT_WINDOW` unmatched stored claims on either side of its own place, so that the work
#: stays linear: a lightly edited sentence stays near where it was.
ALL_PAIRS = 250 * 250
EDIT_WINDOW = 50


def reconcile(stored: Sequence[StoredClaim], new: Sequence[ParsedClaim]) -> Reconciliation:
    """Map a re-ingested revision's claims onto the stored ones, keeping identities.

    1. Same fingerprint: paired one-to-one in document order (duplicates pair in turn).
    2. Of the rest, pairs whose wording is similar (difflib.SequenceMatcher ratio on the
       normalised wording ≥ EDIT_SIMILARITY) are paired greedily, best first; a pair in the same
       section scores 0.05 more. Each stored claim and each new claim is used at most once.
       When there are more than ALL_PAIRS pairs, only claims within EDIT_WINDOW places of
       each other (in their order among the unmatched) are compared.
    3. New claims left over are added; stored claims left over are retired.
    """
    unused: dict[str, list[StoredClaim]] = {}
    for claim in stored:
        unused.setdefault(claim.fingerprint, []).append(claim)
    kept: list[tuple[int, int]] = []
    taken: dict[str, int] = {}  # fingerprint -> how many of its stored claims were kept
    unmatched_new: list[ParsedClaim] = []
    for parsed in new:
        same = unused.get(parsed.fingerprint)
        if same:
            kept.append((same.pop(0).id, parsed.ordinal))
            taken[parsed.fingerprint] = taken.get(parsed.fingerprint, 0) + 1
        else:
            unmatched_new.append(parsed)
    unmatched_stored: list[StoredClaim] = []  # in document order (EDIT_WINDOW counts places)
    for claim in stored:
        if taken.get(claim.fingerprint, 0):
            taken[claim.fingerprint] -= 1
        else:
            unmatched_stored.append(claim)
    edited = _pair_edits(unmatched_stored, unmatched_new)
    paired_ids = {stored_id for stored_id, _ in edited}
    paired_new = {ordinal for _, ordinal in edited}
    return Reconciliation(
        kept=tuple(sorted(kept, key=lambda pair: pair[1])),
        edited=tuple(sorted(edited, key=lambda pair: pair[1])),
        added=tuple(c.ordinal for c in unmatched_new if c.ordinal not in paired_new),
        retired=tuple(sorted(c.id for c in unmatched_stored if c.id not in paired_ids)),
    )


class _Wording:
    """A claim's normalised wording with what the cheap bounds on difflib's ratio need."""

    __slots__ = ("text", "counts", "masks")

    def __init__(self, text: str) -> None:
        self.text = text
        self.counts = Counter(text)
        masks: dict[str, int] = {}
        for index, char in enumerate(text):
            masks[char] = masks.get(char, 0) | 1 << index
        self.masks = masks


def _lcs_length(a: _Wording, b: str) -> int:
    """The longest common subsequence of a and b, bit-parallel (Allison-Dix, as Hyyrö writes
    it): a row of len(a) bits per character of b."""
    full = (1 << len(a.text)) - 1
    row = full
    masks = a.masks
    for char in b:
        match = row & masks.get(char, 0)
        row = ((row + match) | (row - match)) & full
    return len(a.text) - row.bit_count()


def _edit_ratio(old: _Wording, new: _Wording, matcher: difflib.SequenceMatcher[str]) -> float:
    """difflib's ratio of old and new when it can reach EDIT_SIMILARITY, else 0.0. Three exact
    upper bounds come first, cheapest first: the lengths (real_quick_ratio), the characters
    in common (quick_ratio), the longest common subsequence (difflib's matching blocks are
    one). `matcher` already holds `new` as its second sequence."""
    total = len(old.text) + len(new.text)
    if not total:
        return 1.0
    if 2.0 * min(len(old.text), len(new.text)) / total < EDIT_SIMILARITY:
        return 0.0
    if 2.0 * (old.counts & new.counts).total() / total < EDIT_SIMILARITY:
        return 0.0
    if 2.0 * _lcs_length(old, new.text) / total < EDIT_SIMILARITY:
        return 0.0
    matcher.set_seq1(old.text)
    return matcher.ratio()


def _nearby(place: int, stored: int, new: int) -> range:
    """The stored places compared with the new claim at `place` (see ALL_PAIRS)."""
    if stored * new <= ALL_PAIRS:
        return range(stored)
    centre = place * stored // new
    return range(max(0, centre - EDIT_WINDOW), min(stored, centre + EDIT_WINDOW + 1))


def _pair_edits(stored: Sequence[StoredClaim], new: Sequence[ParsedClaim]) -> list[tuple[int, int]]:
    old_words = [_Wording(_normalised_wording(claim.text)) for claim in stored]
    candidates: list[tuple[float, int, int]] = []
    matcher: difflib.SequenceMatcher[str] = difflib.SequenceMatcher(None)
    for place, claim in enumerate(new):
        new_words = _Wording(_normalised_wording(claim.text))
        matcher.set_seq2(new_words.text)
        for index in _nearby(place, len(stored), len(new)):
            ratio = _edit_ratio(old_words[index], new_words, matcher)
            if ratio < EDIT_SIMILARITY:
                continue
            old = stored[index]
            bonus = _SAME_SECTION_BONUS if old.section_path == claim.section_path else 0.0
            candidates.append((ratio + bonus, old.id, claim.ordinal))
    candidates.sort(key=lambda item: (-item[0], item[2], item[1]))
    used_stored: set[int] = set()
    used_new: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, stored_id, ordinal in candidates:
        if stored_id in used_stored or ordinal in used_new:
            continue
        used_stored.add(stored_id)
        used_new.add(ordinal)
        pairs.append((stored_id, ordinal))
    return pairs
