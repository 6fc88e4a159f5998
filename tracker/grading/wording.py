"""The article's wording against the certainty of its evidence — GRADE guideline 26. Pure.

GRADE guideline 26 (Santesso et al., J Clin Epidemiol 2020;119:126-135) words a finding by the
certainty of its evidence: high certainty "x reduces …", moderate "x likely (probably)
reduces …", low "x may reduce …", very low "the evidence is very uncertain about the effect of
x on …". `classify` reads how firmly a sentence asserts what it says, by phrase rules that are
data (`PHRASE_RULES`, printed in docs/wording.md with examples); `check` compares that with
the certainty of the claim's body of evidence and proposes the wording the evidence allows.

Reading a sentence:

- the **most hedged** phrase anywhere in the sentence decides ("some studies suggest ketamine
  may …" is *possible*); a sentence with no hedge is *categorical* — the check never proposes
  a flag for a sentence that hedges somewhere;
- **negation** does not weaken an assertion: "does not reduce" is as categorical as
  "reduces" (the result says it is negated); "not known", "unclear", "has not been shown"
  say the matter is *uncertain*; "may not" is *possible*, "unlikely" *probable*;
- a hedge on the **population** ("some patients", "certain patients") narrows who the
  sentence is about, not how sure it is: noted, strength unchanged;
- **quantifiers** of frequency ("generally", "usually", "often", "most") say how often, not
  how sure; universal ones ("all", "always", "never") are noted as the strongest wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.vocabulary import (
    AssertionStrength,
    Certainty,
    ClaimCategory,
    ClaimStatus,
    ClaimTrack,
    WordingVerdict,
)

__all__ = [
    "GRADE_26",
    "NOTE_RULES",
    "NOT_FINDINGS",
    "PHRASE_RULES",
    "STRENGTH_ORDER",
    "Classification",
    "Grade26Row",
    "NoteRule",
    "PhraseRule",
    "WordingCheck",
    "allowed_strength",
    "check",
    "check_claim",
    "classify",
    "explain",
    "suggest",
]

_C, _P, _S, _U = (AssertionStrength.CATEGORICAL, AssertionStrength.PROBABLE,
                  AssertionStrength.POSSIBLE, AssertionStrength.UNCERTAIN)

#: Strongest first: an index further down is a weaker assertion.
STRENGTH_ORDER: tuple[AssertionStrength, ...] = (_C, _P, _S, _U)


@dataclass(frozen=True, slots=True)
class PhraseRule:
    """Words that set a sentence's assertion strength, with an example sentence."""

    name: str
    strength: AssertionStrength
    pattern: str  # case-insensitive regular expression, printed in docs/wording.md
    example: str

    def search(self, text: str) -> re.Match[str] | None:
        return re.search(self.pattern, text, re.IGNORECASE)


#: Every phrase rule. The weakest strength any of them finds decides.
PHRASE_RULES: tuple[PhraseRule, ...] = (
    PhraseRule("said to be uncertain", _U,
               r"\b(?:un(?:clear|certain|known|proven)|inconclusive"
               r"|not (?:yet )?(?:known|clear|established|proven|certain)"
               r"|(?:has|have) not (?:yet )?been (?:shown|proven|established|demonstrated)"
               r"|remains? to be (?:seen|established|determined|shown)"
               r"|(?:insufficient|no (?:clear|conclusive|reliable|good)) evidence"
               r"|evidence is (?:very )?(?:limited|uncertain|weak|inconclusive|conflicting))",
               "It is unclear whether ketamine relieves fibromyalgia pain."),
    PhraseRule("may, might, could", _S, r"\b(?:may|might|could)\b",
               "Ketamine may reduce pain after surgery."),
    PhraseRule("possibly, potentially", _S,
               r"\b(?:possibl[ey]|potential(?:ly)?|perhaps|conceivabl[ey])\b",
               "Ketamine offers potential long-term benefits."),
    PhraseRule("suggest, appear, seem", _S,
               r"\b(?:suggest(?:s|ed|ing)?|appears? to|seems? to|preliminary|emerging)\b",
               "Some studies suggest ketamine induces neuroplastic changes."),
    PhraseRule("probably, likely", _P, r"\b(?:probabl[ey]|(?:un)?likely)\b",
               "Ketamine probably reduces opioid use after surgery."),
    PhraseRule("shown, confirmed, established", _C,
               r"\b(?:confirm(?:s|ed)?|(?:has|have) been (?:shown|proven|demonstrated|established)"
               r"|(?:has|have) shown|demonstrat(?:es|ed)|proven|established)\b",
               "Trials have shown that ketamine reduces pain."),
    PhraseRule("is safe, is effective", _C,
               r"\b(?:is|are)\b(?:\s+\w+){0,3}?\s+(?:safe|effective|efficacious|superior)\b",
               "Ketamine is effective for CRPS."),
    PhraseRule("an effect stated as fact", _C,
               r"\b(?:reduces|relieves|improves|alleviates|decreases|increases|prevents"
               r"|provides|causes|results in|lowers|enhances|prolongs|eases)\b",
               "Ketamine reduces neuropathic pain."),
)


