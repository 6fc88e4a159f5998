"""Benchmark 2: each dashboard page's full server-side run (`AppTest.run()`), as an editor on
the largest document, cold and warm, minus an empty page run the same way in the same
process ("our own time"). Target: under 1 s at L on SQLite."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from desks import ROOT, Built, editor_of, largest_document, say

from tracker import db
from tracker.services.access import Actor

APP = ROOT / "dashboard" / "app.py"
PAGES = ("overview", "article", "claims", "questions", "evidence", "queue", "export")
EMPTY_PAGE = "import streamlit as st\n\nst.title('Empty page')\nst.caption('Nothing here.')\n"
PAGE_TARGET_S = 1.0


@contextmanager
def database_env(url: str) -> Iterator[None]:
    before = os.environ.get("TRACKER_DATABASE_URL")
    os.environ["TRACKER_DATABASE_URL"] = url
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TRACKER_DATABASE_URL", None)
        else:
            os.environ["TRACKER_DATABASE_URL"] = before


def quiet_streamlit() -> None:
    """No "No runtime found" warnings: the benchmark clears caches outside a script run."""
    from streamlit import config, logger

    config.set_option("logger.level", "error")
    logger.set_log_level("error")


def clear_streamlit_caches(resources: bool = False) -> None:
    import streamlit as st

    st.cache_data.clear()
    if resources:
        st.cache_resource.clear()



def timed_run(at: Any, timeout: float = 300) -> float:
    start = time.perf_counter()
    at.run(timeout=timeout)
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"page raised: {[e.value for e in at.exception]}")
    return elapsed


def open_app(url: str, slug: str, actor: Actor) -> Any:
    from streamlit.testing.v1 import AppTest

    from dashboard import ui

    at = AppTest.from_file(str(APP), default_timeout=300)
    at.session_state[ui.ACTOR_KEY] = actor
    at.session_state[ui.DOCUMENT_KEY] = slug
    at.run()
    return at


def bench(built: Built, runs: int) -> list[dict[str, Any]]:
    from streamlit.testing.v1 import AppTest

    quiet_streamlit()
    engine = db.make_engine(built.url)
    _, slug = largest_document(engine)
    actor = editor_of(engine)
    engine.dispose()
    results = []
    with database_env(built.url):
        clear_streamlit_caches(resources=True)
        at = open_app(built.url, slug, actor)
        empty = AppTest.from_string(EMPTY_PAGE, default_timeout=60)
        timed_run(empty)
        for page in PAGES:
            at.switch_page(f"views/{page}.py")
            timed_run(at)  # the first visit compiles the page script: not measured
            cold, warm, base = [], [], []
            for _ in range(runs):
                clear_streamlit_caches()
                cold.append(timed_run(at))
                base.append(timed_run(empty))
            for _ in range(runs):
                warm.append(timed_run(at))
                base.append(timed_run(empty))
            floor = statistics.median(base)
            row = {"size": built.size, "backend": built.backend, "page": page,
                   "cold_s": statistics.median(cold), "warm_s": statistics.median(warm),
                   "empty_s": floor}
            row["own_cold_s"] = row["cold_s"] - floor
            row["own_warm_s"] = row["warm_s"] - floor
            row["verdict"] = ("PASS" if row["own_cold_s"] <= PAGE_TARGET_S else "MISS") \
                if built.backend == "sqlite" else "(stated)"
            results.append(row)
            say(f"  {page:<10} cold {row['cold_s']:6.3f} s  warm {row['warm_s']:6.3f} s  "
                f"empty {floor:6.3f} s  → our own time: cold {row['own_cold_s']:6.3f} s, "
                f"warm {row['own_warm_s']:6.3f} s  {row['verdict']}"
                + (f" (target {PAGE_TARGET_S} s at L)" if built.backend == "sqlite" else ""))
        clear_streamlit_caches(resources=True)
    return results

