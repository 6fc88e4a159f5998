#!/usr/bin/env python3
"""Every benchmark in one command: our cost against a floor measured in the same run, at sizes
S, M and L, on SQLite and (with --postgres) on PostgreSQL.

    .venv/bin/python benchmarks/run.py [--sizes S,M,L] [--postgres URL] [--runs 5]
                                       [--only queries,pages,import,memory,cli] [--rebuild]

1. queries  Each coverage and queue read of `tracker.queries`, called as the dashboard and the
            CLI call it (in its own read session), against hand-written SQL computing the same
            numbers (`connection.exec_driver_sql`) on the same database; the answers are checked
            equal. Per document (the largest, as the dashboard reads) and, where the function
            takes no document, for the whole desk. Target: within 2x.
2. pages    Each dashboard page's full server-side run (`AppTest.run()`), as an editor on the
            largest document: cold (st.cache_data cleared first, as after any write) and warm
            (cached), minus an empty page run the same way in the same process ("our own
            time"). Target: under 1 s at L on SQLite; PostgreSQL stated too.
3. import   BibTeX import of a synthetic 50,000-entry library (`bench_import.import_once`: import,
            then re-import of the same file) against bibtexparser's bare parse of it; and where
            the import's time goes, phase by phase; each run's parse is timed right before
            its import. Targets (`bench_import.TARGETS`): first import within 1.3x on SQLite
            and 1.5x on PostgreSQL, re-import within 1.3x and 1.1x.
4. memory   Peak RSS of the import and of a run of every page at the largest size, each in a
            child process, next to a child doing only the floor (bare parse; empty page).
            Target: the import within 1.3x the bare parse's.
5. cli      Whole commands as processes (`bench_cli.py`): `tracker import-bib rfc.bib` on a
            fresh SQLite database against `bibtexparser.parse_file` in a process of its own
            (target 1.6x), `tracker claims --json` against `import sqlalchemy.orm, typer`
            (target 1.3x).

Databases are built by `benchmarks/synth/` and reused: `var/bench/<size>-<checksum>.db` and
PostgreSQL databases `tracker_bench_<size>_<checksum>`, the checksum covering the generator, the
schema, the migrations and the grading code (stale ones are removed when rebuilt). Timings are
medians of --runs runs (the VM this was written on has CPU steal: medians, not means). Results
are also written to `var/bench/results-<timestamp>.json`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import bench_cli
import bench_import
import bibtexparser
import synth
from sqlalchemy import Engine, create_engine, func, select, text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tracker import bibtex, db, queries  # noqa: E402
from tracker.config import load_settings  # noqa: E402
from tracker.models import Claim, Document, User  # noqa: E402
from tracker.services import citations  # noqa: E402
from tracker.services.access import Actor  # noqa: E402
from tracker.vocabulary import Role  # noqa: E402

BENCH = ROOT / "var" / "bench"
APP = ROOT / "dashboard" / "app.py"
PAGES = ("overview", "article", "claims", "questions", "evidence", "queue", "export")
EMPTY_PAGE = "import streamlit as st\n\nst.title('Empty page')\nst.caption('Nothing here.')\n"
QUERY_TARGET = 2.0
PAGE_TARGET_S = 1.0
IMPORT_TARGET = 1.3  # results files before issue 20: one target for every backend
MEMORY_TARGET = 1.3  # the import's peak RSS against the bare parse's
IMPORT_ENTRIES = 50_000
CHECKSUMMED = ("benchmarks/synth", "tracker/models", "tracker/grading", "tracker/article/parse",
               "tracker/topics", "tracker/bibtex", "tracker/finder/index")  # module or package


def say(line: str = "") -> None:
    print(line, flush=True)


# --- databases -------------------------------------------------------------------------------


def checksum(size: str, seed: int, *, schema: bool = True) -> str:
    """What decides a built file's content: the generator and, for a database, the schema,
    the migrations and the rules that derive stored values."""
    digest = hashlib.sha256(f"{size}:{seed}".encode())
    files = [f for name in (CHECKSUMMED if schema else CHECKSUMMED[:1]) for f in _sources(name)]
    if schema:
        files += sorted((ROOT / "migrations" / "versions").glob("*.py"))
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _sources(name: str) -> list[Path]:
    """The file of module `name` (a path without .py), or every .py file of the package."""
    module = ROOT / f"{name}.py"
    return [module] if module.is_file() else sorted((ROOT / name).glob("*.py"))


@dataclass(slots=True)
class Built:
    size: str
    backend: str
    url: str
    summary: dict[str, Any]
    reused: bool


def _admin(postgres: str) -> Engine:
    return create_engine(db.parse_url(postgres), isolation_level="AUTOCOMMIT")


def database(size: str, backend: str, postgres: str | None, seed: int, rebuild: bool) -> Built:
    """The benchmark database of a size on a backend: reused when built for the same checksum,
    else built (and older builds of that size removed)."""
    tag = checksum(size, seed)
    sidecar = BENCH / f"{size}-{tag}.{backend}.json"
    if backend == "sqlite":
        path = BENCH / f"{size}-{tag}.db"
        url = f"sqlite:///{path}"
        exists = path.exists()
    else:
        assert postgres is not None
        name = f"tracker_bench_{size.lower()}_{tag}"
        url = db.parse_url(postgres).set(database=name).render_as_string(hide_password=False)
        admin = _admin(postgres)
        with admin.connect() as conn:
            exists = bool(conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                       {"n": name}).scalar())
        admin.dispose()
    if exists and sidecar.exists() and not rebuild:
        return Built(size, backend, url, json.loads(sidecar.read_text()), reused=True)
    say(f"building {size} on {backend} (benchmarks/synth/) …")
    _remove_builds(size, backend, postgres)
    BENCH.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        partial = BENCH / f"{size}-{tag}.partial.db"
        for leftover in BENCH.glob(f"{size}-{tag}.partial.db*"):
            leftover.unlink()
        summary = synth.create(f"sqlite:///{partial}", synth.SIZES[size], seed=seed,
                               progress=say)
        partial.rename(BENCH / f"{size}-{tag}.db")
    else:
        admin = _admin(postgres or "")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        summary = synth.create(url, synth.SIZES[size], seed=seed, progress=say)
    sidecar.write_text(json.dumps(summary, indent=2))
    say(f"built {size} on {backend} in {summary['total_s']} s "
        f"(generate {summary['generate_s']} s, write {summary['write_s']} s)")
    return Built(size, backend, url, summary, reused=False)


def _remove_builds(size: str, backend: str, postgres: str | None) -> None:
    for sidecar in BENCH.glob(f"{size}-*.{backend}.json"):
        sidecar.unlink()
    if backend == "sqlite":
        for old in BENCH.glob(f"{size}-*.db*"):
            old.unlink()
        return
    admin = _admin(postgres or "")
    with admin.connect() as conn:
        names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                             {"p": f"tracker_bench_{size.lower()}_%"}).scalars().all()
        for old in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
    admin.dispose()


# --- timing ----------------------------------------------------------------------------------


def _loops(fn: Callable[[], object], floor_s: float = 0.02) -> int:
    """How many calls make one sample of at least `floor_s` (timeit's autorange, smaller)."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start >= floor_s or n >= 1000:
            return n
        n *= 4


def paired(ours: Callable[[], object], floor: Callable[[], object], runs: int
           ) -> tuple[float, float]:
    """Median seconds per call of `ours` and of `floor`, sampled alternately (so both see the
    same CPU steal)."""
    ours(), floor()  # warm
    n_ours, n_floor = _loops(ours), _loops(floor)
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        for fn, n, out in ((ours, n_ours, a), (floor, n_floor, b)):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            out.append((time.perf_counter() - start) / n)
    return statistics.median(a), statistics.median(b)


# --- 1. queries against hand-written SQL -----------------------------------------------------

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


def query_cases(document: int, backend: str, now: datetime) -> list[QueryCase]:
    doc = f"c.document_id = {document} AND {GRADED}"
    desk = GRADED
    weak_rows = ("SELECT c.id, d.slug, s.path_key, c.text, c.category, c.ordinal, c.incomplete, "
                 "c.restates_id, c.parent_id, c.retired, c.status, c.certainty, c.standing, "
                 "c.track, c.explanation, c.version FROM claims c "
                 "JOIN documents d ON d.id = c.document_id "
                 "LEFT JOIN sections s ON s.id = c.section_id{same} WHERE {where} "
                 f"AND c.status IN {WEAK} AND NOT EXISTS (SELECT 1 FROM flags f WHERE "
                 "f.claim_id = c.id AND f.state = 'open') ORDER BY CASE c.status "
                 + WEAKEST_FIRST + " END, d.id, c.ordinal {limit}")
    queue_count = ("SELECT count(*) FROM claims c WHERE {where} AND c.status IN " + WEAK
                   + " AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.claim_id = c.id AND "
                   "f.state = 'open')")
    week = _dt_literal(now - timedelta(days=7), backend)
    month = _dt_literal(now - timedelta(days=30), backend)
    flag_sql = ("SELECT f.kind, " + ", ".join(
        f"sum(CASE WHEN f.state = '{s}' THEN 1 ELSE 0 END)" for s in
        ("open", "resolved", "dismissed")) +
        f", sum(CASE WHEN f.state = 'open' AND f.raised_at < {week} THEN 1 ELSE 0 END)"
        f", sum(CASE WHEN f.state = 'open' AND f.raised_at < {month} THEN 1 ELSE 0 END) "
        "FROM flags f {where} GROUP BY f.kind ORDER BY f.kind")
    by_category = (f"SELECT c.category, count(*), {_status_sums()} FROM claims c "
                   "WHERE {where} GROUP BY c.category ORDER BY c.category")
    # The floors get the same hints as our queries (the sections and claims of one document),
    # so each is the best plain SQL we know for the numbers, not a straw man.
    same = f" AND s.document_id = {document}"
    by_section = (
        "SELECT coalesce(t.title, '(introduction)'), count(*), "
        + _status_sums() + f" FROM claims c LEFT JOIN sections s ON s.id = c.section_id{same} "
        f"LEFT JOIN sections t ON t.id = coalesce(s.parent_id, s.id) AND t.document_id = "
        f"{document} WHERE {doc} GROUP BY t.id, t.title ORDER BY min(coalesce(t.ordinal, -1))")
    changes = ("FROM status_changes sc JOIN claims c ON c.id = sc.claim_id "
               f"AND c.document_id = {document} "
               f"WHERE sc.document_id = {document} AND c.parent_id IS NULL")
    over_time = (
        f"WITH moves AS (SELECT date(sc.at) AS day, sc.to_status AS status, 1 AS delta {changes}"
        f" AND sc.to_status IS NOT NULL UNION ALL SELECT date(sc.at), sc.from_status, -1"
        f" {changes} AND sc.from_status IS NOT NULL),"
        " per_day AS (SELECT day, status, sum(delta) AS delta FROM moves GROUP BY day, status)"
        " SELECT day, status, sum(delta) OVER (PARTITION BY status ORDER BY day) FROM per_day"
        " ORDER BY day, status")

    def by_status(rows: list[queries.CoverageRow]) -> list[tuple[Any, ...]]:
        return _coverage_rows(rows)

    def flag_norm(rows: list[queries.FlagSummary]) -> list[tuple[Any, ...]]:
        return [(r.kind, r.open, r.resolved, r.dismissed, r.open_over_7_days,
                 r.open_over_30_days) for r in rows]

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


def largest_document(engine: Engine) -> tuple[int, str]:
    with db.reading(engine) as session:
        row = session.execute(
            select(Document.id, Document.slug).join(Claim, Claim.document_id == Document.id)
            .group_by(Document.id, Document.slug).order_by(func.count().desc(), Document.id)
            .limit(1)).one()
    return int(row[0]), str(row[1])


def bench_queries(built: Built, runs: int) -> list[dict[str, Any]]:
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


# --- 2. dashboard pages ----------------------------------------------------------------------


@contextmanager
def database_env(url: str) -> Iterator[None]:
    before = os.environ.get("TRACKER_DATABASE_URL")
    os.environ["TRACKER_DATABASE_URL"] = url
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TRACKER_DATABASE_URL", None)
        else:
            os.environ["TRACKER_DATABASE_URL"] = before


def _quiet_streamlit() -> None:
    """No "No runtime found" warnings: the benchmark clears caches outside a script run."""
    from streamlit import config, logger

    config.set_option("logger.level", "error")
    logger.set_log_level("error")


def _clear_streamlit_caches(resources: bool = False) -> None:
    import streamlit as st

    st.cache_data.clear()
    if resources:
        st.cache_resource.clear()


def editor_of(engine: Engine) -> Actor:
    with db.reading(engine) as session:
        user = session.scalars(select(User).where(User.role == Role.EDITOR.value,
                                                  User.active.is_(True)).order_by(User.id)
                               ).first()
        assert user is not None, "the benchmark database has no editor"
        return Actor.of(user)


def _timed_run(at: Any, timeout: float = 300) -> float:
    start = time.perf_counter()
    at.run(timeout=timeout)
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"page raised: {[e.value for e in at.exception]}")
    return elapsed