@dataclass(frozen=True, slots=True)
class NoteRule:
    """Words the reading notes without changing the strength, and why."""

    name: str
    pattern: str
    note: str


NOTE_RULES: tuple[NoteRule, ...] = (
    NoteRule("negation",
             r"\b(?:not|no|never|neither|nor|without|ineffective|fail(?:s|ed)? to)\b|n't\b",
             "negated: asserts the absence of an effect, as firmly as the hedges say"),
    NoteRule("hedged population",
             r"\b(?:some|certain|selected|a subset of|a minority of|a few|many|most) "
             r"(?:patients|people|individuals|adults|children|cases|users)\b",
             "a hedge on the population, not on the certainty"),
    NoteRule("frequency quantifier",
             r"\b(?:generally|usually|often|typically|commonly|frequently|rarely|mostly)\b",
             "a quantifier says how often, not how sure"),
    NoteRule("universal quantifier", r"\b(?:all|always|every|never)\b",
             "a universal quantifier: the strongest wording there is"),
)


@dataclass(frozen=True, slots=True)
class Classification:
    """How firmly a sentence asserts, the words that decided it and what else was noticed."""

    strength: AssertionStrength
    trigger: str  # the words that decided, or "" for a sentence with no hedge
    rule: str
    negated: bool
    notes: tuple[str, ...]

    @property
    def because(self) -> str:
        if not self.trigger:
            return "stated without a hedge"
        return f'{self.rule}: "{self.trigger}"'


def explain(text: str) -> Classification:
    """The strength of `text` with the words that decided it (see the module's docstring)."""
    best: tuple[int, PhraseRule, str] | None = None
    for rule in PHRASE_RULES:
        found = rule.search(text)
        if found is None:
            continue
        rank = STRENGTH_ORDER.index(rule.strength)
        if best is None or rank > best[0]:
            best = (rank, rule, found.group(0))
    notes: list[str] = []
    negated = False
    for note in NOTE_RULES:
        found = re.search(note.pattern, text, re.IGNORECASE)
        if found is None:
            continue
        negated = negated or note.name == "negation"
        notes.append(f'{note.note} ("{found.group(0)}")')
    if best is None:
        return Classification(_C, "", "no hedge", negated, tuple(notes))
    return Classification(best[1].strength, best[2], best[1].name, negated, tuple(notes))


def classify(text: str) -> AssertionStrength:
    """How firmly the sentence asserts what it says."""
    return explain(text).strength


# --- GRADE guideline 26 ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grade26Row:
    certainty: Certainty
    strength: AssertionStrength
    wording: str  # the statement GRADE 26 gives for this certainty
    word: str  # the hedge a rewording uses
    source: str  # where in the paper this row comes from


