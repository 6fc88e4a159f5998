"""Set-up: bring the schema up to date and load what the product ships into an empty database:
the article, its listed resources, the curated library, the open questions and the first review,
then the example articles of `references/examples/` (ingested, not reviewed). `--empty` loads
the article and its listed resources only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tracker import bibtex, shipped
from tracker.db import migrate, writing
from tracker.errors import InvalidInput
from tracker.models import Document, User
from tracker.services import appraisals, articles, citations, review
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import Role

REFERENCES = shipped.folder("references")
ARTICLE_FILE = "ketamine-therapy-for-pain-management.txt"
LIBRARY_FILE = "library.bib"
QUESTIONS_FILE = "questions.toml"
REVIEW_FILE = "review.toml"
REVIEWER = "evidence-map"  # the shipped review is attributed to this (sign-in-less) user
EXAMPLES_DIR = "examples"  # further articles shipped as examples: ingested, never reviewed


@dataclass(slots=True)
class BootstrapReport:
    loaded: bool
    steps: list[str] = field(default_factory=list)


def upgrade(engine: Engine) -> int:
    """Bring the schema to head, then regrade the claims graded under older grading rules in
    one write transaction; returns how many were regraded (`tracker init`, after a restore).
    A schema change is its own transaction (`db.migrate`), so set-up is two: this procedure
    and `bootstrap` compose them; the writes are `regrade_stale` and `load_shipped`."""
    migrate(engine)
    with writing(engine) as session:
        return regrade_stale(session)


def bootstrap(
    engine: Engine, *, empty: bool = False, examples: bool = False,
    references: Path = REFERENCES
) -> BootstrapReport:
    """Initialise or upgrade the schema, then, in one write transaction, regrade what older
    rules graded and load what the product ships (`load_shipped`)."""
    migrate(engine)
    with writing(engine) as session:
        regraded = regrade_stale(session)
        report = load_shipped(session, empty=empty, examples=examples, references=references)
    if regraded:
        report.steps.append(f"{regraded} claims regraded under the current grading rules")
    return report


def regrade_stale(session: Session) -> int:
    """Regrade, as the system, the claims graded under older grading rules; how many."""
    return appraisals.regrade_stale(session, system_actor(session))


def load_shipped(
    session: Session, *, empty: bool = False, examples: bool = False,
    references: Path = REFERENCES
) -> BootstrapReport:
    """Into an empty database, load the shipped article and, unless `empty`, the library, the
    open questions and the first review; with `examples`, the example articles too
    (`references/examples/*.md`, unreviewed). Idempotent: a database that already holds a
    document is left as it is. The caller's transaction (`db.writing`) commits it."""
    if session.scalar(select(func.count()).select_from(Document)):
        return BootstrapReport(loaded=False,
                               steps=["database already holds documents; nothing loaded"])
    system = system_actor(session)
    report = BootstrapReport(loaded=True)
    ingest = articles.ingest(session, system, articles.read_article(references / ARTICLE_FILE))
    report.steps.append(f"article: {ingest.claims} claims in {ingest.sections} sections")
    books = citations.register_resources(session, system, ingest.document_id)
    report.steps.append(f"listed resources: {len(books)} unverified book citations")
    if empty:
        return report
    text, _ = bibtex.read_bib_file(references / LIBRARY_FILE)
    imported = citations.import_bibtex(session, system, [(LIBRARY_FILE, text)], strict=True)
    if imported.problems:
        raise InvalidInput(f"shipped {LIBRARY_FILE} has problems: {imported.problems[0]}")
    report.steps.append(f"library: {len(imported.added)} citations")
    asked = review.load_questions(session, system, references / QUESTIONS_FILE)
    report.steps.append(f"open questions: {asked.questions_added}")
    loaded = review.load_review(session, _reviewer(session), references / REVIEW_FILE)
    report.steps.append(
        f"review: {loaded.links_added} evidence links, {loaded.splits} split sentences, "
        f"{loaded.flags_raised} flags, {loaded.question_evidence} question evidence, "
        f"{loaded.to_check} candidates to check")
    if not examples:
        return report
    for path in sorted((references / EXAMPLES_DIR).glob("*.md")):
        example = articles.ingest(session, system, articles.read_article(path))
        report.steps.append(f"example {example.slug}: {example.claims} claims in "
                            f"{example.sections} sections (not reviewed)")
    return report


def _reviewer(session: Session) -> Actor:
    """The user the shipped review is attributed to (an editor without a password)."""
    user = session.scalar(select(User).where(User.username == REVIEWER))
    if user is None:
        user = User(username=REVIEWER, display_name="First review (curated evidence map)",
                    role=Role.EDITOR.value)
        session.add(user)
        session.flush()
    return Actor.of(user)
