"""Several OS processes — reviewers and editors — writing to the same database at once, on
SQLite (one file) and PostgreSQL (one database).

Each process (tests/editorial_worker.py, started with multiprocessing's "spawn" context) makes
its own engine and links evidence, edits stance, note and judgements, unlinks, raises and
closes flags on a few shared claims and citations, every edit with the version it read. They
collide on purpose: first in barrier rounds where all of them write the same row with the same
version (exactly one may win), then freely for `scaled(4, 120)` seconds. Afterwards the log of
acknowledged writes must be exactly what the database holds: every acknowledged write present,
the audit trail one event per acknowledged write and none for a refused one, version numbers
one step per acknowledged edit (no lost update), no constraint broken, every stored grade what
a fresh regrade gives — and no refusal other than Conflict / NotFound (on SQLite: never
"database is locked").
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from tests import editorial_worker
from tests.conftest import ARTICLE, cli_env, scaled
from tracker import db
from tracker.errors import Conflict, NotFound
from tracker.models import (
    AuditEvent,
    Citation,
    Claim,
    DualEntry,
    DualItem,
    EvidenceLink,
    Flag,
    StatusChange,
)
from tracker.services import articles, citations, dual, evidence, flags, review
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import FlagKind, FlagState, Role, Stance

MakeActor = Callable[[Engine, Role], Actor]
ROLES = (Role.REVIEWER, Role.EDITOR, Role.REVIEWER, Role.EDITOR)  # one process each
ROUNDS = 3
TRACKER = Path(sys.executable).with_name("tracker")
HOT_CLAIMS = ("refractory migraines", "cancer-related pain, refractory migraines",
              "Opioid-Sparing Effects")
HOT_CITATIONS = ("wang2016", "laskowski2011", "michelet2018", "orhurhu2019", "brinck2018")
EXPECTED_REFUSALS = {"Conflict", "NotFound"}


def _claim(session: Session, fragment: str) -> int:
    """The claim whose text is `fragment` (a part) or, else, contains it (a sentence)."""
    exact = session.scalar(select(Claim.id).where(Claim.text == fragment))
    if exact is not None:
        return exact
    [found] = session.scalars(select(Claim.id).where(
        Claim.text.contains(fragment), Claim.parent_id.is_(None)))
    return found


def _links(session: Session, claims: list[int]) -> dict[int, tuple[int, dict[str, Any]]]:
    rows = session.scalars(select(EvidenceLink).where(EvidenceLink.claim_id.in_(claims)))
    return {r.id: (r.version, editorial_worker.link_state(r)) for r in rows}


def _flags(session: Session, claims: list[int]) -> dict[int, tuple[Any, ...]]:
    rows = session.scalars(select(Flag).where(Flag.claim_id.in_(claims)))
    return {f.id: (f.claim_id, f.kind, f.state, f.version, f.closed_by_id, f.resolution)
            for f in rows}


def _setup(engine: Engine, make_actor: MakeActor) -> dict[str, Any]:
    actors = [make_actor(engine, role) for role in ROLES]
    setup_editor = make_actor(engine, Role.EDITOR)
    with db.reading(engine) as session:
        claims = [_claim(session, f) for f in HOT_CLAIMS]
        citations = [session.scalar(select(Citation.id).where(Citation.key == k))
                     for k in HOT_CITATIONS]
        linked = {(c, k) for c, k in session.execute(
            select(EvidenceLink.claim_id, EvidenceLink.citation_id))}
    free = next((c, k) for c in claims for k in citations if (c, k) not in linked)
    with db.writing(engine) as session:
        hot = evidence.link_evidence(session, setup_editor, free[0], free[1], Stance.SUPPORTS)
        hot_flags = flags.raise_flags(session, setup_editor, claims[:ROUNDS], FlagKind.OTHER,
                                      "collision round")
    with db.reading(engine) as session:
        watermark = int(session.scalar(select(func.max(AuditEvent.id))) or 0)
        return {
            "actors": actors, "claims": claims, "citations": citations, "hot_link": hot.id,
            "hot_flags": [f.id for f in hot_flags], "watermark": watermark,
            "links": _links(session, claims), "flags": _flags(session, claims),
        }


def _run_workers(url: str, setup: dict[str, Any], logs: Path, seconds: int) -> list[int]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(setup["actors"]))
    processes = []
    for n, actor in enumerate(setup["actors"]):
        spec = {"url": url, "worker": n, "actor_id": actor.id, "username": actor.username,
                "role": actor.role.value, "log": str(logs / f"worker{n}.jsonl"), "seed": n,
                "claims": setup["claims"], "citations": setup["citations"],
                "hot_link": setup["hot_link"], "hot_flags": setup["hot_flags"],
                "rounds": ROUNDS, "seconds": seconds}
        process = ctx.Process(target=editorial_worker.work, args=(spec, barrier))
        process.start()
        processes.append(process)
    for process in processes:
        process.join(seconds + 180)
        if process.is_alive():
            process.kill()
            process.join()
    return [p.exitcode if p.exitcode is not None else -1 for p in processes]


def _read_logs(logs: Path) -> list[dict[str, Any]]:
    entries = [json.loads(line) for path in sorted(logs.glob("worker*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines()]
    return sorted(entries, key=lambda e: e["at"])


# --- what the log says the database must hold ---------------------------------------------------


def _expected_audit(acks: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    judgement_names = set(evidence.CONCERNS + evidence.UPGRADES)
    expected: Counter[tuple[Any, ...]] = Counter()
    for e in acks:
        if e["op"] == "link":
            expected[("evidence.link", e["actor"], "evidence_link", e["link_id"], None)] += 1
        elif e["op"] == "edit":
            action = "evidence.judge" if set(e["changes"]) <= judgement_names else "evidence.edit"
            expected[(action, e["actor"], "evidence_link", e["link_id"],
                      json.dumps(e["changes"], sort_keys=True))] += 1
        elif e["op"] == "unlink":
            expected[("evidence.unlink", e["actor"], "evidence_link", e["link_id"], None)] += 1
        elif e["op"] == "raise":
            expected[("flag.raise", e["actor"], "flag", e["flag_id"], None)] += 1
        elif e["op"] == "close":
            action = "flag.resolve" if e["state"] == "resolved" else "flag.dismiss"
            expected[(action, e["actor"], "flag", e["flag_id"], None)] += 1
    return expected


def _stored_audit(session: Session, watermark: int) -> Counter[tuple[Any, ...]]:
    stored: Counter[tuple[Any, ...]] = Counter()
    for ev in session.scalars(select(AuditEvent).where(AuditEvent.id > watermark)):
        detail = None
        if ev.action in ("evidence.edit", "evidence.judge"):
            detail = json.dumps(ev.after, sort_keys=True)
        stored[(ev.action, ev.actor_name, ev.entity_type, ev.entity_id, detail)] += 1
    return stored


def _replay_links(setup: dict[str, Any], acks: list[dict[str, Any]]
                  ) -> dict[int, tuple[int, dict[str, Any]]]:
    """Each link's final (version, state): its state when created or first read, then every
    acknowledged edit in version order. Asserts one version step per acknowledged edit."""
    base: dict[int, tuple[int, dict[str, Any]]] = dict(setup["links"])
    for e in acks:
        if e["op"] == "link":
            assert e["link_id"] not in base, f"link #{e['link_id']} created twice"
            base[e["link_id"]] = (e["version"], e["state"])
    edits: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in acks:
        if e["op"] == "edit":
            assert e["returned_version"] == e["expected_version"] + 1, e
            edits[e["link_id"]].append(e)
    final: dict[int, tuple[int, dict[str, Any]]] = {}
    for link_id, (version, state) in base.items():
        steps = sorted(edits.pop(link_id, []), key=lambda e: e["returned_version"])
        versions = [e["returned_version"] for e in steps]
        assert versions == list(range(version + 1, version + 1 + len(steps))), (
            f"link #{link_id}: acknowledged edits made versions {versions} from {version}: "
            "an update was lost or a version reused")
        state = dict(state)
        for e in steps:
            state.update(e["changes"])
        final[link_id] = (version + len(steps), state)
    assert not edits, f"acknowledged edits of links never created: {sorted(edits)}"
    unlinked: Counter[int] = Counter(e["link_id"] for e in acks if e["op"] == "unlink")
    for e in acks:
        if e["op"] == "unlink":
            assert unlinked[e["link_id"]] == 1, f"link #{e['link_id']} unlinked twice"
            assert e["expected_version"] == final[e["link_id"]][0], (
                f"link #{e['link_id']} removed at version {e['expected_version']}, "
                f"but an edit to version {final[e['link_id']][0]} was acknowledged")
            del final[e["link_id"]]
    return final


def _expected_flags(setup: dict[str, Any], acks: list[dict[str, Any]]
                    ) -> dict[int, tuple[Any, ...]]:
    actor_ids = {a.username: a.id for a in setup["actors"]}
    expected: dict[int, tuple[Any, ...]] = dict(setup["flags"])
    for e in acks:
        if e["op"] == "raise":
            expected[e["flag_id"]] = (e["claim_id"], e["kind"], "open", 1, None, None)
    closes = [e for e in acks if e["op"] == "close"]
    closed = Counter(e["flag_id"] for e in closes)
    for e in closes:
        assert closed[e["flag_id"]] == 1, f"flag #{e['flag_id']} closed twice"
        claim_id, kind, state, version, _by, _why = expected[e["flag_id"]]
        assert (state, version) == ("open", e["expected_version"]) == ("open", 1)
        expected[e["flag_id"]] = (claim_id, kind, e["state"], e["returned_version"],
                                  actor_ids[e["actor"]], e["resolution"])
    return expected


def _regrade_changes(engine: Engine) -> list[tuple[Any, ...]]:
    """Claims whose stored grade differs from a fresh regrade (rolled back)."""
    columns = (Claim.id, Claim.status, Claim.certainty, Claim.explanation, Claim.requirement)
    with Session(engine) as session, session.begin():
        before = {tuple(r) for r in session.execute(select(*columns))}
        evidence.regrade(session, list(session.scalars(select(Claim.id))))
        after = {tuple(r) for r in session.execute(select(*columns))}
        session.rollback()
    return sorted(after - before)


def _history_disagrees(session: Session) -> list[tuple[int, str, str | None]]:
    """Live claims whose newest status change does not end at their stored status."""
    last = (select(StatusChange.claim_id, func.max(StatusChange.id).label("last"))
            .group_by(StatusChange.claim_id).subquery())
    rows = session.execute(
        select(Claim.id, Claim.status, StatusChange.to_status)
        .join(last, last.c.claim_id == Claim.id)
        .join(StatusChange, StatusChange.id == last.c.last)
        .where(Claim.retired.is_(False)))
    return [(r[0], r[1], r[2]) for r in rows if r[1] != r[2]]


def _conflict_kind(message: str) -> str:
    for words, kind in (("since you read it", "stale version read"),
                        ("was changing the same records", "deadlock broken"),
                        ("at the same time", "row changed meanwhile"),
                        ("already linked", "already linked"),
                        ("already has an open", "flag already open"),
                        ("is already", "flag already closed"),
                        ("clashes with existing data", "unique constraint")):
        if words in message:
            return kind
    return message


@pytest.mark.slow
def test_concurrent_reviewers_and_editors_lose_nothing(
        shipped_engine: Engine, make_actor: MakeActor, tmp_path: Path) -> None:
    engine = shipped_engine
    setup = _setup(engine, make_actor)
    seconds = scaled(4, 120)
    started = time.perf_counter()
    exit_codes = _run_workers(engine.url.render_as_string(hide_password=False), setup,
                              tmp_path, seconds)
    elapsed = time.perf_counter() - started
    entries = _read_logs(tmp_path)
    acks = [e for e in entries if e["outcome"] == "ack"]
    refused = [e for e in entries if e["outcome"] == "refused"]
    errors = Counter(e["error"] for e in refused)
    figures = {
        "backend": engine.dialect.name, "processes": len(ROLES), "seconds": round(elapsed, 1),
        "attempted": len(entries), "acknowledged": len(acks),
        "conflicts": errors["Conflict"], "not_found": errors["NotFound"],
        "by_op": dict(Counter(f"{e['op']}:{e['outcome']}" for e in entries)),
        "conflict_kinds": dict(Counter(_conflict_kind(e["message"]) for e in refused
                                       if e["error"] == "Conflict")),
    }
    print(f"\nconcurrency figures: {json.dumps(figures, sort_keys=True)}")

    unexpected = [e for e in refused if e["error"] not in EXPECTED_REFUSALS]
    assert not unexpected, "refusals other than Conflict/NotFound: " + "; ".join(
        f"{e['op']} {e['error']}: {e['message']}" for e in unexpected[:5])
    assert exit_codes == [0] * len(ROLES)
    assert errors["Conflict"] > 0 and len(acks) > 0

    # The collision rounds: one winner per round and per row, every other writer a Conflict.
    for round_ in range(ROUNDS):
        in_round = [e for e in entries if e.get("round") == round_]
        for op in ("edit", "close"):
            outcomes = Counter((e["outcome"], e.get("error")) for e in in_round if e["op"] == op)
            assert outcomes[("ack", None)] == 1, (round_, op, outcomes)
            assert sum(outcomes.values()) == 1 + outcomes[("refused", "Conflict")]

    with db.reading(engine) as session:
        assert _stored_audit(session, setup["watermark"]) == _expected_audit(acks), (
            "the audit trail is not one event per acknowledged write")
        assert _links(session, setup["claims"]) == _replay_links(setup, acks)
        assert _flags(session, setup["claims"]) == _expected_flags(setup, acks)
        twice = session.execute(
            select(EvidenceLink.claim_id, EvidenceLink.citation_id, func.count())
            .group_by(EvidenceLink.claim_id, EvidenceLink.citation_id)
            .having(func.count() > 1)).all()
        assert twice == [], "a claim/citation pair linked twice"
        open_twice = session.execute(
            select(Flag.claim_id, Flag.kind, func.count())
            .where(Flag.state == FlagState.OPEN.value)
            .group_by(Flag.claim_id, Flag.kind).having(func.count() > 1)).all()
        assert open_twice == [], "two open flags of the same kind on one claim"
        assert _history_disagrees(session) == []
    assert _regrade_changes(engine) == [], "a stored grade differs from a fresh regrade"
    if db.is_sqlite(engine):
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


# --- the races the run above found, one at a time ------------------------------------------------


def _blocked_by_this_transaction(session: Session) -> bool:
    """Whether another PostgreSQL transaction waits for a lock this session's one holds."""
    return bool(session.scalar(text(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted "
        "AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))")))


