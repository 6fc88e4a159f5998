#!/usr/bin/env python3
"""The query plans of the dashboard's and the CLI's reads, on a benchmark database.

    .venv/bin/python benchmarks/explain.py --url sqlite:///var/bench/L-<checksum>.db [READ ...]

For each read of `tracker.queries` (on the largest document) it prints every SQL statement the
read issues, the database's plan for it — `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN (ANALYZE,
COSTS OFF)` on PostgreSQL — and the statement's median time over 5 runs. benchmarks/NOTES.md
keeps this output from before and after the indexes of migration 0004.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text

from tracker import db, queries

READS: dict[str, Callable[[Any, int], object]] = {
    "coverage": lambda s, d: queries.coverage(s, d),
    "coverage_by_section": lambda s, d: queries.coverage_by_section(s, d),
    "coverage_over_time": lambda s, d: queries.coverage_over_time(s, d),
    "queue_size": lambda s, d: queries.queue_size(s, d),
    "queue": lambda s, d: queries.queue(s, d, limit=50),
    "open_flag_kinds": lambda s, d: queries.open_flag_kinds(s, document_id=d),
    "flags_open": lambda s, d: queries.flags(s, queries.FlagFilter(d, "open"), limit=500),
    "documents": lambda s, d: queries.documents(s),
    "gap_map": lambda s, d: queries.gap_map(s, document_id=d),
    "gap_map_library": lambda s, d: queries.gap_map(s),
    "citations": lambda s, d: queries.citations(s, limit=25),
}
SKIP = ("BEGIN", "COMMIT", "ROLLBACK", "SELECT 1", "select pg_", "SELECT pg_")


def largest_document(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT document_id FROM claims GROUP BY document_id "
            "ORDER BY count(*) DESC, document_id LIMIT 1")).scalar_one())


def statements_of(engine: Any, read: Callable[[Any, int], object], document: int
                  ) -> list[tuple[str, Any]]:
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        if not statement.lstrip().startswith(SKIP):
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with db.reading(engine) as session:
            read(session, document)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return captured


def plan(engine: Any, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        if db.is_sqlite(engine):  # rows: (id, parent, -, detail); indent by depth
            depth: dict[int, int] = {0: -1}
            lines = []
            for ident, parent, _, detail in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters):
                depth[ident] = depth.get(parent, -1) + 1
                lines.append("  " * depth[ident] + str(detail))
            return lines
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
        return [str(r[0]) for r in rows]


def timed(engine: Any, statement: str, parameters: Any, runs: int = 5) -> float:
    samples = []
    with engine.connect() as conn:
        for _ in range(runs):
            start = time.perf_counter()
            conn.exec_driver_sql(statement, parameters).fetchall()
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("reads", nargs="*", choices=[[], *READS], default=[])
    args = parser.parse_args()
    engine = db.make_engine(args.url)
    document = largest_document(engine)
    print(f"{engine.dialect.name}, document {document}")
    for name in args.reads or list(READS):
        print(f"\n### {name}")
        for statement, parameters in statements_of(engine, READS[name], document):
            print("    " + " ".join(statement.split())[:240] + (" …" if len(statement) > 240
                                                                  else ""))
            for line in plan(engine, statement, parameters):
                print("      " + line)
            print(f"      -- {timed(engine, statement, parameters) * 1000:.2f} ms "
                  "(median of 5)")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
