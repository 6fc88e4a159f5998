"""Dual review (tracker.services.dual, the blinded reads of tracker.queries), on SQLite and
PostgreSQL: a test review with two reviewer accounts goes through independent entry, blinding
(each reviewer's CLI reads, in JSON, show no trace of the other's entry), agreement,
adjudication and the resulting verdict; the gate keeps direct writes out; assignments hold;
agreement statistics from the database equal the pure functions on the same pairs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.conftest import SEED, cli_env
from tracker import db, queries
from tracker.agreement import Weighting, cohen_kappa, contingency
from tracker.cli import app
from tracker.errors import Conflict, InvalidInput, PermissionDenied
from tracker.models import Appraisal, AuditEvent, EvidenceLink
from tracker.services import appraisals, citations, dual, evidence
from tracker.services.access import Actor
from tracker.vocabulary import AppraisalTool, DualState, Role, Stance

MakeActor = Callable[[Engine, Role], Actor]
CRPS = "Ketamine infusions have shown efficacy in reducing pain intensity"
TRIAL = "schwartzman2009"  # an RCT supporting the CRPS claim in the shipped review
#: Words only one reviewer's entry holds: no read by anyone else may contain them.
ONLY_RUI, ONLY_ANA = "only-rui-wrote-this", "only-ana-wrote-this"
ROB2_LOW = {d: ("low", "abstract: adequate") for d in ("D1", "D2", "D3", "D4", "D5")}
DIRECT = {e: ("direct", "study: CRPS; sentence: CRPS")
          for e in ("population", "intervention", "comparator", "outcome", "setting")}


def _claim(engine: Engine, start: str) -> int:
    with db.reading(engine) as session:
        [row] = [c for c in queries.claims(session) if c.text.startswith(start)]
        return row.id


def _citation(engine: Engine, key: str) -> int:
    with db.reading(engine) as session:
        return citations.citation_by_key(session, key).id


def _document(engine: Engine) -> int:
    with db.reading(engine) as session:
        return queries.resolve_document(session, SEED).id


class Cli:
    """`tracker` through Typer's CliRunner on the test database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.env = {"TRACKER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
                    "TRACKER_USER": "", "TRACKER_TOKEN": ""}
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> str:
        env = dict(self.env)
        if "--as" in args:  # on PostgreSQL a write proves who it acts for: a token
            env.update(cli_env(self.engine, args[list(args).index("--as") + 1]))
            env["TRACKER_USER"] = ""
        result = self.runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, result.output
        return result.output

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


def _fresh_trial(engine: Engine, sentence: int, editor: Actor) -> int:
    """The CRPS pain part with the trial linked but neither appraised nor judged for
    directness, and no other trial or review beside it (the shipped review appraises it): what
    dual review starts from. Returns the part's id."""
    with db.writing(engine) as session:
        [part] = [p.id for p in queries.claim_detail(session, sentence).parts
                  if p.text == "reducing pain intensity"]
        for row in queries.claim_detail(session, part).evidence:
            if row.citation_key == TRIAL:
                evidence.update_link(session, editor, row.link_id, directness={
                    e: ("not-judged", "") for e in DIRECT})
            elif row.citation_key != "cohen2018chronic":
                evidence.unlink(session, editor, row.link_id)
        appraisals.clear_appraisal(session, editor, _citation_in(session, TRIAL))
    return part


def _citation_in(session: Any, key: str) -> int:
    return citations.citation_by_key(session, key).id


