"""The figures of a run: the summary printed at its end, and Markdown tables of a results
file (`run.py --markdown`, for NOTES.md and the README)."""

from __future__ import annotations

import statistics
from typing import Any

from bench_memory import memory_ratio
from bench_pages import PAGES
from desks import say

IMPORT_TARGET = 1.3  # results files before issue 20: one target for every backend


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
            f"{r['parse_peak_mib']:.0f}: {memory_ratio(r)}), pages at {r['size']} "
            f"{r['pages_peak_mib']:.0f} MiB (empty page {r['empty_page_peak_mib']:.0f})")


def _target(row: dict[str, Any], which: str) -> float:
    """The import's or re-import's target (results files before issue 20 hold none)."""
    return float(row.get(f"{which}_target") or IMPORT_TARGET)


def _verdict(row: dict[str, Any], which: str) -> str:
    """PASS or MISS of the import or the re-import (results files before 2026-12-02 hold one
    verdict for both)."""
    return str(row.get(f"{which}_verdict") or (
        "PASS" if row[f"{which}_ratio"] <= _target(row, which) else "MISS"))



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
                   f"{memory_ratio(r)}); "
                   f"every page at {r['size']} {r['pages_peak_mib']:.0f} MiB (empty page "
                   f"{r['empty_page_peak_mib']:.0f} MiB)")
    return "\n".join(out)

