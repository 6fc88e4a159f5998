"""Printing: counts, JSON, plain aligned tables, dual-review entries in words."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer

from tracker.jsonready import plain


def _count(n: int, noun: str) -> str:
    """"1 claim", "2 claims"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(plain(value), indent=2, ensure_ascii=False))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], wrap: int = 0) -> None:
    """A plain aligned table; the last column may be long and is cut at `wrap` characters."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    if wrap:
        cells = [r[:-1] + [r[-1] if len(r[-1]) <= wrap else r[-1][: wrap - 1] + "…"]
                 for r in cells]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    typer.echo(line.rstrip())
    for r in cells:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())

def _entry_words(kind: str, payload: dict[str, Any]) -> str:
    if kind == "stance":
        return f"{payload.get('stance')} — {payload.get('reason')}"
    if kind == "appraisal":
        return f"{payload.get('tool')} {payload.get('overall')}: " + "; ".join(
            f"{d} {j} ({r})" for d, (j, r) in dict(payload.get("domains") or {}).items())
    return "; ".join(f"{e} {j} ({r})" for e, (j, r) in
                     dict(payload.get("directness") or {}).items())
