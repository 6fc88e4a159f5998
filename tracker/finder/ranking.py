"""How strongly a study's text bears on a claim's concepts (pure): a score, the concepts it
matched, and its best sentences with the matched words marked.

The score is BM25F (BM25 over several weighted fields: title, abstract, keywords and the
recorded finding) plus a share of the score of the study's best-matching sentence, so a study
with one sentence saying what the claim says rises above one that mentions its words far
apart. Rarity comes from the whole library (`frequencies`: how many citations mention each
concept, counted by the database's index), so the same study gets the same score however it
was found. Everything is computed here, from plain text, identically on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

from tracker.article import sentence_spans
from tracker.finder.terms import Concept, is_stop_word, stem, words


@dataclass(frozen=True, slots=True)
class Study:
    """The searchable text of a citation."""

    citation_id: int
    title: str
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    finding: str = ""


@dataclass(frozen=True, slots=True)
class Weights:
    """The ranking's parameters (tuned on the Check-COVID training claims by
    `benchmarks/bench_finder.py --tune`; the development claims only report)."""

    title: float = 2.0
    abstract: float = 1.0
    keywords: float = 1.0
    finding: float = 1.0
    k1: float = 1.2
    b: float = 0.75
    sentence: float = 0.5  # the best sentence's score, added to the study's
    sentence_b: float = 0.3  # length normalisation of sentences (b of the fields)
    # Average field lengths in words (a typical journal record), for length normalisation.
    title_words: float = 14.0
    abstract_words: float = 220.0
    keywords_words: float = 8.0
    finding_words: float = 25.0
    sentence_words: float = 24.0
    # Which sentences are shown (docs/finder.md, "Which sentences are shown"): the sentence's
    # claim score is multiplied by (1 + the bonuses) * (1 - the penalty). 0 switches one off.
    result_cue: float = 1.0  # a result sentence: numbers, %, CI, p-values, "significantly"…
    late: float = 0.5  # times the sentence's relative place in the abstract (0 first, 1 last)
    results_section: float = 0.0  # under a "Results"/"Conclusions" heading
    title_terms: float = 0.0  # times the share of the title's words the sentence repeats
    background: float = 0.0  # penalty: aims, methods, "this study", "we conducted"…
    local_rarity: float = 0.0  # share of a concept's weight set by its rarity in the abstract
    neighbours: float = 0.05  # share of the better neighbouring sentence's claim score


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of the abstract (or of the finding, for a study without one): its number,
    its text, its score and the spans of the matched words (offsets in `text`)."""

    index: int
    text: str
    score: float
    highlights: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Ranked:
    citation_id: int
    score: float
    matched: tuple[str, ...]  # the labels of the concepts the study mentions
    sentences: tuple[Sentence, ...]  # the best-matching sentences, best first


def idf(documents: int, frequency: int) -> float:
    """BM25's inverse document frequency (never negative)."""
    frequency = min(max(frequency, 0), documents)
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


class _Text(NamedTuple):
    """A text cut into stemmed words (with their spans) and sentences; kept in a small cache,
    as the same abstracts come up for claim after claim."""

    stems: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    sentences: tuple[tuple[int, int], ...]


@lru_cache(maxsize=4096)
def _analysed(text: str, with_sentences: bool) -> _Text:
    found = words(text)
    return _Text(tuple(stem(w.folded) for w in found), tuple((w.start, w.end) for w in found),
                 tuple(sentence_spans(text)) if with_sentences else ())


class _Field:
    """One field's words and where each concept occurs in it."""

    def __init__(self, text: str, concepts: _Concepts, *, with_sentences: bool = False
                 ) -> None:
        self.text = text
        self.analysed = _analysed(text, with_sentences)
        stemmed, spans = self.analysed.stems, self.analysed.spans
        self.length = len(stemmed)
        self.spans: list[list[tuple[int, int]]] = [[] for _ in concepts.stems]
        for position, first in enumerate(stemmed):
            for concept, form in concepts.starting.get(first, ()):
                end = position + len(form)
                if end <= len(stemmed) and stemmed[position:end] == form:
                    self.spans[concept].append((spans[position][0], spans[end - 1][1]))

    def frequency(self, concept: int) -> int:
        return len(self.spans[concept])


class _Concepts:
    def __init__(self, concepts: Sequence[Concept]) -> None:
        self.stems = [c.stems for c in concepts]
        self.starting: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for index, forms in enumerate(self.stems):
            for form in forms:
                self.starting.setdefault(form[0], []).append((index, form))


