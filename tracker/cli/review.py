"""Loading reviews and open questions from files; changing one open question."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.application import _commands, app
from tracker.cli.options import MAX_ID, AsUser, DocumentOpt, JsonFlag
from tracker.cli.output import _print_json
from tracker.cli.session import _write
from tracker.lazy import lazy_module
from tracker.vocabulary import Priority, QuestionStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracker import queries
    from tracker.models import OpenQuestion
    from tracker.services import citations, review
    from tracker.services import questions as questions_service
else:  # imported when a command first uses it (start-up time is benchmarked)
    citations = lazy_module("tracker.services.citations")
    queries = lazy_module("tracker.queries")
    questions_service = lazy_module("tracker.services.questions")
    review = lazy_module("tracker.services.review")


review_app = _commands("Load reviews and open questions from files.")
app.add_typer(review_app, name="review")


@review_app.command("load")
def review_load(
    path: Annotated[Path, typer.Argument(help="a review file (TOML, see references/review.toml)")],
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Load a review: splits, evidence links, appraisals, body judgements, searches, tracks,
    flags, question evidence. Applies what is new, withdraws what an earlier load recorded and
    the file no longer lists, and leaves what people changed since (reported, with why)."""
    source = review.read_review(path)  # read and parsed before the write transaction
    with _write(as_user) as (session, actor):
        report = review.load_review(session, actor, source)
    if as_json:
        _print_json(report)
        return
    typer.echo(f"{path}: {report.links_added} links added, {report.links_updated} updated, "
               f"{report.links_unchanged} unchanged; {report.splits} splits; "
               f"{report.appraisals} appraisals; {report.body_judgements} body judgements; "
               f"{report.searches} searches; {report.tracks} tracks; "
               f"{report.flags_raised} flags raised ({report.flags_present} already open); "
               f"{report.question_evidence} question evidence; {report.to_check} to check; "
               f"{len(report.withdrawn)} withdrawn; {len(report.skipped)} skipped")
    for withdrawn in report.withdrawn:
        typer.echo(f"  withdrawn: {withdrawn}")
    for skipped in report.skipped:
        typer.echo(f"  skipped: {skipped}")


@review_app.command("questions")
def review_questions(
    path: Annotated[Path, typer.Argument(help="a questions file (see references/questions.toml)")],
    as_user: AsUser = None,
) -> None:
    """Seed open research questions from a file (new ones only)."""
    source = review.read_review(path)
    with _write(as_user) as (session, actor):
        report = review.load_questions(session, actor, source)
    typer.echo(f"{path}: {report.questions_added} questions added")


question_app = _commands("Change one open question.")
app.add_typer(question_app, name="question")


@question_app.command("add")
def question_add(
    slug: str,
    title: Annotated[str, typer.Option(help="the question")],
    description: str = "",
    priority: Priority = Priority.MEDIUM,
    claim: Annotated[list[int] | None, typer.Option(
        min=1, max=MAX_ID, help="claim it comes from (repeat)")] = None,
    document: DocumentOpt = None,
    as_user: AsUser = None,
) -> None:
    """Add an open research question (editors)."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        info = questions_service.add_question(session, actor, doc.id, slug, title,
                                              description=description, priority=priority,
                                              claim_ids=claim or [])
    typer.echo(f"question #{info.id} {info.slug} added")


@question_app.command("set")
def question_set(
    slug: str,
    status: Annotated[QuestionStatus | None, typer.Option()] = None,
    priority: Annotated[Priority | None, typer.Option()] = None,
    document: DocumentOpt = None,
    as_user: AsUser = None,
) -> None:
    """Change a question's status or priority (editors)."""
    with _write(as_user) as (session, actor):
        question = _question(session, document, slug)
        info = questions_service.update_question(session, actor, question.id, status=status,
                                                 priority=priority)
    typer.echo(f"{info.slug}: {info.status}, {info.priority} priority")


@question_app.command("address")
def question_address(
    slug: str,
    citation_key: str,
    note: Annotated[str, typer.Option(help="how it addresses the question")] = "",
    document: DocumentOpt = None,
    as_user: AsUser = None,
) -> None:
    """Record that a citation addresses an open question (reviewers)."""
    with _write(as_user) as (session, actor):
        question = _question(session, document, slug)
        citation = citations.citation_by_key(session, citation_key)
        added = questions_service.address_question(session, actor, question.id, citation.id,
                                                   note)
    typer.echo(f"{citation_key} {'now addresses' if added else 'already addressed'} {slug}")


def _question(session: Session, document: str | None, slug: str) -> OpenQuestion:
    """The open question `slug` of the document (the default one when not named)."""
    doc = queries.resolve_document(session, document)
    return questions_service.question_by_slug(session, doc.id, slug)
