"""Benchmark 1: each coverage and queue read of `tracker.queries`, called as the dashboard and
the CLI call it (in its own read session), against hand-written SQL computing the same
numbers on the same database; the answers are checked equal. Target: within 2x."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from desks import Built, largest_document, say
from timing import paired

from tracker import db, queries

QUERY_TARGET = 2.0
WEAK = "(" + ", ".join(f"'{s}'" for s in queries.QUEUE_STATUSES) + ")"
WEAKEST_FIRST = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(queries.QUEUE_STATUSES))
GRADED = "NOT c.retired AND c.parent_id IS NULL"


def _status_sums(column: str = "c.status") -> str:
    return ", ".join(f"sum(CASE WHEN {column} = '{s}' THEN 1 ELSE 0 END)"
                     for s in queries.STATUSES)


@dataclass(frozen=True, slots=True)
class QueryCase:
    """A read of tracker.queries and hand-written SQL that computes the same answer."""

    name: str
    scope: str
    ours: Callable[[Any], Any]  # session -> the function's result, normalised
    sql: str
    floor: Callable[[list[Any]], Any]  # fetched rows -> the same normalised answer


def _coverage_norm(c: queries.Coverage) -> tuple[Any, ...]:
    return (c.claims, tuple(c.by_status[s] for s in queries.STATUSES),
            tuple(c.by_certainty[k] for k in (*queries.CERTAINTIES, "none")),
            tuple(c.by_standing[k] for k in queries.STANDINGS), c.open_flags, c.signed_off)


def _coverage_sql(where: str) -> str:
    certainties = ", ".join(f"sum(CASE WHEN c.certainty = '{k}' THEN 1 ELSE 0 END)"
                            for k in queries.CERTAINTIES)
    flag_where = where.replace("c.", "c2.").replace("NOT c2.retired AND c2.parent_id IS NULL",
                                                    "NOT c2.retired")
    standings = ", ".join(f"sum(CASE WHEN c.standing = '{k}' THEN 1 ELSE 0 END)"
                          for k in queries.STANDINGS)
    return (f"SELECT count(*), {_status_sums()}, {certainties}, "
            "sum(CASE WHEN c.certainty IS NULL AND c.track = 'effect' THEN 1 ELSE 0 END), "
            f"{standings}, "
            "sum(CASE WHEN c.signed_off_status = c.status THEN 1 ELSE 0 END), "
            "(SELECT count(*) FROM flags f JOIN claims c2 ON c2.id = f.claim_id "
            f"WHERE f.state = 'open' AND {flag_where}) "
            f"FROM claims c WHERE {where}")


def _coverage_floor(rows: list[Any]) -> tuple[Any, ...]:
    r = [int(v or 0) for v in rows[0]]
    statuses, certainties = len(queries.STATUSES), len(queries.CERTAINTIES) + 1
    at = 1 + statuses + certainties
    return (r[0], tuple(r[1:1 + statuses]), tuple(r[1 + statuses:at]),
            tuple(r[at:at + len(queries.STANDINGS)]), r[-1], r[-2])


def _rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [tuple(int(v) if isinstance(v, int | Decimal) else v for v in r) for r in rows]


def _coverage_rows(rows: list[queries.CoverageRow]) -> list[tuple[Any, ...]]:
    return [(r.group, r.total, *(r.count(s) for s in queries.STATUSES))
            for r in rows]


def _claim_ids(rows: list[queries.ClaimRow]) -> list[int]:
    return [r.id for r in rows]


def _dt_literal(moment: datetime, backend: str) -> str:
    if backend == "sqlite":  # how SQLAlchemy stores a DateTime in SQLite
        return "'" + moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + "'"
    return f"'{moment.isoformat()}'"


WEAK_ROWS = ("SELECT c.id, d.slug, s.path_key, c.text, c.category, c.ordinal, c.incomplete, "
             "c.restates_id, c.parent_id, c.retired, c.status, c.certainty, c.standing, "
             "c.track, c.explanation, c.version FROM claims c "
             "JOIN documents d ON d.id = c.document_id "
             "LEFT JOIN sections s ON s.id = c.section_id{same} WHERE {where} "
             f"AND c.status IN {WEAK} AND NOT EXISTS (SELECT 1 FROM flags f WHERE "
             "f.claim_id = c.id AND f.state = 'open') ORDER BY CASE c.status "
             + WEAKEST_FIRST + " END, d.id, c.ordinal {limit}")
QUEUE_COUNT = ("SELECT count(*) FROM claims c WHERE {where} AND c.status IN " + WEAK
               + " AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.claim_id = c.id AND "
               "f.state = 'open')")
BY_CATEGORY = (f"SELECT c.category, count(*), {_status_sums()} FROM claims c "
               "WHERE {where} GROUP BY c.category ORDER BY c.category")


def _flag_sql(now: datetime, backend: str) -> str:
    """Flags per kind and state, and open ones older than a week and a month ({where}: a
    join and condition, or nothing)."""
    week = _dt_literal(now - timedelta(days=7), backend)
    month = _dt_literal(now - timedelta(days=30), backend)
    return ("SELECT f.kind, " + ", ".join(
        f"sum(CASE WHEN f.state = '{s}' THEN 1 ELSE 0 END)" for s in
        ("open", "resolved", "dismissed")) +
        f", sum(CASE WHEN f.state = 'open' AND f.raised_at < {week} THEN 1 ELSE 0 END)"
        f", sum(CASE WHEN f.state = 'open' AND f.raised_at < {month} THEN 1 ELSE 0 END) "
        "FROM flags f {where} GROUP BY f.kind ORDER BY f.kind")


def _by_section_sql(document: int, doc: str, same: str) -> str:
    """Claims per top-level section of the document, by status."""
    return (
        "SELECT coalesce(t.title, '(introduction)'), count(*), "
        + _status_sums() + f" FROM claims c LEFT JOIN sections s ON s.id = c.section_id{same} "
        f"LEFT JOIN sections t ON t.id = coalesce(s.parent_id, s.id) AND t.document_id = "
        f"{document} WHERE {doc} GROUP BY t.id, t.title ORDER BY min(coalesce(t.ordinal, -1))")


def _over_time_sql(document: int) -> str:
    """Claims per status at the end of each day a status moved, from the history."""
    changes = ("FROM status_changes sc JOIN claims c ON c.id = sc.claim_id "
               f"AND c.document_id = {document} "
               f"WHERE sc.document_id = {document} AND c.parent_id IS NULL")
    return (
        f"WITH moves AS (SELECT date(sc.at) AS day, sc.to_status AS status, 1 AS delta {changes}"
        f" AND sc.to_status IS NOT NULL UNION ALL SELECT date(sc.at), sc.from_status, -1"
        f" {changes} AND sc.from_status IS NOT NULL),"
        " per_day AS (SELECT day, status, sum(delta) AS delta FROM moves GROUP BY day, status)"
        " SELECT day, status, sum(delta) OVER (PARTITION BY status ORDER BY day) FROM per_day"
        " ORDER BY day, status")


def _flag_norm(rows: list[queries.FlagSummary]) -> list[tuple[Any, ...]]:
    return [(r.kind, r.open, r.resolved, r.dismissed, r.open_over_7_days,
             r.open_over_30_days) for r in rows]


def query_cases(document: int, backend: str, now: datetime) -> list[QueryCase]:
    """Each read, per document (the given one) and for the whole desk where it takes no
    document, with its hand-written SQL."""
    doc = f"c.document_id = {document} AND {GRADED}"
    desk = GRADED
    weak_rows, queue_count, by_category = WEAK_ROWS, QUEUE_COUNT, BY_CATEGORY
    flag_sql = _flag_sql(now, backend)
    # The floors get the same hints as our queries (the sections and claims of one document),
    # so each is the best plain SQL we know for the numbers, not a straw man.
    same = f" AND s.document_id = {document}"
    by_section = _by_section_sql(document, doc, same)
    over_time = _over_time_sql(document)
    by_status, flag_norm = _coverage_rows, _flag_norm
    d = document
    return [
        QueryCase("coverage (status, certainty, flags, sign-off)", "document",
                  lambda s: _coverage_norm(queries.coverage(s, d)), _coverage_sql(doc),
                  _coverage_floor),
        QueryCase("coverage (status, certainty, flags, sign-off)", "desk",
                  lambda s: _coverage_norm(queries.coverage(s)), _coverage_sql(desk),
                  _coverage_floor),
        QueryCase("coverage_by_section", "document",
                  lambda s: by_status(queries.coverage_by_section(s, d)), by_section, _rows),
        QueryCase("coverage_by_category", "document",
                  lambda s: by_status(queries.coverage_by_category(s, d)),
                  by_category.format(where=doc), _rows),
        QueryCase("coverage_by_category", "desk",
                  lambda s: by_status(queries.coverage_by_category(s)),
                  by_category.format(where=desk), _rows),
        QueryCase("coverage_over_time", "document",
                  lambda s: [(p.day, p.status, p.claims)
                             for p in queries.coverage_over_time(s, d)], over_time,
                  lambda rows: [(str(r[0]), r[1], int(r[2])) for r in rows]),
        QueryCase("flag_summary", "document",
                  lambda s: flag_norm(queries.flag_summary(s, d, now=now)),
                  flag_sql.format(where="JOIN claims c ON c.id = f.claim_id "
                                        f"WHERE c.document_id = {d}"), _rows),
        QueryCase("flag_summary", "desk",
                  lambda s: flag_norm(queries.flag_summary(s, now=now)),
                  flag_sql.format(where=""), _rows),
        QueryCase("queue_size", "document", lambda s: queries.queue_size(s, d),
                  queue_count.format(where=doc), lambda rows: int(rows[0][0])),
        QueryCase("queue_size", "desk", lambda s: queries.queue_size(s),
                  queue_count.format(where=desk), lambda rows: int(rows[0][0])),
        QueryCase("queue, first page of 50", "document",
                  lambda s: _claim_ids(queries.queue(s, d, limit=50)),
                  weak_rows.format(where=doc, same=same, limit="LIMIT 50"),
                  lambda rows: [r[0] for r in rows]),
        QueryCase("queue, first page of 50", "desk",
                  lambda s: _claim_ids(queries.queue(s, limit=50)),
                  weak_rows.format(where=desk, same="", limit="LIMIT 50"),
                  lambda rows: [r[0] for r in rows]),
        QueryCase("queue, in full (CLI)", "document", lambda s: _claim_ids(queries.queue(s, d)),
                  weak_rows.format(where=doc, same=same, limit=""),
                  lambda rows: [r[0] for r in rows]),
    ]



def bench(built: Built, runs: int) -> list[dict[str, Any]]:
    engine = db.make_engine(built.url)
    document, _ = largest_document(engine)
    now = datetime.now(UTC).replace(microsecond=0)
    results = []
    for case in query_cases(document, built.backend, now):
        def ours(case: QueryCase = case) -> Any:
            with db.reading(engine) as session:
                return case.ours(session)

        def floor(case: QueryCase = case) -> Any:
            with engine.connect() as conn:
                return case.floor(list(conn.exec_driver_sql(case.sql).fetchall()))

        mine, theirs = ours(), floor()
        if mine != theirs:
            raise AssertionError(f"{case.name} ({case.scope}) disagrees with its SQL:\n"
                                 f"  ours:  {str(mine)[:300]}\n  floor: {str(theirs)[:300]}")
        ours_s, floor_s = paired(ours, floor, runs)
        ratio = ours_s / floor_s
        results.append({"size": built.size, "backend": built.backend, "query": case.name,
                        "scope": case.scope, "ours_ms": ours_s * 1000,
                        "floor_ms": floor_s * 1000, "ratio": ratio,
                        "verdict": "PASS" if ratio <= QUERY_TARGET else "MISS"})
        say(f"  {case.name:<48} {case.scope:<8} ours {ours_s * 1000:8.2f} ms  "
            f"SQL {floor_s * 1000:8.2f} ms  {ratio:5.2f}x  "
            f"{results[-1]['verdict']} (target {QUERY_TARGET}x)")
    engine.dispose()
    return results

