"""Faults: a writer killed mid-transaction, and a migration that fails half-way, leave the
database exactly as it was — on SQLite and PostgreSQL.

`tracker import-bib` of a large BibTeX file and `tracker ingest` of a large article run as real
processes and are killed (SIGKILL) `scaled(3, 30)` times each: at a blind moment, or aimed
into the write transaction (SQLite: another connection cannot take the write lock; PostgreSQL:
the worker's backend holds a transaction id in `pg_stat_activity`). After each kill the
content of every table (rows in key order, compared whole) must be exactly what it was before
— or, when the kill came after the commit, exactly what the completed command writes (found by
running the same use case in-process and rolling it back). Then the same command runs to
completion on the same database.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    MetaData,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import Session

from tests.conftest import cli_env, scaled, synth
from tracker import bibtex, db, queries
from tracker.finder import index
from tracker.services import articles, citations
from tracker.services.access import Actor, actor_named
from tracker.vocabulary import Role

MakeActor = Callable[[Engine, Role], Actor]
TRACKER = Path(sys.executable).with_name("tracker")
BIB_ENTRIES = 1500
ARTICLE_SECTIONS, ARTICLE_SENTENCES = 20, 40  # 800 claims



def write_article(path: Path, sections: int, sentences: int, *,
                  title: str = "Synthetic ketamine article") -> Path:
    """A long plain-text article in the shipped article's shape: title, introduction, a
    bulleted table of contents, then sections of distinct checkable sentences."""
    rng = random.Random(5)
    titles = [f"Findings from clinic group {i + 1}" for i in range(sections)]
    out = [f"{title} for the fault tests", "",
           "This synthetic article gathers many checkable sentences about ketamine for pain. "
           "Ketamine blocks NMDA receptors in the central nervous system.", ""]
    out += [f"- {t}" for t in titles] + [""]
    for i, title in enumerate(titles):
        out += [title, "", " ".join(
            f"In clinic group {i + 1} cohort {j + 1}, ketamine reduced pain scores by "
            f"{rng.randint(1, 9)} points within {rng.randint(5, 90)} minutes of an infusion."
            for j in range(sentences)), ""]
    path.write_text("\n".join(out), encoding="utf-8")
    return path


# --- the content of a database ----------------------------------------------------------------


def _canonical(row: Any) -> str:
    return json.dumps(list(row), default=str, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Snapshot:
    """Every row of every table, in primary-key order, as canonical JSON text."""

    tables: dict[str, list[str]]
    masked: dict[str, Counter[str]]  # rows without ids and times (see `take`)

    @classmethod
    def take(cls, conn: Connection, metadata: MetaData) -> Snapshot:
        tables: dict[str, list[str]] = {}
        masked: dict[str, Counter[str]] = {}
        for name, table in sorted(metadata.tables.items()):
            key = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*key)).all()
            # A token's last use is bookkeeping of the credential, not work (PostgreSQL).
            shown = [i for i, c in enumerate(table.columns)
                     if (name, c.name) != ("api_tokens", "last_used_at")]
            tables[name] = [_canonical([r[i] for i in shown]) for r in rows]
            # What another run of the same command writes identically: not the surrogate ids
            # (PostgreSQL's sequences move on in a rolled-back transaction), not the times.
            keep = [i for i, c in enumerate(table.columns)
                    if not isinstance(c.type, DateTime) and not c.foreign_keys
                    and not (c.primary_key and c.name == "id")
                    and (name, c.name) != ("audit_events", "entity_id")]
            masked[name] = Counter(_canonical([r[i] for i in keep]) for r in rows)
        return cls(tables, masked)

    def checksum(self) -> str:
        return hashlib.sha256(json.dumps(self.tables, sort_keys=True).encode()).hexdigest()

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}

    def keeps_every_row_of(self, earlier: Snapshot) -> bool:
        return all(set(rows) <= set(self.tables.get(name, ()))
                   for name, rows in earlier.tables.items())


def snapshot(engine: Engine, metadata: MetaData) -> Snapshot:
    with engine.connect() as conn:
        return Snapshot.take(conn, metadata)


def reflect(engine: Engine) -> MetaData:
    """Every table but the full-text index: derived data whose internal layout (FTS5's
    segments) depends on the history of commits, not only on the rows; `assert_index_in_step`
    checks it instead."""
    metadata = MetaData()
    metadata.reflect(bind=engine, only=lambda name, _: not index.is_index_table(name))
    return metadata


SEARCHES = ("ketamine", "pain", "synthetic study", '"randomized controlled"', "fibromyalgia")


def assert_index_in_step(engine: Engine) -> None:
    """The full-text index answers searches as an index rebuilt from the rows would (the
    rebuild is rolled back), and, on SQLite, passes FTS5's own integrity check."""
    with engine.connect() as conn, Session(bind=conn) as session:
        transaction = conn.begin()
        if db.is_sqlite(engine):
            conn.exec_driver_sql(f"INSERT INTO {index.TABLE} ({index.TABLE}) "
                                 "VALUES ('integrity-check')")
        kept = [queries.citation_count(session, queries.CitationFilter(w)) for w in SEARCHES]
        assert any(kept) or not queries.citation_count(session)  # not a vacuous comparison
        index.rebuild(session)
        fresh = [queries.citation_count(session, queries.CitationFilter(w)) for w in SEARCHES]
        transaction.rollback()
    assert kept == fresh


