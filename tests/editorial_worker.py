"""One reviewer or editor working in its own OS process, for tests/test_concurrency.py.

Started with multiprocessing's "spawn" context: a fresh interpreter that makes its own engine
with `tracker.db.make_engine(url)` and writes through the service layer, as the CLI and the
dashboard do. Every write attempt is logged as one JSON line, written after the call returned:
`"ack"` (the transaction committed) with what was written and the versions read and returned,
or `"refused"` with the error type and message. An unexpected exception is logged as refused
too (the test fails on it), so a crash never hides the log.

Two phases:
- collision rounds: every worker reads the same row's version, waits at a barrier, then writes
  with that version — exactly one write per round can succeed, the others must get Conflict;
- free writing until the deadline: link, edit (stance, note, judgements), unlink, raise and
  close flags on a few shared claims and citations, each edit with the version just read.
"""

from __future__ import annotations

import json
import random
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from threading import BrokenBarrierError
from typing import Any

from sqlalchemy import Engine, select

from tracker import db
from tracker.errors import Conflict, NotFound
from tracker.models import EvidenceLink, Flag
from tracker.services import evidence, flags
from tracker.services.access import Actor
from tracker.vocabulary import Concern, FlagKind, FlagState, Role, Stance

FLAG_KINDS = (FlagKind.UNSUPPORTED, FlagKind.OVERSTATED)
STANCES = tuple(s.value for s in Stance)
CONCERN_VALUES = tuple(c.value for c in Concern)


class Log:
    """Append-only JSON lines, flushed after each write so a crash loses nothing."""

    def __init__(self, path: Path, worker: int, actor: Actor) -> None:
        self.file = path.open("a", encoding="utf-8")
        self.worker = worker
        self.actor = actor
        self.context: dict[str, Any] = {}

    def write(self, op: str, outcome: str, **details: Any) -> None:
        entry = {"worker": self.worker, "actor": self.actor.username, "op": op,
                 "outcome": outcome, "at": time.time(), **self.context, **details}
        self.file.write(json.dumps(entry, sort_keys=True) + "\n")
        self.file.flush()

    def attempt(self, op: str, call: Callable[[], dict[str, Any]], **details: Any) -> bool:
        """Run one write use case; log it as acknowledged or refused. True when acknowledged."""
        try:
            written = call()
        except (Conflict, NotFound) as exc:
            self.write(op, "refused", error=type(exc).__name__, message=str(exc), **details)
            return False
        except Exception as exc:  # noqa: BLE001 - logged, and the test fails on it
            self.write(op, "refused", error=type(exc).__name__, message=str(exc),
                       traceback=traceback.format_exc(), **details)
            return False
        self.write(op, "ack", **details, **written)
        return True


def link_state(link: EvidenceLink) -> dict[str, Any]:
    state: dict[str, Any] = {"stance": link.stance, "locator": link.locator, "note": link.note}
    for name in evidence.CONCERNS:
        state[name] = getattr(link, name)
    for name in evidence.UPGRADES:
        state[name] = bool(getattr(link, name))
    return state


def read_link(engine: Engine, link_id: int) -> tuple[int, dict[str, Any]] | None:
    with db.reading(engine) as session:
        link = session.get(EvidenceLink, link_id)
        return None if link is None else (link.version, link_state(link))


def read_links(engine: Engine, claim_ids: list[int]) -> list[tuple[int, int, dict[str, Any]]]:
    with db.reading(engine) as session:
        rows = session.scalars(select(EvidenceLink).where(EvidenceLink.claim_id.in_(claim_ids)))
        return [(r.id, r.version, link_state(r)) for r in rows]


def read_open_flags(engine: Engine, claim_ids: list[int]) -> list[tuple[int, int]]:
    with db.reading(engine) as session:
        rows = session.execute(select(Flag.id, Flag.version).where(
            Flag.claim_id.in_(claim_ids), Flag.state == FlagState.OPEN.value))
        return [(r[0], r[1]) for r in rows]


