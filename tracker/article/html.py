"""A web page → its main content as Markdown, and what the page says about itself (pure).

trafilatura finds the main content (the article, without navigation, cookie banners, share
buttons, related-article lists, forms and footers) and the page's metadata (title, author,
date); this module writes that content as the Markdown `tracker.article.parse` reads:
headings as `#` lines, paragraphs, list items as `- ` lines, links as `[text](target)` so
the article's own citations are kept. The page's title comes first as a `#` heading: its
first `<h1>`, else trafilatura's title (`og:title`, `<title>` without the site's name).
The language is the page's `<html lang>` when it has one.

trafilatura and lxml are imported on first use, so commands that do not ingest a page do not
pay for them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from tracker.article.furniture import byline_name
from tracker.article.parse import parse_article
from tracker.article.values import ArticleError, ArticleMetadata, ParsedArticle

__all__ = ["HtmlArticle", "PageError", "html_to_markdown", "parse_page"]

_SPACE = re.compile(r"\s+")
#: Markdown a paragraph must not start with, or it would be read as a heading or a list item.
_MARKDOWN_START = re.compile(r"^(#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|={3,}$|-{3,}$)")


class PageError(ValueError):
    """The page holds no article text that can be extracted."""


@dataclass(frozen=True, slots=True)
class HtmlArticle:
    markdown: str
    title: str
    author: str | None
    date: str | None  # ISO yyyy-mm-dd
    language: str | None  # the page's own declaration (<html lang>, content-language)
    url: str | None  # the page's canonical address when it declares one


def _inline(element: Any) -> str:
    """The text of an element with its links written as Markdown links, whitespace collapsed."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag == "ref":
            text = _inline(child)
            target = (child.get("target") or "").strip()
            if target.startswith(("http://", "https://")) and text.strip():
                parts.append(f"[{text.strip()}]({target.replace(' ', '%20')})")
            else:
                parts.append(text)
        elif child.tag == "lb":
            parts.append(" ")
        elif child.tag in ("list", "table", "graphic", "code"):
            pass  # written as blocks of their own by _blocks
        else:
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return _SPACE.sub(" ", "".join(parts)).strip()


def _paragraph(text: str) -> str:
    return "\\" + text if _MARKDOWN_START.match(text) else text


def _blocks(element: Any, depth: int = 0) -> list[str]:
    """Markdown blocks of trafilatura's XML body (head, p, list/item, quote, table/row/cell)."""
    blocks: list[str] = []
    for child in element:
        tag = child.tag
        if tag == "head":
            level = int((child.get("rend") or "h2").lstrip("h") or 2)
            if text := _inline(child):
                blocks.append(f"{'#' * min(max(level, 1), 6)} {text}")
        elif tag == "p" or tag == "quote":
            if text := _inline(child):
                blocks.append(_paragraph(text))
            blocks += _blocks_of_children(child, depth, ("list", "table"))
        elif tag == "list":
            items = _items(child, depth)
            if items:
                blocks.append("\n".join(items))
        elif tag == "table":
            for row in child.iter("row"):
                cells = [_inline(cell) for cell in row.iter("cell")]
                if line := "; ".join(cell for cell in cells if cell):
                    blocks.append(_paragraph(line))
        elif tag in ("div", "section", "article", "main", "body"):
            blocks += _blocks(child, depth)
    return blocks


def _blocks_of_children(element: Any, depth: int, tags: tuple[str, ...]) -> list[str]:
    nested = [child for child in element if child.tag in tags]
    if not nested:
        return []
    holder = element.makeelement("div", {})
    holder.extend(nested)
    return _blocks(holder, depth)


def _items(element: Any, depth: int) -> list[str]:
    lines: list[str] = []
    for item in element:
        if item.tag != "item":
            continue
        text = _inline(item)
        if text:
            lines.append(f"{'  ' * depth}- {text}")
        for nested in item:
            if nested.tag == "list":
                lines += _items(nested, depth + 1)
    return lines


class _PageFacts(NamedTuple):
    language: str | None
    heading: str | None
    author: str | None


