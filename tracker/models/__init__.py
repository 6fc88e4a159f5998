"""The schema: SQLAlchemy 2.0 typed models. Alembic revisions in `migrations/` create it.

One module per subject (`base`: the declarative base and column types; `people`, `articles`,
`citations`, `evidence`, `flags`, `dual`, `scorecard`, `retractions`), all imported here so
that `Base.metadata` holds every table (what migrations/env.py and `alembic check` compare);
callers import from `tracker.models`.

Vocabulary columns store the string values of the enums in `tracker.vocabulary` (checked by the
service layer, readable in SQL). Timestamps are timezone-aware UTC. Rows that people edit
concurrently carry a `version` column used for optimistic locking.
"""

from tracker.models.articles import (
    PATH_SEPARATOR,
    CitedSource,
    Claim,
    Document,
    Resource,
    Section,
)
from tracker.models.base import (
    CONCERN,
    NAMING_CONVENTION,
    Base,
    UTCDateTime,
    utcnow,
    vocabulary,
)
from tracker.models.citations import (
    Citation,
    CitationTopic,
)
from tracker.models.dual import (
    DualEntry,
    DualEntryValue,
    DualItem,
    DualReviewDocument,
    ReviewAssignment,
)
from tracker.models.evidence import (
    Appraisal,
    AppraisalDomain,
    BodyJudgement,
    ClaimTag,
    EvidenceLink,
    EvidenceSearch,
    LinkDirectness,
    ReviewItem,
    WordingDecision,
)
from tracker.models.flags import (
    Flag,
    OpenQuestion,
    QuestionClaim,
    QuestionEvidence,
    StatusChange,
)
from tracker.models.people import (
    ApiToken,
    AuditEvent,
    BrowserSession,
    SignInAttempt,
    User,
)
from tracker.models.retractions import (
    RetractionNotice,
)
from tracker.models.scorecard import (
    ScorecardRating,
)

__all__ = [
    "NAMING_CONVENTION",
    "vocabulary",
    "CONCERN",
    "utcnow",
    "UTCDateTime",
    "Base",
    "User",
    "ApiToken",
    "BrowserSession",
    "SignInAttempt",
    "AuditEvent",
    "Document",
    "PATH_SEPARATOR",
    "Section",
    "Claim",
    "Resource",
    "CitedSource",
    "Citation",
    "CitationTopic",
    "EvidenceLink",
    "LinkDirectness",
    "Appraisal",
    "AppraisalDomain",
    "BodyJudgement",
    "EvidenceSearch",
    "ReviewItem",
    "ClaimTag",
    "WordingDecision",
    "Flag",
    "OpenQuestion",
    "QuestionClaim",
    "QuestionEvidence",
    "StatusChange",
    "DualReviewDocument",
    "ReviewAssignment",
    "DualItem",
    "DualEntry",
    "DualEntryValue",
    "ScorecardRating",
    "RetractionNotice",
]