class Worker:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.engine = db.make_engine(spec["url"])
        self.actor = Actor(id=spec["actor_id"], username=spec["username"],
                           role=Role(spec["role"]))
        self.log = Log(Path(spec["log"]), spec["worker"], self.actor)
        self.rng = random.Random(spec["seed"])
        self.claims: list[int] = spec["claims"]
        self.citations: list[int] = spec["citations"]
        self.serial = 0

    def unique_note(self) -> str:
        self.serial += 1
        return f"{self.actor.username} note {self.serial}"

    # --- the write use cases ---------------------------------------------------------------

    def link(self) -> None:
        claim, citation = self.rng.choice(self.claims), self.rng.choice(self.citations)
        stance = self.rng.choice(STANCES)
        note = self.unique_note()

        def call() -> dict[str, Any]:
            with db.writing(self.engine) as session:
                info = evidence.link_evidence(session, self.actor, claim, citation,
                                              Stance(stance), note=note)
            return {"link_id": info.id, "version": info.version,
                    "state": {"stance": info.stance, "locator": info.locator,
                              "note": info.note, **info.judgements.as_stored()}}

        self.log.attempt("link", call, claim_id=claim, citation_id=citation)

    def edit(self, link_id: int, version: int, state: dict[str, Any], *,
             pause: float = 0.0, changes: dict[str, Any] | None = None) -> bool:
        """Change a link from the state read at `version` (something always differs)."""
        if changes is None:
            changes = self._changes(state)
        fields = {k: v for k, v in changes.items() if k in ("stance", "note")}
        judgements = {k: v for k, v in changes.items() if k not in fields}
        if pause:
            time.sleep(pause)

        def call() -> dict[str, Any]:
            with db.writing(self.engine) as session:
                info = evidence.update_link(
                    session, self.actor, link_id, expected_version=version,
                    stance=Stance(fields["stance"]) if "stance" in fields else None,
                    note=fields.get("note"),
                    judgements=evidence.parse_judgements(judgements) if judgements else None)
            return {"returned_version": info.version}

        return self.log.attempt("edit", call, link_id=link_id, expected_version=version,
                                changes=changes)

    def _changes(self, state: dict[str, Any]) -> dict[str, Any]:
        kind = self.rng.choice(("note", "stance", "judgement", "judgement"))
        if kind == "note":
            return {"note": self.unique_note()}
        if kind == "stance":
            return {"stance": self.rng.choice([s for s in STANCES if s != state["stance"]])}
        name = self.rng.choice(evidence.CONCERNS + evidence.UPGRADES)
        if name in evidence.UPGRADES:
            return {name: not state[name]}
        return {name: self.rng.choice([v for v in CONCERN_VALUES if v != state[name]])}

    def unlink(self, link_id: int, version: int) -> None:
        def call() -> dict[str, Any]:
            with db.writing(self.engine) as session:
                evidence.unlink(session, self.actor, link_id, expected_version=version)
            return {}

        self.log.attempt("unlink", call, link_id=link_id, expected_version=version)

    def raise_flag(self) -> None:
        claim, kind = self.rng.choice(self.claims), self.rng.choice(FLAG_KINDS)
        reason = f"{self.actor.username}: check {self.unique_note()}"

        def call() -> dict[str, Any]:
            with db.writing(self.engine) as session:
                info = flags.raise_flag(session, self.actor, claim, kind, reason)
            return {"flag_id": info.id, "version": info.version}

        self.log.attempt("raise", call, claim_id=claim, kind=kind.value, reason=reason)

    def close_flag(self, flag_id: int, version: int) -> bool:
        state = self.rng.choice((FlagState.RESOLVED, FlagState.DISMISSED))
        why = f"{self.actor.username} closes {self.unique_note()}"

        def call() -> dict[str, Any]:
            with db.writing(self.engine) as session:
                info = flags.close_flag(session, self.actor, flag_id, state, why,
                                        expected_version=version)
            return {"returned_version": info.version}

        return self.log.attempt("close", call, flag_id=flag_id, expected_version=version,
                                state=state.value, resolution=why)

    # --- the two phases --------------------------------------------------------------------

    def collision_rounds(self, barrier: Any) -> None:
        """Everyone edits the same link (editors: close the same flag) with the version read
        before the barrier: one write per round wins."""
        for round_ in range(self.spec["rounds"]):
            self.log.context = {"round": round_}
            link_id = self.spec["hot_link"]
            read = read_link(self.engine, link_id)
            flag_id = self.spec["hot_flags"][round_] if round_ < len(self.spec["hot_flags"]) \
                else None
            flag_version = next((v for i, v in read_open_flags(self.engine, self.claims)
                                 if i == flag_id), None)
            barrier.wait(60)
            if self.actor.role.includes(Role.EDITOR) and flag_id is not None \
                    and flag_version is not None:
                self.close_flag(flag_id, flag_version)
            elif read is not None:
                version, _state = read
                self.edit(link_id, version, {},
                          changes={"note": f"round {round_} by {self.actor.username}"})
            barrier.wait(60)
        self.log.context = {"round": None}

    def free_writing(self, until: float) -> None:
        editor = self.actor.role.includes(Role.EDITOR)
        ops = ["link", "edit", "edit", "edit", "unlink"] + (["raise", "close"] if editor else [])
        while time.time() < until:
            op = self.rng.choice(ops)
            if op == "link":
                self.link()
            elif op in ("edit", "unlink"):
                links = read_links(self.engine, self.claims)
                if not links:
                    self.link()
                    continue
                link_id, version, state = self.rng.choice(links)
                if op == "edit":
                    self.edit(link_id, version, state, pause=self.rng.uniform(0, 0.01))
                elif len(links) > 4:  # keep some links to edit
                    self.unlink(link_id, version)
            elif op == "raise":
                self.raise_flag()
            else:
                open_flags = read_open_flags(self.engine, self.claims)
                if open_flags:
                    self.close_flag(*self.rng.choice(open_flags))


def work(spec: dict[str, Any], barrier: Any) -> None:
    """Process entry point (spawn): collision rounds, then free writing until the deadline."""
    worker = Worker(spec)
    try:
        worker.collision_rounds(barrier)
        worker.free_writing(time.time() + spec["seconds"])
    except BrokenBarrierError:
        worker.log.write("barrier", "refused", error="BrokenBarrierError", message="")
        raise
    finally:
        worker.engine.dispose()
