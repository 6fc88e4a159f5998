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
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from tracker.article import sentence_spans
from tracker.finder.terms import Concept, stem, words


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
         sentences: int = 3) -> list[Ranked]:
    """`studies` ranked for `concepts` (best first; ties by citation id). `frequencies[i]` is
    the number of the library's `documents` citations that mention concept i."""
    if len(frequencies) != len(concepts):
        raise ValueError("one frequency per concept")
    prepared = _Concepts(concepts)
    rarity = [idf(documents, f) * c.weight for c, f in zip(concepts, frequencies, strict=True)]
    ranked = [_score(study, concepts, prepared, rarity, weights, sentences) for study in studies]
    ranked.sort(key=lambda r: (-r.score, r.citation_id))
    return ranked


def _score(study: Study, concepts: Sequence[Concept], prepared: _Concepts,
           rarity: Sequence[float], w: Weights, keep: int) -> Ranked:
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
    best = _sentences(body, rarity, w)
    if best:
        score += w.sentence * best[0].score
    return Ranked(study.citation_id, round(score, 6), tuple(matched), tuple(best[:keep]))


def _sentences(body: _Field, rarity: Sequence[float], w: Weights) -> list[Sentence]:
    """The sentences of `body` that mention a concept, best first (ties: earlier first)."""
    found: list[Sentence] = []
    starts = [a for a, _ in body.analysed.spans]
    for number, (start, end) in enumerate(body.analysed.sentences):
        length = bisect_left(starts, end) - bisect_left(starts, start)
        score = 0.0
        marks: list[tuple[int, int]] = []
        for index, spans in enumerate(body.spans):
            inside = [(a - start, b - start) for a, b in spans if start <= a and b <= end]
            if not inside:
                continue
            marks.extend(inside)
            norm = 1 - w.sentence_b + w.sentence_b * length / w.sentence_words
            score += rarity[index] * _saturate(len(inside) / norm, w.k1)
        if score > 0:
            found.append(Sentence(number, body.text[start:end], round(score, 6),
                                  tuple(sorted(set(marks)))))
    found.sort(key=lambda s: (-s.score, s.index))
    return found
