"""The study design of an entry: its own studydesign field, its keywords, its entry type,
or a transparent rule on its title or abstract (the "Study design" rule of
docs/bibtex.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tracker.bibtex.model import CitationRecord
from tracker.vocabulary import DesignSource, StudyDesign


@dataclass(frozen=True, slots=True)
class DesignRule:
    """A transparent suggestion rule: when `pattern` matches, suggest `design`."""

    name: str
    design: StudyDesign
    pattern: re.Pattern[str]


def _rule(name: str, design: StudyDesign, pattern: str) -> DesignRule:
    return DesignRule(name, design, re.compile(pattern))


#: Suggestion rules, tried in order on the lower-cased title, then the abstract; the first
#: match wins.
DESIGN_RULES: tuple[DesignRule, ...] = (
    _rule("meta-analysis", StudyDesign.META_ANALYSIS, r"\bmeta-?\s?analy[sz]"),
    _rule(
        "systematic review",
        StudyDesign.SYSTEMATIC_REVIEW,
        r"\bsystematic(?:\s+literature)?\s+review|\boverview of (?:systematic )?reviews"
        r"|\bcochrane review",
    ),
    _rule(
        "randomised trial",
        StudyDesign.RCT,
        r"\brandomi[sz]ed|\bdouble[- ]blind|\bplacebo[- ]controlled|\brcts?\b",
    ),
    _rule("case-control", StudyDesign.CASE_CONTROL, r"\bcase[- ]control"),
    _rule(
        "case series",
        StudyDesign.CASE_SERIES,
        r"\bcase[- ]series|\ba report of (?:\d+|two|three|four|five|six|seven|eight|nine|ten)"
        r" cases|\bretrospective analysis of",
    ),
    _rule("case report", StudyDesign.CASE_REPORT, r"\bcase reports?\b|\ba case of\b"),
    _rule(
        "cohort",
        StudyDesign.COHORT,
        r"\bcohort|\bprospective|\bretrospective (?:study|analysis|review|chart review)"
        r"|\bobservational study|\blongitudinal study",
    ),
    _rule(
        "guideline", StudyDesign.GUIDELINE, r"\bguidelines?\b|\bconsensus\b|\bposition statement"
    ),
    _rule(
        "preclinical",
        StudyDesign.PRECLINICAL,
        r"\brats?\b|\bmice\b|\bmouse\b|\bmurine\b|\bin vitro\b|\bcells?\b"
        r"|\breceptors expressed\b|\boocytes?\b|\banimal models?\b",
    ),
    _rule(
        "pharmacology",
        StudyDesign.PHARMACOLOGY,
        r"\bpharmacokinetics?\b|\bbioavailability\b|\bpharmacodynamics?\b",
    ),
    _rule("review", StudyDesign.NARRATIVE_REVIEW, r"\breview\b"),
)
_ANY_RULE = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in DESIGN_RULES))


def _alternatives(pattern: str) -> list[str]:
    """The top-level ``|`` branches of a regular expression."""
    branches, depth, start = [], 0, 0
    for index, char in enumerate(pattern):
        if char == "(" and pattern[index - 1 : index] != "\\":
            depth += 1
        elif char == ")" and pattern[index - 1 : index] != "\\":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
    return [*branches, pattern[start:]]


def _literal_start(branch: str) -> str:
    """The text every match of `branch` starts with: its leading letters and spaces, less a
    last letter that a ``?`` or ``*`` makes optional."""
    literal = re.match(r"(?:\\b)?([a-z ]*)(.?)", branch)
    if literal is None:  # cannot happen: every part of the expression is optional
        return ""
    text, after = literal.group(1), literal.group(2)
    return text[:-1] if after in ("?", "*", "{") else text


def _rule_stems(rules: Iterable[DesignRule]) -> tuple[str, ...]:
    """Text that every rule match contains (the shortest, where one holds another); empty
    when a rule has a branch without a literal start, which turns the shortcut off."""
    stems = {_literal_start(b) for rule in rules for b in _alternatives(rule.pattern.pattern)}
    if "" in stems:
        return ()
    return tuple(sorted(s for s in stems if not any(t != s and t in s for t in stems)))


#: A title containing none of these needs no regex at all (a substring test is several
#: times cheaper than the rules' alternation).
_RULE_STEMS = _rule_stems(DESIGN_RULES)

_D = StudyDesign
#: Labels accepted in a `studydesign` field (after `_label_key`), besides the enum values.
_DESIGN_SYNONYMS: Mapping[str, StudyDesign] = {
    **{value.value.replace("-", " "): value for value in StudyDesign},
    "meta analyses": _D.META_ANALYSIS,
    "metaanalysis": _D.META_ANALYSIS,
    "systematic reviews": _D.SYSTEMATIC_REVIEW,
    "systematic review and meta analysis": _D.META_ANALYSIS,
    "cochrane review": _D.SYSTEMATIC_REVIEW,
    "randomized controlled trial": _D.RCT,
    "randomised controlled trial": _D.RCT,
    "randomized controlled trials": _D.RCT,
    "randomized trial": _D.RCT,
    "randomised trial": _D.RCT,
    "randomized clinical trial": _D.RCT,
    "randomised clinical trial": _D.RCT,
    "cohort study": _D.COHORT,
    "cohort studies": _D.COHORT,
    "prospective cohort": _D.COHORT,
    "retrospective cohort": _D.COHORT,
    "observational": _D.COHORT,
    "observational study": _D.COHORT,
    "non randomised controlled": _D.COHORT,
    "non randomized controlled": _D.COHORT,
    "controlled clinical trial": _D.COHORT,
    "case control study": _D.CASE_CONTROL,
    "case control studies": _D.CASE_CONTROL,
    "case reports": _D.CASE_REPORT,
    "review": _D.NARRATIVE_REVIEW,
    "narrative": _D.NARRATIVE_REVIEW,
    "guidelines": _D.GUIDELINE,
    "practice guideline": _D.GUIDELINE,
    "clinical practice guideline": _D.GUIDELINE,
    "consensus": _D.GUIDELINE,
    "consensus statement": _D.GUIDELINE,
    "consensus development conference": _D.GUIDELINE,
    "animal": _D.PRECLINICAL,
    "animal study": _D.PRECLINICAL,
    "animal studies": _D.PRECLINICAL,
    "in vitro": _D.PRECLINICAL,
    "in vitro study": _D.PRECLINICAL,
    "pre clinical": _D.PRECLINICAL,
    "pharmacokinetics": _D.PHARMACOLOGY,
    "pharmacokinetic study": _D.PHARMACOLOGY,
    # a label is a regulator's document, not a pharmacology study: GRADE does not rate it
    "drug label": _D.REGULATORY_LABEL,
    "label": _D.REGULATORY_LABEL,
    "product label": _D.REGULATORY_LABEL,
    "prescribing information": _D.REGULATORY_LABEL,
    "package insert": _D.REGULATORY_LABEL,
    "summary of product characteristics": _D.REGULATORY_LABEL,
    "smpc": _D.REGULATORY_LABEL,
    "regulatory document": _D.REGULATORY_LABEL,
    # abbreviated reviews (one reviewer, narrative synthesis), e.g. CADTH rapid responses
    "rapid response": _D.RAPID_REVIEW,
    "rapid response report": _D.RAPID_REVIEW,
    "rapid reviews": _D.RAPID_REVIEW,
    # unpublished (grey) literature: a thesis is not a published review, whatever it pools
    "dissertation": _D.THESIS,
    "masters thesis": _D.THESIS,
    "phd thesis": _D.THESIS,
    "doctoral thesis": _D.THESIS,
    "grey literature": _D.THESIS,
    "gray literature": _D.THESIS,
    "book chapter": _D.BOOK,
}
#: Keywords and PubMed publication types that name a design (after `_label_key`).
_KEYWORD_DESIGNS: Mapping[str, StudyDesign] = {
    "meta analysis": _D.META_ANALYSIS,
    "systematic review": _D.SYSTEMATIC_REVIEW,
    "randomized controlled trial": _D.RCT,
    "randomised controlled trial": _D.RCT,
    "rct": _D.RCT,
    "controlled clinical trial": _D.COHORT,
    "observational study": _D.COHORT,
    "cohort study": _D.COHORT,
    "case control study": _D.CASE_CONTROL,
    "case series": _D.CASE_SERIES,
    "case reports": _D.CASE_REPORT,
    "case report": _D.CASE_REPORT,
    "practice guideline": _D.GUIDELINE,
    "guideline": _D.GUIDELINE,
    "consensus development conference": _D.GUIDELINE,
    "consensus statement": _D.GUIDELINE,
    "animal study": _D.PRECLINICAL,
    "in vitro study": _D.PRECLINICAL,
    "review": _D.NARRATIVE_REVIEW,
}
#: When several keywords name a design, the most specific wins ("Review" is the weakest).
_KEYWORD_RANK = {
    design: rank
    for rank, design in enumerate(
        (
            _D.META_ANALYSIS,
            _D.SYSTEMATIC_REVIEW,
            _D.RCT,
            _D.GUIDELINE,
            _D.CASE_CONTROL,
            _D.COHORT,
            _D.CASE_SERIES,
            _D.CASE_REPORT,
            _D.PRECLINICAL,
            _D.PHARMACOLOGY,
            _D.NARRATIVE_REVIEW,
            _D.BOOK,
            _D.OTHER,
        )
    )
}
_LABEL_SEPARATORS = re.compile(r"[\s_\-]+")
_BOOK_TYPES = frozenset({"book", "inbook", "incollection", "mvbook", "bookinbook"})
_THESIS_TYPES = frozenset({"thesis", "phdthesis", "mastersthesis"})
FIELD_REASON = "studydesign field"
NO_DESIGN = "no design information"


def _label_key(label: str) -> str:
    return _LABEL_SEPARATORS.sub(" ", label.casefold()).strip()


def design_from_label(label: str) -> StudyDesign | None:
    """The design a `studydesign` value names ("RCT", "meta_analysis", "Cohort study"...)."""
    return _DESIGN_SYNONYMS.get(_label_key(label))


def _design_from_keywords(keywords: Iterable[str]) -> tuple[StudyDesign, str] | None:
    best: tuple[StudyDesign, str] | None = None
    for keyword in keywords:
        design = _KEYWORD_DESIGNS.get(_label_key(keyword))
        if design is not None and (best is None or _KEYWORD_RANK[design] < _KEYWORD_RANK[best[0]]):
            best = (design, keyword)
    return best


def _suggest(where: str, text: str | None) -> tuple[StudyDesign, str] | None:
    if not text:
        return None
    text = text.lower()
    if _RULE_STEMS and not any(stem in text for stem in _RULE_STEMS):
        return None
    if _ANY_RULE.search(text) is None:  # one pass rules out most of the rest
        return None
    for rule in DESIGN_RULES:
        match = rule.pattern.search(text)
        if match is not None:
            return rule.design, f"rule '{rule.name}': {where} mentions '{match.group(0)}'"
    return None


def detect_design(
    *,
    studydesign: str | None = None,
    keywords: Iterable[str] = (),
    title: str | None = None,
    abstract: str | None = None,
    entry_type: str = "",
) -> tuple[StudyDesign | None, DesignSource, str]:
    """(design, where it came from, why) for an entry; see docs/bibtex.md. A thesis
    entry type wins over its title's words: a thesis "meta-analysis" is grey literature."""
    if studydesign:
        design = design_from_label(studydesign)
        if design is not None:
            return design, DesignSource.ENTRY, f"{FIELD_REASON}: {design.value}"
    from_keywords = _design_from_keywords(keywords) if keywords else None
    if from_keywords is not None:
        design, keyword = from_keywords
        return design, DesignSource.ENTRY, f"keyword '{keyword}'"
    if entry_type in _THESIS_TYPES:
        return StudyDesign.THESIS, DesignSource.SUGGESTED, f"entry type @{entry_type}"
    suggestion = _suggest("title", title) or _suggest("abstract", abstract)
    if suggestion is not None:
        return suggestion[0], DesignSource.SUGGESTED, suggestion[1]
    if entry_type in _BOOK_TYPES:
        return StudyDesign.BOOK, DesignSource.SUGGESTED, f"entry type @{entry_type}"
    return None, DesignSource.UNKNOWN, NO_DESIGN


def studydesign_of(record: CitationRecord) -> str | None:
    """The studydesign value to write for a record whose design came from that field."""
    if record.design is None:
        return None
    if record.design_source is DesignSource.CONFIRMED:
        return record.design.value
    if record.design_source is DesignSource.ENTRY and record.design_reason.startswith(FIELD_REASON):
        return record.design.value
    return None