#: Certainty → the strongest wording it allows (docs/wording.md prints this table).
GRADE_26: tuple[Grade26Row, ...] = (
    Grade26Row(Certainty.HIGH, _C, "x results in a large reduction … / x reduces …", "",
               "abstract (high certainty, large effect)"),
    Grade26Row(Certainty.MODERATE, _P, "x likely results in a large reduction … / x probably "
               "reduces …", "probably", "abstract (moderate certainty, large effect)"),
    Grade26Row(Certainty.LOW, _S, "x may result in a large reduction … / x may reduce …", "may",
               "abstract (low certainty, large effect)"),
    Grade26Row(Certainty.VERY_LOW, _U, "the evidence is very uncertain about the effect of x "
               "on …", "very uncertain",
               "the paper's statements for very low certainty (not in its abstract)"),
)
_BY_CERTAINTY = {row.certainty: row for row in GRADE_26}


def allowed_strength(certainty: Certainty) -> AssertionStrength | None:
    """The strongest wording GRADE 26 allows at this certainty; None when not rated."""
    row = _BY_CERTAINTY.get(certainty)
    return None if row is None else row.strength


@dataclass(frozen=True, slots=True)
class WordingCheck:
    strength: AssertionStrength
    allowed_strength: AssertionStrength | None  # None: nothing to compare with
    verdict: WordingVerdict
    suggestion: str  # the wording the evidence allows ("" unless overstated)
    reason: str
    classification: Classification


def _bound(certainty: Certainty | None, status: ClaimStatus | None
           ) -> tuple[AssertionStrength, bool, str] | None:
    """The strongest wording allowed, whether it is exact (a rated certainty) or only an upper
    bound (certainty not assessed), and why; None: nothing to compare with."""
    if status is ClaimStatus.CONTRADICTED:
        return _U, True, "the evidence contradicts the sentence"
    if certainty is not None and certainty in _BY_CERTAINTY:
        row = _BY_CERTAINTY[certainty]
        return row.strength, True, f"{certainty.value} certainty allows \"{row.wording}\""
    if status is ClaimStatus.CONTESTED:
        return _P, False, ("credible evidence points both ways (contested): GRADE rates such a "
                           "body down for inconsistency, so its certainty is at most moderate "
                           "whatever the appraisals find")
    if status in (ClaimStatus.INSUFFICIENT, ClaimStatus.NO_EVIDENCE_FOUND):
        return _U, True, (f"status {status.value}: no body of evidence that reaches what the "
                          "sentence needs")
    return None


def check(text: str, certainty: Certainty | str | None, *,
          status: ClaimStatus | str | None = None,
          track: ClaimTrack | str | None = None) -> WordingCheck:
    """Compare the sentence's wording with the certainty of its body (and, while the
    certainty is not assessed, with what its status already rules out)."""
    seen = explain(text)
    strength = seen.strength
    if track is not None and ClaimTrack(track) is ClaimTrack.DESCRIPTIVE:
        return WordingCheck(strength, None, WordingVerdict.NOT_COMPARED, "",
                            "a descriptive claim: GRADE 26 words the effects of interventions",
                            seen)
    rated = None if certainty is None else Certainty(certainty)
    bound = _bound(rated, None if status is None else ClaimStatus(status))
    if bound is None:
        why = ("certainty not assessed yet" if rated is Certainty.NOT_ASSESSED
               else "no rated body of evidence yet")
        return WordingCheck(strength, None, WordingVerdict.NOT_COMPARED, "", why, seen)
    allowed, exact, why = bound
    said, may = STRENGTH_ORDER.index(strength), STRENGTH_ORDER.index(allowed)
    reading = f"the sentence is {strength.value} ({seen.because})"
    if said < may:
        return WordingCheck(strength, allowed, WordingVerdict.OVERSTATED,
                            suggest(text, allowed), f"{reading}; {why}", seen)
    if said == may:
        return WordingCheck(strength, allowed, WordingVerdict.MATCHES, "", f"{reading}; {why}",
                            seen)
    if not exact:
        return WordingCheck(strength, allowed, WordingVerdict.NOT_COMPARED, "",
                            f"{reading}; within the bound, but the certainty is not assessed",
                            seen)
    return WordingCheck(strength, allowed, WordingVerdict.UNDERSTATED, "",
                        f"{reading}; {why}: the sentence is more cautious than its evidence",
                        seen)


# --- rewording --------------------------------------------------------------------------------

