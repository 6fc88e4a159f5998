"""schema.org ClaimReview markup for each reviewed claim (pure), the JSON-LD fact-checkers
publish: https://schema.org/ClaimReview, with the properties Google's ClaimReview
documentation requires and recommends
(https://developers.google.com/search/docs/appearance/structured-data/factcheck).

The verdict becomes a `reviewRating` on a 1–5 scale by `rating_for` (status × certainty, or
the descriptive track's standing; docs/scorecard.md, *ClaimReview*). Nothing is invented: the
article's URL and date appear only when the tracker has them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.vocabulary import STATUS_LABELS, Certainty, ClaimStatus, Standing

BEST_RATING = 5
WORST_RATING = 1

_CERTAINTY_WORDS = {
    Certainty.HIGH.value: "high certainty", Certainty.MODERATE.value: "moderate certainty",
    Certainty.LOW.value: "low certainty", Certainty.VERY_LOW.value: "very low certainty",
    Certainty.NOT_ASSESSED.value: "certainty not assessed"}

#: Supported claims: the rating by GRADE certainty (effect track) or standing (descriptive).
_SUPPORTED = {Certainty.HIGH.value: 5, Certainty.MODERATE.value: 4, Certainty.LOW.value: 3,
              Certainty.VERY_LOW.value: 2, Certainty.NOT_ASSESSED.value: 3,
              Standing.ESTABLISHED.value: 5, Standing.PLAUSIBLE.value: 3,
              Standing.NOT_ESTABLISHED.value: 2}
#: The other reviewed statuses; a contradiction is 1 unless the evidence against the claim
#: is itself of low, very low or unassessed certainty (2).
_OTHER = {ClaimStatus.CONTESTED.value: 3, ClaimStatus.INSUFFICIENT.value: 2,
          ClaimStatus.NO_EVIDENCE_FOUND.value: 2, ClaimStatus.CONTRADICTED.value: 1}
_FIRM = {Certainty.HIGH.value, Certainty.MODERATE.value}


@dataclass(frozen=True, slots=True)
class Verdict:
    """A reviewed claim's rating on the 1–5 scale, with the words that say it."""

    value: int
    alternate_name: str


def rating_for(status: str, certainty: str | None, standing: str | None = None
               ) -> Verdict | None:
    """The ClaimReview rating of a verdict; None for a claim not reviewed (no markup)."""
    if status == ClaimStatus.NOT_REVIEWED.value:
        return None
    label = STATUS_LABELS[ClaimStatus(status)].split(" ", 1)[1]
    label = label[:1].upper() + label[1:]
    grade = certainty or standing
    if status == ClaimStatus.SUPPORTED.value:
        value = _SUPPORTED.get(grade or "", 3)
    elif status == ClaimStatus.CONTRADICTED.value and certainty not in _FIRM and certainty:
        value = 2
    else:
        value = _OTHER[status]
    if certainty:
        label += f" ({_CERTAINTY_WORDS[certainty]})"
    elif standing:
        label += f" ({standing.replace('-', ' ')})"
    return Verdict(value, label)


@dataclass(frozen=True, slots=True)
class Organisation:
    """The fact-checking organisation named as the reviews' author (tracker.config)."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class ReviewedClaim:
    id: int
    text: str
    status: str
    certainty: str | None
    standing: str | None
    explanation: str
    reviewed_at: datetime | None  # when its verdict last changed


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    title: str
    url: str | None
    published: str | None


def review_url(template: str, organisation: Organisation, article: Article,
               claim_id: int) -> str:
    """Where the review of one claim is published: the configured template with {base},
    {document} and {claim} filled in."""
    return template.format(base=organisation.url.rstrip("/"), document=article.slug,
                           claim=claim_id)


def claim_review(claim: ReviewedClaim, article: Article, organisation: Organisation,
                 url: str) -> dict[str, Any] | None:
    """One claim's ClaimReview as a JSON-LD object; None when it is not reviewed."""
    verdict = rating_for(claim.status, claim.certainty, claim.standing)
    if verdict is None:
        return None
    appearance: dict[str, Any] = {"@type": "CreativeWork", "headline": article.title}
    if article.url:
        appearance["url"] = article.url
    if article.published:
        appearance["datePublished"] = article.published
    item: dict[str, Any] = {"@type": "Claim", "appearance": appearance}
    if article.published:
        item["datePublished"] = article.published
    markup: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim.text,
        "author": {"@type": "Organization", "name": organisation.name,
                   "url": organisation.url},
        "itemReviewed": item,
        "reviewRating": {"@type": "Rating", "ratingValue": verdict.value,
                         "bestRating": BEST_RATING, "worstRating": WORST_RATING,
                         "alternateName": verdict.alternate_name},
    }
    if claim.reviewed_at is not None:
        markup["datePublished"] = claim.reviewed_at.date().isoformat()
    if claim.explanation:
        markup["reviewBody"] = claim.explanation
    return markup


