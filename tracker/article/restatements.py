"""FAQ answers that restate a claim of the article's body: content words weighted by their
rarity in the article (see `_restatements`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

from tracker.article.text import _FAQ_TITLE, _key, _word_set
from tracker.article.values import ParsedClaim

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