def _app(url: str, slug: str, actor: Actor) -> Any:
    from streamlit.testing.v1 import AppTest

    from dashboard import ui

    at = AppTest.from_file(str(APP), default_timeout=300)
    at.session_state[ui.ACTOR_KEY] = actor
    at.session_state[ui.DOCUMENT_KEY] = slug
    at.run()
    return at


def bench_pages(built: Built, runs: int) -> list[dict[str, Any]]:
    from streamlit.testing.v1 import AppTest

    _quiet_streamlit()
    engine = db.make_engine(built.url)
    _, slug = largest_document(engine)
    actor = editor_of(engine)
    engine.dispose()
    results = []
    with database_env(built.url):
        _clear_streamlit_caches(resources=True)
        at = _app(built.url, slug, actor)
        empty = AppTest.from_string(EMPTY_PAGE, default_timeout=60)
        _timed_run(empty)
        for page in PAGES:
            at.switch_page(f"views/{page}.py")
            _timed_run(at)  # the first visit compiles the page script: not measured
            cold, warm, base = [], [], []
            for _ in range(runs):
                _clear_streamlit_caches()
                cold.append(_timed_run(at))
                base.append(_timed_run(empty))
            for _ in range(runs):
                warm.append(_timed_run(at))
                base.append(_timed_run(empty))
            floor = statistics.median(base)
            row = {"size": built.size, "backend": built.backend, "page": page,
                   "cold_s": statistics.median(cold), "warm_s": statistics.median(warm),
                   "empty_s": floor}
            row["own_cold_s"] = row["cold_s"] - floor
            row["own_warm_s"] = row["warm_s"] - floor
            row["verdict"] = ("PASS" if row["own_cold_s"] <= PAGE_TARGET_S else "MISS") \
                if built.backend == "sqlite" else "(stated)"
            results.append(row)
            say(f"  {page:<10} cold {row['cold_s']:6.3f} s  warm {row['warm_s']:6.3f} s  "
                f"empty {floor:6.3f} s  → our own time: cold {row['own_cold_s']:6.3f} s, "
                f"warm {row['own_warm_s']:6.3f} s  {row['verdict']}"
                + (f" (target {PAGE_TARGET_S} s at L)" if built.backend == "sqlite" else ""))
        _clear_streamlit_caches(resources=True)
    return results


