"""What every test module driving the dashboard under Streamlit's AppTest shares: the start-up
(`app_on`, behind tests/conftest.py's `open_app` fixture), finding and pressing widgets, reading
what a page shows, and the shipped database's landmarks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import streamlit as st
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import element_tree as et

from dashboard import ui
from tests.conftest import ROOT, SEED
from tracker import db, queries
from tracker.models import Citation
from tracker.services import citations
from tracker.services.access import Actor
from tracker.vocabulary import ClaimStatus, Role

APP = ROOT / "dashboard" / "app.py"
PAGES = {  # view file -> page title
    "overview": "Overview", "article": "Article", "claims": "Claims",
    "questions": "Open questions", "scorecard": "Scorecard", "evidence": "Evidence",
    "appraisal": "Appraisal",
    "queue": "Editorial queue", "dual": "Dual review",
    "wording": "Wording & PICO", "sof": "Summary of findings", "export": "Export",
}
MakeActor = Callable[[Engine, Role], Actor]
OpenApp = Callable[..., AppTest]
SUPPORTABLE = "Ketamine therapy is used to manage a variety of pain syndromes"
META_ANALYSIS = "orhurhu2019"  # verified meta-analysis: makes that efficacy claim supported


def clear_caches() -> None:
    """Forget cached reads and the cached engine: the next run opens the database given."""
    st.cache_data.clear()
    st.cache_resource.clear()


def app_on(monkeypatch: pytest.MonkeyPatch, engine: Engine, actor: Actor | None = None
           ) -> AppTest:
    """The dashboard on `engine`, signed in as `actor` (bound to this test's browser) when one
    is given; not run yet, so the caller may set more state first."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    clear_caches()
    at = AppTest.from_file(str(APP), default_timeout=60)
    if actor is not None:
        at.session_state[ui.ACTOR_KEY] = actor
        at.session_state[ui.BOUND_KEY] = ui.sessions.client_binding({}, {})
    return at


def start(monkeypatch: pytest.MonkeyPatch, engine: Engine, page: str = "overview",
          actor: Actor | None = None) -> AppTest:
    """The dashboard on `engine`, optionally signed in, run once and on `page`."""
    at = app_on(monkeypatch, engine, actor)
    at.run()
    return go(at, page)





def evidence_tab(at: AppTest, tab: str) -> AppTest:
    """Open a tab of the Evidence page (its tabs are stateful: only the open one renders)."""
    at.session_state["evidence_tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def appraisal_tab(at: AppTest, tab: str) -> AppTest:
    """Open a tab of the Appraisal page (stateful tabs, like the Evidence page's)."""
    at.session_state["appraisal_tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, label: str) -> Any:
    [found] = [b for b in at.button if b.label == label]
    return found


def plain(markdown: str) -> str:
    """What an escaped Markdown body reads as."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(ui.WORD_JOINER, "")


def texts(at: AppTest) -> list[str]:
    """Every Markdown-rendered body on the page (markdown, captions, alerts)."""
    bodies = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for alerts in (at.info, at.success, at.warning, at.error):
        bodies += [a.value for a in alerts]
    return bodies


def foreign_html(at: AppTest) -> list[str]:
    """Raw HTML on the page other than the dashboard's fixed scripts (`ui.NARROW_HTML`, which
    closes the sidebar on a narrow screen; `ui.write_cookie`'s, which keeps a sign-in's
    random token): stored text must never be among it."""
    return [h.proto.body for h in at.get("html") if h.proto.body != ui.NARROW_HTML
            and not h.proto.body.startswith(ui.COOKIE_SCRIPT_START)]


def document_id(engine: Engine) -> int:
    with db.reading(engine) as session:
        return queries.resolve_document(session, SEED).id


def claim_with(engine: Engine, fragment: str) -> queries.ClaimRow:
    with db.reading(engine) as session:
        [row] = [c for c in queries.claims(session) if c.text.startswith(fragment)]
        return row


def citation_id(engine: Engine, key: str) -> int:
    with db.reading(engine) as session:
        return citations.citation_by_key(session, key).id


def supported(engine: Engine) -> int:
    with db.reading(engine) as session:
        return queries.coverage(session).by_status[ClaimStatus.SUPPORTED.value]


def metric(at: AppTest, label: str) -> int:
    [found] = [m for m in at.metric if m.label == label]
    return int(found.value)


def markdown_bodies(at: AppTest) -> list[str]:
    """Every string Streamlit renders as Markdown: bodies of markdown, captions, alerts and
    headings, and the labels, help texts and radio options of widgets, tabs, expanders and
    metrics."""
    bodies: list[str] = []
    for block in (at.main, at.sidebar):
        for node in block:
            if isinstance(node, et.Markdown | et.AlertBase | et.HeadingBase):
                bodies.append(node.value)
            for name in ("label", "help"):
                value = getattr(node, name, None)
                if isinstance(value, str):
                    bodies.append(value)
            if isinstance(node, et.Radio):
                bodies += node.options
    return bodies


def literal_texts(at: AppTest) -> list[str]:
    """What is shown as plain text: st.text, code blocks, table cells, select options."""
    shown = [t.value for t in at.text] + [c.value for c in at.code]
    for frame in at.dataframe:
        shown += [str(v) for v in frame.value.astype(str).to_numpy().ravel()]
    for widget in (*at.selectbox, *at.multiselect):
        shown += [str(o) for o in widget.options]
    shown += [str(w.value) for w in (*at.text_input, *at.text_area)]
    return shown


def open_citation(at: AppTest, engine: Engine, key: str) -> int:
    with db.reading(engine) as session:
        found = session.scalars(select(Citation.id).where(Citation.key == key)).one()
    at.text_input(key="citation_search").input(key).run()
    at.session_state["link_citation"] = found
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return int(found)