@pytest.fixture
def world(shipped_engine: Engine, make_actor: MakeActor) -> dict[str, Any]:
    """The shipped review with the seed document under dual review: an editor, two reviewers
    (rui, ana) assigned the CRPS claim and its trial, a third reviewer."""
    editor, rui, ana, other = (make_actor(shipped_engine, r) for r in (
        Role.EDITOR, Role.REVIEWER, Role.REVIEWER, Role.REVIEWER))
    cli = Cli(shipped_engine)
    sentence = _claim(shipped_engine, CRPS)
    claim = _fresh_trial(shipped_engine, sentence, editor)
    cli("dual", "on", "-D", SEED, "--reason", "methodology audit", "--as", editor.username)
    cli("dual", "assign", "-D", SEED, "--reviewers", f"{rui.username},{ana.username}",
        "--claim", str(sentence), "--study", TRIAL, "--as", editor.username)
    return {"engine": shipped_engine, "cli": cli, "editor": editor, "rui": rui, "ana": ana,
            "other": other, "claim": claim, "trial": _citation(shipped_engine, TRIAL)}


def reads(cli: Cli, claim: int, username: str | None) -> str:
    """Everything a user can read about the claim and the review, as JSON."""
    who = ["--as", username] if username else []
    out = [cli("claim", "show", str(claim), *who, "--json"),
           cli("history", "--limit", "500", *who, "--json"),
           cli("history", str(claim), *who, "--json"),
           cli("dual", "items", "-D", SEED, *who, "--json"),
           cli("dual", "agreement", "-D", SEED, "--json"),
           cli("claims", "--json"),
           cli("export", "json")]
    if username:
        out.append(cli("dual", "queue", "-D", SEED, *who, "--json"))
    return "\n".join(out)


