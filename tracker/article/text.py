"""The vocabulary of an article's text: line patterns, abbreviations, size bounds, and the
small cleaners (newlines, emphasis, Markdown links, heading keys) the steps share.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

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
    ``\\[([^\\]]*)\\]\\([^)]*\\)`` would: the target ends at the first ``)``."""
    return _replace_links(text, _first_parenthesis)


def _link_text(text: str) -> str:
    """Markdown links ``[text](target)`` replaced by their text, for claims: like
    `_unwrap_links`, but the target may hold balanced brackets (``(javascript:alert(1))``,
    ``…/Foo_(bar)``) and ends at the line's end."""
    return _replace_links(text, _balanced_parentheses)


def _replace_links(text: str, target_end: Callable[[str, int], int]) -> str:
    """Markdown links replaced by their text in one linear pass. `target_end(text, at)` is the
    index just past the target starting at `at`, or -1 when it does not close (the search
    ends there). Every ``[`` before the same ``]`` fails or succeeds alike, so the search
    resumes after that ``]`` (a regular expression tried each ``[`` of a run again, quadratic
    on a line of brackets)."""
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
        end = target_end(text, closing + 2)
        if end < 0:
            break
        out += (text[done:opening], text[opening + 1 : closing])
        done = start = end
    out.append(text[done:])
    return "".join(out)


def _first_parenthesis(text: str, at: int) -> int:
    end = text.find(")", at)
    return end + 1 if end >= 0 else -1


def _balanced_parentheses(text: str, at: int) -> int:
    depth, end = 1, at
    while end < len(text) and depth and text[end] != "\n":
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        end += 1
    return -1 if depth else end


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
