"""Set-up and articles: init, bootstrap, ingest, cited, documents, sections."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import app
from tracker.cli.options import AsUser, DocumentOpt, JsonFlag
from tracker.cli.output import _count, _print_json, _table
from tracker.cli.session import _database, _read, _write
from tracker.lazy import lazy_function, lazy_module

if TYPE_CHECKING:
    from tracker import queries
    from tracker.fetch import is_url
    from tracker.services import articles
    from tracker.services import setup as setup_service
    from tracker.services.setup import bootstrap as bootstrap_service
else:  # imported when a command first uses it (start-up time is benchmarked)
    articles = lazy_module("tracker.services.articles")
    bootstrap_service = lazy_function("tracker.services.setup", "bootstrap")
    is_url = lazy_function("tracker.fetch", "is_url")
    queries = lazy_module("tracker.queries")
    setup_service = lazy_module("tracker.services.setup")


# --- set-up and articles ---------------------------------------------------------------------


@app.command()
def init() -> None:
    """Create or upgrade the database schema (alembic upgrade head), then regrade claims graded
    under older grading rules. Safe to repeat."""
    with _database(create=True) as engine:
        regraded = setup_service.upgrade(engine)
        where = engine.url.render_as_string(hide_password=True)
    typer.echo(f"database schema is up to date ({where})"
               + (f"; {regraded} claims regraded under the current grading rules"
                  if regraded else ""))


@app.command()
def bootstrap(
    empty: Annotated[bool, typer.Option(
        "--empty", help="load only the seed article (no library, review or examples)")] = False,
    examples: Annotated[bool, typer.Option(
        "--examples", help="also load the example articles of references/examples/")] = False,
) -> None:
    """Initialise or upgrade, then load what the product ships into an empty database."""
    with _database(create=True) as engine:
        typer.echo(f"database: {engine.url.render_as_string(hide_password=True)}")
        report = bootstrap_service(engine, empty=empty, examples=examples)
    for step in report.steps:
        typer.echo(step)


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(
        help="an article: a plain-text, Markdown or HTML file, or an http(s) address")],
    slug: Annotated[str | None, typer.Option(help="document identity (default: title)")] = None,
    revision_of: Annotated[str | None, typer.Option(
        "--revision-of", help="record it as a revision of this document, however changed")]
    = None,
    language: Annotated[str | None, typer.Option(
        help="the article's language, e.g. es (default: declared or detected)")] = None,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Record an article (or a revision of one) as sections and claims. A text whose title
    names a tracked document but shares few of its claims is refused: pass --slug or
    --revision-of."""
    article = (articles.fetch_article(source, language=language) if is_url(source)
               else articles.read_article(Path(source), language=language))
    with _write(as_user) as (session, actor):
        report = articles.ingest(session, actor, article, slug=slug, revision_of=revision_of)
    if as_json:
        _print_json(report)
    elif report.unchanged:
        typer.echo(f"{report.slug}: unchanged ({_count(report.claims, 'claim')})")
    elif report.created:
        typer.echo(f"{report.slug}: {_count(report.claims, 'claim')} in "
                   f"{_count(report.sections, 'section')}, "
                   f"{_count(report.resources, 'listed resource')}")
    else:
        typer.echo(f"{report.slug}: {report.kept} kept, {report.edited} edited, "
                   f"{report.added} added, {report.retired} retired")


@app.command("cited")
def cited_cmd(document: DocumentOpt = None, as_json: JsonFlag = False) -> None:
    """What the article itself cites (DOI, PMID, PMCID, journal links, "a 2023 review"):
    candidates to import, verify and link, never evidence by themselves."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.cited_sources(session, doc.id)
    if as_json:
        _print_json(rows)
        return
    _table(["claim", "kind", "identifier", "in library", "sentence"],
           [(f"#{r.claim_id}" if r.claim_id else "-", r.kind, r.identifier,
             r.in_library or "", r.sentence) for r in rows], wrap=70)


@app.command("documents")
def documents_cmd(as_json: JsonFlag = False) -> None:
    """List tracked documents."""
    with _read() as session:
        rows = queries.documents(session)
    if as_json:
        _print_json(rows)
        return
    _table(["slug", "claims", "sections", "title"],
           [(r.slug, r.claims, r.sections, r.title) for r in rows])


@app.command("sections")
def sections_cmd(document: DocumentOpt = None, as_json: JsonFlag = False) -> None:
    """The section tree of a document."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.sections(session, doc.id)
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        marker = "?" if r.kind == "question" else "#" * r.level
        typer.echo(f"{'  ' * (r.level - 1)}{marker} {r.title}  ({_count(r.claims, 'claim')})")
