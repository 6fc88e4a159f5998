"""The Wording & PICO and Summary of findings pages (Streamlit's AppTest): an editor dismisses
a proposed overstated flag with a reason; the claim detail shows the claim's findings."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from tests.helpers_dashboard import button, go
from tracker import db, queries
from tracker.models import WordingDecision
from tracker.services.access import Actor
from tracker.vocabulary import Role

SAFE = "generally considered safe"
MakeActor = Callable[[Engine, Role], Actor]
OpenApp = Callable[..., AppTest]


def _safe(engine: Engine) -> int:
    with db.reading(engine) as session:
        document = queries.resolve_document(session, None)
        return next(r.claim_id for r in queries.wording_check(session, document.id)
                    if SAFE in r.sentence)


def test_an_editor_dismisses_a_proposal_with_a_reason(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    editor = make_actor(shipped_engine, Role.EDITOR)
    claim = _safe(shipped_engine)
    at = open_app(shipped_engine, "wording", editor)
    at.selectbox(key="wording_claim").set_value(claim).run()
    button(at, "Dismiss the proposal").click().run()
    assert [e.value for e in at.error], "a dismissal without a reason is refused"
    at.text_area(key="wording_reason").input("the guideline's own words").run()
    button(at, "Dismiss the proposal").click().run()
    assert not at.exception and not at.error
    with db.reading(shipped_engine) as session:
        assert session.scalars(select(WordingDecision.decision).where(
            WordingDecision.claim_id == claim)).all() == ["dismissed"]


def test_readers_see_the_pages_without_controls(shipped_engine: Engine,
                                                open_app: OpenApp) -> None:
    at = open_app(shipped_engine, "wording")
    assert not at.exception and not [b for b in at.button if b.label.startswith(
        ("Accept", "Dismiss"))]
    assert any("accept or dismiss" in i.value for i in at.info)
    go(at, "sof")
    assert [t.value for t in at.title] == ["Summary of findings"]
    assert {b.label for b in at.get("download_button")} >= {"CSV", "Markdown"}


def test_the_queue_counts_proposals_and_prompts(shipped_engine: Engine,
                                                open_app: OpenApp) -> None:
    with db.reading(shipped_engine) as session:
        document = queries.resolve_document(session, None).id
        proposals = len(queries.wording_proposals(session, document))
        prompts = len(queries.indirectness_prompts(session, document))
    assert proposals and prompts
    at = open_app(shipped_engine, "queue")
    assert any(c.value.startswith(f"Also waiting: {proposals} overstated wording proposals "
                                  f"and {prompts} links") for c in at.caption)
