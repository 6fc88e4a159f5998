#!/usr/bin/env python3
"""BibTeX import against the floor: bibtexparser parsing the same text, measured in the same run.

    .venv/bin/python benchmarks/bench_import.py [FILE.bib ...] [--runs 5] [--postgres URL]

For each file it prints, as medians of --runs runs:
  parse     bibtexparser.parse_string(text) alone (default parse stack) — the floor
  import    tracker's full import (parse, normalise, dedupe, bulk insert, commit) into an empty,
            migrated database
  reimport  the same file again into that database (every entry a duplicate: nothing written)
and the ratios import/parse and reimport/parse (target: within 1.3x on SQLite). Peak RSS of the
process is printed at the end. Default file: ../shared/corpora/rfcbib/rfc.bib (8,639 entries),
if present.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bibtexparser
from sqlalchemy import create_engine, text

from tracker import bibtex, db
from tracker.config import load_settings
from tracker.services import citations
from tracker.services.access import system_actor

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "rfcbib" / "rfc.bib"
TARGET = 1.3


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
    parse = statistics.median(timed(lambda: bibtexparser.parse_string(content))
                              for _ in range(runs))
    lines.append(f"  parse (bibtexparser alone)     {parse:8.3f} s")
    backends = ["sqlite"] + (["postgresql"] if postgres else [])
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            results = [import_once(fresh_database(backend, Path(tmp), postgres, n), path.name,
                                   content) for n in range(runs)]
            if backend == "postgresql":
                drop_databases(postgres, runs)
            full = statistics.median(r[0] for r in results)
            again = statistics.median(r[1] for r in results)
            added = results[0][2]
            def verdict(ratio: float, backend: str = backend) -> str:
                if backend != "sqlite":
                    return "(the target is for SQLite; stated)"
                return f"target {TARGET}x: {'meets' if ratio <= TARGET else 'MISSES'}"

            lines.append(f"  [{backend}] import {added:,} entries {full:8.3f} s  "
                         f"ratio {full / parse:5.2f}x   {verdict(full / parse)}")
            lines.append(f"  [{backend}] re-import (all dupes) {again:8.3f} s  "
                         f"ratio {again / parse:5.2f}x   {verdict(again / parse)}")
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