def test_a_review_by_two_reviewers_from_entry_to_verdict(world: dict[str, Any]) -> None:
    cli, claim = world["cli"], world["claim"]
    rui, ana, editor = world["rui"].username, world["ana"].username, world["editor"].username
    before = cli.json("claim", "show", str(claim))["claim"]["explanation"]

    # Independent entry: rui judges the trial's stance, ana its appraisal; neither sees the
    # other's entry anywhere — not its words, not its existence.
    first = cli.json("dual", "stance", str(claim), TRIAL, "--stance", "contradicts",
                     "--reason", f"{ONLY_RUI}: pain scores", "--as", rui)
    assert first["state"] == "open"
    cli("dual", "appraise", TRIAL, "--tool", "rob2", *[
        f"--domain={d}=low:{ONLY_ANA} {d}" for d in ROB2_LOW], "--as", ana)
    as_rui, as_ana, as_nobody = (reads(cli, claim, who) for who in (rui, ana, None))
    assert ONLY_RUI in as_rui and ONLY_ANA not in as_rui
    assert ONLY_ANA in as_ana and ONLY_RUI not in as_ana
    assert ONLY_RUI not in as_nobody and ONLY_ANA not in as_nobody
    queue = {(q["kind"], q["citation_key"]): q
             for q in cli.json("dual", "queue", "-D", SEED, "--as", ana)}
    stance = queue[("stance", TRIAL)]
    assert (stance["standing"], stance["item_id"], stance["mine"], stance["other"]) == (
        "to enter", None, None, None)
    assert queue[("appraisal", TRIAL)]["standing"] == "entered"
    items = cli.json("dual", "items", "-D", SEED, "--as", ana)
    assert [(i["kind"], i["state"], [e["reviewer"] for e in i["entries"]]) for i in items] == [
        ("appraisal", "open", [ana])]
    assert cli.json("dual", "items", "-D", SEED, "--as", editor) == []
    assert cli.json("dual", "items", "-D", SEED) == []
    events = cli.json("history", "--limit", "500", "--as", ana)
    assert not [e for e in events if e["action"] == "dual.entry" and e["actor"] == rui]
    assert cli.json("claim", "show", str(claim))["claim"]["explanation"] == before
    assert cli.json("dual", "agreement", "-D", SEED)["rows"] == []

    # The second entries: the same appraisal (agreement: the record, attributed to both), a
    # different stance (awaiting adjudication: the claim says so and leaves the trial out).
    agreed = cli.json("dual", "appraise", TRIAL, "--tool", "rob2", *[
        f"--domain={d}=low:abstract {d}" for d in ROB2_LOW], "--as", rui)
    assert agreed["state"] == "agreed"
    differ = cli.json("dual", "stance", str(claim), TRIAL, "--stance", "supports",
                      "--reason", f"{ONLY_ANA}: Table 2", "--as", ana)
    assert differ["state"] == DualState.AWAITING.value
    for who in (rui, ana, None):  # both entries are in: now everyone sees both
        text = reads(cli, claim, who)
        assert ONLY_RUI in text and ONLY_ANA in text
    shown = cli.json("claim", "show", str(claim))
    assert shown["claim"]["explanation"].startswith(
        "insufficient — awaiting adjudication: left out until an editor adjudicates the "
        f"reviewers' entries: {TRIAL} (stance)")
    with db.reading(world["engine"]) as session:
        appraisal = session.scalar(select(Appraisal).where(
            Appraisal.citation_id == world["trial"]))
        assert appraisal is not None and appraisal.overall == "low"
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "citation.appraise").order_by(AuditEvent.id.desc())).first()
        assert event is not None and event.actor_name == rui
        assert f"dual review: {ana} and {rui} agreed" in event.summary
        assert event.after is not None and event.after["dual_review"]["reviewers"] == [ana, rui]

    # Adjudication: the editor sees both entries with their reasons and takes ana's.
    [waiting] = cli.json("dual", "items", "-D", SEED, "--state", "awaiting-adjudication")
    assert {e["reviewer"]: e["payload"]["reason"] for e in waiting["entries"]} == {
        rui: f"{ONLY_RUI}: pain scores", ana: f"{ONLY_ANA}: Table 2"}
    decided = cli.json("dual", "decide", str(waiting["id"]), "--choose", ana, "--reason",
                       "the trial's primary outcome favours ketamine", "--as", editor)
    assert decided["state"] == "adjudicated"
    after = cli.json("claim", "show", str(claim))
    assert after["claim"]["explanation"] == before.replace(
        "certainty not assessed: needs an appraisal of schwartzman2009; the directness",
        "certainty not assessed: needs the directness")
    assert "awaiting adjudication" not in after["claim"]["explanation"]
    assert after["claim"]["status"] == "supported"
    [link] = [e for e in after["evidence"] if e["citation_key"] == TRIAL]
    assert link["stance"] == "supports"
    trail = [e["action"] for e in cli.json("history", str(claim), "--limit", "20")]
    assert trail[:2] == ["dual.adjudicate", "dual.disagree"]
    stats = {r["measure"]: r for r in cli.json("dual", "agreement", "-D", SEED)["rows"]
             if r["pair"] is None}
    assert (stats["stance"]["n"], stats["stance"]["agreed"]) == (1, 0)
    assert (stats["RoB 2 D1"]["n"], stats["RoB 2 D1"]["agreed"]) == (1, 1)


def test_the_gate_refuses_direct_writes_under_dual_review(world: dict[str, Any]) -> None:
    engine, claim, trial = world["engine"], world["claim"], world["trial"]
    reviewer = world["other"]
    with db.reading(engine) as session:
        link = session.scalar(select(EvidenceLink).where(
            EvidenceLink.claim_id == claim, EvidenceLink.citation_id == trial))
        assert link is not None
    refusals = {
        "stance": lambda s: evidence.update_link(s, reviewer, link.id, stance=Stance.MIXED),
        "directness": lambda s: evidence.update_link(s, reviewer, link.id, directness=DIRECT),
        "link": lambda s: evidence.link_evidence(s, reviewer, claim,
                                                 _citation(engine, "wang2016"), Stance.SUPPORTS),
        "appraisal": lambda s: appraisals.appraise(s, reviewer, trial, AppraisalTool.ROB2,
                                                   ROB2_LOW),
        "clear appraisal": lambda s: appraisals.clear_appraisal(s, reviewer, trial),
    }
    for name, call in refusals.items():
        with db.writing(engine) as session, pytest.raises(InvalidInput,
                                                          match="is under dual review"):
            call(session)
        assert name
    with db.writing(engine) as session:  # what dual review does not cover stays direct
        evidence.update_link(session, reviewer, link.id, note="a reviewer's note")
    cli = world["cli"]
    out = cli("dual", "off", "-D", SEED, "--as", world["editor"].username)
    assert out.strip() == f"{SEED}: single review"
    with db.writing(engine) as session:
        evidence.update_link(session, reviewer, link.id, stance=Stance.MIXED)


