"""Timing our call against its floor: medians of samples taken alternately."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def _loops(fn: Callable[[], object], floor_s: float = 0.02) -> int:
    """How many calls make one sample of at least `floor_s` (timeit's autorange, smaller)."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start >= floor_s or n >= 1000:
            return n
        n *= 4


def paired(ours: Callable[[], object], floor: Callable[[], object], runs: int
           ) -> tuple[float, float]:
    """Median seconds per call of `ours` and of `floor`, sampled alternately (so both see the
    same CPU steal)."""
    ours(), floor()  # warm
    n_ours, n_floor = _loops(ours), _loops(floor)
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        for fn, n, out in ((ours, n_ours, a), (floor, n_floor, b)):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            out.append((time.perf_counter() - start) / n)
    return statistics.median(a), statistics.median(b)
