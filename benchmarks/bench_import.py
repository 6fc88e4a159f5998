#!/usr/bin/env python3
"""BibTeX import against the floor: bibtexparser parsing the same text, measured in the same run.

    .venv/bin/python benchmarks/bench_import.py [FILE.bib ...] [--runs 5] [--postgres URL]

For each file it prints, as medians of --runs runs (each run parses, imports and re-imports in
turn, so a busy machine slows the floor and the import alike; the ratios are the medians of
the runs' own ratios):
  parse     bibtexparser.parse_string(text) alone (default parse stack) — the floor
  import    tracker's full import (parse, normalise, dedupe, bulk insert, commit) into an empty,
            migrated database
  reimport  the same file again into that database (every entry a duplicate: nothing written)
and each ratio with PASS or MISS against its target (`TARGETS`: first import within 1.3x on
SQLite and 1.5x on PostgreSQL; re-import within 1.3x on SQLite and 1.1x on PostgreSQL). Peak
RSS of the process is printed at the end. Default file: ../shared/corpora/rfcbib/rfc.bib
(8,639 entries), if present.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import bibtexparser
from sqlalchemy import create_engine, text

from tracker import bibtex, db
from tracker.config import load_settings
from tracker.services import citations
from tracker.services.access import system_actor

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "rfcbib" / "rfc.bib"
#: The ratio to bibtexparser's bare parse each import may take, by backend (issue 20).
TARGETS = {"sqlite": {"import": 1.3, "reimport": 1.3},
           "postgresql": {"import": 1.5, "reimport": 1.1}}


def verdict(backend: str, which: str, ratio: float) -> str:
    """PASS or MISS of an import (`which`: "import" or "reimport") against its target."""
    return "PASS" if ratio <= TARGETS[backend][which] else "MISS"


def paired_runs(content: str, urls: Sequence[str], source: str
                ) -> list[tuple[float, float, float, int]]:
    """For each database: (bare parse, import, re-import seconds, entries added), the parse
    timed right before its import."""
    runs = []
    for url in urls:
        parse = timed(lambda: bibtexparser.parse_string(content))
        first, again, added = import_once(url, source, content)
        runs.append((parse, first, again, added))
    return runs


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def fresh_database(backend: str, workdir: Path, postgres: str | None, n: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'bench{n}.db'}"
    assert postgres is not None
    name = f"tracker_bench_{n}"
    admin = create_engine(db.parse_url(postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return db.parse_url(postgres).set(database=name).render_as_string(hide_password=False)


def drop_databases(postgres: str | None, n: int) -> None:
    """Remove the PostgreSQL databases `fresh_database` made (numbers 0 to n - 1)."""
    if postgres is None:
        return
    admin = create_engine(db.parse_url(postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for i in range(n):
            conn.execute(text(f'DROP DATABASE IF EXISTS "tracker_bench_{i}" WITH (FORCE)'))
    admin.dispose()


def import_once(url: str, source: str, content: str) -> tuple[float, float, int]:
    """(import seconds, re-import seconds, entries added) on the empty database at `url`."""
    engine = db.make_engine(url)
    db.migrate(engine)
    with db.writing(engine) as session:
        system_actor(session)

    def run() -> citations.ImportReport:
        with db.writing(engine) as session:
            return citations.import_bibtex(session, system_actor(session), [(source, content)])

    start = time.perf_counter()
    first = run()
    first_time = time.perf_counter() - start
    start = time.perf_counter()
    second = run()
    second_time = time.perf_counter() - start
    assert not second.added and not second.merged, "re-import must change nothing"
    engine.dispose()
    return first_time, second_time, len(first.added)


def bench(path: Path, runs: int, postgres: str | None) -> list[str]:
    content, encoding = bibtex.read_bib_file(path)
    lines = [f"{path.name}: {len(content):,} characters ({encoding})"]
    backends = ["sqlite"] + (["postgresql"] if postgres else [])
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            results = paired_runs(content, [fresh_database(backend, Path(tmp), postgres, n)
                                            for n in range(runs)], path.name)
            if backend == "postgresql":
                drop_databases(postgres, runs)
            parse = statistics.median(r[0] for r in results)
            for which, index in (("import", 1), ("reimport", 2)):
                took = statistics.median(r[index] for r in results)
                ratio = statistics.median(r[index] / r[0] for r in results)
                what = (f"import {results[0][3]:,} entries" if which == "import"
                        else "re-import (all dupes)")
                lines.append(f"  [{backend}] {what:<24} {took:8.3f} s  (parse {parse:.3f} s)  "
                             f"ratio {ratio:5.2f}x  target {TARGETS[backend][which]}x  "
                             f"{verdict(backend, which, ratio)}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default=load_settings().test_postgres_url,
                        help="PostgreSQL admin URL (default: TRACKER_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    files = args.files or ([DEFAULT] if DEFAULT.exists() else [])
    if not files:
        print("give a BibTeX file (the default corpus file is not present)", file=sys.stderr)
        return 2
    for path in files:
        for line in bench(path, args.runs, args.postgres):
            print(line, flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
