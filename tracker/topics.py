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


def _rule(facet: str, value: str, pattern: str) -> TopicRule:
    return TopicRule(facet, value, re.compile(pattern, re.IGNORECASE), pattern)


CONDITIONS: tuple[str, ...] = (
    "neuropathic pain", "CRPS", "fibromyalgia", "cancer pain", "migraine", "post-surgical",
)
ROUTES: tuple[str, ...] = (
    "IV", "intranasal", "oral/sublingual", "intramuscular", "topical", "subcutaneous",
)

RULES: tuple[TopicRule, ...] = (
    _rule("condition", "neuropathic pain",
          r"neuropath|neuralgia|postamputation|phantom limb|nerve injury"),
    _rule("condition", "CRPS", r"\bCRPS\b|complex regional pain"),
    _rule("condition", "fibromyalgia", r"fibromyalgi"),
    _rule("condition", "cancer pain", r"\bcancer\b|oncolog|palliative"),
    _rule("condition", "migraine", r"migraine|headache"),
    _rule("condition", "post-surgical",
          r"post-?operative|perioperative|intra-?operative|post-?surgical|surgery|spinal fusion"),
    _rule("route", "IV", r"intravenous|\bIV\b|infusion"),
    _rule("route", "intranasal", r"intranasal|nasal spray|\bnasal\b|snort"),
    _rule("route", "oral/sublingual", r"\boral(ly)?\b|sublingual|lozenge"),
    _rule("route", "intramuscular", r"intramuscular|\bIM\b"),
    _rule("route", "topical", r"topical|cream|\bgel\b|transdermal"),
    _rule("route", "subcutaneous", r"subcutaneous|\bSC\b|\bs\.c\."),
)


# Any rule at all, in one pass: most records of a general library match none.
_ANY = re.compile("|".join(f"(?:{rule.description})" for rule in RULES), re.IGNORECASE)


def topics_for(texts: Iterable[str | None]) -> list[tuple[str, str]]:
    """(facet, value) pairs whose rule matches any of the texts, in rule order."""
    joined = "\n".join(t for t in texts if t)
    if _ANY.search(joined) is None:
        return []
    return [(rule.facet, rule.value) for rule in RULES if rule.pattern.search(joined)]
