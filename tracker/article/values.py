"""What reading an article returns: sections, claims, listed resources, cited sources, its
metadata; the stored claims a revision is reconciled with (plain frozen values).
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.vocabulary import ClaimCategory, SectionKind


class ArticleError(ValueError):
    """The text cannot be read as an article (empty, or no sentence to record as a claim)."""


# --------------------------------------------------------------------------------------------
# Public values


@dataclass(frozen=True, slots=True)
class ParsedSection:
    """A heading of the article, or a question of its FAQ."""

    title: str
    level: int  # 1 = top level
    kind: SectionKind
    path: tuple[str, ...]  # titles from the top level down, including this one
    ordinal: int  # order of appearance over all sections, 0-based
    start: int  # span of the heading line in ParsedArticle.text
    end: int


@dataclass(frozen=True, slots=True)
class ParsedClaim:
    """One checkable sentence of the article."""

    text: str  # verbatim, whitespace runs collapsed to one space, emphasis markers removed
    section_path: tuple[str, ...]  # () for the introduction
    ordinal: int  # order within the document, 0-based
    start: int  # first to last character of the sentence in ParsedArticle.text
    end: int
    category: ClaimCategory
    category_rule: str  # the rule that chose the category, for people to read
    incomplete: bool  # the sentence was cut off (no sentence-final punctuation)
    fingerprint: str  # fingerprint(text)
    restates: int | None  # FAQ answers: ordinal of the body claim restated, else None
    #: Fragment list items that belong to this sentence ("Symptoms include:" then "fever",
    #: "cough"): the claim's text is the sentence followed by the items joined with "; ".
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedResource:
    """An entry of the article's resources / further-reading list (not a claim)."""

    ordinal: int  # 1-based position in the list
    title: str
    description: str  # the following lines joined, whitespace collapsed
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ParsedCitedSource:
    """A study the article itself cites (a PubMed, PMC, DOI or journal link, an identifier
    written out, or a "this 2023 review" phrase): a candidate for a reviewer, not evidence."""

    ordinal: int  # order of appearance, 0-based
    kind: str  # doi, pmid, pmcid, journal, phrase (tracker.article.cited)
    identifier: str  # normalised: DOI lower case, PMID digits, "PMC" + digits, URL, phrase
    url: str | None
    link_text: str
    sentence: str  # the claim citing it, or the line of the article it sits in
    claim_ordinal: int | None  # the claim citing it, None outside claims (reference lists)
    start: int  # span of the link or identifier in ParsedArticle.text
    end: int


@dataclass(frozen=True, slots=True)
class ArticleMetadata:
    """What the document says about itself, never claims: from bylines and date lines, front
    matter, or a page's metadata."""

    author: str | None = None
    published: str | None = None  # ISO yyyy-mm-dd when it could be read
    furniture: tuple[str, ...] = ()  # the kinds of furniture left out (byline, date, …)


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    title: str
    text: str  # the normalised text the spans refer to
    content_hash: str  # sha256 hex of text.encode("utf-8")
    sections: tuple[ParsedSection, ...]
    claims: tuple[ParsedClaim, ...]
    resources: tuple[ParsedResource, ...]
    language: str | None = None  # ISO 639-1, given, declared or detected
    metadata: ArticleMetadata = ArticleMetadata()
    cited: tuple[ParsedCitedSource, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredClaim:
    """A live claim the database already holds for the document being re-ingested."""

    id: int
    text: str
    fingerprint: str
    section_path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """How the claims of a new revision map onto the stored ones."""

    kept: tuple[tuple[int, int], ...]  # (stored id, new ordinal): same fingerprint
    edited: tuple[tuple[int, int], ...]  # (stored id, new ordinal): lightly edited wording
    added: tuple[int, ...]  # new ordinals with no stored counterpart
    retired: tuple[int, ...]  # stored ids with no counterpart in the new text
