"""Ingesting web pages, Markdown and other languages through the service layer and the CLI:
metadata and original bytes kept, the article's own citations recorded (and shown as "cited by
the article", never as evidence), list items stored, revisions of a page keeping identity."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tests.conftest import cli_env
from tracker import db, queries
from tracker.cli import app
from tracker.models import CitedSource, Claim, Document, EvidenceLink
from tracker.services import articles
from tracker.services.access import Actor
from tracker.vocabulary import Role

FIXTURES = Path(__file__).parent / "fixtures" / "articles"

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Flu vaccines | Example Health</title>
<meta name="author" content="Example Health editors"></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/a-z">Health A-Z</a></li></ul></nav>
<main><article><h1>Flu vaccines</h1>
<p>Flu vaccines reduce the risk of flu by about half in healthy adults
(<a href="https://pubmed.ncbi.nlm.nih.gov/29388196/">Demicheli 2018</a>).</p>
<p>{second}</p>
<p>Side effects of the vaccine can include:</p>
<ul><li>a sore arm</li><li>a slightly raised temperature</li><li>aching muscles</li></ul>
<div class="share"><a href="#">Share on Facebook</a></div>
</article></main><footer><p>Example Health</p></footer></body></html>"""
SECOND = "Vaccination of healthcare workers may protect older people in care homes."
EDITED = "Vaccination of healthcare workers may protect older people living in care homes."


def write_page(tmp_path: Path, second: str) -> Path:
    path = tmp_path / "flu-vaccines.html"
    path.write_text(PAGE.format(second=second), encoding="utf-8")
    return path


def ingest(engine: Engine, actor: Actor, path: Path, **options: str) -> articles.IngestReport:
    with db.writing(engine) as session:
        return articles.ingest(session, actor, articles.read_article(path, **options))


def test_a_page_is_recorded_with_metadata_bytes_lists_and_its_own_citations(
        engine: Engine, make_actor: Callable[[Engine, Role], Actor], tmp_path: Path) -> None:
    editor = make_actor(engine, Role.EDITOR)
    path = write_page(tmp_path, SECOND)
    report = ingest(engine, editor, path)
    assert (report.slug, report.claims) == ("flu-vaccines", 3)
    with db.reading(engine) as session:
        document = session.get(Document, report.document_id)
        assert document is not None
        assert document.source_bytes == path.read_bytes()
        assert (document.author, document.language, document.source_format) == (
            "Example Health editors", "en", "html")
        listed = session.scalar(select(Claim).where(Claim.list_items.is_not(None)))
        assert listed is not None
        assert listed.list_items == ["a sore arm", "a slightly raised temperature",
                                     "aching muscles"]
        [cited] = queries.cited_sources(session, report.document_id)
        assert (cited.kind, cited.identifier, cited.link_text) == ("pmid", "29388196",
                                                                   "Demicheli 2018")
        detail = queries.claim_detail(session, cited.claim_id or 0)
        assert detail.cited == [cited]
        assert detail.evidence == []  # cited by the article is never evidence
        assert session.scalar(select(func.count()).select_from(EvidenceLink)) == 0
        view = queries.article_view(session, report.document_id)
        assert [c.identifier for c in view.introduction[0].cited] == ["29388196"]


def test_a_revised_page_keeps_claim_identity(
        engine: Engine, make_actor: Callable[[Engine, Role], Actor], tmp_path: Path) -> None:
    editor = make_actor(engine, Role.EDITOR)
    first = ingest(engine, editor, write_page(tmp_path, SECOND))
    with db.reading(engine) as session:
        before = {c.text: c.id for c in queries.claims(
            session, queries.ClaimFilter(document_id=first.document_id))}
    again = ingest(engine, editor, write_page(tmp_path, SECOND))
    assert again.unchanged
    revised = ingest(engine, editor, write_page(tmp_path, EDITED))
    assert (revised.kept, revised.edited, revised.added, revised.retired) == (2, 1, 0, 0)
    with db.reading(engine) as session:
        after = {c.text: c.id for c in queries.claims(
            session, queries.ClaimFilter(document_id=first.document_id))}
        assert after[EDITED] == before[SECOND]
        assert set(after.values()) == set(before.values())
        assert session.scalar(select(func.count()).select_from(CitedSource)) == 1


@pytest.mark.parametrize(("name", "language", "claims"), [
    ("cdc-prevencion-influenza-es.txt", "es", 8),
    ("springer-gesundheitsinformationen-de.md", "de", 9),
    ("forth-usa-ja.html", "ja", 14),
])
def test_other_languages_are_ingested(engine: Engine, make_actor: Callable[[Engine, Role], Actor],
                                      name: str, language: str, claims: int) -> None:
    editor = make_actor(engine, Role.EDITOR)
    report = ingest(engine, editor, FIXTURES / name)
    assert report.claims == claims
    with db.reading(engine) as session:
        document = session.get(Document, report.document_id)
        assert document is not None and document.language == language


def test_the_language_can_be_given(engine: Engine, make_actor: Callable[[Engine, Role], Actor],
                                   tmp_path: Path) -> None:
    editor = make_actor(engine, Role.EDITOR)
    path = tmp_path / "kurz.txt"
    path.write_text("Masern\n\nDie Impfung schützt vor Masern. Sie ist sicher.\n", encoding="utf-8")
    report = ingest(engine, editor, path, language="de")
    with db.reading(engine) as session:
        document = session.get(Document, report.document_id)
        assert document is not None and document.language == "de"


def test_cli_lists_what_the_article_cites_and_shows_it_beside_the_claim(
        engine: Engine, make_actor: Callable[[Engine, Role], Actor], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    editor = make_actor(engine, Role.EDITOR)
    for name, value in cli_env(engine, editor.username).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    path = write_page(tmp_path, SECOND)
    assert runner.invoke(app, ["ingest", str(path), "--as", editor.username]).exit_code == 0
    listed = runner.invoke(app, ["cited", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert (row["kind"], row["identifier"], row["in_library"]) == ("pmid", "29388196", None)
    shown = runner.invoke(app, ["claim", "show", str(row["claim_id"])])
    assert "cited by the article: pmid 29388196 “Demicheli 2018”" in shown.output
    with db.reading(engine) as session:
        listed_claim = session.scalar(select(Claim.id).where(Claim.list_items.is_not(None)))
    items = runner.invoke(app, ["claim", "show", str(listed_claim)])
    assert "  • a sore arm" in items.output
