"""Writing a workload into a database: bulk inserts in one transaction, then a check that
the stored grades are the product's (`check_grades`); `create` does it all for a size."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from tracker import db
from tracker.models import Base, Claim, StatusChange
from tracker.services import evidence as evidence_service

from .generator import Size, Workload
from .workload import build

CHUNK = 5000

TABLE_ORDER = ("users", "documents", "sections", "claims", "resources", "citations",
               "citation_topics", "evidence_links", "flags", "open_questions",
               "question_claims", "question_evidence", "status_changes", "audit_events")


def _chunks(rows: Sequence[dict[str, Any]], size: int = CHUNK
            ) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def write(engine: Engine, work: Workload, progress: Callable[[str], None] | None = None) -> None:
    """Bulk-insert every table in one transaction (Core executemany, in chunks); on PostgreSQL
    then move the id sequences past the explicit ids and VACUUM ANALYZE (as autovacuum would)."""
    with engine.begin() as conn:
        for name in TABLE_ORDER:
            rows = work.tables.get(name, [])
            if not rows:
                continue
            started = time.perf_counter()
            table = Base.metadata.tables[name]
            for chunk in _chunks(rows):
                conn.execute(insert(table), list(chunk))
            if progress:
                progress(f"  wrote {len(rows):>7,} {name} in "
                         f"{time.perf_counter() - started:.1f} s")
        if not db.is_sqlite(engine):
            for name in TABLE_ORDER:
                if "id" in Base.metadata.tables[name].c:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {name}))")
    if not db.is_sqlite(engine):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def check_grades(engine: Engine, sample: int = 300, seed: int = 0) -> int:
    """Regrade a sample of claims through the service layer and assert that nothing changes
    (the stored grade is the product's); rolled back. Returns the number checked."""
    columns = (Claim.id, Claim.status, Claim.certainty, Claim.standing, Claim.explanation,
               Claim.requirement, Claim.track)

    def stored(session: Session) -> tuple[set[tuple[Any, ...]], int]:
        history = session.scalar(select(func.count()).select_from(StatusChange))
        return {tuple(r) for r in session.execute(select(*columns))}, int(history or 0)

    with Session(engine) as session, session.begin():
        ids = list(session.scalars(select(Claim.id).where(Claim.retired.is_(False))))
        chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
        before, history = stored(session)
        evidence_service.regrade(session, chosen)  # flushes what it changes
        after, history_after = stored(session)
        session.rollback()
    if before != after or history != history_after:
        wrong = sorted(after - before)[:3]
        raise AssertionError(f"stored grades differ from the product's: {wrong} "
                             f"({history_after - history} status changes added)")
    return len(chosen)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar() or 0)
                for name in TABLE_ORDER}


def create(url: str, size: Size, *, seed: int = 1,
           progress: Callable[[str], None] | None = print) -> dict[str, Any]:
    """Migrate the (empty) database at `url`, generate and write the workload, check a sample
    of grades. Returns what was built and how long each step took."""
    engine = db.make_engine(url)
    try:
        started = time.perf_counter()
        db.migrate(engine)
        with engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM claims")).scalar():
                raise SystemExit(f"{url}: the database already holds claims; use an empty one")
        generated = time.perf_counter()
        work = build(size, seed=seed, progress=progress)
        generate_s = time.perf_counter() - generated
        written = time.perf_counter()
        write(engine, work, progress)
        write_s = time.perf_counter() - written
        checked = check_grades(engine)
        total = time.perf_counter() - started
        rows = counts(engine)
    finally:
        engine.dispose()
    if progress:
        progress(f"  checked {checked} stored grades against the service layer: identical")
    return {"size": size.name, "seed": seed, "rows": rows, "facts": work.facts,
            "generate_s": round(generate_s, 2), "write_s": round(write_s, 2),
            "total_s": round(total, 2)}
