"""Set-up: bring the schema up to date and load what the product ships into an empty database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select

from tracker.db import ROOT, migrate, writing
from tracker.models import Document
from tracker.services import articles
from tracker.services.access import system_actor

REFERENCES = ROOT / "references"
SHIPPED_ARTICLE = REFERENCES / "ketamine-therapy-for-pain-management.txt"


@dataclass(slots=True)
class BootstrapReport:
    loaded: bool
    steps: list[str] = field(default_factory=list)


def bootstrap(
    engine: Engine, *, empty: bool = False, references: Path = REFERENCES
) -> BootstrapReport:
    """Initialise or upgrade the schema; into an empty database, load the shipped article
    (and, unless `empty`, the rest of what the product ships). Idempotent."""
    migrate(engine)
    with writing(engine) as session:
        if session.scalar(select(func.count()).select_from(Document)):
            return BootstrapReport(loaded=False, steps=["database already holds documents"])
        actor = system_actor(session)
        source = articles.read_article(references / SHIPPED_ARTICLE.name)
        ingest = articles.ingest(session, actor, source)
        report = BootstrapReport(loaded=True)
        report.steps.append(f"article: {ingest.claims} claims in {ingest.sections} sections")
    return report
