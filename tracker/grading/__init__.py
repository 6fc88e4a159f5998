"""Evidence grading — pure functions over plain values, faithful to GRADE.

- `designs`: evidence levels (display only) and where GRADE starts a body from each design;
- `appraisal`: RoB 2, ROBINS-I, AMSTAR 2 and JBI checklists, with each tool's own algorithm;
- `requirements`: what a claim needs (its sentence's promise, its track, its category);
- `track`: effect or descriptive claim, proposed from the sentence's own words;
- `certainty`: GRADE certainty of a claim's body of evidence, step by step;
- `verdict`: status, certainty or standing, and the one-line explanation; compound claims.

The rules, with their GRADE and Cochrane sources and worked examples, are in docs/grading.md;
tests/test_grading.py compares the page with the code.
"""

from tracker.grading.appraisal import (
    TOOLS,
    Domain,
    DomainJudgement,
    Tool,
    concern_steps,
    overall_judgement,
    tool_for,
    validate,
)
from tracker.grading.certainty import (
    BALANCED_SHARE,
    FAR_BELOW_OIS,
    OPTIMAL_INFORMATION_SIZE,
    BodyRating,
    Step,
    rate_body,
)
from tracker.grading.designs import (
    CERTAINTY_ORDER,
    RATED,
    design_label,
    level,
    score,
    start_of,
)
from tracker.grading.inputs import (
    CONCERNS,
    JUDGEMENT_NAMES,
    UPGRADES,
    Appraisal,
    BodyJudgement,
    BodyJudgements,
    Effect,
    Evidence,
    JudgementChange,
    Judgements,
    is_counted,
    without_awaiting,
)
from tracker.grading.requirements import (
    CATEGORY_DEFAULTS,
    DESCRIPTIVE_DEFAULT,
    ESTABLISHING,
    PHRASE_RULES,
    Need,
    PhraseRule,
    Requirement,
    override_requirement,
    requirement_for,
)
from tracker.grading.track import TRACK_RULES, TrackRule, propose_track
from tracker.grading.verdict import (
    AWAITING,
    CLEARLY_OUTWEIGHS,
    STANDING_ORDER,
    STATUS_ORDER,
    Verdict,
    combine,
    grade,
)

#: The version of these rules. A stored verdict computed under an older version is regraded by
#: set-up (`tracker init`, `bootstrap`, `restore`); raise it whenever a rule changes a verdict.
RULES_VERSION = 2

__all__ = [
    "RULES_VERSION",
    "AWAITING", "BALANCED_SHARE", "CATEGORY_DEFAULTS", "CERTAINTY_ORDER", "CLEARLY_OUTWEIGHS",
    "CONCERNS", "DESCRIPTIVE_DEFAULT", "ESTABLISHING", "FAR_BELOW_OIS", "JUDGEMENT_NAMES",
    "OPTIMAL_INFORMATION_SIZE", "PHRASE_RULES", "RATED", "STANDING_ORDER", "STATUS_ORDER",
    "TOOLS", "TRACK_RULES", "UPGRADES",
    "Appraisal", "BodyJudgement", "BodyJudgements", "BodyRating", "Domain", "DomainJudgement",
    "Effect", "Evidence", "JudgementChange", "Judgements", "Need", "PhraseRule", "Requirement",
    "Step", "Tool", "TrackRule", "Verdict", "combine", "concern_steps", "design_label", "grade",
    "is_counted", "level", "overall_judgement", "override_requirement", "propose_track",
    "rate_body", "requirement_for", "score", "start_of", "tool_for", "validate",
    "without_awaiting",
]
