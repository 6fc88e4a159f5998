"""Which conditions and routes a citation is about, for the evidence gap map (pure rules).

A citation is tagged with a condition or a route when its title, abstract, keywords or recorded
finding match the rule's pattern (case-insensitive). Reviewers can add or remove tags; the rules
only propose them. The rules are data, shown to users in the README.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple


class TopicRule(NamedTuple):
    facet: str  # "condition" or "route"
    value: str
    pattern: re.Pattern[str]
    description: str
    triggers: tuple[str, ...]  # lower-case words one of which every match contains
    #: The same rule for ASCII text, lower-cased (no IGNORECASE): the pattern rewritten to begin
    #: with a literal, so the regex engine skips to where it can match instead of trying every
    #: position (`\bSC\b` as `s(?<=\bs)c\b`). For rules whose trigger words occur in common
    #: words ("sc" in "disc", "iv" in "effective"); `tests/test_topics.py` checks equivalence.
    ascii_pattern: re.Pattern[str] | None = None


def _rule(facet: str, value: str, pattern: str, *triggers: str, ascii_pattern: str = ""
          ) -> TopicRule:
    return TopicRule(facet, value, re.compile(pattern, re.IGNORECASE), pattern, triggers,
                     re.compile(ascii_pattern) if ascii_pattern else None)


CONDITIONS: tuple[str, ...] = (
    "neuropathic pain", "CRPS", "fibromyalgia", "cancer pain", "migraine", "post-surgical",
)
ROUTES: tuple[str, ...] = (
    "IV", "intranasal", "oral/sublingual", "intramuscular", "topical", "subcutaneous",
)

RULES: tuple[TopicRule, ...] = (
    _rule("condition", "neuropathic pain",
          r"neuropath|neuralgia|postamputation|phantom limb|nerve injury",
          "neuropath", "neuralgia", "postamputation", "phantom limb", "nerve injury"),
    _rule("condition", "CRPS", r"\bCRPS\b|complex regional pain", "crps", "complex regional"),
    _rule("condition", "fibromyalgia", r"fibromyalgi", "fibromyalgi"),
    # "chronic non-cancer pain" is not cancer pain (the rule once tagged five such sources).
    _rule("condition", "cancer pain", r"(?<!non-)(?<!non )\bcancer\b|oncolog|palliative",
          "cancer", "oncolog", "palliative"),
    _rule("condition", "migraine", r"migraine|headache", "migraine", "headache"),
    _rule("condition", "post-surgical",
          r"post-?operative|perioperative|intra-?operative|post-?surgical|surgery|spinal fusion",
          "operative", "surgical", "surgery", "spinal fusion"),
    _rule("route", "IV", r"intravenous|\bIV\b|infusion", "intravenous", "iv", "infusion",
          ascii_pattern=r"i(?:ntravenous|(?<=\bi)v\b|nfusion)"),
    _rule("route", "intranasal", r"intranasal|nasal spray|\bnasal\b|snort", "nasal", "snort"),
    _rule("route", "oral/sublingual", r"\boral(ly)?\b|sublingual|lozenge",
          "oral", "sublingual", "lozenge"),
    _rule("route", "intramuscular", r"intramuscular|\bIM\b", "intramuscular", "im",
          ascii_pattern=r"i(?:ntramuscular|(?<=\bi)m\b)"),
    _rule("route", "topical", r"topical|cream|\bgel\b|transdermal",
          "topical", "cream", "gel", "transdermal"),
    _rule("route", "subcutaneous", r"subcutaneous|\bSC\b|\bs\.c\.", "subcutaneous", "sc", "s.c.",
          ascii_pattern=r"s(?:ubcutaneous|(?<=\bs)(?:c\b|\.c\.))"),
)


def topics_for(texts: Iterable[str | None]) -> list[tuple[str, str]]:
    """(facet, value) pairs whose rule matches any of the texts, in rule order.

    A rule's regular expression only runs when one of its trigger words occurs in the text
    (plain substring tests are fast; most entries of a general library trigger nothing). On
    ASCII text a rule with an `ascii_pattern` runs that instead, on the lower-cased text (for
    ASCII, IGNORECASE is lower-casing, and every match holds a trigger word)."""
    joined = "\n".join(t for t in texts if t)
    lowered = joined.lower()
    ascii_text = joined.isascii()
    return [(rule.facet, rule.value) for rule in RULES if _matches(rule, joined, lowered,
                                                                    ascii_text)]


def _matches(rule: TopicRule, joined: str, lowered: str, ascii_text: bool) -> bool:
    if ascii_text and rule.ascii_pattern is not None:
        return rule.ascii_pattern.search(lowered) is not None
    return any(t in lowered for t in rule.triggers) and rule.pattern.search(joined) is not None