class _SecondWrite:
    """Watches one thread's write transaction on SQLite, where the lock wait happens inside
    BEGIN IMMEDIATE: `issued` is set when the thread sends it (from then on it waits for the
    write lock), and `after_release` records whether it returned only once `releasing` was
    set — that is, once the writer holding the lock was about to commit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.thread: int | None = None
        self.issued, self.releasing = threading.Event(), threading.Event()
        self.after_release: bool | None = None

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.get_ident() == self.thread and statement == "BEGIN IMMEDIATE":
            self.issued.set()

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.get_ident() == self.thread and statement == "BEGIN IMMEDIATE":
            self.after_release = self.releasing.is_set()

    def __enter__(self) -> _SecondWrite:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def wait_until_waiting(self, holder: Session | None = None) -> None:
        """Block until the watched write waits for the lock the other transaction holds (on
        PostgreSQL `holder` is that transaction's session); fail if it never does."""
        deadline = time.monotonic() + 30
        while not (self.issued.is_set() if db.is_sqlite(self.engine)
                   else holder is not None and _blocked_by_this_transaction(holder)):
            if time.monotonic() > deadline:
                pytest.fail("the second write never waited for the first")
            self.issued.wait(0.01)  # SQLite sets it; PostgreSQL's pg_locks is polled

    def assert_waited(self) -> None:
        if db.is_sqlite(self.engine):
            assert self.after_release is True, "the second write did not wait for the first"


def _while_held(engine: Engine, first: Callable[[Session], Any],
                second: Callable[[Session], Any]) -> BaseException | None:
    """Run `first` in a write transaction that stays open until `second`, in another one, is
    seen waiting for it (`_SecondWrite`), and only then commits: the race happens on every
    run, or the test fails saying it did not. Returns the error `second` raised, if any."""
    written = threading.Event()
    outcome: dict[str, Any] = {"second": None, "failure": None}

    def hold(watch: _SecondWrite) -> None:
        with db.writing(engine) as session:
            first(session)
            session.flush()
            written.set()
            try:
                watch.wait_until_waiting(session)
            except BaseException as exc:  # noqa: BLE001 - reported by the caller's thread
                outcome["failure"] = exc
            watch.releasing.set()

    def then(watch: _SecondWrite) -> None:
        watch.thread = threading.get_ident()
        written.wait(30)
        try:
            with db.writing(engine) as session:
                second(session)
        except BaseException as exc:  # noqa: BLE001 - the caller asserts on it
            outcome["second"] = exc

    with _SecondWrite(engine) as watch:
        threads = [threading.Thread(target=hold, args=(watch,)),
                   threading.Thread(target=then, args=(watch,))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        stuck = [t for t in threads if t.is_alive()]
        assert not stuck, "a transaction was still running after 120 s: nothing can be judged"
    if outcome["failure"] is not None:
        raise outcome["failure"]
    watch.assert_waited()
    return outcome["second"]


def test_two_editors_flagging_a_claim_at_once_raise_one_flag(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    """On PostgreSQL both used to see no open flag and both added one."""
    editors = [make_actor(shipped_engine, Role.EDITOR) for _ in range(2)]
    with db.reading(shipped_engine) as session:
        claim = _claim(session, "Opioid-Sparing Effects")
    error = _while_held(
        shipped_engine,
        lambda s: flags.raise_flag(s, editors[0], claim, FlagKind.OUTDATED, "first"),
        lambda s: flags.raise_flag(s, editors[1], claim, FlagKind.OUTDATED, "second"))
    assert isinstance(error, Conflict) and "already has an open" in str(error)
    with db.reading(shipped_engine) as session:
        assert session.scalar(select(func.count()).select_from(Flag).where(
            Flag.claim_id == claim, Flag.kind == "outdated", Flag.state == "open")) == 1


def test_two_reviewers_linking_to_one_claim_at_once_both_succeed(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    """On PostgreSQL the second used to fail on the claim's version (its grade had moved),
    though nobody had changed what it read; now it waits and grades with both links."""
    reviewers = [make_actor(shipped_engine, Role.REVIEWER) for _ in range(2)]
    with db.reading(shipped_engine) as session:
        claim = _claim(session, "Opioid-Sparing Effects")
        linked = set(session.scalars(select(EvidenceLink.citation_id).where(
            EvidenceLink.claim_id == claim)))
        free = [c for c in session.scalars(select(Citation.id).where(Citation.verified)
                                           .order_by(Citation.id)) if c not in linked][:2]
    error = _while_held(
        shipped_engine,
        lambda s: evidence.link_evidence(s, reviewers[0], claim, free[0], Stance.SUPPORTS),
        lambda s: evidence.link_evidence(s, reviewers[1], claim, free[1], Stance.CONTRADICTS))
    assert error is None
    with db.reading(shipped_engine) as session:
        assert set(free) <= set(session.scalars(select(EvidenceLink.citation_id).where(
            EvidenceLink.claim_id == claim)))
    assert _regrade_changes(shipped_engine) == []


def test_a_retraction_while_a_reviewer_links_to_the_same_claim_waits_and_regrades(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    """A bulk writer (a retraction regrades every claim citing the study) used to read the
    claims without the sentence lock: on PostgreSQL it then failed on a claim's version that
    a reviewer's link had moved meanwhile. Now it waits for the reviewer and grades with the
    new link."""
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    editor = make_actor(shipped_engine, Role.EDITOR)
    with db.reading(shipped_engine) as session:
        claim = _claim(session, "Opioid-Sparing Effects")
        linked = list(session.scalars(select(EvidenceLink.citation_id).where(
            EvidenceLink.claim_id == claim).order_by(EvidenceLink.citation_id)))
        free = next(c for c in session.scalars(select(Citation.id).where(Citation.verified)
                                               .order_by(Citation.id)) if c not in linked)
    assert linked, "the claim should already cite a study to retract"
    error = _while_held(
        shipped_engine,
        lambda s: evidence.link_evidence(s, reviewer, claim, free, Stance.SUPPORTS),
        lambda s: citations.set_retracted(s, editor, linked[0], True, "Retraction notice"))
    assert error is None
    with db.reading(shipped_engine) as session:
        retracted = session.get(Citation, linked[0])
        assert retracted is not None and retracted.retracted
        assert free in set(session.scalars(select(EvidenceLink.citation_id).where(
            EvidenceLink.claim_id == claim)))
    assert _regrade_changes(shipped_engine) == []


def test_a_revision_of_the_article_while_a_reviewer_links_waits_and_keeps_the_link(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    """Ingesting a revised article rewrites the claims it changed; it used to read them before
    a reviewer's link on one of them committed, and then failed on its version (PostgreSQL).
    Now it waits for the reviewer's sentence and revises what was committed."""
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    editor = make_actor(shipped_engine, Role.EDITOR)
    sentence = "Ketamine can reduce the need for opioid medications"
    with db.reading(shipped_engine) as session:
        claim = _claim(session, "Opioid-Sparing Effects")
        linked = set(session.scalars(select(EvidenceLink.citation_id).where(
            EvidenceLink.claim_id == claim)))
        free = next(c for c in session.scalars(select(Citation.id).where(Citation.verified)
                                               .order_by(Citation.id)) if c not in linked)
    text = articles.read_article(ARTICLE).text
    assert text.count(sentence) == 1
    revised = articles.ArticleSource(
        text.replace(sentence, "Ketamine may reduce the need for opioid medications"),
        str(ARTICLE), "text")
    error = _while_held(
        shipped_engine,
        lambda s: evidence.link_evidence(s, reviewer, claim, free, Stance.SUPPORTS),
        lambda s: articles.ingest(s, editor, revised))
    assert error is None
    with db.reading(shipped_engine) as session:
        stored = session.get(Claim, claim)
        assert stored is not None and not stored.retired
        assert "Ketamine may reduce" in stored.text
        assert free in set(session.scalars(select(EvidenceLink.citation_id).where(
            EvidenceLink.claim_id == claim)))
    assert _regrade_changes(shipped_engine) == []


def test_a_review_loaded_while_a_reviewer_links_to_the_same_claim_waits(
        shipped_engine: Engine, make_actor: MakeActor, tmp_path: Path) -> None:
    """Loading a review reads the document's claims first; it used to hold them as read
    before a reviewer's link on one of them committed, and then failed on its version
    (PostgreSQL). Now it waits for the document's sentences and links to what was committed."""
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    editor = make_actor(shipped_engine, Role.EDITOR)
    with db.reading(shipped_engine) as session:
        claim = _claim(session, "Opioid-Sparing Effects")
        linked = set(session.scalars(select(EvidenceLink.citation_id).where(
            EvidenceLink.claim_id == claim)))
        free = [c for c in session.scalars(select(Citation).where(Citation.verified)
                                           .order_by(Citation.id)) if c.id not in linked][:2]
    path = tmp_path / "review.toml"
    path.write_text(f"""format_version = 1
document = "ketamine-therapy-for-pain-management"

[[link]]
claim = "Ketamine can reduce the need for opioid medications"
citation = "{free[1].key}"
stance = "contradicts"
rationale = "a second reviewer's reading"
""", encoding="utf-8")
    error = _while_held(
        shipped_engine,
        lambda s: evidence.link_evidence(s, reviewer, claim, free[0].id, Stance.SUPPORTS),
        lambda s: review.load_review(s, editor, path))
    assert error is None
    with db.reading(shipped_engine) as session:
        assert {free[0].id, free[1].id} <= set(session.scalars(select(
            EvidenceLink.citation_id).where(EvidenceLink.claim_id == claim)))
    assert _regrade_changes(shipped_engine) == []


def test_a_removed_links_id_is_never_given_to_another_link(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    """SQLite used to give the newest link's id, once unlinked, to the next link: a stale form
    holding (id, version 1) then edited that other link."""
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    with db.reading(shipped_engine) as session:
        claim = _claim(session, "Opioid-Sparing Effects")
        linked = set(session.scalars(select(EvidenceLink.citation_id).where(
            EvidenceLink.claim_id == claim)))
        free = [c for c in session.scalars(select(Citation.id).order_by(Citation.id))
                if c not in linked][:2]
    with db.writing(shipped_engine) as session:
        removed = evidence.link_evidence(session, reviewer, claim, free[0], Stance.SUPPORTS)
    with db.writing(shipped_engine) as session:
        evidence.unlink(session, reviewer, removed.id, expected_version=removed.version)
    with db.writing(shipped_engine) as session:
        other = evidence.link_evidence(session, reviewer, claim, free[1], Stance.SUPPORTS)
    assert other.id != removed.id
    with db.writing(shipped_engine) as session, pytest.raises(NotFound):
        evidence.update_link(session, reviewer, removed.id, expected_version=removed.version,
                             note="from a stale form")


def test_an_edit_that_changes_nothing_keeps_the_version_and_leaves_no_audit(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    """Saving a form unchanged used to bump the link's version (its `updated_by` moved) with
    no audit event: the next editor's form then failed with a Conflict over nothing."""
    reviewer = make_actor(shipped_engine, Role.REVIEWER)
    with db.reading(shipped_engine) as session:
        link = session.scalars(select(EvidenceLink).order_by(EvidenceLink.id)).first()
        assert link is not None
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    with db.writing(shipped_engine) as session:
        info = evidence.update_link(session, reviewer, link.id, expected_version=link.version,
                                    stance=Stance(link.stance), note=link.note,
                                    judgements=evidence.parse_judgements(
                                        {"imprecision": link.imprecision}))
    assert info.version == link.version
    with db.reading(shipped_engine) as session:
        stored = session.get(EvidenceLink, link.id)
        assert stored is not None
        assert (stored.version, stored.updated_by_id) == (link.version, link.updated_by_id)
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


# --- imports and inputs read outside the write lock (issue 12) -------------------------------


def _waiting_for_an_advisory_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )).scalar())


@pytest.mark.parametrize("identified", ["without DOIs", "with DOIs"])
def test_two_imports_of_the_same_works_at_once_merge_like_one(
        engine: Engine, make_actor: MakeActor, identified: str) -> None:
    """The second import starts while the first is still open: it waits for the first to
    commit, then finds its rows and merges into them (on PostgreSQL it used to insert every
    work again, or — with DOIs — fail whole on the unique index)."""
    reviewer = make_actor(engine, Role.REVIEWER)
    works = 40
    doi = ", doi={{10.5555/concurrent.{n}}}" if identified == "with DOIs" else ""
    text_ = "".join(f"@article{{w{n}, title={{Concurrent work number {n}}}, author={{Doe, J}}, "
                    f"year={{2020}}{doi.format(n=n)}}}\n" for n in range(works))
    parsed = []
    for name in ("a.bib", "b.bib"):
        with db.reading(engine) as session:
            parsed.append(citations.parse_import(session, reviewer, [(name, text_)]))
    first_written, release = threading.Event(), threading.Event()
    events: list[str] = []
    reports: dict[str, citations.ImportReport] = {}
    errors: list[BaseException] = []

    def first() -> None:
        with db.writing(engine) as session:
            reports["first"] = citations.import_bibtex(session, reviewer, parsed[0])
            session.flush()
            first_written.set()
            release.wait(60)
            events.append("first commits")

    def second(watch: _SecondWrite) -> None:
        watch.thread = threading.get_ident()
        first_written.wait(60)
        events.append("second starts")
        try:
            with db.writing(engine) as session:
                reports["second"] = citations.import_bibtex(session, reviewer, parsed[1])
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        events.append("second ends")

    with _SecondWrite(engine) as watch:
        threads = [threading.Thread(target=first), threading.Thread(target=second,
                                                                     args=(watch,))]
        for thread in threads:
            thread.start()
        first_written.wait(60)
        if db.is_sqlite(engine):
            watch.wait_until_waiting()  # its BEGIN IMMEDIATE waits for the first's lock
        else:
            deadline = time.monotonic() + 30
            while not _waiting_for_an_advisory_lock(engine) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert _waiting_for_an_advisory_lock(engine), "the second import waits for the first"
        watch.releasing.set()
        release.set()
        for thread in threads:
            thread.join(120)
    watch.assert_waited()
    assert errors == []
    assert events == ["second starts", "first commits", "second ends"]
    assert len(reports["first"].added) == works
    assert reports["second"].added == [] and len(reports["second"].unchanged) == works
    with db.reading(engine) as session:
        assert session.scalar(select(func.count()).select_from(Citation)) == works


def _reader_is_waiting(fifo: Path) -> int:
    """Open the FIFO's writing end once a reader has it open (the reader is then blocked on
    it, waiting for data); returns the descriptor."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@pytest.mark.parametrize("command", ["review load", "review questions", "import-bib"])
def test_a_slow_input_holds_no_lock_while_it_is_read(
        shipped_engine: Engine, make_actor: MakeActor, tmp_path: Path, command: str) -> None:
    """A command reading its input from a pipe (or a huge file) reads and parses it before
    its write transaction: meanwhile another writer is not kept waiting (on SQLite it used
    to fail after 30 s with "database is locked")."""
    editor = make_actor(shipped_engine, Role.EDITOR)
    fifo = tmp_path / "input"
    os.mkfifo(fifo)
    env = {**os.environ, **cli_env(shipped_engine, editor.username)}
    slow = subprocess.Popen([str(TRACKER), *command.split(), str(fifo)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writer = _reader_is_waiting(fifo)
    try:
        flag = subprocess.run(
            [str(TRACKER), "flag", "9", "--kind", "other", "--reason", "meanwhile"], env=env,
            capture_output=True, text=True, timeout=120, check=False)
        assert slow.poll() is None, "the slow command was still reading during the flag"
        assert flag.returncode == 0, flag.stderr
    finally:
        os.close(writer)
        _, stderr = slow.communicate(timeout=60)
    # the pipe ends empty: an empty BibTeX file imports nothing; an empty TOML file is refused
    assert slow.returncode == (0 if command == "import-bib" else 2), stderr
    assert "Traceback" not in stderr


# --- dual review: two reviewers entering the same judgement at once ----------------------------


def _dual_setup(engine: Engine, make_actor: MakeActor, count: int
                ) -> tuple[list[Actor], list[tuple[int, int]]]:
    """The seed document under dual review, two reviewers, and `count` links to judge."""
    reviewers = [make_actor(engine, Role.REVIEWER) for _ in range(2)]
    with db.writing(engine) as session:
        claim = _claim(session, "Opioid-Sparing Effects")
        document = session.scalar(select(Claim.document_id).where(Claim.id == claim))
        assert document is not None
        dual.require_dual_review(session, system_actor(session), document, True, "race")
        links = session.execute(select(EvidenceLink.claim_id, EvidenceLink.citation_id)
                                .join(Claim, Claim.id == EvidenceLink.claim_id)
                                .where(Claim.document_id == document)
                                .order_by(EvidenceLink.id)).all()
    return reviewers, [(c, s) for c, s in links][:count]


def _dual_outcome(engine: Engine, claim: int, study: int) -> tuple[int, int, list[str]]:
    """(entries kept, dual.agree events, state) of the stance item of a link."""
    with db.reading(engine) as session:
        [item] = session.scalars(select(DualItem).where(
            DualItem.target == f"stance:{claim}:{study}")).all()
        entries = session.scalar(select(func.count()).select_from(DualEntry).where(
            DualEntry.item_id == item.id)) or 0
        agreed = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "dual.agree", AuditEvent.entity_id == item.id)) or 0
        return entries, agreed, [item.state]


def test_two_reviewers_entering_one_judgement_while_the_other_is_writing(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    """The second reviewer starts while the first one's entry is written but not committed:
    it waits (SQLite's write lock, PostgreSQL's lock on the item row), then reads the first
    entry — both entries are kept and the agreement is computed once, by the second."""
    (first, second), [(claim, study)] = _dual_setup(shipped_engine, make_actor, 1)
    second_started = threading.Event()
    results: dict[str, Any] = {}

    def one() -> None:
        with db.writing(shipped_engine) as session:
            results["first"] = dual.enter_stance(session, first, claim, study,
                                                 Stance.SUPPORTS, "abstract")
            session.flush()
            results["overlap"] = second_started.wait(30)  # the race: the other starts now
            time.sleep(0.2)

    def two() -> None:
        while "first" not in results:
            time.sleep(0.01)
        second_started.set()
        with db.writing(shipped_engine) as session:
            results["second"] = dual.enter_stance(session, second, claim, study,
                                                  Stance.SUPPORTS, "Table 2")

    threads = [threading.Thread(target=one), threading.Thread(target=two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results["overlap"], "the second entry did not start while the first was open"
    assert (results["first"].state, results["second"].state) == ("open", "agreed")
    assert _dual_outcome(shipped_engine, claim, study) == (2, 1, ["agreed"])
    assert _regrade_changes(shipped_engine) == []


def test_two_reviewers_entering_at_the_same_moment_agree_once(
        shipped_engine: Engine, make_actor: MakeActor) -> None:
    """Both reviewers released together (two threads, each with its own transaction) on each
    of several judgements: every judgement keeps both entries and is agreed exactly once, and
    no entry is refused."""
    rounds = scaled(3, 20)
    reviewers, links = _dual_setup(shipped_engine, make_actor, rounds)
    errors: list[BaseException] = []
    for claim, study in links:
        barrier = threading.Barrier(2)

        def enter(actor: Actor, claim: int = claim, study: int = study,
                  barrier: threading.Barrier = barrier) -> None:
            barrier.wait(30)
            try:
                with db.writing(shipped_engine) as session:
                    dual.enter_stance(session, actor, claim, study, Stance.MIXED, "same")
            except BaseException as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

        threads = [threading.Thread(target=enter, args=(r,)) for r in reviewers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert [_dual_outcome(shipped_engine, c, s) for c, s in links] == [
        (2, 1, ["agreed"])] * len(links)
    assert _regrade_changes(shipped_engine) == []