# --- is the worker inside its write transaction? ----------------------------------------------


class TransactionWatch:
    """Whether the killed process is inside its write transaction right now."""

    def __init__(self, engine: Engine, application_name: str) -> None:
        self.engine = engine
        self.application_name = application_name
        self.monitor: Engine | None = None
        if not db.is_sqlite(engine):
            self.monitor = create_engine(engine.url, isolation_level="AUTOCOMMIT")

    def writing(self) -> bool:
        if self.monitor is None:
            return self._sqlite_write_locked()
        with self.monitor.connect() as conn:  # autocommit: pg_stat_activity is read fresh
            row = conn.execute(text(
                "SELECT backend_xid IS NOT NULL FROM pg_stat_activity "
                "WHERE application_name = :name AND xact_start IS NOT NULL"),
                {"name": self.application_name}).first()
        return bool(row and row[0])  # a transaction id: it has written

    def _sqlite_write_locked(self) -> bool:
        probe = sqlite3.connect(self.engine.url.database or "", timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise
        finally:
            probe.close()

    def wrote(self) -> bool:
        """Whether uncommitted rows have reached the disk: PostgreSQL, a transaction id;
        SQLite, pages in the write-ahead log (emptied by `restart_log` before each run)."""
        if self.monitor is not None:
            return self.writing()
        wal = Path(f"{self.engine.url.database}-wal")
        return wal.exists() and wal.stat().st_size > 0

    def restart_log(self) -> None:
        """SQLite: checkpoint and empty the write-ahead log (recovery after a kill included)."""
        if self.monitor is None:
            with self.engine.connect() as conn:
                busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
                assert busy == 0

    def backends_left(self) -> int:
        if self.monitor is None:
            return 0
        with self.monitor.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": self.application_name}).scalar() or 0)

    def close(self) -> None:
        if self.monitor is not None:
            self.monitor.dispose()


# --- one fault scenario: a command, killed again and again, then run to completion -------------


@dataclass
class Kill:
    mode: str  # "first", "aimed" (into the write transaction), "blind" (from start-up), "spill"
    delay: float
    alive: bool  # the process was still running when killed
    in_transaction: bool
    wrote: bool  # uncommitted rows had reached the disk (see TransactionWatch.wrote)
    outcome: str  # "before" or "after"


Job = tuple[list[str], Callable[[Session], Any]]  # a command line; the same use case in-process


@dataclass
class Scenario:
    """`job(n)` is the n-th input's command and use case: the first until a kill lands after
    the commit, then a fresh input (else every later run would change nothing)."""

    engine: Engine
    job: Callable[[int], Job]
    name: str
    kills: list[Kill] = field(default_factory=list)
    start_to_write: float | None = None  # seconds from start-up to the write transaction
    transaction_seconds: float = 0.0  # the use case in-process, start to commit
    writing_seconds: float = 0.0  # the same, from its first INSERT or UPDATE

    def __post_init__(self) -> None:
        self.variant = 0
        self.command, self.rehearse = self.job(0)
        self.metadata = reflect(self.engine)
        self.url = self.engine.url
        if not db.is_sqlite(self.engine):
            self.url = self.url.update_query_dict({"application_name": self.name})
        self.watch = TransactionWatch(self.engine, self.name)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        self.env["TRACKER_DATABASE_URL"] = self.url.render_as_string(hide_password=False)

    def expected_after(self) -> Snapshot:
        """What the completed command leaves: the use case run in-process and rolled back.
        Also times it: the whole transaction, and from its first write on."""
        first_write: list[float] = []

        def note_write(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not first_write and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE"):
                first_write.append(time.perf_counter())

        started = time.perf_counter()
        with Session(self.engine) as session, session.begin():
            event.listen(session.connection(), "before_cursor_execute", note_write)
            self.rehearse(session)
            session.flush()
            ended = time.perf_counter()
            after = Snapshot.take(session.connection(), self.metadata)
            session.rollback()
        self.transaction_seconds = ended - started
        self.writing_seconds = ended - (first_write[0] if first_write else started)
        return after

    def run(self, kills: int, rng: random.Random) -> Snapshot:
        """Kill the command `kills` times, then run it to completion; returns the content."""
        before = snapshot(self.engine, self.metadata)
        after = self.expected_after()
        assert snapshot(self.engine, self.metadata).checksum() == before.checksum()
        modes = ["first"] + ["blind" if n % 2 else "aimed" for n in range(1, kills)]
        if db.is_sqlite(self.engine):
            modes[-1] = "spill"
        # The first kill right as the write begins (it lands inside the transaction), then
        # blind ones from start-up on, and aimed ones a random moment into the write (on
        # SQLite, the last one when uncommitted pages reach the write-ahead log) — and, in
        # case none did land inside the write transaction, up to three more first ones.
        for n, mode in enumerate(modes + ["first"] * 3):
            if n >= kills and self.figures()["mid_transaction"]:
                break
            if after.checksum() == before.checksum():  # the last run committed: a fresh input
                self.variant += 1
                self.command, self.rehearse = self.job(self.variant)
                after = self.expected_after()
            now = self._kill(before, after, mode=mode, rng=rng)
            before, after = now, (now if now.checksum() != before.checksum() else after)
        done = subprocess.run(self.command, env=self.env, capture_output=True, text=True,
                              timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        final = snapshot(self.engine, self.metadata)
        assert final.masked == after.masked and final.keeps_every_row_of(before)
        assert_index_in_step(self.engine)
        return final

    @property
    def seconds(self) -> float:
        """From the moment the watch sees the transaction (SQLite: its start; PostgreSQL: its
        first write) to its commit, as the in-process run took."""
        return self.transaction_seconds if db.is_sqlite(self.engine) else self.writing_seconds

    def _kill(self, before: Snapshot, after: Snapshot, *, mode: str,
              rng: random.Random) -> Snapshot:
        seconds = self.seconds
        self.watch.restart_log()
        process = subprocess.Popen(self.command, env=self.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        started = time.monotonic()
        spilled = lambda: False  # noqa: E731 - stop waiting once uncommitted pages are on disk
        if mode == "blind":  # any moment from start-up to well into the write
            delay = rng.uniform(0.05, (self.start_to_write or 1.0) + 0.8 * seconds)
        else:  # wait for the write transaction, then (aimed) a moment into it
            while process.poll() is None and not self.watch.writing():
                if time.monotonic() - started > 300:
                    break
                time.sleep(0.005)
            if process.poll() is None and self.start_to_write is None:
                self.start_to_write = time.monotonic() - started
            delay = {"first": 0.0, "spill": 600.0}.get(mode, rng.uniform(0, 0.8 * seconds))
            if mode in ("aimed", "spill") and db.is_sqlite(self.engine):
                spilled = self.watch.wrote
        deadline = time.monotonic() + delay
        while process.poll() is None and time.monotonic() < deadline and not spilled():
            time.sleep(0.005)
        alive = process.poll() is None
        assert alive or process.returncode == 0, f"{self.name} failed on its own"
        in_transaction = alive and self.watch.writing()
        wrote = in_transaction and self.watch.wrote()
        process.send_signal(signal.SIGKILL)
        process.wait()
        self._settle()
        now = snapshot(self.engine, self.metadata)
        if now.checksum() == before.checksum():
            outcome = "before"
        else:
            assert now.masked == after.masked and now.keeps_every_row_of(before), (
                f"{self.name}: after a kill the database is neither as before nor as after "
                f"(rows before {before.counts()}, now {now.counts()})")
            outcome = "after"
        self.kills.append(Kill(mode, round(delay, 3), alive, in_transaction, wrote, outcome))
        self._assert_usable()
        return now

    def _settle(self) -> None:
        """On PostgreSQL, wait until the server has noticed the dead client and ended its
        backend (at its next read from the socket): a COMMIT it had already received would
        still land, so the content is only final once the backend is gone."""
        for _ in range(3000):
            if self.watch.backends_left() == 0:
                return
            time.sleep(0.01)
        raise AssertionError(f"{self.name}: the killed client's backend is still there")

    def _assert_usable(self) -> None:
        """No stale lock, and (SQLite) the file and its write-ahead log recovered whole."""
        if not db.is_sqlite(self.engine):
            return
        assert not self.watch.writing(), "the killed writer's lock outlived it"
        with self.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []

    def figures(self) -> dict[str, Any]:
        return {
            "kills": sum(k.alive for k in self.kills),
            "mid_transaction": sum(k.in_transaction and k.outcome == "before"
                                   for k in self.kills),
            "mid_transaction_after_writing": sum(
                k.in_transaction and k.wrote and k.outcome == "before" for k in self.kills),
            "after_commit": sum(k.outcome == "after" for k in self.kills),
            "exited_before_kill": sum(not k.alive for k in self.kills),
            "transaction_seconds_in_process": round(self.transaction_seconds, 2),
            "writing_seconds_in_process": round(self.writing_seconds, 2),
            "start_to_write_seconds": round(self.start_to_write or 0, 2),
        }


@pytest.fixture
def scenario_for(shipped_engine: Engine, make_actor: MakeActor, tmp_path: Path
                 ) -> Iterator[Callable[[str], Scenario]]:
    editor = make_actor(shipped_engine, Role.EDITOR)
    token = {k: v for k, v in cli_env(shipped_engine, editor.username).items()
             if k == "TRACKER_TOKEN"}  # PostgreSQL: the command proves who it acts for
    made: list[Scenario] = []

    def make(kind: str) -> Scenario:
        name = f"tracker_fault_{kind}_{os.getpid()}"

        def import_job(n: int) -> Job:
            path = synth().write_bib(tmp_path / f"library-export-{n}.bib", BIB_ENTRIES,
                                      seed=7 + n)
            path.write_text(path.read_text(encoding="utf-8").replace(
                "Synthetic study ", f"Synthetic study (batch {n}) "), encoding="utf-8")
            text_, _ = bibtex.read_bib_file(path)
            return ([str(TRACKER), "import-bib", str(path), "--as", editor.username],
                    lambda session: citations.import_bibtex(
                        session, actor_named(session, editor.username), [(str(path), text_)]))

        def ingest_job(n: int) -> Job:
            path = write_article(tmp_path / f"long-article-{n}.txt", ARTICLE_SECTIONS,
                                 ARTICLE_SENTENCES, title=f"Synthetic ketamine article {n}")
            return ([str(TRACKER), "ingest", str(path), "--as", editor.username],
                    lambda session: articles.ingest(
                        session, actor_named(session, editor.username),
                        articles.read_article(path)))

        scenario = Scenario(shipped_engine, import_job if kind == "import" else ingest_job,
                            name)
        scenario.env.update(token)
        made.append(scenario)
        return scenario

    yield make
    for scenario in made:
        scenario.watch.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["import", "ingest"])
def test_a_killed_writer_leaves_the_database_as_it_was(
        scenario_for: Callable[[str], Scenario], kind: str) -> None:
    scenario = scenario_for(kind)
    rng = random.Random(f"{kind}:{scenario.engine.dialect.name}")
    before = snapshot(scenario.engine, scenario.metadata)
    final = scenario.run(scaled(3, 30), rng)
    figures = scenario.figures()
    added = {n: c - before.counts()[n] for n, c in final.counts().items()
             if c != before.counts()[n]}
    print(f"\nfault figures ({kind}, {scenario.engine.dialect.name}): "
          f"{json.dumps(figures, sort_keys=True)}; rows added {added}")
    assert figures["mid_transaction"] >= 1, scenario.kills
    assert ("citations" in added) if kind == "import" else ("claims" in added)


# --- a migration that fails half-way ------------------------------------------------------------

FAILING_REVISION = '''"""a revision that fails after some DDL (tests/test_faults.py)"""

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("fault_probe", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("note", sa.Text(), nullable=False))
    op.execute("INSERT INTO fault_probe (id, note) VALUES (1, 'half-way')")
    # SQLite rebuilds claims (copy, drop, rename) — a table that most others reference.
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("claims", recreate=recreate) as batch_op:
        batch_op.add_column(sa.Column("fault_note", sa.Text(), nullable=True))
    op.execute("UPDATE claims SET fault_note = 'half-way', status = 'supported'")
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("fault_flag", sa.Boolean(), nullable=True))
    raise RuntimeError("deliberate failure after the DDL")


def downgrade() -> None:
    pass
'''


def _failing_migrations(tmp_path: Path) -> tuple[Path, str]:
    import shutil

    head = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
    assert head is not None
    copy = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / "9999_fails_half_way.py").write_text(
        FAILING_REVISION.format(head=head), encoding="utf-8")
    return copy, head


def _revision(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar())


def test_a_failed_migration_leaves_the_schema_and_data_as_they_were(
        shipped_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through `tracker.db.migrate` (what `tracker init` runs) and through the Alembic
    configuration with an engine (what `alembic upgrade` runs): both roll everything back."""
    engine = shipped_engine
    migrations, head = _failing_migrations(tmp_path)
    metadata = reflect(engine)
    before = snapshot(engine, metadata)
    schema_before = {t: sorted(c["name"] for c in inspect(engine).get_columns(t))
                     for t in inspect(engine).get_table_names()}
    monkeypatch.setattr(db, "MIGRATIONS", migrations)
    from alembic import command

    for run in (lambda: db.migrate(engine),
                lambda: command.upgrade(db.alembic_config(engine=engine), "head")):
        with pytest.raises(RuntimeError, match="deliberate failure after the DDL"):
            run()
        assert _revision(engine) == head
        fresh = inspect(engine)
        assert "fault_probe" not in fresh.get_table_names()
        assert {t: sorted(c["name"] for c in fresh.get_columns(t))
                for t in fresh.get_table_names()} == schema_before
        assert snapshot(engine, metadata).checksum() == before.checksum()
        assert_index_in_step(engine)
        if db.is_sqlite(engine):
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    monkeypatch.undo()
    db.migrate(engine)  # the real migrations: nothing to do, and the database still works
    assert _revision(engine) == head
