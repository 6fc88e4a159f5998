"""The whole workload: every generation step in order, over one random stream."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from .articles import articles
from .editors import flags, overrides_and_revisions, questions, sign_offs
from .evidence import grades, links
from .generator import Desk, Size, Workload
from .library import library
from .people import people


def build(size: Size, *, seed: int = 1, end: datetime | None = None,
          progress: Callable[[str], None] | None = None) -> Workload:
    """Generate the rows of every table for `size` (deterministic for a seed and end)."""
    moment = end or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    desk = Desk(size, seed, moment)
    steps: list[tuple[str, Callable[[Desk], None]]] = [
        ("users", people), ("library", library), ("articles", articles),
        ("overrides, revisions", overrides_and_revisions), ("links", links),
        ("grades", grades), ("sign-offs", sign_offs), ("flags", flags),
        ("questions", questions)]
    for name, step in steps:
        started = time.perf_counter()
        step(desk)
        if progress:
            progress(f"  generated {name} in {time.perf_counter() - started:.1f} s")
    return desk.finish()