def test_only_the_assigned_pair_enters_and_an_item_takes_two_entries(
        world: dict[str, Any]) -> None:
    engine, claim, trial = world["engine"], world["claim"], world["trial"]
    rui, ana, other = world["rui"], world["ana"], world["other"]
    with db.writing(engine) as session, pytest.raises(
            PermissionDenied, match=f"assigned to {rui.username} and {ana.username}"):
        dual.enter_stance(session, other, claim, trial, Stance.SUPPORTS, "why")
    # An unassigned claim takes the first two reviewers who enter it.
    nmda = _claim(engine, "Ketamine blocks NMDA receptors")
    with db.reading(engine) as session:
        [study] = [e.citation_id for e in queries.evidence(session, [nmda])][:1]
    for actor in (rui, other):
        with db.writing(engine) as session:
            dual.enter_stance(session, actor, nmda, study, Stance.SUPPORTS, "mechanism")
    with db.writing(engine) as session, pytest.raises(Conflict, match="no longer open"):
        dual.enter_stance(session, ana, nmda, study, Stance.SUPPORTS, "mechanism")


def test_an_entry_is_replaced_while_open_and_fixed_once_both_are_in(
        world: dict[str, Any]) -> None:
    engine, claim, trial = world["engine"], world["claim"], world["trial"]
    rui, ana = world["rui"], world["ana"]
    with db.writing(engine) as session:
        dual.enter_stance(session, rui, claim, trial, Stance.CONTRADICTS, "first thought")
    with db.writing(engine) as session:
        dual.enter_stance(session, rui, claim, trial, Stance.SUPPORTS, "on reflection")
    with db.writing(engine) as session:
        result = dual.enter_stance(session, ana, claim, trial, Stance.SUPPORTS, "Table 2")
    assert result.state == DualState.AGREED.value
    with db.writing(engine) as session, pytest.raises(Conflict, match="no longer open"):
        dual.enter_stance(session, rui, claim, trial, Stance.MIXED, "again")
    with db.reading(engine) as session:
        [item] = queries.dual_items(session, None, reader=None, claim_ids=[claim])
    assert [e.payload["reason"] for e in item.entries] == ["on reflection", "Table 2"]


def test_a_proposed_study_agreed_by_both_becomes_a_link_naming_both(
        world: dict[str, Any]) -> None:
    engine, claim, cli = world["engine"], world["claim"], world["cli"]
    rui, ana = world["rui"].username, world["ana"].username
    cli("dual", "stance", str(claim), "wang2016", "--stance", "supports", "--reason", "r",
        "--as", rui, code=InvalidInput.exit_code)
    cli("dual", "propose", str(claim), "wang2016", "--reason", "a CRPS review", "--as", rui)
    queue = cli.json("dual", "queue", "-D", SEED, "--as", ana)
    assert [q["standing"] for q in queue if q["citation_key"] == "wang2016"] == ["to enter"]
    for who, why in ((rui, "abstract"), (ana, "Figure 3")):
        cli("dual", "stance", str(claim), "wang2016", "--stance", "mixed", "--reason", why,
            "--as", who)
    with db.reading(engine) as session:
        [link] = [e for e in queries.evidence(session, [claim]) if e.citation_key == "wang2016"]
        [event] = queries.history(session, claim_id=claim, action="evidence.link", limit=1)
    assert (link.stance, link.note, link.created_by) == ("mixed", "abstract", ana)
    assert f"dual review: {rui} and {ana} agreed" in event.summary


