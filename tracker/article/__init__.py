"""Article → sections, claims, listed resources and the article's own citations (pure).

`parse.py` holds the pipeline over plain text and Markdown; the other modules are the steps
each input format or rule needs: `markdown` (front matter, comments, setext headings),
`html` (a web page's main content as Markdown, with its metadata), `furniture` (bylines,
calls to action, disclaimers and self-descriptions that are never claims), `language`
(language detection and sentence splitting beyond English), `cited` (DOI, PMID, PMCID and
"this 2023 review" references of the article). Callers import from here.
"""

from tracker.article.html import parse_page
from tracker.article.parse import (
    DECIDING_SECTION_RULES,
    EDIT_SIMILARITY,
    KEYWORD_RULES,
    RESTATEMENT_THRESHOLD,
    SECTION_DEFAULT_RULES,
    ArticleError,
    ArticleMetadata,
    CategoryRule,
    ParsedArticle,
    ParsedCitedSource,
    ParsedClaim,
    ParsedResource,
    ParsedSection,
    Reconciliation,
    StoredClaim,
    categorise,
    fingerprint,
    normalise_newlines,
    parse_article,
    reconcile,
)

__all__ = [
    "ArticleError",
    "ArticleMetadata",
    "CategoryRule",
    "DECIDING_SECTION_RULES",
    "KEYWORD_RULES",
    "SECTION_DEFAULT_RULES",
    "EDIT_SIMILARITY",
    "RESTATEMENT_THRESHOLD",
    "ParsedArticle",
    "ParsedCitedSource",
    "ParsedClaim",
    "ParsedResource",
    "ParsedSection",
    "Reconciliation",
    "StoredClaim",
    "categorise",
    "fingerprint",
    "normalise_newlines",
    "parse_article",
    "parse_page",
    "reconcile",
]
