"""A claim's category: the rules (deciding section titles, keywords, section defaults) and
`categorise`, which names the rule that decided.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from tracker.vocabulary import ClaimCategory


class CategoryRule(NamedTuple):
    """One categorisation rule: the category, the pattern it looks for, and why."""

    category: ClaimCategory
    pattern: re.Pattern[str]
    description: str


def _rule(category: ClaimCategory, pattern: str, description: str) -> CategoryRule:
    return CategoryRule(category, re.compile(pattern, re.IGNORECASE), description)


_C = ClaimCategory

#: Tried first, on the section titles (nearest first): sections whose every sentence is of
#: their kind whatever its words ("Opioid-sparing … side effects" under Benefits is a benefit).
DECIDING_SECTION_RULES: tuple[CategoryRule, ...] = (
    _rule(_C.BENEFIT, r"\bbenefits?\b|\badvantages?\b", "a section listing benefits"),
    _rule(_C.ADMINISTRATION, r"\badminist|\broutes?\b|\bdelivery\b", "a section on administration"),
    _rule(_C.RESEARCH_DIRECTION, r"\bfuture\b|\boutlook\b", "a section on future directions"),
)

#: Then the sentence's own words, in this order (the first match wins).
KEYWORD_RULES: tuple[CategoryRule, ...] = (
    _rule(
        _C.CONTRAINDICATION,
        r"contraindicat|not be suitable|\bprecautions?\b|should not be used|should be avoided",
        "who should not receive it",
    ),
    _rule(
        _C.ADVERSE_EFFECT,
        r"side[- ]effects?|adverse|hallucinat|dizziness|nausea|psychotropic|dissociative symptoms"
        r"|(?:considered|generally|is) safe\b|well[- ]tolerated|toxicit",
        "harms and safety",
    ),
    _rule(
        _C.EVIDENCE_SUMMARY,
        r"randomi[sz]ed controlled trials?|meta-analys|systematic reviews?|comprehensive reviews"
        r"|body of (?:scientific )?(?:literature|evidence)|clinical trials|observational studies",
        "what the body of studies shows",
    ),
    _rule(
        _C.RESEARCH_DIRECTION,
        r"\binvestigations\b|research into|\bunderway\b|increasingly being incorporated"
        r"|may improve efficacy|future",
        "work in progress or expected",
    ),
    _rule(_C.BENEFIT, r"\bbenefits?\b|\badvantages?\b", "an advantage over alternatives"),
    _rule(
        _C.PHARMACOKINETICS,
        r"bioavailability|\bonset\b|metaboli|\bduration\b|half-life|absorption"
        r"|\blast(?:s|ing)? (?:from|for|up to|between|about|\d)"
        r"|eliminat|clearance",
        "time course and fate in the body",
    ),
    _rule(
        _C.MECHANISM,
        r"receptor|\bnmda\b|neurotransmi|mechanism|sensiti[sz]ation|antagoni",
        "how it works",
    ),
    _rule(
        _C.GENERAL,
        r"\b(?:is|are) an? (?:[\w-]+,? ){0,3}(?:condition|syndrome|disorder|disease)\b"
        r"|\bcaused by\b|^patients with [\w -]+ (?:experience|suffer|have)\b",
        "describes a condition, not the treatment",
    ),
    _rule(
        _C.EFFICACY,
        r"efficac|\beffective|\brelie[fv]|alleviat|\breduc\w* (?:\w+ )?pain|\btreat(?:s|ed|ing)?\b"
        r"|\banalgesi|\baddress",
        "what it treats and how well",
    ),
    _rule(
        _C.ADMINISTRATION,
        r"infusion|intranasal|\boral\b|sublingual|intramuscular|topical|administered|\broutes?\b"
        r"|injection",
        "how it is given",
    ),
)

#: Last, the section titles again (nearest first), for sentences without telling words.
SECTION_DEFAULT_RULES: tuple[CategoryRule, ...] = (
    _rule(_C.CONTRAINDICATION, r"contraindicat|precaution", "a section on contraindications"),
    _rule(_C.ADVERSE_EFFECT, r"\brisks?\b|side effects?|adverse|\bsafe(?:ty)?\b", "on harms"),
    _rule(
        _C.EVIDENCE_SUMMARY,
        r"evidence|\btrials?\b|meta-analys|systematic review|research findings|\bstudies\b",
        "a section on the evidence",
    ),
    _rule(_C.RESEARCH_DIRECTION, r"ongoing research|emerging|\bfuture\b", "a section on research"),
    _rule(_C.PHARMACOKINETICS, r"pharmacokinetic|duration|how long", "a section on time course"),
    _rule(_C.MECHANISM, r"mechanism|how .* works?|pharmacodynamic", "a section on mechanism"),
    _rule(_C.ADMINISTRATION, r"administ|route|infusion|dosing|dosage", "a section on delivery"),
    _rule(_C.EFFICACY, r"conditions|indications?|efficacy|effective|\btreat", "a section on uses"),
)


def _match_section(
    rules: Sequence[CategoryRule], section_path: tuple[str, ...]
) -> tuple[ClaimCategory, str] | None:
    for title in reversed(section_path):
        for rule in rules:
            if rule.pattern.search(title):
                return rule.category, f'section "{_quoted(title)}"'
    return None


#: The most of a title or of matched words a rule description quotes (the stored rule is at
#: most 200 characters).
_QUOTED_MAX = 120


def _quoted(text: str) -> str:
    return text if len(text) <= _QUOTED_MAX else text[: _QUOTED_MAX - 1] + "…"


def _whole_words(text: str, start: int, end: int) -> str:
    """The matched text widened to whole words ("metaboli" → "Metabolized"), shortened to
    `_QUOTED_MAX` characters (a 'word' can be a megabyte of letters)."""
    low = max(0, start - _QUOTED_MAX)
    while start > low and text[start - 1].isalnum():
        start -= 1
    high = min(len(text), end + _QUOTED_MAX)
    while end < high and text[end].isalnum():
        end += 1
    return _quoted(text[start:end])


def categorise(text: str, section_path: tuple[str, ...]) -> tuple[ClaimCategory, str]:
    """The claim's category and the rule that chose it.

    Order: DECIDING_SECTION_RULES on the section titles (nearest first), then KEYWORD_RULES on
    the sentence (first match wins), then SECTION_DEFAULT_RULES on the titles, then general.
    """
    decided = _match_section(DECIDING_SECTION_RULES, section_path)
    if decided:
        return decided
    for rule in KEYWORD_RULES:
        match = rule.pattern.search(text)
        if match:
            return rule.category, f'keyword "{_whole_words(text, match.start(), match.end())}"'
    return _match_section(SECTION_DEFAULT_RULES, section_path) or (
        ClaimCategory.GENERAL,
        "no rule matched",
    )
