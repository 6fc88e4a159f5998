"""Finding the studies of the library that bear on a text (a claim): the index proposes
candidates, `ranking` scores them. Read-only: a suggestion is never evidence until a reviewer
links the study with a stance.

1. The text becomes concepts (`terms.claim_concepts`: stop words out, synonyms in).
2. The index counts the citations mentioning each concept (for rarity) and proposes the
   `candidates` citations its own ranking (bm25() / ts_rank_cd()) puts first for any
   concept; concepts that most of the library mentions propose nothing (they would only make
   the index rank nearly every row) but still count in the score.
3. Each candidate's title, abstract, keywords and finding are scored by `ranking.rank`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.finder import index
from tracker.finder.ranking import DEFAULT_WEIGHTS, Ranked, Study, Weights, rank
from tracker.finder.terms import Concept, claim_concepts
from tracker.models import Citation

CANDIDATES = 100  # citations the index proposes for scoring
COMMON = 0.5  # a concept mentioned by more than this share of the library proposes nothing


@dataclass(frozen=True, slots=True)
class Found:
    concepts: tuple[Concept, ...]
    frequencies: tuple[int, ...]
    documents: int
    ranked: tuple[Ranked, ...]  # best first, at most `limit`


def find(session: Session, text: str, *, limit: int = 10, extra_terms: Iterable[str] = (),
         weights: Weights = DEFAULT_WEIGHTS, candidates: int = CANDIDATES) -> Found:
    """The `limit` citations that best bear on `text`, scored and with their best sentences.
    `extra_terms` are further things to look for (a claim's confirmed PICO tags)."""
    concepts = claim_concepts(text, extra_terms)
    if not concepts or limit <= 0:
        return Found(tuple(concepts), (), 0, ())
    documents, counts = index.frequencies(session, concepts)
    proposing = _proposing(concepts, counts, documents)
    ids = index.candidates(session, proposing, max(candidates, limit))
    ranked = rank(concepts, counts, documents, studies(session, ids), weights=weights,
                  shown=limit)
    return Found(tuple(concepts), tuple(counts), documents, tuple(ranked[:limit]))


def _proposing(concepts: Sequence[Concept], counts: Sequence[int], documents: int
               ) -> list[Concept]:
    """The concepts that propose candidates: those that are not common, or else the rarest."""
    mentioned = [(n, i) for i, n in enumerate(counts) if n > 0]
    rare = [concepts[i] for n, i in mentioned if n <= COMMON * documents]
    if rare or not mentioned:
        return rare
    return [concepts[min(mentioned)[1]]]


def studies(session: Session, ids: Sequence[int]) -> list[Study]:
    """The searchable text of these citations."""
    if not ids:
        return []
    rows = session.execute(select(Citation.id, Citation.title, Citation.abstract,
                                  Citation.keywords, Citation.extra)
                           .where(Citation.id.in_(ids)))
    return [Study(ident, title or "", abstract or "", _keywords(keywords), _finding(extra))
            for ident, title, abstract, keywords, extra in rows]


def _keywords(value: Any) -> tuple[str, ...]:
    return tuple(str(k) for k in value) if isinstance(value, list) else ()


def _finding(extra: Any) -> str:
    finding = extra.get("finding") if isinstance(extra, dict) else None
    return finding if isinstance(finding, str) else ""
