"""What several test modules do to a database: import BibTeX as one use case, and take a
snapshot of its rows to show that something changed nothing, find claims and citations, link
evidence, read the format fixtures (tests/helpers_dashboard.py has the dashboard's start-up
under AppTest)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, select

from tests.conftest import ROOT
from tracker import db, formats, queries
from tracker.models import Base
from tracker.services import citations, evidence
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import Stance

FIXTURES = ROOT / "tests" / "fixtures" / "formats"


def do_import(engine: Engine, *sources: citations.BibSource | tuple[str, str],
              actor: Actor | None = None, **options: bool) -> citations.ImportReport:
    """`citations.import_bibtex` in one write transaction, as `actor` (default: the system)."""
    with db.writing(engine) as session:
        return citations.import_bibtex(session, actor or system_actor(session), list(sources),
                                       **options)


def snapshot(engine: Engine, tables: Iterable[str] | None = None
             ) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of `tables` (default: every table of the models), in primary-key order, read
    in one transaction: "nothing changed" means this is equal before and after."""
    chosen = [Base.metadata.tables[name] for name in tables] if tables is not None else (
        Base.metadata.sorted_tables)
    with db.reading(engine) as session:
        return {table.name: [tuple(row) for row in session.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for table in chosen}


def claim_id(engine: Engine, fragment: str) -> int:
    with db.reading(engine) as session:
        [found] = [c.id for c in queries.claims(session) if fragment in c.text and not c.parent]
        return found


def cid(engine: Engine, key: str) -> int:
    with db.reading(engine) as session:
        return citations.citation_by_key(session, key).id


def link(engine: Engine, actor: Actor, claim: int, key: str, stance: Stance = Stance.SUPPORTS,
         **judgements: Any) -> evidence.LinkInfo:
    with db.writing(engine) as session:
        return evidence.link_evidence(session, actor, claim, cid(engine, key), stance,
                                      judgements=evidence.parse_judgements(judgements).onto())


def row(engine: Engine, claim: int) -> queries.ClaimRow:
    with db.reading(engine) as session:
        return queries.claim(session, claim)


def text_of(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def source(name: str, text: str | None = None) -> citations.BibSource:
    text = text_of(name) if text is None else text
    return citations.BibSource(name, text, None, formats.detect_format(name, text))