_CONSIDERED = re.compile(
    r"\b(is|are)\s+(?:generally\s+|widely\s+|now\s+|often\s+)?(?:considered|regarded|"
    r"recogni[sz]ed|known|believed|thought)\s+(?:to be\s+|as\s+)?", re.IGNORECASE)
_SHOWN = re.compile(r"\b(has|have) been (?:shown|proven|demonstrated|established) to\s+",
                    re.IGNORECASE)
_NOT = re.compile(r"\b(does|do) not\s+(\w+)", re.IGNORECASE)
_HEDGED = re.compile(r"\b(?:probably|likely)\s+(\w+)", re.IGNORECASE)
_COPULA = re.compile(r"\b(is|are)\s+(?!not\b)", re.IGNORECASE)
_VERB = re.compile(
    r"\b(reduces|relieves|improves|alleviates|decreases|increases|prevents|provides|causes"
    r"|results in|lowers|enhances|prolongs|eases|offers|helps|works|treats|induces|produces)\b",
    re.IGNORECASE)


def _base(verb: str) -> str:
    """'reduces' → 'reduce', 'eases' → 'ease', 'results in' → 'result in'."""
    head, _, rest = verb.partition(" ")
    low = head.lower()
    if low.endswith("ies"):
        head = head[:-3] + "y"
    elif low.endswith(("sses", "shes", "ches", "xes")):
        head = head[:-2]
    elif low.endswith("s"):
        head = head[:-1]
    return f"{head} {rest}".strip()


def suggest(text: str, allowed: AssertionStrength) -> str:
    """The sentence reworded to the strength GRADE 26 allows ("Ketamine may reduce …")."""
    sentence = " ".join(text.split())
    if allowed is _U:
        body = sentence.rstrip(".")
        body = body[:1].lower() + body[1:]
        return f"The evidence is very uncertain about whether {body}."
    word = "may" if allowed is _S else "probably"
    sentence = _CONSIDERED.sub(lambda m: m.group(1) + " ", sentence, count=1)
    if allowed is _S:
        hedged = _HEDGED.search(sentence)
        if hedged:
            return sentence[:hedged.start()] + "may " + _base(hedged.group(1)) + sentence[
                hedged.end():]
    shown = _SHOWN.search(sentence)
    if shown:
        new = "may " if allowed is _S else (
            "is likely to " if shown.group(1).lower() == "has" else "are likely to ")
        return sentence[:shown.start()] + new + sentence[shown.end():]
    negated = _NOT.search(sentence)
    if negated:
        new = (f"may not {negated.group(2)}" if allowed is _S
               else f"probably {negated.group(1)} not {negated.group(2)}")
        return sentence[:negated.start()] + new + sentence[negated.end():]
    copula, verb = _COPULA.search(sentence), _VERB.search(sentence)
    if verb and (copula is None or verb.start() < copula.start()):
        new = f"may {_base(verb.group(1))}" if allowed is _S else f"probably {verb.group(1)}"
        return sentence[:verb.start()] + new + sentence[verb.end():]
    if copula:
        new = "may be " if allowed is _S else f"{copula.group(1)} probably "
        return sentence[:copula.start()] + new + sentence[copula.end():]
    return f'Reword with "{word}" (GRADE 26): {sentence}'


# --- one claim of a document ------------------------------------------------------------------

#: Categories whose sentences report no finding (a research direction): not compared.
NOT_FINDINGS = frozenset({ClaimCategory.RESEARCH_DIRECTION})


def check_claim(text: str, parent_text: str | None, certainty: Certainty | str | None,
                status: ClaimStatus | str | None, track: ClaimTrack | str | None,
                category: ClaimCategory | str | None = None) -> WordingCheck:
    """`check` for a stored claim: a part (split off a sentence) is worded by its sentence,
    so the sentence is read, against the part's own evidence; research directions are not
    findings and are not compared."""
    sentence = parent_text or text
    if category is not None and ClaimCategory(category) in NOT_FINDINGS:
        seen = explain(sentence)
        return WordingCheck(seen.strength, None, WordingVerdict.NOT_COMPARED, "",
                            "a research direction, not a finding", seen)
    return check(sentence, certainty, status=status, track=track)