# --- 3. BibTeX import ------------------------------------------------------------------------


def bib_file() -> Path:
    path = BENCH / f"synthetic-{IMPORT_ENTRIES}-{checksum('bib', 7, schema=False)}.bib"
    if not path.exists():
        for old in BENCH.glob(f"synthetic-{IMPORT_ENTRIES}-*.bib"):
            old.unlink()
        say(f"writing {path.relative_to(ROOT)} ({IMPORT_ENTRIES:,} synthetic entries) …")
        synth.write_bib(path, IMPORT_ENTRIES)
    return path


@dataclass(slots=True)
class Phases:
    """Seconds spent in each step of one import (wall clock, nested steps excluded)."""

    seconds: dict[str, float] = field(default_factory=dict)

    def wrap(self, owner: Any, name: str, label: str) -> Callable[[], None]:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start

        setattr(owner, name, timed)
        return lambda: setattr(owner, name, original)


def import_phases(url: str, path: Path) -> dict[str, float]:
    """One import with each step timed: split (bibtexparser), normalise, within-file dedupe,
    match against the database, topics, insert, commit."""
    from tracker.services.access import system_actor

    content, _ = bibtex.read_bib_file(path)
    phases = Phases()
    undo = [phases.wrap(bibtex, "_split", "split (bibtexparser's splitter)"),
            phases.wrap(bibtex, "_digested", "digests (SHA-256 of each entry)"),
            phases.wrap(bibtex, "_normalise_entries", "normalise (decode, validate, design)"),
            phases.wrap(bibtex, "_merge_within_file", "dedupe within the file"),
            phases.wrap(citations, "_match", "match against the database"),
            phases.wrap(citations, "_topics_of", "topics (gap-map rules)"),
            phases.wrap(citations, "_row", "rows (INSERT parameters)"),
            phases.wrap(citations, "_write", "write (rows, INSERT, topics)")]
    engine = db.make_engine(url)
    db.migrate(engine)
    try:
        start = time.perf_counter()
        session_cm = db.writing(engine)
        session = session_cm.__enter__()
        citations.import_bibtex(session, system_actor(session), [(path.name, content)])
        before_commit = time.perf_counter()
        session_cm.__exit__(None, None, None)
        phases.seconds["commit"] = time.perf_counter() - before_commit
        phases.seconds["total"] = time.perf_counter() - start
    finally:
        for restore in undo:
            restore()
        engine.dispose()
    write = phases.seconds.pop("write (rows, INSERT, topics)", 0.0)
    phases.seconds["INSERT (citations, topics)"] = write - sum(
        phases.seconds.get(k, 0.0) for k in ("topics (gap-map rules)",
                                             "rows (INSERT parameters)"))
    total = phases.seconds.pop("total")
    phases.seconds["other (report, audit)"] = total - sum(phases.seconds.values())
    phases.seconds["total"] = total
    return phases.seconds


