"""W3C Web Annotation (JSON-LD, https://www.w3.org/TR/annotation-model/): one annotation per
claim, anchored to the article, the shape Hypothesis-style annotators display over the
original page. Pure.

- target: the article's address (its URL, else a URN naming the document) with a
  TextQuoteSelector (the claim's exact text in the stored article, with up to 32 characters
  before and after as prefix and suffix) and a TextPositionSelector (its character offsets
  in that text; for a Markdown article, in the Markdown source). A claim whose span is not
  known gets the quote selector only.
- motivation "assessing"; bodies: a TextualBody (purpose "assessing") stating the status,
  the certainty and the explanation, and the disclaimer that this is no medical advice; one
  TextualBody per tag (purpose "tagging": ``status:supported``, ``certainty:low``); one
  SpecificResource (purpose "linking") per study with a DOI, PubMed or PMC address.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tracker.formats.assessed import Article, AssessedClaim, identifier_links

__all__ = ["CONTEXT", "annotation", "annotation_collection"]

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CONTEXT_CHARS = 32
DISCLAIMER = "Evidence Tracker records published evidence; it gives no medical advice."


def _selectors(article: Article, claim: AssessedClaim) -> list[dict[str, Any]]:
    text = article.text
    if claim.span is not None:
        start, end = claim.span
        if 0 <= start <= end <= len(text) and text[start:end].strip():
            exact = text[start:end]
            return [
                {"type": "TextQuoteSelector", "exact": exact,
                 "prefix": text[max(0, start - CONTEXT_CHARS):start],
                 "suffix": text[end:end + CONTEXT_CHARS]},
                {"type": "TextPositionSelector", "start": start, "end": end},
            ]
    return [{"type": "TextQuoteSelector", "exact": claim.text}]


def annotation(article: Article, claim: AssessedClaim, created: datetime) -> dict[str, Any]:
    """One claim's annotation (a JSON-LD object with the Web Annotation context)."""
    certainty = claim.certainty or "not assessed"
    summary = (f"Status: {claim.status}. Certainty of the evidence: {certainty}. "
               f"{claim.explanation} {DISCLAIMER}")
    body: list[dict[str, Any]] = [
        {"type": "TextualBody", "purpose": "assessing", "format": "text/plain",
         "value": " ".join(summary.split()), "language": "en"},
        {"type": "TextualBody", "purpose": "tagging", "value": f"status:{claim.status}"},
    ]
    if claim.certainty:
        body.append({"type": "TextualBody", "purpose": "tagging",
                     "value": f"certainty:{claim.certainty}"})
    for study in claim.studies:
        for label, address in identifier_links(study.doi, study.pmid, study.pmcid):
            body.append({"type": "SpecificResource", "purpose": "linking", "source": address,
                         "label": f"{study.stance}: {label} ({study.key})"})
    return {
        "@context": CONTEXT,
        "id": f"urn:evidence-tracker:{article.slug}:claim:{claim.id}",
        "type": "Annotation",
        "motivation": "assessing",
        "created": created.isoformat(),
        "generator": {"id": "urn:evidence-tracker", "type": "Software",
                      "name": "Evidence Tracker"},
        "body": body,
        "target": {"source": article.address, "selector": _selectors(article, claim)},
    }


def annotation_collection(article: Article, claims: Iterable[AssessedClaim], created: datetime
                ) -> dict[str, Any]:
    """Every claim's annotation, as one AnnotationCollection of one page."""
    items = [annotation(article, claim, created) for claim in claims]
    return {
        "@context": CONTEXT,
        "id": f"urn:evidence-tracker:{article.slug}:annotations",
        "type": "AnnotationCollection",
        "label": f"Evidence Tracker: the claims of {article.title}",
        "total": len(items),
        "first": {"id": f"urn:evidence-tracker:{article.slug}:annotations:page1",
                  "type": "AnnotationPage", "startIndex": 0, "items": items},
    }
