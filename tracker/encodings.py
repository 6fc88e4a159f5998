"""Which encoding a BibTeX file that is not UTF-8 was written in, decided by evidence.

Reference managers write UTF-8 today, but old libraries and some journal exports are in a
single-byte encoding, and the same bytes mean different letters in each: 0xA6 is "Š" in
Latin-9, "Ś" in Latin-2 and "¦" in Latin-1 and Windows-1252. Guessing the first one that
decodes gives `¦ome title`; guessing by byte shape gives Chinese for Portuguese
(`Avalia玢o`). This module decodes the file with every candidate and keeps the reading whose
accented words are plausible, and says how sure it is.

The rule (`detect`):

1. Candidates: Windows-1252, Latin-1, Latin-9 (ISO 8859-15), Latin-2 (ISO 8859-2) and GBK,
   each only when the bytes decode under it.
2. In each reading, every *word* holding a character beyond ASCII is judged: it is
   plausible when its letters beyond ASCII all belong to the alphabet of one language
   (`ALPHABETS`: the Latin-script languages these encodings serve), or it is made of CJK
   ideographs only (GBK). A symbol, a control character or a letter no one language pairs
   with the others makes it implausible. A character standing alone (between spaces or
   punctuation) is plausible when it is a common symbol (`STANDALONE`: €, £, ©, °, §, –, “…).
3. The reading with the most plausible items wins. Readings that give the same text are
   one reading (a German file reads the same in Latin-1, Latin-9 and Windows-1252).
4. It is *unsure* — and the file is refused, naming the line and both readings — when
   another reading scores as well, or when fewer than `MIN_PLAUSIBLE` of the winner's items
   are plausible. `--encoding NAME` (and the dashboard's encoding choice) states it instead.

The confidence reported is the winner's share of plausible items times 1 − 2^−m, where m is
how many more plausible items it has than the runner-up (each word only the winner explains
halves the doubt); with no other reading, the share alone. A measure of the evidence, not a
probability.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

#: The candidates, in the order that breaks a tie between readings giving the same text.
CANDIDATES = ("cp1252", "latin-1", "iso8859-15", "iso8859-2", "gbk")
#: How they are named in reports.
NAMES = {"cp1252": "Windows-1252", "latin-1": "Latin-1", "iso8859-15": "Latin-9",
         "iso8859-2": "Latin-2", "gbk": "GBK"}
#: The least share of plausible items for a reading to be trusted.
MIN_PLAUSIBLE = 0.75

#: Letters beyond ASCII of the Latin-script languages that Latin-1/-2/-9 and Windows-1252
#: were made for (lower case).
ALPHABETS: dict[str, frozenset[str]] = {name: frozenset(letters) for name, letters in {
    "Portuguese": "áâãàçéêíóôõúü", "Spanish": "áéíñóúü", "French": "àâæçéèêëîïôœùûüÿ",
    "German": "äöüß", "Italian": "àèéìíîòóùú", "Catalan": "àçèéíïòóúü",
    "Dutch": "áéèëïóöü", "Danish and Norwegian": "æøåéó", "Swedish": "åäöé",
    "Finnish": "äöåšž", "Icelandic": "áðéíóúýþæö", "Faroese": "áðíóúýæø",
    "Czech": "áčďéěíňóřšťúůýž", "Slovak": "áäčďéíĺľňóôŕšťúýž", "Polish": "ąćęłńóśźż",
    "Hungarian": "áéíóöőúüű", "Romanian": "ăâîșşțţ", "Croatian and Bosnian": "čćđšž",
    "Slovene": "čšž", "Estonian": "äõöüšž", "Albanian": "çë", "Irish": "áéíóú",
    "Lithuanian": "ąčęėįšųūž", "Latvian": "āčēģīķļņšūž", "Sorbian": "ćčěłńóřšźž",
    "Turkish": "çğıöşü", "Welsh": "âêîôûŵŷáéíóúàèìòùäëïöüÿ",
}.items()}
#: Symbols that plausibly stand alone in bibliographic text.
STANDALONE = frozenset("€£¥©®°§±×÷µ«»¿¡·–—‘’‚“”„…•†‡™‰¶\u00a0")
_WORD = re.compile(r"[^\s\d!-/:-@\[-`{-~]+")  # runs of anything but space, digits, ASCII punct.


class EncodingUnsure(Exception):
    """The bytes read plausibly in two encodings, or in none: the message says where."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One candidate's decoding and how plausible its non-ASCII words are."""

    encodings: tuple[str, ...]  # the candidates giving this same text
    text: str
    plausible: int
    items: int
    first_doubt: tuple[int, str] | None  # (line, word) of the first implausible item

    @property
    def share(self) -> float:
        return self.plausible / self.items if self.items else 1.0


@dataclass(frozen=True, slots=True)
class Detected:
    """The winning reading, with what a report says about it."""

    text: str
    encoding: str
    confidence: float
    evidence: str


