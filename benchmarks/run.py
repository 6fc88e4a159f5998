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

Each benchmark is a module of its own (bench_queries.py, bench_pages.py,
bench_library_import.py, bench_memory.py, bench_cli.py); desks.py builds and finds the
databases, timing.py samples ours against the floor, report.py prints the summary and the
Markdown tables; this file parses the options and runs them in order.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench_cli
import desks

if str(desks.ROOT) not in sys.path:  # the dashboard, for the pages
    sys.path.insert(0, str(desks.ROOT))

import bench_library_import  # noqa: E402
import bench_memory  # noqa: E402
import bench_pages  # noqa: E402
import bench_queries  # noqa: E402
import report  # noqa: E402

from tracker.config import load_settings  # noqa: E402


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
        bench_memory.run_child(args.child[0], args.child[1:])
        return 0
    if args.markdown:
        print(report.markdown(json.loads(args.markdown.read_text())))
        return 0
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    only = set(args.only.split(","))
    desks.BENCH.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(), "runs": args.runs,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "builds": [], "queries": [], "pages": [], "import": [], "memory": [], "cli": []}
    builds: list[desks.Built] = []
    for size in sizes:
        for backend in backends:
            built = desks.database(size, backend, args.postgres, args.seed, args.rebuild)
            builds.append(built)
            results["builds"].append({"size": size, "backend": backend, "reused": built.reused,
                                      **built.summary})
    for built in builds:
        desks.say(f"\n== {built.size} on {built.backend} "
            f"({built.summary['rows']['claims']:,} claims, "
            f"{built.summary['rows']['citations']:,} citations, "
            f"{built.summary['rows']['evidence_links']:,} links; "
            f"built in {built.summary['total_s']} s{', reused' if built.reused else ''})")
        if "queries" in only:
            desks.say("queries against hand-written SQL (per call, median of "
                f"{args.runs} samples):")
            results["queries"] += bench_queries.bench(built, args.runs)
        if "pages" in only:
            desks.say(f"dashboard pages (AppTest.run(), median of {args.runs}):")
            results["pages"] += bench_pages.bench(built, args.runs)
    if "import" in only:
        desks.say(f"\n== BibTeX import, {bench_library_import.IMPORT_ENTRIES:,} entries "
                  f"(median of {args.import_runs})")
        results["import"] = bench_library_import.bench(backends, args.postgres,
                                                       args.import_runs)
    if "memory" in only:
        biggest = [b for b in builds if b.size == sizes[-1]]
        desks.say(f"\n== peak RSS (child processes; pages at {sizes[-1]})")
        results["memory"] = bench_memory.bench(biggest, args.postgres)
    if "cli" in only:
        desks.say(f"\n== whole commands (processes; median of {max(args.runs, 5)})")
        results["cli"] = bench_cli.bench(max(args.runs, 5), bench_cli.DEFAULT_BIB)
    report.summary(results)
    out = desks.BENCH / f"results-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    desks.say(f"\nresults: {out.relative_to(desks.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
