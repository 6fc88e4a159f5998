"""The test corpus: real health articles of different shapes and languages, each with a
hand-made key (tests/fixtures/articles/keys.toml; sources and licences in SOURCES.md beside
it), scored by one test. Every key must pass in full; the score table is printed on failure so
a regression shows which article and which check moved."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from tracker.article import ParsedArticle, parse_article, parse_page

CORPUS = Path(__file__).parent / "fixtures" / "articles"
KEYS = tomllib.loads((CORPUS / "keys.toml").read_text(encoding="utf-8"))["article"]


def parse(file: str) -> ParsedArticle:
    path = (CORPUS / file).resolve()
    if path.suffix == ".html":
        return parse_page(path.read_bytes())
    fmt = "markdown" if path.suffix == ".md" else "text"
    return parse_article(path.read_text(encoding="utf-8"), fmt=fmt)  # type: ignore[arg-type]


def check(key: dict[str, Any], article: ParsedArticle) -> list[str]:
    """What the article gets wrong against its key (empty: the key passes)."""
    texts = [claim.text for claim in article.claims]
    problems: list[str] = []
    if article.title != key["title"]:
        problems.append(f"title {article.title!r}")
    if article.language != key["language"]:
        problems.append(f"language {article.language!r}")
    if "sections" in key:
        found = [s.title for s in article.sections if s.level == 1]
        if found != key["sections"]:
            problems.append(f"sections {found!r}")
    if "sections_top" in key:
        found = [s.title for s in article.sections if s.level == 1]
        if found != key["sections_top"]:
            problems.append(f"top-level sections {found!r}")
    if "claim_count" in key and len(texts) != key["claim_count"]:
        problems.append(f"{len(texts)} claims")
    problems += [f"missing claim {claim!r}" for claim in key.get("claims", [])
                 if claim not in texts]
    problems += [f"not a claim, found in one: {fragment!r}"
                 for fragment in key.get("not_claims", [])
                 if any(fragment in text for text in texts)]
    for field in ("author", "published"):
        if field in key and getattr(article.metadata, field) != key[field]:
            problems.append(f"{field} {getattr(article.metadata, field)!r}")
    for sentence, items in key.get("items", {}).items():
        found = [c.items for c in article.claims if c.text.startswith(sentence)]
        if found != [tuple(items)]:
            problems.append(f"items of {sentence!r}: {found!r}")
    return problems


def test_every_article_of_the_corpus_passes_its_key() -> None:
    assert len(KEYS) >= 13  # twelve real articles of the corpus and the shipped one
    assert {key["language"] for key in KEYS} >= {"en", "es", "de", "fr", "ar", "ja"}
    scores: dict[str, list[str]] = {key["file"]: check(key, parse(key["file"])) for key in KEYS}
    table = "\n".join(f"{'PASS' if not problems else 'FAIL'}  {file}: {'; '.join(problems)}"
                      for file, problems in scores.items())
    assert not any(scores.values()), "corpus keys:\n" + table
