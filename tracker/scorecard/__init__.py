"""The article scorecard (docs/scorecard.md): HealthNewsReview.org's ten criteria and DISCERN's
sixteen questions, proposed by rules where the tracker's data allow and rated by editors; and
schema.org ClaimReview markup of the reviewed claims. Pure: the database side is
`tracker.queries.scorecard` and `tracker.services.scorecard`."""

from tracker.scorecard.card import (
    RULES_RATER,
    EditorRating,
    Scorecard,
    ScorecardItem,
    assemble,
)
from tracker.scorecard.instruments import (
    CRITERIA,
    DISCERN_QUESTIONS,
    HNR_CRITERIA,
    Criterion,
    check_rating,
    criterion,
    ratings_of,
)
from tracker.scorecard.rules import (
    RED_FLAGS,
    RULES,
    ArticleFacts,
    ClaimFacts,
    Proposal,
    RedFlag,
    propose,
    quality_of_evidence,
    red_flags,
)

__all__ = [
    "CRITERIA", "DISCERN_QUESTIONS", "HNR_CRITERIA", "RED_FLAGS", "RULES", "RULES_RATER",
    "ArticleFacts", "ClaimFacts", "Criterion", "EditorRating", "Proposal", "RedFlag",
    "Scorecard", "ScorecardItem", "assemble", "check_rating", "criterion", "propose",
    "quality_of_evidence", "ratings_of", "red_flags",
]
