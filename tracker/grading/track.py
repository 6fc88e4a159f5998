"""Which track a claim is graded on — a proposal from the sentence's own words, for a reviewer
to confirm. Pure.

GRADE rates the certainty of evidence about the effects of interventions (GRADE Handbook,
section 1). Sentences about how a drug works, how it moves through the body, how it is given
or how often a route is used are not claims about an effect; they are judged on the
descriptive track (established / plausible / not established, docs/grading.md). The proposal
reads only the sentence — never its section — so two sentences of the same kind get the same
track wherever they stand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.vocabulary import ClaimTrack

__all__ = ["TRACK_RULES", "TrackRule", "propose_track"]


@dataclass(frozen=True, slots=True)
class TrackRule:
    track: ClaimTrack
    pattern: re.Pattern[str]
    description: str


def _rule(track: ClaimTrack, pattern: str, description: str) -> TrackRule:
    return TrackRule(track, re.compile(pattern, re.IGNORECASE), description)


_E, _D = ClaimTrack.EFFECT, ClaimTrack.DESCRIPTIVE

#: Tried in order; the first that matches proposes the track. A sentence about receptors or
#: mechanism is descriptive even when it names the effect they serve; otherwise an effect on
#: patients comes before time course ("provides analgesia within minutes" is an effect claim,
#: "a rapid onset of action, typically within minutes" a pharmacokinetic one).
TRACK_RULES: tuple[TrackRule, ...] = (
    _rule(_D, r"\breceptors?\b|\bantagoni|\bagonist|\bnmda\b|\bmechanism|\bneurotransmi"
              r"|\bsensiti[sz]ation\b|\bpharmacodynam",
          "how the drug works (mechanism)"),
    _rule(_E, r"\brelie(?:f|ve[sd]?|ving)\b|\balleviat|\beffective(?:ly|ness)?\b|\befficac"
              r"|\breduc\w*\s+(?:\w+\s+){0,3}(?:pain|opioid|symptoms?|depress|intensity|use)"
              r"|\bimprov\w*|\banalgesi[ac]\b|\bsuperior"
              r"|\b(?:side[- ]effects?|adverse|hallucinat\w*|dizziness|nausea|toxicit\w*|addict\w*"
              r"|dependence|abuse|cystitis|safe(?:ty)?|well[- ]tolerated|risks?)\b"
              r"|\b(?:help|benefit)s?\b|\btreat(?:s|ed|ing|ment)?\b|\bprevent",
          "an effect on patients: benefit or harm"),
    _rule(_D, r"\bbioavailab|\bhalf-life|\bmetaboli[sz]|\babsor(?:b|ption)|\bonset\b|\bpeak\b"
              r"|\bclearance\b|\beliminat|\bpharmacokinet|\bwithin (?:minutes|seconds|hours)\b"
              r"|\blast(?:s|ing)? (?:from|for|up to|between|about|\d)",
          "time course and fate in the body (pharmacokinetics)"),
    _rule(_D, r"\bmost common\b|\bcommonly\b|\bwidely used\b|\bis (?:an?|the) [\w -]+ "
              r"(?:drug|medication|anesthetic|anaesthetic|agent)\b|\bwas (?:first |originally )?"
              r"(?:developed|synthesi[sz]ed|approved)\b|\bis (?:available|administered|given)\b"
              r"|\bcan be (?:administered|given|delivered)\b|\broutes?\b",
          "a description of the drug or how it is used"),
)


def propose_track(text: str) -> tuple[ClaimTrack, str]:
    """The proposed track and why; a sentence no rule recognises is an effect claim (the
    stricter track: its certainty waits for appraisal)."""
    for rule in TRACK_RULES:
        found = rule.pattern.search(text)
        if found:
            return rule.track, f'rule: {rule.description} ("{found.group(0)}")'
    return ClaimTrack.EFFECT, "rule: nothing descriptive recognised, graded as an effect claim"
