"""Synthetic workloads: a health desk's articles, one shared reference library, the evidence
that links them, editors' flags and a year of history — at sizes S, M and L.

    .venv/bin/python benchmarks/synth --size L --url sqlite:///var/bench/L.db [--seed 1]

    size  documents  claims  citations  evidence links  flags
    S             3     200        500           1,200     50
    M            30   2,000      5,000          12,000    500
    L           300  20,000     50,000         120,000  5,000

The database is migrated with `tracker.db.migrate`, then filled with bulk Core INSERTs
(executemany, in chunks) into the tables and columns the product writes. Nothing goes through
the per-use-case services, but every derived value is the product's own: claim categories from
`tracker.article.categorise`, study designs from `tracker.bibtex.detect_design`, gap-map topics
from `tracker.topics`, and each claim's stored grade (status, certainty, explanation,
requirement) from `tracker.grading`, replayed over its links in the order they were added, the
way `tracker.services.evidence.regrade` stores it — which also yields the status history
(`status_changes`) that coverage over time reads. `check_grades()` regrades a sample through
the service layer and asserts that nothing would change.

Everything is obviously synthetic ("Synthetic article 12: …", "Synthetic study 123 of …",
"Synthetic Journal of …", DOIs under the 10.5555/ test prefix, PMIDs above 90,000,000) and
never ships. The same citation generator writes the BibTeX file the import benchmark reads
(`write_bib`).

The modules, one a kind of synthetic data: `vocabulary` (the words), `generator` (sizes, the
workload, the state the steps share), `people`, `citations` (entries, BibTeX, rows),
`library`, `articles`, `evidence` (links and grades), `editors` (overrides, revisions,
sign-offs, flags, questions), `workload` (`build`: the steps in order) and `writing` (into a
database: `write`, `check_grades`, `create`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .citations import (
    DOI_PREFIX,
    citation_row,
    entry_record,
    render_entry,
    synthetic_entry,
    to_latex,
    write_bib,
)
from .evidence import CONCERNS, UPGRADES
from .generator import DAY, SIZES, Desk, Size, Workload
from .people import PASSWORD
from .vocabulary import (
    CONCERN_WEIGHTS,
    CONDITION_WEIGHTS,
    CONDITIONS,
    DESIGN_PHRASES,
    DESIGN_WEIGHTS,
    FAMILIES,
    FLAG_KINDS,
    GIVENS,
    JOURNAL_TOPICS,
    ROUTE_WEIGHTS,
    ROUTES,
    SECTION_PLAN,
    SENTENCES,
    STANCES,
    TAILS,
    TREATMENT_WEIGHTS,
    TREATMENTS,
)
from .workload import build
from .writing import CHUNK, TABLE_ORDER, check_grades, counts, create, write

__all__ = [
    "CHUNK", "CONCERN_WEIGHTS", "CONCERNS", "CONDITION_WEIGHTS", "CONDITIONS", "DAY",
    "DESIGN_PHRASES", "DESIGN_WEIGHTS", "DOI_PREFIX", "FAMILIES", "FLAG_KINDS", "GIVENS",
    "JOURNAL_TOPICS", "PASSWORD", "ROUTE_WEIGHTS", "ROUTES", "SECTION_PLAN", "SENTENCES",
    "SIZES", "STANCES", "TABLE_ORDER", "TAILS", "TREATMENT_WEIGHTS", "TREATMENTS", "UPGRADES",
    "Desk", "Size", "Workload", "build", "check_grades", "citation_row", "counts", "create",
    "entry_record", "main", "render_entry", "synthetic_entry", "to_latex", "write",
    "write_bib",
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=list(SIZES), required=True)
    parser.add_argument("--url", required=True, help="an empty database (sqlite:/// or "
                                                     "postgresql://)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    summary = create(args.url, SIZES[args.size], seed=args.seed)
    rows = ", ".join(f"{n} {t}" for t, n in summary["rows"].items())
    print(f"{args.size}: {rows}")
    print(f"generated in {summary['generate_s']} s, written in {summary['write_s']} s, "
          f"{summary['total_s']} s in all")
    return 0
