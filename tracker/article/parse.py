"""Article text → sections, claims and listed resources (pure functions over text).

The pipeline is a few named steps, each a small function over plain values:

    normalise_newlines → blocks → title → drop boilerplate → table of contents
    → join page-broken paragraphs → headings and content → sections, claims, resources
    → categories → FAQ restatements

Nothing here touches the database or the file system: the caller reads the file, stores the
returned values, and re-ingests a revision with `reconcile()`.

Spans: every `start`/`end` is a character offset (end exclusive) into `ParsedArticle.text`, which is
the input after `normalise_newlines()` (leading BOM removed, CRLF and CR turned into LF). Store
that normalised text if you want to highlight spans later.

Limits (`tracker.limits`): a text over `MAX_ARTICLE_BYTES` characters, a NUL character, more
than `MAX_ARTICLE_CLAIMS` claims, a Markdown heading over `MAX_HEADING_CHARS` or a listed
resource's title over `MAX_RESOURCE_TITLE_CHARS` is an ArticleError naming the line. Every step
is linear in the text (no backtracking regular expression, no quadratic join); comparing
claims pairwise (FAQ restatements, revisions) is bounded by the claim limit and, for a
revision, by `EDIT_WINDOW`.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from tracker.article import cited as cited_refs
from tracker.article import furniture, language
from tracker.article.categories import categorise
from tracker.article.layout import (
    _Block,
    _blocks,
    _find_toc,
    _Furniture,
    _heading_text,
    _is_back_matter,
    _is_boilerplate,
    _join_page_breaks,
    _lay_out,
    _Placed,
    _resources,
    _take_out_furniture,
    _take_title,
)
from tracker.article.markdown import FrontMatter, blank_comments, read_front_matter
from tracker.article.restatements import _restatements
from tracker.article.revisions import fingerprint
from tracker.article.sentences import _Sentence, _sentences, _units
from tracker.article.text import _clean, _key, _link_text, normalise_newlines
from tracker.article.values import (
    ArticleError,
    ArticleMetadata,
    ParsedArticle,
    ParsedCitedSource,
    ParsedClaim,
    ParsedResource,
)
from tracker.limits import (
    MAX_ARTICLE_BYTES,
    MAX_ARTICLE_CLAIMS,
    MAX_HEADING_CHARS,
    MAX_RESOURCE_TITLE_CHARS,
)

_FRONT_MATTER_START = re.compile(r"\A(?:---|\+\+\+)[ \t]*\n")


def _is_markdown(text: str) -> bool:
    return bool(re.search(r"^#{1,6} ", text, re.MULTILINE) or _FRONT_MATTER_START.match(text))


def parse_article(
    text: str,
    fmt: Literal["text", "markdown"] | None = None,
    *,
    language: str | None = None,
    title: str | None = None,
    metadata: ArticleMetadata | None = None,
) -> ParsedArticle:
    """Read an article into its sections, claims, listed resources and cited sources.

    `fmt` forces plain text or Markdown; by default Markdown is assumed when a line starts with
    '#' and a space or the text opens with front matter. Spans refer to
    `normalise_newlines(text)`, returned as `.text` (Markdown front matter and HTML comments are
    read as blank, so they shift nothing). `language` (an ISO 639-1 code) is how sentences are
    split; by default the front matter's, else detected. `title` and `metadata` are what the
    source said (a page's title, author and date), used where the text says nothing.
    Raises ArticleError when the text is empty, holds no sentence to record, or is over a limit
    of `tracker.limits` (size, claims, heading and resource title length, a NUL character).
    """
    normalised = _normalised(text)
    markdown = _is_markdown(normalised) if fmt is None else fmt == "markdown"
    work, matter = read_front_matter(normalised) if markdown else (normalised, None)
    work = blank_comments(work) if markdown else work
    if not work.strip():
        raise ArticleError("the article is empty (only front matter or comments)")
    all_blocks = _blocks(work, markdown)
    _check_headings(all_blocks, work)
    fallback = (matter.title if matter else None) or title
    found_title, blocks = _take_title(all_blocks, markdown, fallback)
    taken = _take_out_furniture(blocks, markdown)
    blocks = [block for block in taken.blocks if not _is_boilerplate(block, found_title)]
    toc_index, toc = _find_toc(blocks, markdown)
    if toc_index is not None:
        del blocks[toc_index]
    single_lines = (block.single for block in blocks if block.single is not None)
    protected = toc | {_key(line) for line in single_lines if _is_back_matter(_key(line))}
    layout = _lay_out(_join_page_breaks(blocks, protected), markdown, toc)
    lang = language_of(layout.content, work, language or (matter.language if matter else None))
    sentences = _sentences(layout.content, work, lang)
    if not sentences:
        raise ArticleError(
            "the article has no sentences to record as claims (only headings, lists or links)"
        )
    if len(sentences) > MAX_ARTICLE_CLAIMS:
        raise ArticleError(
            f"the article has {len(sentences):,} claims; a document may have at most "
            f"{MAX_ARTICLE_CLAIMS:,} (the one on line "
            f"{_line_of(normalised, sentences[MAX_ARTICLE_CLAIMS].start)} is past the limit) - "
            "split it into several documents"
        )
    resources = _resources(layout.content)
    _check_resources(resources, normalised)
    claims = _claims(sentences)
    return ParsedArticle(
        title=found_title,
        text=normalised,
        content_hash=hashlib.sha256(normalised.encode("utf-8")).hexdigest(),
        sections=tuple(layout.sections),
        claims=claims,
        resources=tuple(resources),
        language=lang,
        metadata=_metadata(metadata or ArticleMetadata(), matter, taken),
        cited=_cited_sources(layout.content, work, claims),
    )


def _normalised(text: str) -> str:
    """`text` with its newlines normalised, refused when over the size limit, empty or
    holding a NUL character."""
    if len(text) > MAX_ARTICLE_BYTES:
        raise ArticleError(
            f"the article is {len(text):,} characters long; at most {MAX_ARTICLE_BYTES:,} "
            "are read - split it into several documents"
        )
    normalised = normalise_newlines(text)
    if not normalised.strip():
        raise ArticleError("the article is empty")
    if "\x00" in normalised:
        raise ArticleError(
            f"line {_line_of(normalised, normalised.index(chr(0)))}: contains a NUL character "
            "(U+0000), which is not text; remove it"
        )
    return normalised


def _metadata(given: ArticleMetadata, matter: FrontMatter | None, taken: _Furniture
              ) -> ArticleMetadata:
    """What the source said first, then the front matter, then the article's own furniture."""
    return ArticleMetadata(
        author=given.author or (matter.author if matter else None) or taken.author,
        published=(given.published
                   or (furniture.parse_date(matter.date) if matter and matter.date else None)
                   or taken.published),
        furniture=tuple(dict.fromkeys(given.furniture + taken.kinds)),
    )


def language_of(content: Sequence[_Placed], text: str, given: str | None) -> str | None:
    """The article's language: `given` (normalised) when there is one, else py3langid's guess
    on the article's content blocks (not its headings or furniture)."""
    code = language.normalise_language(given)
    if code:
        return code
    sample: list[str] = []
    size = 0
    for placed in content:
        if size > 20_000:
            break
        piece = text[placed.block.start : placed.block.end]
        sample.append(piece)
        size += len(piece)
    return language.detect_language("\n".join(sample))


def _cited_sources(
    content: Sequence[_Placed], text: str, claims: Sequence[ParsedClaim]
) -> tuple[ParsedCitedSource, ...]:
    """The article's own citations, each with the claim whose span holds it (or, outside the
    claims, the line it sits in)."""
    starts = [claim.start for claim in claims]
    found: list[ParsedCitedSource] = []
    for placed in content:
        for unit in _units(placed.block, text):
            region = text[unit.start : unit.end]
            for ref in cited_refs.find_references(region):
                start, end = unit.start + ref.start, unit.start + ref.end
                at = bisect.bisect_right(starts, start) - 1
                claim = claims[at] if at >= 0 and start < claims[at].end else None
                sentence = claim.text if claim else _clean(_link_text(region))
                found.append(ParsedCitedSource(
                    ordinal=len(found), kind=ref.kind, identifier=ref.identifier[:1000],
                    url=ref.url, link_text=ref.link_text[:500], sentence=sentence[:5000],
                    claim_ordinal=claim.ordinal if claim else None, start=start, end=end,
                ))
    return tuple(found)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _check_headings(blocks: Iterable[_Block], text: str) -> None:
    """A Markdown heading over `MAX_HEADING_CHARS` is refused (plain-text headings are short
    lines by definition, FAQ questions at most 300 characters)."""
    for block in blocks:
        if block.md_level and len(title := _heading_text(block)) > MAX_HEADING_CHARS:
            raise ArticleError(
                f"line {_line_of(text, block.start)}: a heading of {len(title):,} characters; "
                f"a heading may have at most {MAX_HEADING_CHARS} - is it a paragraph?"
            )


def _check_resources(resources: Iterable[ParsedResource], text: str) -> None:
    for resource in resources:
        if len(resource.title) > MAX_RESOURCE_TITLE_CHARS:
            raise ArticleError(
                f"line {_line_of(text, resource.start)}: the listed resource's title has "
                f"{len(resource.title):,} characters; at most {MAX_RESOURCE_TITLE_CHARS:,}"
            )


def _claims(sentences: Sequence[_Sentence]) -> tuple[ParsedClaim, ...]:
    claims: list[ParsedClaim] = []
    for ordinal, sentence in enumerate(sentences):
        category, rule = categorise(sentence.text, sentence.path)
        claims.append(
            ParsedClaim(
                text=sentence.text,
                section_path=sentence.path,
                ordinal=ordinal,
                start=sentence.start,
                end=sentence.end,
                category=category,
                category_rule=rule,
                incomplete=sentence.incomplete,
                fingerprint=fingerprint(sentence.text),
                restates=None,
                items=sentence.items,
            )
        )
    links = _restatements(claims)
    return tuple(_with_restates(claim, links.get(claim.ordinal)) for claim in claims)


def _with_restates(claim: ParsedClaim, restates: int | None) -> ParsedClaim:
    return claim if restates is None else dataclasses.replace(claim, restates=restates)