def test_directness_decided_by_the_editors_own_judgement(world: dict[str, Any]) -> None:
    engine, claim, trial = world["engine"], world["claim"], world["trial"]
    rui, ana, editor = world["rui"], world["ana"], world["editor"]
    indirect = dict(DIRECT, population=("indirect", "study: CRPS-1 only"))
    with db.writing(engine) as session:
        dual.enter_directness(session, rui, claim, trial, DIRECT)
    with db.writing(engine) as session:
        result = dual.enter_directness(session, ana, claim, trial, indirect)
    assert result.state == DualState.AWAITING.value and "population" in result.outcome
    with db.writing(engine) as session, pytest.raises(PermissionDenied, match="another editor"):
        dual.adjudicate(session, Actor(rui.id, rui.username, Role.EDITOR), result.item_id,
                        "own", "mine")
    own = dict(DIRECT, population=("indirect", "editor: CRPS type 1 and 2"))
    with db.writing(engine) as session:
        dual.adjudicate(session, editor, result.item_id, "own", "both partly right",
                        own={"directness": {k: list(v) for k, v in own.items()}})
    with db.reading(engine) as session:
        [link] = [e for e in queries.evidence(session, [claim]) if e.citation_id == trial]
        [item] = queries.dual_items(session, None, reader=None, item_ids=[result.item_id])
    assert link.directness["population"] == ("indirect", "editor: CRPS type 1 and 2")
    assert (item.state, item.decision, item.decided_by) == ("adjudicated", "own",
                                                            editor.username)


def test_agreement_from_the_database_equals_the_pure_functions(world: dict[str, Any]) -> None:
    """Six claims' stances entered by the same pair: the stored statistics are the pure
    functions' on the same pairs, for the document and for the pair."""
    engine, rui, ana = world["engine"], world["rui"], world["ana"]
    document = _document(engine)
    with db.reading(engine) as session:
        links = [(e.claim_id, e.citation_id) for e in queries.evidence(
            session, [c.id for c in queries.claims(
                session, queries.ClaimFilter(document_id=document))])][:6]
    pairs = [("supports", "supports"), ("supports", "mixed"), ("contradicts", "contradicts"),
             ("mixed", "mixed"), ("background", "supports"), ("supports", "supports")]
    for (claim, study), (first, second) in zip(links, pairs, strict=True):
        for actor, stance in ((rui, first), (ana, second)):
            with db.writing(engine) as session:
                dual.enter_stance(session, actor, claim, study, stance, "r")
    with db.reading(engine) as session:
        rows = [r for r in queries.agreement(session, document) if r.field == "stance"]
    names = sorted([rui.username, ana.username])
    oriented = pairs if names[0] == rui.username else [(b, a) for a, b in pairs]
    table = contingency(oriented, ["supports", "contradicts", "mixed", "background"])
    expected = cohen_kappa(table)
    assert [r.pair for r in rows] == [None, f"{names[0]} & {names[1]}"]
    for row in rows:
        assert (row.n, row.agreed) == (6, 4)
        assert row.percent == pytest.approx(100 * 4 / 6)
        assert row.kappa == pytest.approx(expected.value)
        assert row.kappa_ci_low == pytest.approx(expected.ci_low)
        assert row.linear is None  # stance is nominal
    assert cohen_kappa(table, Weighting.LINEAR).value is not None
    csv_text = world["cli"]("dual", "agreement", "-D", SEED, "--format", "csv")
    assert csv_text.splitlines()[0].startswith("document,pair,kind,measure,field,n,agreed")
    assert f"{SEED},,stance,stance,stance,6,4,66.7,{expected.value:.4f}" in csv_text
