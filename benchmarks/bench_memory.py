"""Benchmark 4: peak RSS of the import and of a run of every page at the largest size, each in a
child process (`run.py --child`), next to a child doing only the floor (bare parse; empty
page). Target: the import within 1.3x the bare parse's."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bench_import
import bibtexparser
from bench_library_import import bib_file, drop_import_databases
from bench_pages import EMPTY_PAGE, PAGES, database_env, open_app, quiet_streamlit, timed_run
from desks import BENCH, ROOT, Built, editor_of, largest_document, say

from tracker import bibtex, db
from tracker.services import citations

RUN = Path(__file__).with_name("run.py")  # its hidden --child option runs one measurement
MEMORY_TARGET = 1.3  # the import's peak RSS against the bare parse's


def child(kind: str, *args: str) -> dict[str, Any]:
    """Run one measurement in a fresh child process; it reports its own peak RSS."""
    done = subprocess.run([sys.executable, str(RUN), "--child", kind, *args], cwd=ROOT,
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

        quiet_streamlit()
        AppTest.from_string(EMPTY_PAGE, default_timeout=60).run()
    elif kind == "pages":
        url, slug = args
        quiet_streamlit()
        with database_env(url):
            engine = db.make_engine(url)
            actor = editor_of(engine)
            engine.dispose()
            at = open_app(url, slug, actor)
            for page in PAGES:
                at.switch_page(f"views/{page}.py")
                timed_run(at)
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


def bench(builds: Sequence[Built], postgres: str | None) -> list[dict[str, Any]]:
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
        drop_import_databases(built.backend, postgres, 1)
        shutil.rmtree(workdir, ignore_errors=True)
        row = {"size": built.size, "backend": built.backend,
               "import_peak_mib": imported["peak_mib"], "parse_peak_mib": parse["peak_mib"],
               "pages_peak_mib": pages["peak_mib"], "empty_page_peak_mib": empty["peak_mib"]}
        results.append(row)
        say(f"  [{built.backend}] import of 50,000 entries: peak RSS {imported['peak_mib']:.0f} "
            f"MiB ({memory_ratio(row)} the bare parse); every page "
            f"at {built.size}: peak RSS {pages['peak_mib']:.0f} MiB "
            f"({pages['peak_mib'] / empty['peak_mib']:.2f}x the empty page)")
    return results



def memory_ratio(row: dict[str, Any]) -> str:
    """The import's peak RSS against the bare parse's, with PASS or MISS (target 1.3x)."""
    ratio = row["import_peak_mib"] / row["parse_peak_mib"]
    return f"{ratio:.2f}x {'PASS' if ratio <= MEMORY_TARGET else 'MISS'} (target {MEMORY_TARGET}x)"