def _saturate(tf: float, k1: float) -> float:
    return tf * (k1 + 1) / (tf + k1) if tf > 0 else 0.0


def rank(concepts: Sequence[Concept], frequencies: Sequence[int], documents: int,
         studies: Sequence[Study], *, weights: Weights = DEFAULT_WEIGHTS,
         sentences: int = 3, shown: int | None = None) -> list[Ranked]:
    """`studies` ranked for `concepts` (best first; ties by citation id). `frequencies[i]` is
    the number of the library's `documents` citations that mention concept i. The best
    `sentences` sentences are chosen for the first `shown` studies (all when None); the others
    get none (choosing them is most of the work, and only the shown ones need them)."""
    if len(frequencies) != len(concepts):
        raise ValueError("one frequency per concept")
    prepared = _Concepts(concepts)
    rarity = [idf(documents, f) * c.weight for c, f in zip(concepts, frequencies, strict=True)]
    scored = [_score(study, concepts, prepared, rarity, weights) for study in studies]
    scored.sort(key=lambda r: (-r[0].score, r[0].citation_id))
    return [replace(ranked, sentences=tuple(_shown(body, title, claim, weights)[:sentences]))
            if shown is None or number < shown else ranked
            for number, (ranked, body, title, claim) in enumerate(scored)]


def _score(study: Study, concepts: Sequence[Concept], prepared: _Concepts,
           rarity: Sequence[float], w: Weights
           ) -> tuple[Ranked, _Field, _Field, list[_Claimed]]:
    """The study ranked (its sentences not chosen yet), with what choosing them needs."""
    fields = [
        (_Field(study.title, prepared), w.title, w.title_words),
        (_Field(study.abstract, prepared, with_sentences=True), w.abstract, w.abstract_words),
        (_Field(" ; ".join(study.keywords), prepared), w.keywords, w.keywords_words),
        (_Field(study.finding, prepared, with_sentences=not study.abstract.strip()),
         w.finding, w.finding_words),
    ]
    score = 0.0
    matched: list[str] = []
    for index, concept in enumerate(concepts):
        tf = sum(weight * f.frequency(index) / (1 - w.b + w.b * f.length / average)
                 for f, weight, average in fields if f.frequency(index))
        if tf > 0:
            matched.append(concept.label)
            score += rarity[index] * _saturate(tf, w.k1)
    body = fields[1][0] if study.abstract.strip() else fields[3][0]
    claim = _claim_scores(body, rarity, w)
    score += w.sentence * max((c.score for c in claim), default=0.0)
    return (Ranked(study.citation_id, round(score, 6), tuple(matched), ()), body, fields[0][0],
            claim)


# --- which sentences are shown ----------------------------------------------------------------

#: Words and marks of a sentence that reports a result: a percentage, a confidence interval, a
#: p-value, a ratio with its value, or a verb that reports what was found or compared.
RESULT_CUE = re.compile(
    r"\d\s*%|\bp\s*[<=>≤≥]\s*0?[.·]\d|\b(?:CI|OR|RR|HR|aOR|aHR|IRR)\b"
    r"|\b(?:significant(?:ly)?|associated with|associations?|correlated|increased?|decreased?"
    r"|reduced?|reduction|higher|lower|more likely|less likely|found|showed|shows?|shown"
    r"|demonstrated?|revealed?|observed|resulted in|compared (?:with|to)|effective"
    r"|predict(?:ed|s)?)\b", re.IGNORECASE)

#: Words of a sentence that sets a study up rather than reports it: its aim, its methods.
BACKGROUND_CUE = re.compile(
    r"\b(?:aims?|aimed|objectives?|purpose|goal"
    r"|we (?:conducted|performed|designed|developed|used|collected|recruited|enrolled|searched"
    r"|reviewed|describe|investigated|evaluated|assessed|examined|analy[sz]ed|sought|report)"
    r"|this (?:study|review|paper|article|work|report)|the present study|here,? we"
    r"|were (?:recruited|enrolled|included|randomi[sz]ed)"
    r"|(?:is|are|remains?) (?:unknown|unclear|not known|poorly understood))\b", re.IGNORECASE)

#: A structured abstract's heading at the start of a sentence ("Results.", "RESULTS:",
#: "Conclusions Patients…"): the section it opens lasts until the next heading.
HEADING = re.compile(
    r"^(?:abstract\s*[.:]?\s*)?(?i:(background|introduction|context|objectives?|aims?|purpose"
    r"|methods?|materials and methods|design|setting|participants|measurements|results?"
    r"|findings|conclusions?|interpretation|discussion))\s*(?:[.:]|$|(?=\s+[A-Z0-9]))")
