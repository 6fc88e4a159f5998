"""The dashboard's start-up under Streamlit's AppTest, for every test module that drives it
(tests/test_dashboard.py's `open_app`, its sign-in test and tests/test_dashboard_access.py's
`signed_in_app` each spell it out today; they are to call this instead)."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard import ui
from tests.conftest import ROOT
from tracker.services.access import Actor

APP = ROOT / "dashboard" / "app.py"


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
