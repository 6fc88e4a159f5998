"""PICO tags of claims and citations, proposed by transparent rules over text (pure).

Each rule names a facet (`PicoFacet`: condition, setting, route, regimen, comparator, outcome,
time) and a value, and fires on its pattern (case-insensitive) — unless the words just before
the match negate it: "non-cancer", "non cancer", "not neuropathic", "no opioid", "without
cancer", "excluding migraine", "other than surgery". Every proposal carries the words that
triggered it, so a reviewer sees why; reviewers confirm, reject or add tags
(`tracker.services.tags`), and their decisions win.

Indirectness prompts (`mismatches`): where a study's tags and its claim's tags name values of
the same facet and share none, the link's directness on the matching GRADE element is due
("study: CRPS; sentence: neuropathic pain"). The rules are printed in docs/wording.md.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tracker.vocabulary import DirectnessElement, PicoFacet

__all__ = [
    "ELEMENT_OF",
    "RULES",
    "Mismatch",
    "PicoRule",
    "Tag",
    "for_claim",
    "mismatches",
    "propose",
]


@dataclass(frozen=True, slots=True)
class PicoRule:
    facet: PicoFacet
    value: str
    pattern: str  # case-insensitive regular expression, printed in docs/wording.md
    example: str


@dataclass(frozen=True, slots=True)
class Tag:
    facet: PicoFacet
    value: str
    trigger: str  # the words that made the rule fire ("" for a reviewer's own tag)


_F = PicoFacet
#: Texts whose proposals a process remembers (`_proposed`): a study's title, abstract and
#: keywords are a few kB, so this is at most some tens of MB.
PROPOSALS_CACHED = 20_000


def _r(facet: PicoFacet, value: str, pattern: str, example: str) -> PicoRule:
    return PicoRule(facet, value, pattern, example)


RULES: tuple[PicoRule, ...] = (
    _r(_F.CONDITION, "neuropathic pain",
       r"neuropath\w*|neuralgi\w*|post-?amputation|phantom limb|nerve injur\w*"
       r"|spinal cord injur\w*",
       "painful diabetic neuropathy"),
    _r(_F.CONDITION, "CRPS", r"\bCRPS\b|complex regional pain", "complex regional pain syndrome"),
    _r(_F.CONDITION, "fibromyalgia", r"fibromyalgi\w*", "fibromyalgia"),
    _r(_F.CONDITION, "cancer pain", r"\bcancer\b|\boncolog\w*|\bmalignan\w*|\btumou?rs?\b",
       "cancer-related pain"),
    _r(_F.CONDITION, "migraine/headache", r"migraine\w*|headache\w*", "refractory migraines"),
    _r(_F.CONDITION, "depression", r"\bdepressi\w*", "treatment-resistant depression"),
    _r(_F.SETTING, "perioperative",
       r"peri-?operative\w*|post-?operative\w*|intra-?operative\w*|post-?surgical|\bsurgery\b"
       r"|\bsurgical\b|\ban(?:a)?esthesia\b|spinal fusion",
       "postoperative analgesia"),
    _r(_F.SETTING, "emergency", r"emergency|pre-?hospital|\btrauma\b", "emergency department"),
    _r(_F.SETTING, "chronic", r"\bchronic\b|long-standing|treatment-resistant|refractory",
       "chronic pain conditions"),
    _r(_F.SETTING, "palliative", r"palliative|hospice|end[- ]of[- ]life", "palliative care"),
    _r(_F.ROUTE, "IV", r"intravenous\w*|\bIV\b", "intravenous ketamine"),
    _r(_F.ROUTE, "intranasal", r"intranasal\w*|nasal spray|\bnasal\b", "intranasal spray"),
    _r(_F.ROUTE, "oral", r"\boral(?:ly)?\b", "oral ketamine"),
    _r(_F.ROUTE, "sublingual", r"sublingual\w*|lozenge\w*", "sublingual lozenge"),
    _r(_F.ROUTE, "IM", r"intramuscular\w*|\bIM\b", "intramuscular injection"),
    _r(_F.ROUTE, "topical", r"topical\w*|\bcream\b|\bgel\b|transdermal", "topical cream"),
    _r(_F.ROUTE, "subcutaneous", r"subcutaneous\w*|\bs\.c\.", "subcutaneous infusion"),
    _r(_F.REGIMEN, "single dose", r"single[- ](?:dose|bolus|injection)|\bbolus\b",
       "a single dose"),
    _r(_F.REGIMEN, "infusion", r"\binfusions?\b", "a 4-day infusion"),
    _r(_F.REGIMEN, "repeated", r"repeated|multiple (?:doses|infusions|sessions)|maintenance",
       "repeated infusions"),
    _r(_F.COMPARATOR, "placebo", r"placebo\w*|\bsham\b|saline", "placebo-controlled"),
    _r(_F.COMPARATOR, "active", r"compared with (?:morphine|opioids?|lidocaine|\w+ine)\b"
       r"|versus (?:morphine|opioids?|lidocaine)|active control", "compared with morphine"),
    _r(_F.OUTCOME, "pain intensity",
       r"pain (?:scores?|intensity|relief)|\bVAS\b|\bNRS\b|analgesi[ac]\b|\brelief\b",
       "pain scores"),
    _r(_F.OUTCOME, "function", r"\bfunction(?:al|ing)?\b|disability", "physical function"),
    _r(_F.OUTCOME, "quality of life", r"quality of life|\bQoL\b|well-being",
       "quality of life"),
    _r(_F.OUTCOME, "opioid consumption",
       r"opioid (?:consumption|use|requirements?|sparing|dose)|opioid-sparing|morphine "
       r"(?:consumption|requirements?)", "opioid consumption"),
    _r(_F.OUTCOME, "adverse events",
       r"adverse|side[- ]effects?|toxicit\w*|hallucinat\w*|safety|\bsafe\b|hepat\w*",
       "side effects"),
    _r(_F.TIME, "hours", r"\bminutes\b|\bhours?\b|\b24 ?h\b|immediate", "within hours"),
    _r(_F.TIME, "up to 4 weeks", r"\bdays?\b|\b[1-4][- ]weeks?\b|\bshort[- ]term\b",
       "relief lasting days to weeks"),
    _r(_F.TIME, "3 months or more",
       r"\b(?:[3-9]|1[0-2])[- ]months?\b|\blong[- ]term\b|\bmonths\b|\byears?\b",
       "long-term benefits"),
)

_COMPILED = tuple((rule, re.compile(rule.pattern, re.IGNORECASE)) for rule in RULES)
#: Words just before a match that negate it ("non-cancer", "not neuropathic", …).
_NEGATED = re.compile(r"(?:\bnon-?\s?|\bnot\s+(?:\w+\s+)?|\bno\s+|\bwithout\s+|\bexcluding\s+"
                      r"|\bother than\s+)$", re.IGNORECASE)


def _first_match(pattern: re.Pattern[str], text: str) -> str | None:
    for found in pattern.finditer(text):
        if not _NEGATED.search(text[max(0, found.start() - 30):found.start()]):
            return found.group(0)
    return None


def propose(texts: Iterable[str | None]) -> list[Tag]:
    """The tags the rules propose for these texts (a sentence; or a study's title, abstract
    and keywords), in rule order, each with the words that triggered it."""
    return list(_proposed("\n".join(t for t in texts if t)))


@functools.lru_cache(maxsize=PROPOSALS_CACHED)
def _proposed(joined: str) -> tuple[Tag, ...]:
    """`propose` of one text. The rules are a pure function of the text, so a process keeps
    the answers for the texts it has seen (keyed by the text itself: an edited abstract is a
    new key): the editorial queue's count of indirectness prompts runs every rule over every
    linked study's abstract, about 1 s at the benchmark's L size, and a dashboard rerun after a
    write would otherwise pay it again."""
    found: list[Tag] = []
    for rule, pattern in _COMPILED:
        words = _first_match(pattern, joined)
        if words is not None:
            found.append(Tag(rule.facet, rule.value, words))
    return tuple(found)


def for_claim(text: str, parent_text: str | None) -> list[Tag]:
    """A claim's proposals; a part (split off a sentence) takes from its sentence the facets
    its own words do not name (the part "CRPS" of a sentence on infusions is about infusions)."""
    own = propose([text])
    if not parent_text:
        return own
    named = {t.facet for t in own}
    return own + [t for t in propose([parent_text]) if t.facet not in named]


#: The GRADE directness element a facet bears on (GRADE guidelines 8).
ELEMENT_OF: Mapping[PicoFacet, DirectnessElement] = {
    _F.CONDITION: DirectnessElement.POPULATION,
    _F.SETTING: DirectnessElement.SETTING,
    _F.ROUTE: DirectnessElement.INTERVENTION,
    _F.REGIMEN: DirectnessElement.INTERVENTION,
    _F.COMPARATOR: DirectnessElement.COMPARATOR,
    _F.OUTCOME: DirectnessElement.OUTCOME,
    _F.TIME: DirectnessElement.OUTCOME,
}
#: Facets compared for indirectness prompts. Route, regimen, comparator and time are tagged
#: for the summary of findings but not compared: a sentence rarely names them, and a study
#: that names several would prompt on every link.
COMPARED: tuple[PicoFacet, ...] = (_F.CONDITION, _F.SETTING)


@dataclass(frozen=True, slots=True)
class Mismatch:
    facet: PicoFacet
    element: DirectnessElement
    study: tuple[str, ...]
    sentence: tuple[str, ...]

    @property
    def text(self) -> str:
        """"study: CRPS; sentence: neuropathic pain"."""
        return f"study: {', '.join(self.study)}; sentence: {', '.join(self.sentence)}"


def mismatches(study: Sequence[Tag], sentence: Sequence[Tag]) -> list[Mismatch]:
    """The compared facets on which both name values and share none."""
    found: list[Mismatch] = []
    for facet in COMPARED:
        theirs = tuple(dict.fromkeys(t.value for t in study if t.facet is facet))
        ours = tuple(dict.fromkeys(t.value for t in sentence if t.facet is facet))
        if theirs and ours and not set(theirs) & set(ours):
            found.append(Mismatch(facet, ELEMENT_OF[facet], theirs, ours))
    return found
