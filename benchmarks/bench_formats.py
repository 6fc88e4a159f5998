#!/usr/bin/env python3
"""RIS and PubMed (MEDLINE) import against each format's own bare parse, measured in the same
run (issue 19).

    .venv/bin/python benchmarks/bench_formats.py [--records 50000] [--runs 3]

For a synthetic library of --records records (the citations of benchmarks/synth/, about 1%
duplicates by DOI, written as RIS by the tracker's own writer and as MEDLINE here), it prints
medians of --runs runs:
  parse     the format parser alone on the whole text: rispy.loads for RIS; for MEDLINE, which
            has no maintained Python parser, tracker.formats.medline.split_records (the bare
            tag/value split the import starts from)
  import    the tracker's full import (split, parse each record, normalise, dedupe, bulk
            insert, commit) into an empty, migrated SQLite database
  reimport  the same file again (every record already stored: nothing written)
and the ratio import/parse against the target (first import within 1.5x of the parse), with
PASS or MISS; then where the first import's time went (read and normalise / match / write,
from the import's progress reports) and the read side alone, without a database, with the
part of it that is the design rules (shared with BibTeX).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import rispy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth  # noqa: E402

from tracker import bibtex, db, formats  # noqa: E402
from tracker.formats import medline  # noqa: E402
from tracker.services import citations  # noqa: E402
from tracker.services.access import system_actor  # noqa: E402

TARGET = 1.5


def records(count: int, seed: int = 7) -> list[bibtex.CitationRecord]:
    """Synthetic records, about 1% of them a second copy of an earlier one (same DOI)."""
    rng = random.Random(f"formats:{seed}")
    out: list[bibtex.CitationRecord] = []
    for n in range(1, count + 1):
        if out and rng.random() < 0.01:
            twin = rng.choice(out[-500:])
            out.append(twin.__class__(**{**{f: getattr(twin, f) for f in twin.__slots__
                                             if f != "__weakref__"}, "key": f"{twin.key}d{n}"}))
            continue
        out.append(synth.entry_record(synth.synthetic_entry(rng, n, seed)))
    return out


def medline_text(items: list[bibtex.CitationRecord]) -> str:
    """The records as PubMed's MEDLINE format (for the benchmark; the tracker reads it)."""
    blocks = []
    for n, r in enumerate(items, start=1):
        lines = [f"PMID- {r.pmid or 80_000_000 + n}", f"TI  - {r.title}."]
        lines += [f"FAU - {p.family}, {p.given}" if p.given else f"CN  - {p.family}"
                  for p in r.authors]
        if r.year:
            lines.append(f"DP  - {r.year} Jan")
        for tag, value in (("JT", r.container), ("VI", r.volume), ("IP", r.number),
                           ("PG", r.pages.replace("–", "-") if r.pages else None),
                           ("LID", f"{r.doi} [doi]" if r.doi else None), ("AB", r.abstract)):
            if value:
                lines.append(f"{tag:<4}- {value}")
        lines += [f"MH  - {k}" for k in r.keywords]
        lines.append("PT  - Journal Article")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


#: seconds from the start of the first import to the first progress report of each stage
stages: dict[str, float] = {}


def import_once(url: str, name: str, text: str, fmt: str) -> tuple[float, float, int]:
    engine = db.make_engine(url)
    db.migrate(engine)
    with db.writing(engine) as session:
        system_actor(session)
    source = citations.BibSource(name, text, None, fmt)
    start = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter() - start)

    def run() -> citations.ImportReport:
        with db.writing(engine) as session:
            return citations.import_bibtex(session, system_actor(session), [source],
                                           progress=progress if not reports else None)

    first_time = timed(lambda: reports.append(run()))
    second_time = timed(lambda: reports.append(run()))
    first, second = reports[-2], reports[-1]
    assert not first.problems, first.problems[:3]
    assert not second.added and not second.merged, "re-import must change nothing"
    engine.dispose()
    return first_time, second_time, len(first.added)


reports: list[citations.ImportReport] = []


def bench(name: str, fmt: str, text: str, parse: Callable[[], object], runs: int) -> list[str]:
    floor = statistics.median(timed(parse) for _ in range(runs))
    lines = [f"{name}: {len(text):,} characters",
             f"  parse (the format parser alone)  {floor:8.3f} s"]
    with tempfile.TemporaryDirectory() as tmp:
        results = [import_once(f"sqlite:///{Path(tmp) / f'{fmt}{n}.db'}", name, text, fmt)
                   for n in range(runs)]
    full = statistics.median(r[0] for r in results)
    again = statistics.median(r[1] for r in results)
    ratio = full / floor
    lines.append(f"  [sqlite] import {results[0][2]:,} records {full:8.3f} s  ratio "
                 f"{ratio:5.2f}x  target {TARGET}x: {'PASS' if ratio <= TARGET else 'MISS'}")
    lines.append(f"  [sqlite] re-import (all stored)   {again:8.3f} s  ratio "
                 f"{again / floor:5.2f}x")
    read = stages.get("matching", 0.0)
    written = full - stages.get("writing", full)
    lines.append(f"  [sqlite] of the first import: read and normalise {read:.3f} s "
                 f"({read / floor:.2f}x the parse), match {full - read - written:.3f} s, "
                 f"write (the shared writer) {written:.3f} s ({written / floor:.2f}x the parse)")
    lines.extend(read_breakdown(name, fmt, text, floor, runs))
    reports.clear()
    stages.clear()
    return lines


def read_breakdown(name: str, fmt: str, text: str, floor: float, runs: int) -> list[str]:
    """The read side alone, without a database (as the import runs it: the cyclic garbage
    collector paused), and the part of it that is the design rules shared with BibTeX."""
    def read() -> bibtex.ParsedBib:
        with citations.collection_paused():
            return formats.parse_references(text, name, fmt)

    alone = statistics.median(timed(read) for _ in range(runs))
    parsed = read()

    def designs() -> None:
        with citations.collection_paused():
            for r in parsed.records:
                bibtex.detect_design(keywords=r.keywords, title=r.title, abstract=r.abstract,
                                     entry_type=r.entry_type)

    rules = statistics.median(timed(designs) for _ in range(runs))
    return [f"  [no database] read and normalise alone {alone:.3f} s ({alone / floor:.2f}x the "
            f"parse), of which the design rules (bibtex.detect_design) {rules:.3f} s "
            f"({rules / floor:.2f}x the parse)"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    items = records(args.records)
    ris_text = formats.to_ris(items)
    nbib_text = medline_text(items)
    for line in bench(f"synthetic.ris ({args.records:,} records)", "ris", ris_text,
                      lambda: rispy.loads(ris_text), args.runs):
        print(line, flush=True)
    for line in bench(f"synthetic.nbib ({args.records:,} records)", "pubmed", nbib_text,
                      lambda: medline.split_records(nbib_text), args.runs):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