def bench_import_file(backends: Sequence[str], postgres: str | None, runs: int
                      ) -> list[dict[str, Any]]:
    path = bib_file()
    content, _ = bibtex.read_bib_file(path)
    say(f"  {path.name}: {len(content):,} characters, {IMPORT_ENTRIES:,} entries")
    workdir = BENCH / "import"
    results = []
    for backend in backends:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        timings = bench_import.paired_runs(content, [
            bench_import.fresh_database(backend, workdir, postgres, n) for n in range(runs)],
            path.name)
        parse = statistics.median(t[0] for t in timings)
        first = statistics.median(t[1] for t in timings)
        again = statistics.median(t[2] for t in timings)
        first_ratio = statistics.median(t[1] / t[0] for t in timings)
        again_ratio = statistics.median(t[2] / t[0] for t in timings)
        phases = import_phases(bench_import.fresh_database(backend, workdir, postgres, runs),
                               path)
        row = {"backend": backend, "entries": IMPORT_ENTRIES, "added": timings[0][3],
               "parse_s": parse, "import_s": first, "reimport_s": again,
               "import_ratio": first_ratio, "reimport_ratio": again_ratio,
               "import_target": bench_import.TARGETS[backend]["import"],
               "reimport_target": bench_import.TARGETS[backend]["reimport"],
               "phases_s": phases}
        row["import_verdict"] = bench_import.verdict(backend, "import", first_ratio)
        row["reimport_verdict"] = bench_import.verdict(backend, "reimport", again_ratio)
        row["verdict"] = "PASS" if row["import_verdict"] == row["reimport_verdict"] == "PASS" \
            else "MISS"
        results.append(row)
        say(f"  [{backend}] parse {parse:6.2f} s   import {timings[0][3]:,} added {first:8.2f} s"
            f"  {first_ratio:5.2f}x {row['import_verdict']} (target {row['import_target']}x)"
            f"   re-import {again:8.2f} s  {again_ratio:5.2f}x {row['reimport_verdict']} "
            f"(target {row['reimport_target']}x)")
        say(f"  [{backend}] where one import's time goes: " + ", ".join(
            f"{k} {v:.2f} s" for k, v in phases.items()))
        _drop_import_databases(backend, postgres, runs + 2)
    shutil.rmtree(workdir, ignore_errors=True)
    return results


