"""Article → sections, claims, listed resources and the article's own citations (pure).

`parse.py` holds the pipeline over plain text and Markdown (`parse_article`); its steps live in
`layout` (lines, blocks, title, table of contents, sections, listed resources), `sentences`
(sentences → claims), `categories` (a claim's category and the rule that decided it),
`restatements` (FAQ answers that restate a body claim) and `revisions` (fingerprints and
`reconcile`), over `text` (the shared patterns and cleaners) and `values` (what is returned).
The other modules are what each input format or rule needs: `markdown` (front matter,
comments, setext headings), `html` (a web page's main content as Markdown, with its metadata),
`furniture` (bylines, calls to action, disclaimers and self-descriptions that are never
claims), `language` (language detection and sentence splitting beyond English), `cited` (DOI,
PMID, PMCID and "this 2023 review" references of the article). Callers import from here.
"""

from tracker.article.categories import (
    DECIDING_SECTION_RULES,
    KEYWORD_RULES,
    SECTION_DEFAULT_RULES,
    CategoryRule,
    categorise,
)
from tracker.article.html import parse_page
from tracker.article.parse import parse_article
from tracker.article.restatements import RESTATEMENT_THRESHOLD
from tracker.article.revisions import EDIT_SIMILARITY, fingerprint, reconcile
from tracker.article.sentences import sentence_spans
from tracker.article.text import normalise_newlines
from tracker.article.values import (
    ArticleError,
    ArticleMetadata,
    ParsedArticle,
    ParsedCitedSource,
    ParsedClaim,
    ParsedResource,
    ParsedSection,
    Reconciliation,
    StoredClaim,
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
    "sentence_spans",
]
