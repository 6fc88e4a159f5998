"""Migrations with data: a database populated at any earlier revision upgrades to head with its
data intact — on SQLite and PostgreSQL.

The revisions come from Alembic's ScriptDirectory (a new revision is tested without editing this
file). For each revision R before head: the fully loaded shipped database, plus edits of every
kind (a split, a closed flag, an edited and a removed link, a sign-off, an override, a user with
a password), is copied into a blank database migrated to R — every row of every table that
exists at R, in the columns that exist at R — then upgraded to head and compared: every row is
there with the same values in those columns; columns added since R hold their documented default
(the server default the migration gave them, else NULL); tables added since R are empty, except
status_changes, which 0003 fills with one "unsupported" entry per live claim.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, Table, insert, select, text

from tests.conftest import ARTICLE, TEMPLATES, Backend
from tracker import db, queries
from tracker.finder.index import INDEX_TABLES, is_index_table
from tracker.models import AuditEvent, Claim, EvidenceLink, Flag
from tracker.services import articles, citations, evidence, flags, users
from tracker.services.access import Actor, system_actor
from tracker.services.setup import bootstrap
from tracker.vocabulary import FlagState, Role, Stance, StudyDesign

MakeActor = Callable[[Engine, Role], Actor]
SCRIPT = ScriptDirectory.from_config(db.alembic_config())
HEAD = SCRIPT.get_current_head()
EARLIER = [r.revision for r in reversed(list(SCRIPT.walk_revisions())) if r.revision != HEAD]
CHUNK = 500
NEW_ENTRY = ("@article{after2026upgrade, title={A trial recorded after the upgrade}, "
             "author={Doe, Jane}, year={2026}, journal={Synthetic Journal of Pain}}")


def _populate(engine: Engine) -> None:
    """The shipped database at head, with writes of every kind on top."""
    bootstrap(engine)
    with db.writing(engine) as session:
        info = users.add_user(session, system_actor(session), "editor-before-upgrade",
                              Role.EDITOR, "password-1")  # a user with a password
        editor = Actor(id=info.id, username=info.username, role=Role.EDITOR)
    with db.reading(engine) as session:
        [sentence] = session.scalars(select(Claim.id).where(
            Claim.text.contains("Ketamine is a medication originally developed")))
        link = session.scalars(select(EvidenceLink).order_by(EvidenceLink.id)).first()
        newest = session.scalars(select(EvidenceLink).order_by(EvidenceLink.id.desc())).first()
        flag = session.scalars(select(Flag).where(Flag.state == "open")).first()
        assert link is not None and newest is not None and flag is not None
    with db.writing(engine) as session:
        evidence.split_claim(session, editor, sentence,
                             ["originally developed as an anesthetic agent",
                              "widely recognized for its rapid-acting and potent analgesic "
                              "effects"], "two claims")
    with db.writing(engine) as session:
        flags.close_flag(session, editor, flag.id, FlagState.RESOLVED, "evidence added",
                         expected_version=flag.version)
    with db.writing(engine) as session:
        evidence.update_link(session, editor, link.id, expected_version=link.version,
                             note="edited before the upgrade",
                             judgements=evidence.parse_judgements({"imprecision": "serious"}))
    with db.writing(engine) as session:  # the newest link goes: its id must never come back
        evidence.unlink(session, editor, newest.id, expected_version=newest.version)
    with db.writing(engine) as session:
        evidence.sign_off(session, editor, sentence)
        evidence.override_requirement(session, editor, link.claim_id, 1, [StudyDesign.RCT],
                                      "one trial will do")
    with db.writing(engine) as session:  # a revised article: edited and retired claims
        source = articles.read_article(ARTICLE)
        articles.ingest(session, editor, articles.ArticleSource(
            source.text.replace("within minutes", "in minutes"), "revised.txt", "text"))


# Built once per run and cloned for each test, like conftest's other templates.
TEMPLATES.setdefault("populated", _populate)


@pytest.fixture
def populated(backend: Backend) -> Iterator[Engine]:
    engine = db.make_engine(backend.url("populated"))
    yield engine
    engine.dispose()


def _reflect(engine: Engine) -> MetaData:
    metadata = MetaData()
    metadata.reflect(bind=engine)
    return metadata


def _key(table: Table) -> list[Any]:
    return list(table.primary_key.columns) or list(table.columns)


# --- data migrations ------------------------------------------------------------------------

CONCERNS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
_NOT_BEFORE_0008 = {"not-reviewed", "no-evidence-found", "contradicted"}
_NOTE_0008 = "(stored under the earlier grading rules; regraded by `tracker init`) "


def _before_0008(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """How revisions before 0008 stored head's values: no "not judged" (NULL concerns were
    "none"), and "unsupported" where head has its three successors."""
    if table == "evidence_links":
        return {k: ("none" if k in CONCERNS and v is None else v) for k, v in row.items()}
    if table == "claims" and row.get("status") in _NOT_BEFORE_0008:
        return {**row, "status": "unsupported"}
    if table == "status_changes":
        return {k: ("unsupported" if k in ("from_status", "to_status")
                    and v in _NOT_BEFORE_0008 else v) for k, v in row.items()}
    return row


def _after_0008(table: str, row: dict[str, Any], linked: set[int]) -> dict[str, Any]:
    """What 0008 makes of a row stored before it (its docstring states the rules)."""
    if table == "evidence_links":
        if all(row.get(k) == "none" for k in CONCERNS) and not row.get("large_effect") \
                and not row.get("dose_response"):
            return {**row, **dict.fromkeys(CONCERNS)}
        return row
    if table == "claims" and row.get("certainty") is not None:  # nothing appraised yet
        row = {**row, "certainty": "not-assessed"}
    if table == "claims" and row.get("status") == "unsupported" and "explanation" not in row:
        return {**row, "status": "insufficient" if row["id"] in linked else "not-reviewed"}
    if table == "claims" and "explanation" in row:
        out = {**row, "explanation": _NOTE_0008 + row["explanation"]}
        if row.get("certainty") is not None:  # a certainty of the earlier rules: regraded later
            out["certainty"] = "not-assessed"
        if row.get("status") == "unsupported":
            out["status"] = "insufficient" if row["id"] in linked else "not-reviewed"
        return out
    if table == "status_changes":
        moved = "insufficient" if row["claim_id"] in linked else "not-reviewed"
        return {k: (moved if k in ("from_status", "to_status") and v == "unsupported" else v)
                for k, v in row.items()}
    return row


#: revision → (how earlier revisions stored head's values, what the revision makes of them)
DATA_MIGRATIONS: dict[str, tuple[Callable[[str, dict[str, Any]], dict[str, Any]],
                                 Callable[[str, dict[str, Any], set[int]], dict[str, Any]]]] = {
    "0008": (_before_0008, _after_0008),
}


def _crossed(revision: str) -> list[str]:
    """The data migrations an upgrade from `revision` to head runs, oldest first."""
    order = [r.revision for r in reversed(list(SCRIPT.walk_revisions()))]
    return [r for r in order[order.index(revision) + 1:] if r in DATA_MIGRATIONS]


def _copy(source: Engine, have: MetaData, target: Engine, want: MetaData,
          revision: str | None = None) -> int:
    """Every row of every table the target has, in the target's columns (as the target's
    revision stored them); returns rows copied."""
    copied = 0
    with source.connect() as src, target.begin() as dst:
        for table in want.sorted_tables:
            if table.name == "alembic_version" or is_index_table(table.name):
                continue  # the full-text index: its triggers fill it as citations come in
            origin = have.tables[table.name]
            missing = [c.name for c in table.columns if c.name not in origin.columns]
            assert not missing, f"{table.name}: columns dropped since, copy them by hand: {missing}"
            names = [c.name for c in table.columns]
            rows = [dict(r._mapping) for r in src.execute(
                select(*[origin.c[n] for n in names]).order_by(*_key(origin)))]
            for name in reversed(_crossed(revision)) if revision else []:
                rows = [DATA_MIGRATIONS[name][0](table.name, row) for row in rows]
            for start in range(0, len(rows), CHUNK):
                dst.execute(insert(table), rows[start:start + CHUNK])
            copied += len(rows)
        if db.is_sqlite(target):  # AUTOINCREMENT counters (0006) stand where the source's stand
            has_counters = dst.execute(text(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first()
            if has_counters:
                wanted = set(want.tables)
                for name, seq in src.execute(text("SELECT name, seq FROM sqlite_sequence")):
                    if name in wanted:
                        dst.execute(text("DELETE FROM sqlite_sequence WHERE name = :n"),
                                    {"n": name})
                        dst.execute(text("INSERT INTO sqlite_sequence (name, seq) "
                                         "VALUES (:n, :s)"), {"n": name, "s": seq})
        else:  # the id sequences stand where the source's stand
            for table in want.sorted_tables:
                if "id" not in table.c or not table.c.id.primary_key:
                    continue
                sequence = src.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                       {"t": table.name}).scalar()
                last, called = src.execute(text(
                    f"SELECT last_value, is_called FROM {sequence}")).one()
                dst.execute(text("SELECT setval(:s, :v, :c)"),
                            {"s": sequence, "v": last, "c": called})
    return copied


def _rows(engine: Engine, table: Table, columns: list[str] | None = None
          ) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The table's rows by primary key: {key: {column: value}} (all columns by default)."""
    names = columns if columns is not None else [c.name for c in table.columns]
    key = [c.name for c in _key(table)]
    with engine.connect() as conn:
        return {tuple(r._mapping[k] for k in key): {c: r._mapping[c] for c in names}
                for r in conn.execute(select(*[table.c[c] for c in dict.fromkeys(key + names)]))}


