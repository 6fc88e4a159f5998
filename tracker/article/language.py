"""The article's language, and sentences in languages other than English (pure).

English text is split by the rules of `tracker.article.parse` (pinned by the shipped article
and the test corpus). Any other language is split by pysbd, a rule-based multilingual sentence
segmenter (Spanish, German, French, Arabic, Japanese, Chinese and some twenty more), with the
language given (`--language`) or detected by py3langid (a small model shipped inside the
package: nothing is downloaded). Both libraries are imported on first use only, so commands
that do not ingest do not pay for them.

Scripts without spaces between words (Japanese, Chinese, Thai) are counted in characters when
a rule asks how many words a sentence has: `word_count`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

__all__ = [
    "SENTENCE_END_CHARS",
    "detect_language",
    "normalise_language",
    "segment",
    "supported_by_segmenter",
    "word_count",
]

#: Sentence-final punctuation beyond ".!?": ideographic and full-width stops, the Arabic
#: question mark, the Urdu full stop, the Devanagari danda, the ellipsis character.
SENTENCE_END_CHARS = ".!?。！？．؟۔।…"

#: Languages pysbd segments (its own codes).
_PYSBD_LANGUAGES = frozenset({
    "en", "hi", "mr", "zh", "es", "am", "ar", "hy", "bg", "ur", "ru", "pl", "fa", "nl", "da",
    "fr", "my", "el", "it", "ja", "de", "kk", "sk",
})
#: Characters of scripts written without spaces between words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")
#: Detection reads at most this much text (enough for a stable answer, bounded in time).
_DETECT_CHARS = 20_000
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def normalise_language(code: str | None) -> str | None:
    """A language tag reduced to its primary subtag, lower case ("en-GB" → "en", "ES" → "es");
    None for an empty or malformed tag."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-")[0].casefold()
    return primary if _LANGUAGE_CODE.match(primary) else None


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language by py3langid, or None for text too short to
    tell (under 20 letters)."""
    sample = text[:_DETECT_CHARS]
    if sum(ch.isalpha() for ch in sample[:2000]) < 20:
        return None
    import py3langid  # lazy: only ingesting needs it

    code, _score = py3langid.classify(sample)
    return normalise_language(str(code))


def supported_by_segmenter(language: str | None) -> bool:
    return language in _PYSBD_LANGUAGES


@lru_cache(maxsize=32)
def _segmenter(language: str) -> Any:
    import pysbd  # lazy: only ingesting text in another language needs it

    return pysbd.Segmenter(language=language, clean=False)


def segment(text: str, language: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end; surrounding whitespace trimmed) of `text` by pysbd for
    `language`. Each sentence pysbd returns is located in `text` from the end of the previous
    one, so the spans are exact even where pysbd normalises spaces; a sentence that cannot be
    located ends the list with the rest of the text as one span."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _segmenter(language).segment(text):
        stripped = piece.strip()
        if not stripped:
            continue
        at = text.find(stripped, cursor)
        if at < 0:
            break
        spans.append((at, at + len(stripped)))
        cursor = at + len(stripped)
    rest = text[cursor:]
    if rest.strip():
        lead = len(rest) - len(rest.lstrip())
        spans.append((cursor + lead, cursor + lead + len(rest.strip())))
    if language in _RTL_HARD_BREAKS:
        spans = [piece for span in spans for piece in _hard_breaks(text, span)]
    return _join_at_commas(text, spans)


#: Languages whose pysbd rules miss a full stop or question mark between sentences: there a
#: sentence also ends at [.!?؟۔] followed by a space (no abbreviations to protect).
_RTL_HARD_BREAKS = frozenset({"ar", "fa", "ur"})
_HARD_BREAK = re.compile(r"(?<=[.!?؟۔])\s+")


def _hard_breaks(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    start, end = span
    pieces: list[tuple[int, int]] = []
    for match in _HARD_BREAK.finditer(text, start, end):
        pieces.append((start, match.start()))
        start = match.end()
    pieces.append((start, end))
    return [(a, b) for a, b in pieces if b > a]


#: A piece ending in one of these is not a sentence: pysbd's Arabic rules end a "sentence" at
#: the Arabic comma.
_CLAUSE_END = (",", "،", "、", ";", "؛")


def _join_at_commas(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and text[joined[-1][0] : joined[-1][1]].endswith(_CLAUSE_END):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def word_count(text: str) -> int:
    """Words with a letter in them; in scripts without spaces, every two characters of the
    script count as a word (a Japanese sentence of 12 characters "has" six words)."""
    unspaced = len(_UNSPACED.findall(text))
    if unspaced:
        text = _UNSPACED.sub(" ", text)
    words = sum(1 for word in text.split() if any(_is_letter(ch) for ch in word))
    return words + unspaced // 2


def _is_letter(ch: str) -> bool:
    return ch.isalpha() or unicodedata.category(ch).startswith("L")