def _page_facts(data: bytes) -> _PageFacts:
    """What the page says of itself, read with lxml: its language (<html lang>, or a
    content-language meta), its first <h1>, and its author (a byline element — class or
    itemprop naming an author or byline, or rel="author" — else <meta name="author">)."""
    import lxml.etree
    import lxml.html  # lazy

    try:
        root = lxml.html.fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return _PageFacts(None, None, None)
    language = root.get("lang") or root.get("xml:lang")
    if not language:
        for meta in root.iter("meta"):
            if (meta.get("http-equiv") or "").casefold() == "content-language":
                language = meta.get("content")
                break
    heading = next((h.text_content() for h in root.iter("h1") if h.text_content().strip()), None)
    return _PageFacts(language, _SPACE.sub(" ", heading).strip() if heading else None,
                      _author(root))


def _author(root: Any) -> str | None:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        marks = " ".join((element.get("class") or "", element.get("itemprop") or "",
                          element.get("rel") or "")).casefold()
        if "byline" in marks or "author" in marks.split():
            text = _SPACE.sub(" ", element.text_content()).strip()
            name = byline_name(text) or (text if 0 < len(text.split()) <= 8 else None)
            if name:
                return name
    for meta in root.iter("meta"):
        if (meta.get("name") or "").casefold() == "author" and (meta.get("content") or "").strip():
            return str(meta.get("content")).strip()
    return None


@lru_cache(maxsize=1)
def _config() -> Any:
    """trafilatura's settings: keep short articles (a 250-character floor would make it fall
    back to the page's whole text) and read dates only from the markup."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "min_extracted_size", "1")
    config.set("DEFAULT", "extensive_date_search", "off")
    return config


def html_to_markdown(data: bytes, url: str | None = None) -> HtmlArticle:
    """The main content of an HTML page as Markdown with its title first, and its metadata.
    Raises PageError when no article text can be found in the page."""
    import trafilatura  # lazy: only ingesting a page needs it

    document: Any = trafilatura.bare_extraction(
        data, url=url, include_links=True, include_formatting=False, include_tables=True,
        include_comments=False, with_metadata=True, favor_recall=True, output_format="python",
        deduplicate=False,
        # Only a date the page's markup declares: a year in the text is not a publication date.
        date_extraction_params={"extensive_search": False, "original_date": True},
        config=_config(),
    )
    if document is None or getattr(document, "body", None) is None:
        raise PageError("no article text found in the page (is it a web page with an article?)")
    language, heading, author = _page_facts(data)
    blocks = _blocks(document.body)
    title = heading or (document.title or "").strip()
    # The first <h1> of the content is the title, put first: what comes before it in the
    # content (a category line, a breadcrumb) is furniture for the parser's rules.
    first = next((i for i, block in enumerate(blocks) if block.startswith("# ")), None)
    if first is not None:
        title = blocks[first][2:].strip()
        blocks.insert(0, blocks.pop(first))
    elif title:
        blocks.insert(0, f"# {_SPACE.sub(' ', title)}")
    if not any(not block.startswith("#") for block in blocks):
        raise PageError("no article text found in the page (only headings or nothing at all)")
    return HtmlArticle(
        markdown="\n\n".join(blocks) + "\n",
        title=title,
        author=author,
        date=(document.date or None),
        language=language,
        url=getattr(document, "url", None) or url,
    )


def parse_page(data: bytes, url: str | None = None, language: str | None = None) -> ParsedArticle:
    """An HTML page read as an article: its main content (`html_to_markdown`) parsed as
    Markdown, with the page's title, author, date and declared language where the text itself
    says nothing. `language` (given by the user) overrides the page's declaration. Spans refer
    to the Markdown, returned as `.text`; ArticleError when the page holds no article."""
    try:
        page = html_to_markdown(data, url)
    except PageError as exc:
        raise ArticleError(str(exc)) from None
    parsed = parse_article(page.markdown, fmt="markdown", language=language or page.language,
                           title=page.title)
    # The page's own bylines and date lines first, then what its markup declares.
    found = parsed.metadata
    return dataclasses.replace(parsed, metadata=ArticleMetadata(
        author=found.author or page.author, published=found.published or page.date,
        furniture=found.furniture))