# --- checking the markup's shape -------------------------------------------------------------

#: The schema.org properties each type used here may carry (https://schema.org/<Type>, the
#: ones relevant here, inherited ones included).
SCHEMA_PROPERTIES: Mapping[str, frozenset[str]] = {
    "ClaimReview": frozenset({"@context", "@type", "url", "claimReviewed", "author",
                              "itemReviewed", "reviewRating", "datePublished", "reviewBody",
                              "name", "headline", "publisher", "inLanguage"}),
    "Rating": frozenset({"@type", "ratingValue", "bestRating", "worstRating", "alternateName",
                         "name", "ratingExplanation", "reviewAspect", "author"}),
    "Claim": frozenset({"@type", "appearance", "firstAppearance", "author", "datePublished",
                        "name", "text", "claimInterpreter"}),
    "Organization": frozenset({"@type", "name", "url", "sameAs", "logo"}),
    "Person": frozenset({"@type", "name", "url", "sameAs"}),
    "CreativeWork": frozenset({"@type", "url", "headline", "name", "datePublished", "author",
                               "publisher"}),
}
#: What Google's ClaimReview documentation requires, and what it recommends.
REQUIRED = ("claimReviewed", "reviewRating", "reviewRating.alternateName", "url")
RECOMMENDED = ("author", "author.name", "datePublished", "itemReviewed",
               "itemReviewed.appearance", "itemReviewed.datePublished",
               "reviewRating.ratingValue", "reviewRating.bestRating",
               "reviewRating.worstRating")


def _get(markup: Mapping[str, Any], path: str) -> Any:
    value: Any = markup
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _shape(node: Any, where: str) -> list[str]:
    if isinstance(node, list):
        return [p for i, n in enumerate(node) for p in _shape(n, f"{where}[{i}]")]
    if not isinstance(node, Mapping):
        return []
    kind = str(node.get("@type"))
    if kind not in SCHEMA_PROPERTIES:
        return [f"{where}: @type {kind!r} is not one of {', '.join(SCHEMA_PROPERTIES)}"]
    problems = [f"{where}: {kind} has no property {key!r}"
                for key in node if key not in SCHEMA_PROPERTIES[kind]]
    for key, value in node.items():
        problems += _shape(value, f"{where}.{key}")
    return problems


def problems(markup: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(errors, warnings) of one ClaimReview: schema.org types and properties, Google's
    required properties (errors) and recommended ones (warnings), a rating within its scale."""
    errors = _shape(markup, "ClaimReview")
    if markup.get("@context") != "https://schema.org":
        errors.append("@context is not https://schema.org")
    errors += [f"missing required {p}" for p in REQUIRED if _get(markup, p) in (None, "")]
    rating = markup.get("reviewRating") or {}
    value, best, worst = (rating.get(k) for k in ("ratingValue", "bestRating", "worstRating"))
    if all(isinstance(v, int | float) for v in (value, best, worst)) and not (
            worst <= value <= best):  # type: ignore[operator]
        errors.append(f"ratingValue {value} is outside {worst}–{best}")
    warnings = [f"missing recommended {p}" for p in RECOMMENDED if _get(markup, p) in (None, "")]
    return errors, warnings