def _default(engine: Engine, column: Any) -> Any:
    """The value a row gets in `column` when the upgrade adds it: the server default the
    migration gave it, else NULL."""
    if column.server_default is None:
        return None
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT {column.server_default.arg}")).scalar()


@pytest.fixture
def blank_at(backend: Backend) -> Iterator[Callable[[str], Engine]]:
    made: list[Engine] = []

    def make(revision: str) -> Engine:
        engine = db.make_engine(backend.url(None))
        made.append(engine)
        db.migrate(engine, revision)
        return engine

    yield make
    for engine in made:
        engine.dispose()


@pytest.mark.parametrize("revision", EARLIER)
def test_a_database_populated_at_an_earlier_revision_upgrades_intact(
        populated: Engine, blank_at: Callable[[str], Engine], make_actor: MakeActor,
        revision: str) -> None:
    target = blank_at(revision)
    source_tables, at_revision = _reflect(populated), _reflect(target)
    at_revision.remove(at_revision.tables["alembic_version"])
    copied = _copy(populated, source_tables, target, at_revision, revision)
    db.migrate(target)
    linked = {r["claim_id"] for r in _rows(populated, source_tables.tables["evidence_links"],
                                            ["claim_id"]).values()
              } if "evidence_links" in at_revision.tables else set()
    with target.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    upgraded_tables = _reflect(target)
    compared = 0
    for name, old in at_revision.tables.items():
        columns = [c.name for c in old.columns]
        source = _rows(populated, source_tables.tables[name], columns)
        for migration in _crossed(revision):
            before, after = DATA_MIGRATIONS[migration]
            source = {k: after(name, before(name, row), linked) for k, row in source.items()}
        table = upgraded_tables.tables[name]
        upgraded = _rows(target, table)
        assert upgraded.keys() == source.keys(), f"{name}: rows lost or added by the upgrade"
        for key, values in source.items():
            assert {c: upgraded[key][c] for c in columns} == values, f"{name} {key}"
        for column in [c for c in table.columns if c.name not in columns]:
            default = _default(target, column)

            def expected(row: dict[str, Any], column: Any = column, default: Any = default,
                         name: str = name) -> Any:
                value = {"id": row.get("id"), "claim_id": row.get("claim_id"),
                         column.name: default}
                for migration in _crossed(revision):
                    value = DATA_MIGRATIONS[migration][1](name, value, linked)
                return value[column.name]

            wrong = [k for k, row in upgraded.items() if row[column.name] != expected(row)]
            assert not wrong, f"{name}.{column.name}: not {default!r} in rows {wrong[:3]}"
        compared += len(source)
    live_claims = sum(not r["retired"] for r in _rows(
        populated, source_tables.tables["claims"], ["retired"]).values())
    new_tables = set(upgraded_tables.tables) - set(at_revision.tables) - {"alembic_version"}
    for name in new_tables - INDEX_TABLES:
        rows = list(_rows(target, upgraded_tables.tables[name]).values())
        if name == "status_changes":  # 0003: existing claims enter the history unsupported
            assert len(rows) == live_claims
            assert {(r["from_status"], r["to_status"]) for r in rows} == {
                (None, "insufficient" if r["claim_id"] in linked else "not-reviewed")
                for r in rows}
        else:
            assert rows == [], f"{name} was created with rows"
    # The full-text index (0010) holds the copied citations: the upgraded database finds the
    # same studies as the source.
    searched = ('"complex regional pain syndrome"', "ketamine fibromyalgia")
    for words in searched if "citations" in at_revision.tables else ():
        with db.reading(populated) as before, db.reading(target) as after:
            where = queries.CitationFilter(words)
            assert queries.citation_count(after, where) == queries.citation_count(
                before, where) > 0, words
    # The upgraded database takes writes, and a removed link's id is not handed out again.
    reviewer = make_actor(target, Role.REVIEWER)
    with db.writing(target) as session:
        citations.import_bibtex(session, reviewer, [("new.bib", NEW_ENTRY)])
    with db.reading(target) as session:
        claim = session.scalars(select(Claim.id).where(Claim.retired.is_(False))).first()
        citation = citations.citation_by_key(session, "after2026upgrade").id
        used = set(session.scalars(select(AuditEvent.entity_id).where(
            AuditEvent.entity_type == "evidence_link")))
    assert claim is not None
    with db.writing(target) as session:
        made = evidence.link_evidence(session, reviewer, claim, citation, Stance.BACKGROUND)
    if "evidence_links" in at_revision.tables:  # else the copied audit trail names links never made
        assert made.id not in used
    with db.reading(target) as session:  # and the index takes in what is written after
        found = queries.citations(session, queries.CitationFilter("trial upgrade"))
        assert [r.key for r in found] == ["after2026upgrade"]
    print(f"\nmigrated with data from {revision} to {HEAD} ({target.dialect.name}): "
          f"{copied} rows copied, {compared} rows compared")