_RESULT_SECTIONS = frozenset({"results", "result", "findings", "conclusions", "conclusion",
                              "interpretation", "discussion"})


@lru_cache(maxsize=65536)
def _reports_result(sentence: str) -> bool:
    """Whether a sentence has a result cue (cached: the same abstracts come up again)."""
    return RESULT_CUE.search(sentence) is not None


def _section(sentence: str, current: str) -> str:
    """The section a sentence stands in: the heading it opens with, else `current`."""
    heading = HEADING.match(sentence)
    return heading.group(1).casefold() if heading else current


def _prior(sentence: str, number: int, count: int, section: str, title_share: float,
           w: Weights) -> float:
    """How much more likely a sentence is to carry a study's result than to set it up (a
    factor for its claim score; 1 when the sentence rules are off)."""
    bonus = w.late * (number / (count - 1) if count > 1 else 0.0) + w.title_terms * title_share
    if w.result_cue and _reports_result(sentence):
        bonus += w.result_cue
    if w.results_section and section in _RESULT_SECTIONS:
        bonus += w.results_section
    penalty = 0.0
    if w.background and (BACKGROUND_CUE.search(sentence)
                         or (section != "" and section not in _RESULT_SECTIONS)):
        penalty = w.background
    return (1 + bonus) * max(0.0, 1 - penalty)


class _Claimed(NamedTuple):
    """A sentence's claim score (BM25 over the sentence) and its matched words' spans."""

    score: float
    marks: tuple[tuple[int, int], ...]


def _claim_scores(body: _Field, rarity: Sequence[float], w: Weights) -> list[_Claimed]:
    """Each sentence of `body` scored for the claim's concepts (0 when it mentions none)."""
    starts = [a for a, _ in body.analysed.spans]
    bounds = body.analysed.sentences
    concepts = len(body.spans)
    inside_of = [[(a - start, b - start) for a, b in spans if start <= a and b <= end]
                 for start, end in bounds for spans in body.spans]
    local = [1.0] * concepts
    if w.local_rarity and bounds:
        for index in range(concepts):
            mentioned = sum(1 for n in range(len(bounds)) if inside_of[n * concepts + index])
            local[index] = (1 - w.local_rarity) + w.local_rarity * (
                idf(len(bounds), mentioned) / idf(len(bounds), 1))
    claimed: list[_Claimed] = []
    for number, (start, end) in enumerate(bounds):
        length = bisect_left(starts, end) - bisect_left(starts, start)
        norm = 1 - w.sentence_b + w.sentence_b * length / w.sentence_words
        score = 0.0
        marks: list[tuple[int, int]] = []
        for index in range(concepts):
            inside = inside_of[number * concepts + index]
            if inside:
                marks.extend(inside)
                score += rarity[index] * local[index] * _saturate(len(inside) / norm, w.k1)
        claimed.append(_Claimed(score, tuple(sorted(set(marks)))))
    return claimed


def _shown(body: _Field, title: _Field, claimed: Sequence[_Claimed], w: Weights
           ) -> list[Sentence]:
    """The sentences worth showing — those that mention a concept, and their neighbours — best
    first (ties: earlier first): claim score (plus a share of the better neighbour's) times the
    sentence's prior."""
    starts = [a for a, _ in body.analysed.spans]
    stems = body.analysed.stems
    bounds = body.analysed.sentences
    title_stems = ({t for t in title.analysed.stems if not is_stop_word(t)} if w.title_terms
                   else set())
    found: list[Sentence] = []
    section = ""
    for number, (start, end) in enumerate(bounds):
        sentence = body.text[start:end]
        if w.results_section or w.background:
            section = _section(sentence, section)
        score = claimed[number].score
        if w.neighbours:
            around = claimed[max(0, number - 1):number + 2:2] if number else claimed[1:2]
            score += w.neighbours * max((c.score for c in around), default=0.0)
        if score <= 0:
            continue
        share = 0.0
        if title_stems:
            first, last = bisect_left(starts, start), bisect_left(starts, end)
            share = len(title_stems.intersection(stems[first:last])) / len(title_stems)
        score *= _prior(sentence, number, len(bounds), section, share, w)
        found.append(Sentence(number, sentence, round(score, 6), claimed[number].marks))
    found.sort(key=lambda s: (-s.score, s.index))
    return found
