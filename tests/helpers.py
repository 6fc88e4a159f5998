"""What several test modules do to a database: import BibTeX as one use case, and take a
snapshot of its rows to show that something changed nothing (tests/helpers_dashboard.py has
the dashboard's start-up under AppTest)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, select

from tracker import db
from tracker.models import Base
from tracker.services import citations
from tracker.services.access import Actor, system_actor


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
