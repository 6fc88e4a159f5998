"""The evidence finder: the studies of the library most likely to bear on a claim, ranked,
with the sentences of their abstracts that do — and the full-text index behind it, which the
citation search uses too. See docs/finder.md.

`terms` (pure): a claim or a search as concepts, with stop words and medical synonyms.
`ranking` (pure): BM25F over a study's fields plus its best sentence; highlighted sentences.
`index`: the index inside the database (SQLite FTS5, PostgreSQL tsvector) and its reads.
`suggest`: the pipeline that puts them together (`find`).

Suggestions are reads: nothing here writes, and a suggested study counts as evidence only
once a reviewer links it to the claim with a stance.
"""

from tracker.finder.ranking import DEFAULT_WEIGHTS, Ranked, Sentence, Study, Weights, rank
from tracker.finder.suggest import CANDIDATES, Found, find
from tracker.finder.terms import (
    Concept,
    SearchTerm,
    arguments_as_search,
    claim_concepts,
    search_terms,
)

__all__ = [
    "CANDIDATES", "DEFAULT_WEIGHTS", "Concept", "Found", "Ranked", "SearchTerm", "Sentence",
    "Study", "Weights", "arguments_as_search", "claim_concepts", "find", "rank",
    "search_terms",
]