def _drop_import_databases(backend: str, postgres: str | None, n: int) -> None:
    if backend == "postgresql":
        bench_import.drop_databases(postgres, n)


# --- 4. memory -------------------------------------------------------------------------------


def child(kind: str, *args: str) -> dict[str, Any]:
    """Run one measurement in a fresh child process; it reports its own peak RSS."""
    done = subprocess.run([sys.executable, __file__, "--child", kind, *args], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child {kind} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_child(kind: str, args: Sequence[str]) -> None:
    start = time.perf_counter()
    if kind == "parse":
        content, _ = bibtex.read_bib_file(Path(args[0]))
        bibtexparser.parse_string(content)
    elif kind == "import":
        url, path = args
        content, _ = bibtex.read_bib_file(Path(path))
        engine = db.make_engine(url)
        db.migrate(engine)
        from tracker.services.access import system_actor

        with db.writing(engine) as session:
            citations.import_bibtex(session, system_actor(session), [(Path(path).name, content)])
        engine.dispose()
    elif kind == "empty":
        from streamlit.testing.v1 import AppTest

        _quiet_streamlit()
        AppTest.from_string(EMPTY_PAGE, default_timeout=60).run()
    elif kind == "pages":
        url, slug = args
        _quiet_streamlit()
        with database_env(url):
            engine = db.make_engine(url)
            actor = editor_of(engine)
            engine.dispose()
            at = _app(url, slug, actor)
            for page in PAGES:
                at.switch_page(f"views/{page}.py")
                _timed_run(at)
    print(json.dumps({"kind": kind, "peak_mib": peak_rss_mib(),
                      "seconds": time.perf_counter() - start}))


def peak_rss_mib() -> float:
    """This program's peak resident set since it started: VmHWM on Linux (getrusage's maxrss
    keeps the parent's peak across fork and exec, so every child would report the parent's)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_memory(builds: Sequence[Built], postgres: str | None) -> list[dict[str, Any]]:
    results = []
    path = bib_file()
    parse = child("parse", str(path))
    empty = child("empty")
    say(f"  floor: bare parse of the 50,000 entries {parse['peak_mib']:6.0f} MiB; "
        f"empty page {empty['peak_mib']:6.0f} MiB")
    workdir = BENCH / "import"
    for built in builds:
        engine = db.make_engine(built.url)
        _, slug = largest_document(engine)
        engine.dispose()
        pages = child("pages", built.url, slug)
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        target = bench_import.fresh_database(built.backend, workdir, postgres, 0)
        imported = child("import", target, str(path))
        _drop_import_databases(built.backend, postgres, 1)
        shutil.rmtree(workdir, ignore_errors=True)
        row = {"size": built.size, "backend": built.backend,
               "import_peak_mib": imported["peak_mib"], "parse_peak_mib": parse["peak_mib"],
               "pages_peak_mib": pages["peak_mib"], "empty_page_peak_mib": empty["peak_mib"]}
        results.append(row)
        say(f"  [{built.backend}] import of 50,000 entries: peak RSS {imported['peak_mib']:.0f} "
            f"MiB ({_memory(row)} the bare parse); every page "
            f"at {built.size}: peak RSS {pages['peak_mib']:.0f} MiB "
            f"({pages['peak_mib'] / empty['peak_mib']:.2f}x the empty page)")
    return results


# --- the run ---------------------------------------------------------------------------------


def summary(results: dict[str, Any]) -> None:
    say()
    say("=" * 100)
    say("SUMMARY (medians; ratios against a floor measured in the same run)")
    say("=" * 100)
    if results["queries"]:
        say("queries vs hand-written SQL (target ≤ 2x): worst ratio per size and backend")
        worst: dict[tuple[str, str], dict[str, Any]] = {}
        for r in results["queries"]:
            key = (r["size"], r["backend"])
            if key not in worst or r["ratio"] > worst[key]["ratio"]:
                worst[key] = r
        for (size, backend), r in worst.items():
            misses = sum(1 for q in results["queries"] if q["size"] == size
                         and q["backend"] == backend and q["verdict"] == "MISS")
            say(f"  {size} {backend:<10} worst {r['ratio']:5.2f}x ({r['query']}, {r['scope']})"
                f"  misses: {misses}")
    if results["pages"]:
        say("pages: our own time per page, cold / warm (target < 1 s cold at L on SQLite)")
        header = f"  {'size':<4} {'backend':<10} " + " ".join(f"{p:>14}" for p in PAGES)
        say(header)
        keys = sorted({(r["size"], r["backend"]) for r in results["pages"]},
                      key=lambda k: ("SML".index(k[0]), k[1] != "sqlite"))
        for size, backend in keys:
            cells = []
            for page in PAGES:
                [r] = [x for x in results["pages"] if x["size"] == size
                       and x["backend"] == backend and x["page"] == page]
                cells.append(f"{r['own_cold_s']:6.3f}/{r['own_warm_s']:.3f}")
            say(f"  {size:<4} {backend:<10} " + " ".join(f"{c:>14}" for c in cells))
    for r in results["import"]:
        say(f"import 50,000 entries [{r['backend']}]: {r['import_s']:.2f} s = "
            f"{r['import_ratio']:.2f}x parse {_verdict(r, 'import')} (target "
            f"{_target(r, 'import')}x), re-import {r['reimport_ratio']:.2f}x "
            f"{_verdict(r, 'reimport')} (target {_target(r, 'reimport')}x)")
    for r in results.get("cli", []):
        say(f"whole process {r['name']}: {r['ratio']:.2f}x its floor {r['verdict']} (target "
            f"{r['target']}x)")
    for r in results["memory"]:
        say(f"peak RSS [{r['backend']}]: import {r['import_peak_mib']:.0f} MiB (bare parse "
            f"{r['parse_peak_mib']:.0f}: {_memory(r)}), pages at {r['size']} "
            f"{r['pages_peak_mib']:.0f} MiB (empty page {r['empty_page_peak_mib']:.0f})")


def _target(row: dict[str, Any], which: str) -> float:
    """The import's or re-import's target (results files before issue 20 hold none)."""
    return float(row.get(f"{which}_target") or IMPORT_TARGET)


def _verdict(row: dict[str, Any], which: str) -> str:
    """PASS or MISS of the import or the re-import (results files before 2026-12-02 hold one
    verdict for both)."""
    return str(row.get(f"{which}_verdict") or (
        "PASS" if row[f"{which}_ratio"] <= _target(row, which) else "MISS"))


def _memory(row: dict[str, Any]) -> str:
    """The import's peak RSS against the bare parse's, with PASS or MISS (target 1.3x)."""
    ratio = row["import_peak_mib"] / row["parse_peak_mib"]
    return f"{ratio:.2f}x {'PASS' if ratio <= MEMORY_TARGET else 'MISS'} (target {MEMORY_TARGET}x)"


def markdown(results: dict[str, Any]) -> str:
    """The figures of a results file as Markdown tables (for NOTES.md and the README)."""
    out: list[str] = []
    keys = sorted({(r["size"], r["backend"]) for r in results["queries"] + results["pages"]},
                  key=lambda k: ("SML".index(k[0]), k[1] != "sqlite"))
    if results["queries"]:
        columns = [(r["query"], r["scope"]) for r in results["queries"]
                   if (r["size"], r["backend"]) == keys[0]]
        out.append("| read (scope) | " + " | ".join(f"{s} {b}" for s, b in keys) + " |")
        out.append("|---|" + "---:|" * len(keys))
        for query, scope in columns:
            cells = []
            for size, backend in keys:
                [r] = [x for x in results["queries"] if (x["size"], x["backend"], x["query"],
                                                         x["scope"]) == (size, backend, query,
                                                                         scope)]
                mark = "" if r["verdict"] == "PASS" else " **MISS**"
                cells.append(f"{r['ratio']:.2f}× ({r['ours_ms']:.2f} / {r['floor_ms']:.2f} ms)"
                             f"{mark}")
            out.append(f"| {query} ({scope}) | " + " | ".join(cells) + " |")
        out.append("")
    if results["pages"]:
        out.append("| page | " + " | ".join(f"{s} {b}" for s, b in keys) + " |")
        out.append("|---|" + "---:|" * len(keys))
        for page in PAGES:
            cells = []
            for size, backend in keys:
                [r] = [x for x in results["pages"] if (x["size"], x["backend"], x["page"]) ==
                       (size, backend, page)]
                cells.append(f"{r['own_cold_s']:.3f} / {r['own_warm_s']:.3f}")
            out.append(f"| {page} | " + " | ".join(cells) + " |")
        empty = statistics.median(r["empty_s"] for r in results["pages"])
        out.append(f"\nour own time in seconds, cold / warm; the empty page itself: "
                   f"{empty * 1000:.1f} ms\n")
    if results["import"]:
        out.append("| backend | parse (floor) | import | ratio (target) | re-import | ratio "
                   "(target) |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for r in results["import"]:
            out.append(f"| {r['backend']} | {r['parse_s']:.1f} s | {r['import_s']:.1f} s | "
                       f"{r['import_ratio']:.2f}× ({_target(r, 'import')}×) "
                       f"{_verdict(r, 'import')} | {r['reimport_s']:.1f} s | "
                       f"{r['reimport_ratio']:.2f}× ({_target(r, 'reimport')}×) "
                       f"{_verdict(r, 'reimport')} |")
        out.append("")
    for r in results["memory"]:
        out.append(f"- peak RSS [{r['backend']}]: import of 50,000 entries "
                   f"{r['import_peak_mib']:.0f} MiB (bare parse {r['parse_peak_mib']:.0f} MiB, "
                   f"{_memory(r)}); "
                   f"every page at {r['size']} {r['pages_peak_mib']:.0f} MiB (empty page "
                   f"{r['empty_page_peak_mib']:.0f} MiB)")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="S,M,L")
    parser.add_argument("--postgres", default=load_settings().test_postgres_url,
                        help="PostgreSQL admin URL (default: TRACKER_TEST_POSTGRES_URL); "
                             "'' for SQLite only")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--import-runs", type=int, default=3)
    parser.add_argument("--only", default="queries,pages,import,memory,cli")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the databases")
    parser.add_argument("--markdown", type=Path, metavar="RESULTS.json",
                        help="print the figures of a results file as Markdown tables, and stop")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child[0], args.child[1:])
        return 0
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return 0
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    only = set(args.only.split(","))
    BENCH.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(), "runs": args.runs,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "builds": [], "queries": [], "pages": [], "import": [], "memory": [], "cli": []}
    builds: list[Built] = []
    for size in sizes:
        for backend in backends:
            built = database(size, backend, args.postgres, args.seed, args.rebuild)
            builds.append(built)
            results["builds"].append({"size": size, "backend": backend, "reused": built.reused,
                                      **built.summary})
    for built in builds:
        say(f"\n== {built.size} on {built.backend} "
            f"({built.summary['rows']['claims']:,} claims, "
            f"{built.summary['rows']['citations']:,} citations, "
            f"{built.summary['rows']['evidence_links']:,} links; "
            f"built in {built.summary['total_s']} s{', reused' if built.reused else ''})")
        if "queries" in only:
            say("queries against hand-written SQL (per call, median of "
                f"{args.runs} samples):")
            results["queries"] += bench_queries(built, args.runs)
        if "pages" in only:
            say(f"dashboard pages (AppTest.run(), median of {args.runs}):")
            results["pages"] += bench_pages(built, args.runs)
    if "import" in only:
        say(f"\n== BibTeX import, {IMPORT_ENTRIES:,} entries (median of {args.import_runs})")
        results["import"] = bench_import_file(backends, args.postgres, args.import_runs)
    if "memory" in only:
        biggest = [b for b in builds if b.size == sizes[-1]]
        say(f"\n== peak RSS (child processes; pages at {sizes[-1]})")
        results["memory"] = bench_memory(biggest, args.postgres)
    if "cli" in only:
        say(f"\n== whole commands (processes; median of {max(args.runs, 5)})")
        results["cli"] = bench_cli.bench(max(args.runs, 5), bench_cli.DEFAULT_BIB)
    summary(results)
    out = BENCH / f"results-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    say(f"\nresults: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
