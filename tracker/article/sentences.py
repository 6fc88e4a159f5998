"""Step 4 of reading an article: the content blocks' sentences, which become its claims
(abbreviations, units, list items and their introductions handled).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from tracker.article import furniture, language
from tracker.article.layout import _Block, _Placed
from tracker.article.text import (
    _ABBREVIATIONS,
    _BOUNDARY,
    _BULLET,
    _INITIALS,
    _LIST_ITEM_MAX_WORDS,
    _META_SENTENCE,
    _MIN_CLAIM_WORDS,
    _SENTENCE_OPENER,
    _clean,
    _ends_sentence,
    _link_text,
    _word_set,
)


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


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of a paragraph (e.g. an abstract) as (start, end) spans, by the rules of
    `_split_sentences`."""
    return _split_sentences(text, 0, len(text))


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
