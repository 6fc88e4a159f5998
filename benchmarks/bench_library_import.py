"""Benchmark 3: BibTeX import of a synthetic 50,000-entry library (`bench_import.import_once`:
import, then re-import of the same file) against bibtexparser's bare parse of it, and where
the import's time goes, phase by phase. Targets: `bench_import.TARGETS`."""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench_import
import synth
from desks import BENCH, ROOT, checksum, say

from tracker import bibtex, db
from tracker.bibtex import pipeline  # where the import's steps live (and are looked up)
from tracker.services import citations

IMPORT_ENTRIES = 50_000


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
    undo = [phases.wrap(pipeline, "_split", "split (bibtexparser's splitter)"),
            phases.wrap(pipeline, "_digested", "digests (SHA-256 of each entry)"),
            phases.wrap(pipeline, "_normalise_entries", "normalise (decode, validate, design)"),
            phases.wrap(pipeline, "_merge_within_file", "dedupe within the file"),
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


def bench(backends: Sequence[str], postgres: str | None, runs: int
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
        drop_import_databases(backend, postgres, runs + 2)
    shutil.rmtree(workdir, ignore_errors=True)
    return results


def drop_import_databases(backend: str, postgres: str | None, n: int) -> None:
    if backend == "postgresql":
        bench_import.drop_databases(postgres, n)