REBUILD_REVISION = '''"""rebuild claims, a table others reference (tests/test_migrations_data.py)"""

import sqlalchemy as sa
from alembic import op

revision = "9998"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("claims", recreate=recreate) as batch_op:
        batch_op.add_column(sa.Column("reviewed", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch_op:
        batch_op.drop_column("reviewed")
'''


def test_a_revision_that_rebuilds_a_referenced_table_keeps_the_data(
        populated: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite alters a table by rebuilding it (copy, drop, rename); dropping a table that other
    rows reference failed while foreign keys were enforced, so any such future revision would
    have failed on every populated SQLite database (and passed on the empty test schema)."""
    copy = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / "9998_rebuild_claims.py").write_text(
        REBUILD_REVISION.format(head=HEAD), encoding="utf-8")
    tables = _reflect(populated)
    before = {name: _rows(populated, table) for name, table in tables.tables.items()}
    monkeypatch.setattr(db, "MIGRATIONS", copy)
    db.migrate(populated)
    for name, table in tables.tables.items():
        if name != "alembic_version":
            assert _rows(populated, table) == before[name], name
    claims = Table("claims", MetaData(), autoload_with=populated)
    assert {r["reviewed"] for r in _rows(populated, claims, ["reviewed"]).values()} == {False}
    if db.is_sqlite(populated):
        with populated.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
