"""A claim's identity across revisions of its article: the fingerprint of its wording, and
`reconcile`, which maps a re-ingested revision's claims onto the stored ones.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from tracker.article.values import ParsedClaim, Reconciliation, StoredClaim


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
