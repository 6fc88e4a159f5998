"""The reads the CLI and the dashboard share. Counting and grouping happen in SQL.

Each function takes a session and returns small rows; nothing here writes, and nothing
here imports `tracker.services`. One module per subject; this package re-exports their
public names, so callers write `queries.claims(...)`.

The names are imported on first use: `queries.claims` imports `tracker.queries.claims` (and
what it needs) and no other subject's module, so a command pays for the reads it makes. As with
eager imports, a name re-exported here wins over a submodule of the same name
(`queries.claims` is the function, not the module).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.queries.article import (
        ArticleClaim,
        ArticleSection,
        ArticleView,
        CitedRow,
        article_view,
        cited_sources,
        sections_with_claims,
    )
    from tracker.queries.citations import (
        EVERY_CITATION,
        AppraisalRow,
        CitationDetail,
        CitationFilter,
        CitationRow,
        GapCell,
        NoticeRow,
        addressing,
        appraisals,
        citation_count,
        citation_detail,
        citations,
        escape_like,
        gap_map,
        linked_to,
        retraction_notices,
    )
    from tracker.queries.claims import (
        EVERY_CLAIM,
        STATUS_GROUPS,
        WITHOUT_EVIDENCE,
        ClaimFilter,
        ClaimRow,
        claim,
        claim_count,
        claims,
        open_flag_kinds,
    )
    from tracker.queries.coverage import (
        CERTAINTIES,
        INTRODUCTION,
        STANDINGS,
        STATUSES,
        STRONG_CERTAINTIES,
        Coverage,
        CoveragePoint,
        CoverageRow,
        Gap,
        Verdict,
        biggest_gaps,
        coverage,
        coverage_by_category,
        coverage_by_section,
        coverage_over_time,
        verdict,
    )
    from tracker.queries.documents import (
        DocumentRow,
        SectionRow,
        documents,
        resolve_document,
        sections,
    )
    from tracker.queries.dual import (
        AgreementRow,
        DualEntryRow,
        DualItemRow,
        DualReviewRow,
        QueueItem,
        adjudication_queue,
        agreement,
        agreement_counts,
        dual_items,
        dual_queue,
        dual_review,
    )
    from tracker.queries.evidence import (
        BodyJudgementRow,
        ClaimAnchors,
        ClaimDetail,
        EvidenceRow,
        HistoryRow,
        SearchRow,
        body_judgements,
        claim_anchors,
        claim_detail,
        evidence,
        history,
    )
    from tracker.queries.flags import (
        EVERY_FLAG,
        QUEUE_STATUSES,
        FlagFilter,
        FlagRow,
        FlagSummary,
        flag_count,
        flag_summary,
        flags,
        queue,
        queue_size,
    )
    from tracker.queries.questions import (
        QuestionRow,
        questions,
        questions_by_status,
    )
    from tracker.queries.records import (
        export_records,
        record_of,
    )
    from tracker.queries.scorecard import (
        CriterionTally,
        article_sentences,
        claim_reviews,
        editor_ratings,
        overstated_claims,
        scorecard,
        scorecard_facts,
        scorecard_tally,
    )
    from tracker.queries.statements import (
        DOCUMENT,
        split_path,
    )
    from tracker.queries.suggestions import (
        MAX_SUGGESTIONS,
        NOT_EVIDENCE,
        SuggestedSentence,
        Suggestion,
        Suggestions,
        suggestions,
    )
    from tracker.queries.wording import (
        SOF_COLUMNS,
        SOF_DOMAINS,
        IndirectnessPrompt,
        SofEffect,
        SofRow,
        TagRow,
        WordingRow,
        citation_tags,
        claim_tags,
        indirectness_prompts,
        summary_of_findings,
        verdict_counts,
        wording_check,
        wording_proposals,
    )
#: The public names of each subject's module, re-exported here.
_NAMES: dict[str, tuple[str, ...]] = {
    "article": (
        "ArticleClaim", "ArticleSection", "ArticleView", "CitedRow", "article_view",
        "cited_sources", "sections_with_claims",
    ),
    "citations": (
        "EVERY_CITATION", "AppraisalRow", "CitationDetail", "CitationFilter", "CitationRow",
        "GapCell", "NoticeRow", "addressing", "appraisals", "citation_count", "citation_detail",
        "citations", "escape_like", "gap_map", "linked_to", "retraction_notices",
    ),
    "claims": (
        "EVERY_CLAIM", "STATUS_GROUPS", "WITHOUT_EVIDENCE", "ClaimFilter", "ClaimRow", "claim",
        "claim_count", "claims", "open_flag_kinds",
    ),
    "coverage": (
        "CERTAINTIES", "INTRODUCTION", "STANDINGS", "STATUSES", "STRONG_CERTAINTIES", "Coverage",
        "CoveragePoint", "CoverageRow", "Gap", "Verdict", "biggest_gaps", "coverage",
        "coverage_by_category", "coverage_by_section", "coverage_over_time", "verdict",
    ),
    "documents": (
        "DocumentRow", "SectionRow", "documents", "resolve_document", "sections",
    ),
    "dual": (
        "AgreementRow", "DualEntryRow", "DualItemRow", "DualReviewRow", "QueueItem",
        "adjudication_queue", "agreement", "agreement_counts", "dual_items", "dual_queue",
        "dual_review",
    ),
    "evidence": (
        "BodyJudgementRow", "ClaimAnchors", "ClaimDetail", "EvidenceRow", "HistoryRow",
        "SearchRow", "body_judgements", "claim_anchors", "claim_detail", "evidence", "history",
    ),
    "flags": (
        "EVERY_FLAG", "QUEUE_STATUSES", "FlagFilter", "FlagRow", "FlagSummary", "flag_count",
        "flag_summary", "flags", "queue", "queue_size",
    ),
    "questions": (
        "QuestionRow", "questions", "questions_by_status",
    ),
    "records": (
        "export_records", "record_of",
    ),
    "scorecard": (
        "CriterionTally", "article_sentences", "claim_reviews", "editor_ratings",
        "overstated_claims", "scorecard", "scorecard_facts", "scorecard_tally",
    ),
    "statements": (
        "DOCUMENT", "split_path",
    ),
    "suggestions": (
        "MAX_SUGGESTIONS", "NOT_EVIDENCE", "SuggestedSentence", "Suggestion", "Suggestions",
        "suggestions",
    ),
    "wording": (
        "SOF_COLUMNS", "SOF_DOMAINS", "IndirectnessPrompt", "SofEffect", "SofRow", "TagRow",
        "WordingRow", "citation_tags", "claim_tags", "indirectness_prompts", "summary_of_findings",
        "verdict_counts", "wording_check", "wording_proposals",
    ),
}
_HOME = {name: module for module, names in _NAMES.items() for name in names}


class _Queries(ModuleType):
    """This package: a re-exported name imports its module at first use."""

    def __getattr__(self, name: str) -> Any:
        module = _HOME.get(name)
        if module is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{self.__name__}.{module}"), name)
        ModuleType.__setattr__(self, name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing a submodule sets it as an attribute of the package; a re-exported name
        # of the same (`claims`, `evidence`, ...) stays the function, as an eager import left it.
        if isinstance(value, ModuleType) and name in _HOME:
            return
        ModuleType.__setattr__(self, name, value)


sys.modules[__name__].__class__ = _Queries

__all__ = [
    "AgreementRow", "AppraisalRow", "ArticleClaim", "ArticleSection", "ArticleView",
    "BodyJudgementRow", "CERTAINTIES", "CitationDetail", "CitationFilter", "CitationRow",
    "CitedRow", "ClaimAnchors", "ClaimDetail", "ClaimFilter", "ClaimRow", "Coverage",
    "CoveragePoint", "CoverageRow", "CriterionTally", "DOCUMENT", "DocumentRow",
    "DualEntryRow", "DualItemRow", "DualReviewRow", "EVERY_CITATION", "EVERY_CLAIM",
    "EVERY_FLAG", "EvidenceRow", "FlagFilter", "FlagRow", "FlagSummary", "Gap", "GapCell",
    "HistoryRow", "INTRODUCTION", "IndirectnessPrompt", "MAX_SUGGESTIONS", "NOT_EVIDENCE",
    "NoticeRow", "QUEUE_STATUSES", "QuestionRow", "QueueItem", "SOF_COLUMNS", "SOF_DOMAINS",
    "STANDINGS", "STATUSES", "STATUS_GROUPS", "STRONG_CERTAINTIES", "SearchRow", "SectionRow",
    "SofEffect", "SofRow", "SuggestedSentence", "Suggestion", "Suggestions", "TagRow",
    "Verdict", "WITHOUT_EVIDENCE", "WordingRow", "addressing", "adjudication_queue",
    "agreement", "agreement_counts", "appraisals", "article_sentences", "article_view",
    "biggest_gaps", "body_judgements", "citation_count", "citation_detail", "citation_tags",
    "citations", "cited_sources", "claim", "claim_anchors", "claim_count", "claim_detail",
    "claim_reviews", "claim_tags", "claims", "coverage", "coverage_by_category",
    "coverage_by_section", "coverage_over_time", "documents", "dual_items", "dual_queue",
    "dual_review", "editor_ratings", "escape_like", "evidence", "export_records",
    "flag_count", "flag_summary", "flags", "gap_map", "history", "indirectness_prompts",
    "linked_to", "open_flag_kinds", "overstated_claims", "questions", "questions_by_status",
    "queue", "queue_size", "record_of", "resolve_document", "retraction_notices", "scorecard",
    "scorecard_facts", "scorecard_tally", "sections", "sections_with_claims", "split_path",
    "suggestions", "summary_of_findings", "verdict", "verdict_counts", "wording_check",
    "wording_proposals",
]