def codec(name: str) -> str | None:
    """Python's codec for an encoding name as people write it ("latin-2", "Latin 9",
    "windows-1252", "utf8"), or None when there is none."""
    for spelling in (name, re.sub(r"[\s_-]+", "", name)):
        try:
            return codecs.lookup(spelling).name
        except LookupError:
            continue
    return None


def name_of(encoding: str) -> str:
    """A readable name for a codec ("Latin-2" for iso8859-2)."""
    canonical = codecs.lookup(encoding).name
    for candidate, name in NAMES.items():
        if codecs.lookup(candidate).name == canonical:
            return name
    return encoding


def _plausible_word(word: str) -> bool:
    beyond = {c.lower() for c in word if ord(c) > 127}
    if not beyond:
        return True
    if all(unicodedata.category(c) == "Lo" and "CJK" in unicodedata.name(c, "")
           for c in word):
        return True
    if not all(unicodedata.category(c).startswith("L") for c in beyond):
        return False
    return any(beyond <= alphabet for alphabet in ALPHABETS.values())


#: Quotes and dashes that cling to words ("“bursts”", "pain–relief"); split off, each one a
#: plausible item (in Latin-1/-2/-9 their bytes are control characters instead).
CLINGING = "‘’‚“”„–—…•"
_SYMBOLS = re.compile(f"([{CLINGING}])")


def _items(text: str) -> list[tuple[int, str]]:
    """(offset, item): the words holding a character beyond ASCII, with the quotes and
    dashes that cling to them (`CLINGING`) split off as items of their own."""
    found = []
    for match in _WORD.finditer(text):
        word = match.group()
        if all(ord(c) < 128 for c in word):
            continue
        offset = match.start()
        for part in _SYMBOLS.split(word):
            if part and any(ord(c) > 127 for c in part):
                found.append((offset, part))
            offset += len(part)
    return found


def _judge(encodings: tuple[str, ...], text: str) -> Reading:
    plausible = items = 0
    doubt: tuple[int, str] | None = None
    for offset, item in _items(text):
        items += 1
        if item in STANDALONE or _plausible_word(item):
            plausible += 1
        elif doubt is None:
            doubt = (text.count("\n", 0, offset) + 1, item)
    return Reading(encodings, text, plausible, items, doubt)


def readings(data: bytes) -> list[Reading]:
    """Every candidate's reading of `data` (readings of the same text merged), best first."""
    texts: dict[str, list[str]] = {}
    for encoding in CANDIDATES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        texts.setdefault(text, []).append(encoding)
    judged = [_judge(tuple(encodings), text) for text, encodings in texts.items()]
    order = {encoding: n for n, encoding in enumerate(CANDIDATES)}
    return sorted(judged, key=lambda r: (-r.plausible, r.items - r.plausible,
                                         order[r.encodings[0]]))


def detect(data: bytes) -> Detected:
    """The encoding of `data` (not UTF), by the evidence of its words; EncodingUnsure when
    two readings are as plausible, or none is plausible enough (see the module docstring)."""
    found = readings(data)
    if not found:
        raise EncodingUnsure("decodes in none of " + ", ".join(NAMES.values()))
    best = found[0]
    runner_up = found[1] if len(found) > 1 else None
    names = " = ".join(NAMES[e] for e in best.encodings)
    if runner_up is not None and runner_up.plausible >= best.plausible:
        line, word = _difference(best, runner_up)
        raise EncodingUnsure(
            f"line {line}: could be {NAMES[best.encodings[0]]} ({word[0]!r}) or "
            f"{NAMES[runner_up.encodings[0]]} ({word[1]!r}); the words give no reason to "
            "prefer either")
    if best.share < MIN_PLAUSIBLE:
        line, word_ = best.first_doubt or (1, "")
        raise EncodingUnsure(
            f"line {line}: {word_!r} and others read implausibly in every encoding tried "
            f"(best: {NAMES[best.encodings[0]]}, {best.plausible} of {best.items} words "
            "plausible)")
    margin = best.plausible - (runner_up.plausible if runner_up is not None else 0)
    confidence = best.share * (1 - 0.5 ** margin) if runner_up is not None else best.share
    evidence = f"{best.plausible} of {best.items} accented words plausible as {names}"
    if runner_up is not None:
        evidence += (f"; as {NAMES[runner_up.encodings[0]]}, "
                     f"{runner_up.plausible} of {runner_up.items}")
    return Detected(best.text, best.encodings[0], round(confidence, 2), evidence)


def _difference(a: Reading, b: Reading) -> tuple[int, tuple[str, str]]:
    """The first line where two readings differ, and the words there."""
    for n, (line_a, line_b) in enumerate(zip(a.text.splitlines(), b.text.splitlines(),
                                             strict=False), 1):
        if line_a != line_b:
            words_a, words_b = line_a.split(), line_b.split()
            for word_a, word_b in zip(words_a, words_b, strict=False):
                if word_a != word_b:
                    return n, (word_a, word_b)
            return n, (line_a.strip(), line_b.strip())
    return 1, ("", "")
