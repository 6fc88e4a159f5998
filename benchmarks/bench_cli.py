#!/usr/bin/env python3
"""Whole commands, each a process of its own, against a floor measured in the same run.

    .venv/bin/python benchmarks/bench_cli.py [--runs 7] [--bib FILE.bib]

Each pair (ours, floor) runs alternately, --runs times (median reported, at least 5), so a
busy machine slows both alike:

  import-bib   `tracker import-bib FILE --as ada` on a fresh SQLite database (initialised,
               one admin, nothing imported; a copy per run)
               floor: `python -c 'import bibtexparser; bibtexparser.parse_file(FILE)'`
               target: within 1.6x
  claims       `tracker claims --json` on the shipped database (`tracker bootstrap`)
               floor: `python -c 'import sqlalchemy.orm, typer'` (the libraries any command
               of a Typer CLI over SQLAlchemy starts with)
               target: within 1.3x
               also shown, not a target: the schema alone (`import tracker.models` and
               SQLAlchemy's `configure_mappers()`), which every ORM read pays before its query

Default file: ../shared/corpora/rfcbib/rfc.bib (8,639 entries), if present. Wall-clock time of
the whole process, start-up included; the databases live in a temporary directory. The tracker
package is byte-compiled first (`compiled()`), as an installed package is, and each command runs
once unmeasured before its pairs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BIB = ROOT.parent / "shared" / "corpora" / "rfcbib" / "rfc.bib"
PYTHON = sys.executable
TRACKER = str(Path(PYTHON).with_name("tracker"))
TARGETS = {"import-bib": 1.6, "claims": 1.3}


def run(argv: Sequence[str], env: dict[str, str]) -> float:
    """Seconds the process took; it must succeed."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): "
                         f"{done.stderr.decode(errors='replace')[-500:]}")
    return took


def environment(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["TRACKER_DATABASE_URL"] = f"sqlite:///{database}"
    return env


def compiled() -> None:
    """Byte-compile the tracker package, as installing it does (pip writes the `.pyc` files of
    a wheel at install time, and Python writes them on first import) and as the floor's
    libraries are. Without this, an environment with PYTHONDONTWRITEBYTECODE (as CI's) would
    compile every module of the tracker from source in every measured process (0.15 s)."""
    import compileall

    import tracker

    for where in tracker.__path__:
        compileall.compile_dir(where, quiet=1)


def prepare(workdir: Path) -> tuple[Path, Path]:
    """(an initialised database with one admin, the shipped database)."""
    compiled()
    empty = workdir / "empty.db"
    run([TRACKER, "init"], environment(empty))
    run([TRACKER, "users", "add", "ada", "--role", "admin", "--no-password"],
        environment(empty))
    shipped = workdir / "shipped.db"
    run([TRACKER, "bootstrap"], environment(shipped))
    return empty, shipped


def paired(ours: list[float], floor: list[float]) -> tuple[float, float, float]:
    """Medians of ours and the floor, and the median of the per-pair ratios."""
    ratios = [a / b for a, b in zip(ours, floor, strict=True)]
    return statistics.median(ours), statistics.median(floor), statistics.median(ratios)


def bench_import(workdir: Path, empty: Path, bib: Path, runs: int) -> tuple[float, float, float]:
    floor_code = f"import bibtexparser; bibtexparser.parse_file({str(bib)!r})"
    ours: list[float] = []
    floor: list[float] = []
    for n in range(-1, runs):  # run -1 warms the file cache and is not counted
        target = workdir / f"import-{n}.db"
        shutil.copyfile(empty, target)
        took = run([TRACKER, "import-bib", str(bib), "--as", "ada"], environment(target))
        floor_took = run([PYTHON, "-c", floor_code], environment(target))
        target.unlink()
        if n >= 0:
            ours.append(took)
            floor.append(floor_took)
    return paired(ours, floor)


FLOOR_CLAIMS = "import sqlalchemy.orm, typer"
SCHEMA = ("import sqlalchemy.orm, typer, tracker.models; "
          "sqlalchemy.orm.configure_mappers()")


def bench_claims(shipped: Path, runs: int
                 ) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """(`claims` against the floor, the schema alone against the same floor)."""
    env = environment(shipped)
    ours: list[float] = []
    floor: list[float] = []
    schema: list[float] = []
    for command in ([TRACKER, "claims", "--json"], [PYTHON, "-c", FLOOR_CLAIMS],
                    [PYTHON, "-c", SCHEMA]):
        run(command, env)  # warm-up, not counted
    for _ in range(runs):
        ours.append(run([TRACKER, "claims", "--json"], env))
        floor.append(run([PYTHON, "-c", FLOOR_CLAIMS], env))
        schema.append(run([PYTHON, "-c", SCHEMA], env))
    return paired(ours, floor), paired(schema, floor)


def line(row: dict[str, Any]) -> str:
    return (f"  {row['name']:<11} {row['what']:<36} {row['ours_s']:6.2f} s  floor "
            f"{row['floor_s']:6.2f} s  ratio {row['ratio']:5.2f}x  target {row['target']}x  "
            f"{row['verdict']}")


def row(name: str, what: str, figures: tuple[float, float, float]) -> dict[str, Any]:
    ours, floor, ratio = figures
    target = TARGETS[name]
    return {"name": name, "what": what, "ours_s": ours, "floor_s": floor, "ratio": ratio,
            "target": target, "verdict": "PASS" if ratio <= target else "MISS"}


def bench(runs: int, bib: Path) -> list[dict[str, Any]]:
    """Both commands against their floors (printed as they are measured)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        empty, shipped = prepare(workdir)
        print(f"whole processes, median of {runs} alternating runs (ratio: median of the "
              "per-pair ratios)", flush=True)
        rows.append(row("import-bib", f"{bib.name}, fresh SQLite",
                        bench_import(workdir, empty, bib, runs)))
        print(line(rows[-1]), flush=True)
        claims, schema = bench_claims(shipped, runs)
        rows.append(row("claims", "--json, shipped SQLite database", claims))
        print(line(rows[-1]), flush=True)
        print(f"  (not a target: the schema alone, import tracker.models + configure_mappers(), "
              f"{schema[0]:.2f} s, {schema[2]:.2f}x the same floor)", flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bib", type=Path, default=DEFAULT_BIB)
    args = parser.parse_args()
    if not args.bib.exists():
        print(f"no BibTeX file at {args.bib}; give one with --bib", file=sys.stderr)
        return 2
    bench(max(args.runs, 5), args.bib)
    return 0


if __name__ == "__main__":
    sys.exit(main())
