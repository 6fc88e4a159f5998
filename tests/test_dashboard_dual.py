"""Dual review through the dashboard (Streamlit's AppTest), on SQLite and PostgreSQL: two
reviewers enter on the Dual review page; while only one entry is in, nothing the other
reviewer's dashboard shows — the queue, the items, the claim in full with its history, the
agreement tab — holds a trace of it; once both are in, both see both; an editor adjudicates
on the page and the claim's verdict follows."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.conftest import SEED
from tests.helpers_dashboard import button, claim_with, go, literal_texts, markdown_bodies, plain
from tracker import db, queries
from tracker.services import dual
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import Role

MakeActor = Callable[[Engine, Role], Actor]
OpenApp = Callable[..., AppTest]
CRPS = "Ketamine infusions have shown efficacy in reducing pain intensity"
TRIAL = "schwartzman2009"
ONLY_RUI, ONLY_ANA = "rui-read-the-abstract-only", "ana-checked-table-two"


def dual_tab(at: AppTest, tab: str) -> AppTest:
    at.session_state["dual_tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def everything_shown(at: AppTest) -> str:
    return "\n".join(plain(b) for b in markdown_bodies(at)) + "\n" + "\n".join(
        literal_texts(at))


def enter_stance(at: AppTest, stance: str, reason: str) -> None:
    """On the Dual review page, pick the trial's stance in the queue and submit an entry."""
    go(at, "dual")
    dual_tab(at, "My queue")
    picker = at.selectbox(key="dual_pick")
    [index] = [n for n, label in enumerate(picker.options)
               if label.startswith("stance") and f"· {TRIAL} —" in label]
    picker.set_value(index).run()
    at.selectbox(key=f"dual_entry_{index}_stance").set_value(stance)
    at.text_input(key=f"dual_entry_{index}_reason").input(reason)
    button(at, "Submit my entry").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def what_a_user_sees(at: AppTest, claim: int) -> str:
    """The Dual review page's four tabs and the claim in full (evidence, history)."""
    shown = []
    go(at, "dual")
    for tab in ("My queue", "Adjudication", "Set-up", "Agreement"):
        dual_tab(at, tab)
        shown.append(everything_shown(at))
    go(at, "claims")
    at.selectbox(key="claims_pick").set_value(claim).run()
    shown.append(everything_shown(at))
    return "\n".join(shown)


def test_two_reviewers_on_the_dashboard_are_blind_to_each_other_until_both_enter(
        shipped_engine: Engine, open_app: OpenApp, make_actor: MakeActor) -> None:
    engine = shipped_engine
    editor, rui, ana = (make_actor(engine, r) for r in (Role.EDITOR, Role.REVIEWER,
                                                         Role.REVIEWER))
    claim = claim_with(engine, CRPS).id
    with db.writing(engine) as session:
        document = queries.resolve_document(session, SEED).id
        system = system_actor(session)
        dual.require_dual_review(session, system, document, True, "audit")
        dual.assign(session, system, document, [rui.username, ana.username], claim_ids=[claim])

    at_rui = open_app(engine, "dual", rui)
    enter_stance(at_rui, "contradicts", ONLY_RUI)
    assert any("hidden from everyone else" in plain(s.value) for s in at_rui.success)
    assert ONLY_RUI in what_a_user_sees(at_rui, claim)

    at_ana = open_app(engine, "dual", ana)
    seen = what_a_user_sees(at_ana, claim)
    assert ONLY_RUI not in seen  # the queue names her partner, nothing of his entry
    go(at_ana, "dual")
    dual_tab(at_ana, "My queue")
    [frame] = at_ana.dataframe
    rows = frame.value.to_dict("records")
    assert {r["where you stand"] for r in rows} == {"to enter"}
    assert {r["your entry"] for r in rows} == {""} and {r["the other entry"] for r in rows} \
        == {""}
    at_editor = open_app(engine, "dual", editor)
    assert ONLY_RUI not in what_a_user_sees(at_editor, claim)

    enter_stance(at_ana, "supports", ONLY_ANA)
    assert any("awaits an editor" in plain(s.value) for s in at_ana.success)
    for at in (at_rui, at_ana):
        seen = what_a_user_sees(at, claim)
        assert ONLY_RUI in seen and ONLY_ANA in seen
    assert "awaiting adjudication" in claim_with(engine, CRPS).explanation

    go(at_editor, "dual")
    dual_tab(at_editor, "Adjudication")
    items = at_editor.selectbox(key="dual_adjudicate_item")
    item = items.options[0]
    items.set_value(int(str(item).split()[0].lstrip("#"))).run()
    shown = everything_shown(at_editor)
    assert ONLY_RUI in shown and ONLY_ANA in shown
    item_id = at_editor.selectbox(key="dual_adjudicate_item").value
    at_editor.radio(key=f"dual_choice_{item_id}").set_value("second")
    at_editor.text_area(key=f"dual_decide_reason_{item_id}").input("primary outcome")
    button(at_editor, "Decide").click().run()
    assert not at_editor.error, [e.value for e in at_editor.error]
    verdict = claim_with(engine, CRPS)
    assert "awaiting" not in verdict.explanation
    with db.reading(engine) as session:  # the trial bears on the sentence's pain part
        [pain] = [c for c in queries.claims(session)
                  if c.parent == verdict.id and c.text == "reducing pain intensity"]
    assert pain.status == "supported", pain.explanation
    dual_tab(at_editor, "Agreement")
    [frame] = at_editor.dataframe
    stats = frame.value.to_dict("records")
    assert [(r["pair"], r["judgement"], r["n"]) for r in stats][0] == ("all pairs", "stance", 1)
