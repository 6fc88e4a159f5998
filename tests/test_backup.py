"""Backups: `tracker backup` and `tracker restore` carry every table exactly, on and across
SQLite and PostgreSQL, and refuse what they must without writing anything."""

from __future__ import annotations

import gzip
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select, text
from typer.testing import CliRunner

from tests.conftest import SEED, Backend
from tracker import backup, db, queries
from tracker.cli import app
from tracker.errors import Conflict, InvalidInput, PermissionDenied
from tracker.models import Base, Citation, Claim, EvidenceLink, Flag
from tracker.services import evidence, flags, setup, users
from tracker.services.access import Actor, system_actor
from tracker.vocabulary import FlagKind, FlagState, Role, Stance

PASSWORD = "correct horse ☃ battery"
UNICODE = 'Ketamin – Übersicht: 氯胺酮 🚑 «quoted» "double" \\ back\nsecond line\ttab'
USERNAME = "restorer"
BACKENDS = ("sqlite", "postgresql")
runner = CliRunner()


def _pairs() -> Iterator[Any]:
    for source in BACKENDS:
        for target in BACKENDS:
            marks = [pytest.mark.postgres] if "postgresql" in (source, target) else []
            yield pytest.param(source, target, marks=marks, id=f"{source}-to-{target}")


@pytest.fixture
def engines(request: pytest.FixtureRequest) -> Iterator[Callable[[str, str | None], Engine]]:
    """`make(backend, kind)`: a database of that backend cloned from a template (None: blank)."""
    made: list[Engine] = []

    def make(backend: str, kind: str | None) -> Engine:
        maker: Backend = request.getfixturevalue(f"{backend}_backend")
        engine = db.make_engine(maker.url(kind))
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


def add_writes(engine: Engine) -> Actor:
    """On top of the shipped data: a user with a password (and one failed sign-in), a split
    sentence, a closed flag, an evidence link with a non-ASCII note, and an unlinked newest
    link (so the id counter runs past the largest id). Returns the new editor."""
    with db.writing(engine) as session:
        info = users.add_user(session, system_actor(session), USERNAME, Role.EDITOR, PASSWORD,
                              display_name="Zoë Ørsted 🧪")
    editor = Actor(id=info.id, username=USERNAME, role=Role.EDITOR)
    assert not signs_in(engine, USERNAME, "not the password")
    with db.writing(engine) as session:
        claim = session.scalars(select(Claim).where(
            Claim.parent_id.is_(None), Claim.retired.is_(False),
            ~Claim.id.in_(select(Claim.parent_id).where(Claim.parent_id.is_not(None))),
        ).order_by(Claim.id.desc())).first()
        assert claim is not None
        cut = claim.text.index(" ", len(claim.text) // 2)
        evidence.split_claim(session, editor, claim.id, [claim.text[:cut], claim.text[cut:]],
                             UNICODE)
        flag = flags.raise_flag(session, editor, claim.id, FlagKind.OTHER, UNICODE)
        flags.close_flag(session, editor, flag.id, FlagState.RESOLVED, "fixed – ✓")
        unlinked = session.scalars(select(Citation.id).where(~Citation.id.in_(
            select(EvidenceLink.citation_id).where(EvidenceLink.claim_id == claim.id)))
        ).all()[:2]
        evidence.link_evidence(session, editor, claim.id, unlinked[0], Stance.SUPPORTS,
                               note=UNICODE, locator="")
        newest = evidence.link_evidence(session, editor, claim.id, unlinked[1],
                                        Stance.BACKGROUND)
        evidence.unlink(session, editor, newest.id)
    return editor


def signs_in(engine: Engine, username: str, password: str) -> bool:
    with db.writing(engine) as session:
        try:
            outcome: Any = users.authenticate(session, username, password)
        except PermissionDenied:
            return False
    actor = getattr(outcome, "actor", outcome)  # a SignIn (rate-limited version) or an Actor
    return actor is not None and actor.username == username


def lines(path: Path) -> list[Any]:
    """The backup's lines (format 2, JSON Lines), each read as one JSON value."""
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def document(path: Path) -> dict[str, Any]:
    """The backup as one document laid out as format 1: the header, then "tables"."""
    header, *body, end = lines(path)
    assert end == {"end_of_backup": True, "tables": sum(isinstance(v, dict) for v in body) // 2}
    tables: list[dict[str, Any]] = []
    for value in body:
        if isinstance(value, list):
            tables[-1]["rows"].append(value)
        elif "table" in value:
            tables.append({"name": value["table"], "columns": value["columns"], "rows": []})
        else:
            assert value["end"] == tables[-1]["name"]
            tables[-1].update({k: v for k, v in value.items() if k != "end"})
    return {**header, "tables": tables}


def as_format_1(doc: dict[str, Any]) -> str:
    """`doc` as a format 1 file (what backups were before JSON Lines)."""
    return json.dumps({**doc, "format_version": 1}, ensure_ascii=False)


def as_format_2(doc: dict[str, Any]) -> str:
    """`doc` as a format 2 file, line by line as the writer lays it out."""
    header = {k: v for k, v in doc.items() if k != "tables"}
    out = [header]
    for table in doc["tables"]:
        out.append({"table": table["name"], "columns": table["columns"]})
        out += table["rows"]
        out.append({"end": table["name"], **{k: v for k, v in table.items()
                                              if k not in ("name", "columns", "rows")}})
    out.append({"end_of_backup": True, "tables": len(doc["tables"])})
    return "".join(json.dumps(value, ensure_ascii=False) + "\n" for value in out)


def data_part(path: Path) -> dict[str, Any]:
    """Everything but the time the backup was taken."""
    doc = document(path)
    doc.pop("taken_at")
    return doc


#: Columns a revision's data migration rewrites (its docstring gives the rule): a backup from
#: before it comes back with those values rewritten, and set-up's regrade recomputes them.
REWRITTEN = {"0008": {"claims": {"status", "certainty", "explanation", "version", "updated_at"},
                      "evidence_links": {"risk_of_bias", "inconsistency", "indirectness",
                                         "imprecision", "publication_bias"},
                      "status_changes": {"from_status", "to_status"}}}


def within_columns(doc: dict[str, Any], of: dict[str, Any],
                   rewritten: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """`doc` with only the tables and columns that the backup `of` has (an older revision's
    backup cannot hold the columns added since; the migration that added them fills them),
    less the columns a data migration rewrites."""
    skip = rewritten or {}
    kept = {t["name"]: [c["name"] for c in t["columns"] if c["name"] not in skip.get(
        t["name"], set())] for t in of["tables"]}
    tables = []
    for table in doc["tables"]:
        if table["name"] not in kept:
            continue
        names = [c["name"] for c in table["columns"]]
        index = [names.index(name) for name in kept[table["name"]]]
        tables.append({**table, "columns": [table["columns"][i] for i in index],
                       "rows": [[row[i] for i in index] for row in table["rows"]]})
    return {**doc, "tables": tables}


def grades(engine: Engine) -> set[tuple[Any, ...]]:
    with db.reading(engine) as session:
        return {tuple(r) for r in session.execute(select(
            Claim.id, Claim.status, Claim.certainty, Claim.standing, Claim.explanation))}


def grades_in(path: Path) -> set[tuple[Any, ...]]:
    [claims] = [t for t in document(path)["tables"] if t["name"] == "claims"]
    names = [c["name"] for c in claims["columns"]]
    return {tuple(row[names.index(n)] for n in ("id", "status", "certainty", "standing",
                                               "explanation")) for row in claims["rows"]}


def table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table, read back through the models (aware datetimes, JSON values, booleans)."""
    rows = {}
    with db.reading(engine) as session:
        for table in Base.metadata.sorted_tables:
            key = [table.columns.keys().index(c.name) for c in table.primary_key.columns]
            found = [tuple(r) for r in session.execute(select(table))]
            rows[table.name] = sorted(found, key=lambda r: tuple(r[i] for i in key))
    return rows


def sql_nulls(engine: Engine) -> tuple[int, int, int]:
    """SQL NULLs (not JSON nulls) in JSON columns, and JSON nulls: they must stay distinct."""
    counts = ("SELECT count(*) FROM audit_events WHERE before IS NULL",
              "SELECT count(*) FROM audit_events WHERE before IS NOT NULL",
              "SELECT count(*) FROM claims WHERE override_designs IS NULL")
    with engine.connect() as conn:
        found = [conn.execute(text(sql)).scalar_one() for sql in counts]
    return found[0], found[1], found[2]


def revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def tables_with_rows(engine: Engine) -> list[str]:
    names = [n for n in inspect(engine).get_table_names() if n not in backup.NOT_DATA]
    with engine.connect() as conn:
        return [n for n in names if conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar()]


def coverage(engine: Engine) -> tuple[Any, ...]:
    with db.reading(engine) as session:
        doc = queries.resolve_document(session, SEED)
        return (queries.coverage(session, doc.id), queries.coverage_by_section(session, doc.id),
                queries.flag_summary(session, doc.id))


# --- the format ------------------------------------------------------------------------------


def test_backup_holds_every_table_behind_a_versioned_header(
        backend: Backend, engines: Callable[..., Engine], tmp_path: Path) -> None:
    source = engines(backend.name, "shipped")
    add_writes(source)
    path = tmp_path / "tracker.backup.json"
    report = backup.write_backup(source, path)

    first, *_, last = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(first) == {k: v for k, v in document(path).items() if k != "tables"}
    assert json.loads(last)["end_of_backup"] is True  # without it, a cut file is refused
    doc = document(path)  # every line one JSON value; the tables' start and end lines pair
    assert doc["format"] == "evidence-tracker-backup" and doc["format_version"] == 2
    assert doc["schema_revision"] == backup.head_revision() == report.schema_revision
    assert doc["product_version"] == backup.product_version()
    assert len(doc["taken_at"]) == len("2026-12-01T21:40:00.123456Z") and doc["taken_at"][-1] == "Z"
    # every table of the database (whatever the models hold now), in foreign-key order; not
    # the revision (in the header) nor the full-text index (derived from the citations)
    names = [t["name"] for t in doc["tables"]]
    assert set(names) == set(inspect(source).get_table_names()) - backup.NOT_DATA
    assert "alembic_version" in backup.NOT_DATA and "citation_search" in backup.NOT_DATA
    assert set(Base.metadata.tables) <= set(names)
    assert names.index("users") < names.index("claims") < names.index("evidence_links")
    tables = {t["name"]: t for t in doc["tables"]}
    with source.connect() as conn:
        for name, table in tables.items():
            assert table["row_count"] == len(table["rows"]) == conn.execute(
                text(f'SELECT count(*) FROM "{name}"')).scalar_one()
    assert report.rows == sum(t["row_count"] for t in doc["tables"])
    # values: hashes, UTC datetimes with microseconds, JSON wrapped apart from SQL NULL
    users_table = tables["users"]
    column = [c["name"] for c in users_table["columns"]].index
    user = next(r for r in users_table["rows"] if r[column("username")] == USERNAME)
    assert user[column("password_hash")].startswith("$argon2")
    assert user[column("display_name")] == "Zoë Ørsted 🧪"
    assert {"name": "created_at", "type": "datetime"} in users_table["columns"]
    assert user[column("created_at")].endswith("Z")
    events = tables["audit_events"]
    before = [c["name"] for c in events["columns"]].index("before")
    assert [None] in [r[before] for r in events["rows"]]  # JSON null, not SQL NULL
    claims = tables["claims"]
    designs = [c["name"] for c in claims["columns"]].index("override_designs")
    assert None in [r[designs] for r in claims["rows"]]  # SQL NULL
    assert json.dumps(UNICODE, ensure_ascii=False) in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds password hashes
    assert not list(tmp_path.glob(".*partial"))


def test_backup_reads_one_snapshot(backend: Backend, shipped_engine: Engine, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A user added (and audited) while the backup runs, after its first table and before
    `users` and `audit_events`, is in neither: one consistent snapshot."""
    dump_table = backup.writer._dump_table

    def and_meanwhile(connection: Any, table: Any, out: Any) -> int:
        count = dump_table(connection, table, out)
        if table.name == "documents":
            with db.writing(shipped_engine) as session:
                users.add_user(session, system_actor(session), "latecomer", Role.VIEWER, None)
        return count

    monkeypatch.setattr(backup.writer, "_dump_table", and_meanwhile)
    path = tmp_path / "snapshot.json"
    backup.write_backup(shipped_engine, path)
    assert "latecomer" in {u.username for u in _users(shipped_engine)}
    assert "latecomer" not in path.read_text(encoding="utf-8")
    tables = {t["name"]: t for t in document(path)["tables"]}
    with shipped_engine.connect() as conn:
        events = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    assert tables["audit_events"]["row_count"] == events - 1


def _users(engine: Engine) -> list[users.UserInfo]:
    with db.reading(engine) as session:
        return users.list_users(session)


# --- exact round trips -----------------------------------------------------------------------


@pytest.mark.parametrize(("source_backend", "target_backend"), list(_pairs()))
def test_round_trip_is_exact(source_backend: str, target_backend: str,
                             engines: Callable[..., Engine], tmp_path: Path) -> None:
    """backup A → restore into an empty B → backup B: the same data, row for row."""
    source = engines(source_backend, "shipped")
    add_writes(source)
    first, second = tmp_path / "a.json", tmp_path / "b.json.gz"
    written = backup.write_backup(source, first)
    target = engines(target_backend, None)
    restored = backup.restore_backup(target, first)
    backup.write_backup(target, second)

    assert data_part(second) == data_part(first)
    assert table_rows(target) == table_rows(source)
    assert sql_nulls(target) == sql_nulls(source)
    assert restored.rows == written.rows and restored.notes == []
    assert restored.schema_revision == restored.upgraded_to == revision(target) \
        == backup.head_revision()
    with target.begin() as conn:
        command.check(db.alembic_config(connection=conn))  # no drift from the models
    assert coverage(target) == coverage(source)
    # passwords still work; new rows get fresh ids (sequences, counters past deleted ids)
    assert signs_in(target, USERNAME, PASSWORD)
    assert not signs_in(target, USERNAME, "not the password")
    tables = {t["name"]: t for t in document(first)["tables"]}
    named = [c["name"] for c in tables["users"]["columns"]].index
    editor = Actor(id=next(r[named("id")] for r in tables["users"]["rows"]
                           if r[named("username")] == USERNAME),
                   username=USERNAME, role=Role.EDITOR)
    with db.writing(target) as session:
        claim = session.scalars(select(Claim.id).where(
            Claim.retired.is_(False), Claim.parent_id.is_(None),
            ~Claim.id.in_(select(Flag.claim_id)))).first()
        assert claim is not None
        flag = flags.raise_flag(session, editor, claim, FlagKind.OVERSTATED, "after restore")
        citation = session.scalars(select(Citation.id).where(~Citation.id.in_(
            select(EvidenceLink.citation_id).where(EvidenceLink.claim_id == claim)))).first()
        assert citation is not None
        link = evidence.link_evidence(session, editor, claim, citation, Stance.SUPPORTS)
    assert flag.id > max(r[0] for r in tables["flags"]["rows"])
    assert link.id > tables["evidence_links"]["last_issued_id"] \
        > max(r[0] for r in tables["evidence_links"]["rows"])


def test_an_older_backup_restores_into_this_version(
        backend: Backend, engines: Callable[..., Engine], tmp_path: Path) -> None:
    """A backup taken at the revision before head restores into an empty database at head:
    the target goes down to the backup's revision, takes the rows, and is upgraded again."""
    source = engines(backend.name, "shipped")
    current = tmp_path / "head.json"
    backup.write_backup(source, current)
    head = ScriptDirectory.from_config(db.alembic_config()).get_revision(backup.head_revision())
    older = head.down_revision if head is not None else None
    assert isinstance(older, str)
    db.downgrade(source, older)
    old = tmp_path / "old.json"
    assert backup.write_backup(source, old).schema_revision == older
    target = engines(backend.name, "schema")  # migrated to head: goes down, loads, goes up
    report = backup.restore_backup(target, old)
    assert (report.schema_revision, report.upgraded_to) == (older, backup.head_revision())
    rewritten = REWRITTEN.get(backup.head_revision(), {})
    if rewritten:  # what set-up does after a restore: regrade under the current rules
        assert setup.upgrade(target) > 0
    again = tmp_path / "again.json"
    backup.write_backup(target, again)
    older_doc = document(old)
    now, then = (within_columns(data_part(again), older_doc, rewritten),
                 within_columns(data_part(current), older_doc, rewritten))
    differing = {a["name"] for a, b in zip(now["tables"], then["tables"], strict=True) if a != b}
    # The regrade's own audit event and the status moves it records, nothing else.
    assert differing <= ({"audit_events", "status_changes"} if rewritten else set()), differing
    if rewritten:  # the regrade gives back every verdict the backup's database had
        assert grades(target) == grades_in(current)
    assert [t["name"] for t in document(again)["tables"]] == [
        t["name"] for t in document(current)["tables"]]


def test_rows_of_self_referencing_tables_load_in_any_order(
        backend: Backend, shipped_engine: Engine, engines: Callable[..., Engine],
        tmp_path: Path) -> None:
    """Claim parts before their sentences, subsections before their sections (PostgreSQL
    checks each INSERT at once); and, in format 1, any JSON layout of the same document."""
    path = tmp_path / "shipped.json"
    backup.write_backup(shipped_engine, path)
    doc = document(path)
    for table in doc["tables"]:
        if table["name"] in ("claims", "sections"):
            table["rows"].reverse()
    reordered = tmp_path / "reordered.json"
    reordered.write_text(as_format_2(doc), encoding="utf-8")
    target = engines(backend.name, None)
    backup.restore_backup(target, reordered)
    assert table_rows(target) == table_rows(shipped_engine)
    old = tmp_path / "reordered-format-1.json"
    old.write_text(json.dumps({**doc, "format_version": 1}, indent=2, ensure_ascii=True),
                   encoding="utf-8")
    target = engines(backend.name, None)
    backup.restore_backup(target, old)
    assert table_rows(target) == table_rows(shipped_engine)


def test_tiny_chunks_and_reads_round_trip(
        backend: Backend, shipped_engine: Engine, engines: Callable[..., Engine],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Row chunks and file reads far smaller than a table or a row (format 1 is read a few
    characters at a time): the streaming is exact."""
    monkeypatch.setattr(backup.codec, "CHUNK_ROWS", 7)
    monkeypatch.setattr(backup.json_stream, "READ_CHARS", 16)
    first, second, third = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    backup.write_backup(shipped_engine, first)
    target = engines(backend.name, None)
    backup.restore_backup(target, first)
    backup.write_backup(target, second)
    assert data_part(second) == data_part(first)
    old = tmp_path / "format-1.json"
    old.write_text(as_format_1(document(first)), encoding="utf-8")
    target = engines(backend.name, None)
    assert backup.restore_backup(target, old).rows > 1000
    backup.write_backup(target, third)
    assert data_part(third) == data_part(first)


# --- refusals --------------------------------------------------------------------------------


def test_restore_refuses_a_database_that_holds_data(
        backend: Backend, shipped_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "shipped.json"
    backup.write_backup(shipped_engine, path)
    before = table_rows(shipped_engine)
    with pytest.raises(Conflict, match="holds data .* nothing was written"):
        backup.restore_backup(shipped_engine, path)
    assert table_rows(shipped_engine) == before


def _edit(doc: dict[str, Any], table: str, change: Callable[[dict[str, Any]], None]
          ) -> dict[str, Any]:
    change(next(t for t in doc["tables"] if t["name"] == table))
    return doc


def _set(table: dict[str, Any], row: int, column: str, value: Any) -> None:
    table["rows"][row][[c["name"] for c in table["columns"]].index(column)] = value


BAD_FILES: dict[str, tuple[Callable[[str], bytes], str]] = {
    "truncated": (lambda t: t[: len(t) * 2 // 3].encode(), "truncated"),
    "cut after a row": (lambda t: t[: t.index("\n", len(t) // 2)].encode(), "truncated"),
    "empty": (lambda t: b"", "not an Evidence Tracker backup"),
    "not JSON": (lambda t: b"hello, world", "not an Evidence Tracker backup"),
    "not UTF-8": (lambda t: t.replace("Ketamine", "Ketamin\udce9", 1).encode(
        "utf-8", "surrogateescape"), "cannot read"),
    "bad gzip": (lambda t: b"\x1f\x8b\x08garbage", "cannot read"),
    "other format": (lambda t: t.replace('"evidence-tracker-backup"', '"sqlite-utils"', 1)
                     .encode(), "not an Evidence Tracker backup"),
    "newer format": (lambda t: t.replace('"format_version":2', '"format_version":3', 1)
                     .encode(), "newer Evidence Tracker"),
    "unknown revision": (lambda t: _header(t, schema_revision="9999"),
                         "schema revision '9999' is unknown"),
    "no end line": (lambda t: t[: t.rindex("\n", 0, -1) + 1].encode(), "ends too early"),
    "format 2 in one document": (lambda t: json.dumps(_header_of(t) | {"tables": []}).encode(),
                                 "format_version 2 is JSON Lines, but the file is laid out as "
                                 "one JSON document"),
}


def _header_of(content: str) -> dict[str, Any]:
    return json.loads(content[: content.index("\n")])  # type: ignore[no-any-return]


def _header(content: str, **changes: Any) -> bytes:
    """`content` with its header line changed."""
    rest = content[content.index("\n"):]
    return (json.dumps(_header_of(content) | changes) + rest).encode()


BAD_ROWS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    "bad datetime": (lambda d: _edit(d, "status_changes", lambda t: _set(
        t, -1, "at", "yesterday")), "table status_changes, row .*, column at: expected ISO"),
    "text for a number": (lambda d: _edit(d, "claims", lambda t: _set(
        t, 0, "ordinal", "1")), "column ordinal: expected integer"),
    "dangling reference": (lambda d: _edit(d, "audit_events", lambda t: _set(
        t, -1, "claim_id", 999_999)), "refused|refer to rows"),
    "missing column": (lambda d: _edit(d, "flags", lambda t: t["columns"].pop()),
                       "the columns do not match .*no column version"),
    "missing table": (lambda d: {**d, "tables": [t for t in d["tables"]
                                                  if t["name"] != "question_claims"]},
                      "no table 'question_claims'"),
    "wrong row count": (lambda d: _edit(d, "users", lambda t: t.update(row_count=5)),
                        "row_count says 5"),
    "duplicate id": (lambda d: _edit(d, "flags", lambda t: t["rows"].append(t["rows"][0])),
                     "table flags, rows .*: the database refused them"),
    "unknown role": (lambda d: _edit(d, "users", lambda t: _set(t, -1, "role", "emperor")),
                     r"table users, row \d+, column role: 'emperor' is not one of admin, "
                     "editor, reviewer, viewer"),
    "unknown stance": (lambda d: _edit(d, "evidence_links", lambda t: _set(
        t, 0, "stance", "maybe")), "table evidence_links, row 1, column stance: 'maybe' is "
                                   "not one of"),
    "unknown concern": (lambda d: _edit(d, "evidence_links", lambda t: _set(
        t, 0, "imprecision", "dire")), "column imprecision: 'dire' is not one of none, "
                                       "serious, very-serious"),
    "unknown status": (lambda d: _edit(d, "claims", lambda t: _set(
        t, 0, "status", "proven")), "column status: 'proven' is not one of contested"),
}


def test_bad_files_are_refused_and_change_nothing(
        backend: Backend, shipped_engine: Engine, engine: Engine,
        engines: Callable[..., Engine], tmp_path: Path) -> None:
    """Each refusal is one line naming the file; a blank target keeps no table (so the next
    file meets it blank again), a migrated empty one its schema and no rows."""
    good = tmp_path / "good.json"
    backup.write_backup(shipped_engine, good)
    content = good.read_text(encoding="utf-8")
    cases = {name: (make(content), expected) for name, (make, expected) in BAD_FILES.items()}
    for layout, write in (("format 1", as_format_1), ("format 2", as_format_2)):
        cases.update({f"{name} ({layout})": (write(edit(document(good))).encode(), expected)
                      for name, (edit, expected) in BAD_ROWS.items()})
    blank = engines(backend.name, None)
    for name, (data, expected) in cases.items():
        path = tmp_path / f"{re.sub('[^a-z0-9]+', '-', name).strip('-')}.json"
        path.write_bytes(data)
        with pytest.raises(InvalidInput, match=expected) as refused:
            backup.restore_backup(blank, path)
        assert str(path) in str(refused.value) and "\n" not in str(refused.value), name
        assert inspect(blank).get_table_names() == [], name
    backup.restore_backup(blank, good)  # the good file still goes in
    with pytest.raises(InvalidInput, match="table status_changes"):
        backup.restore_backup(engine, tmp_path / "bad-datetime-format-2.json")
    assert revision(engine) == backup.head_revision() and tables_with_rows(engine) == []
    with pytest.raises(InvalidInput, match="no such file"):
        backup.restore_backup(engine, tmp_path / "missing.json")
    with pytest.raises(InvalidInput, match=f"^{tmp_path}: is a directory, not a backup file$"):
        backup.restore_backup(engine, tmp_path)
    for name, deep in (
            ("nested.json", content.replace("\n[", "\n" + "[" * 100_000 + "[", 1)),
            ("nested-1.json", as_format_1(document(good)).replace(
                '"rows": [', '"rows": [' + "[" * 100_000, 1))):
        nested = tmp_path / name
        nested.write_text(deep, encoding="utf-8")
        assert "[" * 100_000 in nested.read_text(encoding="utf-8")
        with pytest.raises(InvalidInput, match="a value nested too deeply"):
            backup.restore_backup(engines(backend.name, None), nested)


def test_a_backup_replaces_only_a_regular_file(shipped_engine: Engine, tmp_path: Path) -> None:
    """A symbolic link, a pipe or a directory at the target is refused and left alone (a
    backup once replaced /dev/full)."""
    kept = tmp_path / "precious.txt"
    kept.write_text("not a backup", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(kept)
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    for target, kind in ((link, "a symbolic link"), (pipe, "a device, pipe or socket")):
        with pytest.raises(InvalidInput, match=f"^{target} exists and is {kind}, not a "
                                               "regular file"):
            backup.write_backup(shipped_engine, target)
    assert link.is_symlink() and kept.read_text(encoding="utf-8") == "not a backup"
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    with pytest.raises(InvalidInput, match="is a directory"):
        backup.write_backup(shipped_engine, tmp_path)
    previous = tmp_path / "previous.json"
    previous.write_text("an older backup", encoding="utf-8")
    backup.write_backup(shipped_engine, previous)  # a regular file is replaced
    assert _header_of(previous.read_text(encoding="utf-8"))["format_version"] == 2


# --- the command line ------------------------------------------------------------------------


def test_cli_backup_and_restore(backend: Backend, shipped_engine: Engine, tmp_path: Path) -> None:
    def tracker(engine: Engine, *args: str) -> Any:
        url = engine.url.render_as_string(hide_password=False)
        return runner.invoke(app, list(args), env={"TRACKER_DATABASE_URL": url})

    path = tmp_path / "shipped.json.gz"
    made = tracker(shipped_engine, "backup", str(path))
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("backed up ") and len(made.stdout.splitlines()) == 1
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    as_json = json.loads(tracker(shipped_engine, "backup", str(path), "--json").stdout)
    assert as_json["schema_revision"] == backup.head_revision()
    assert as_json["rows"] == sum(t["rows"] for t in as_json["tables"]) > 1000

    target = db.make_engine(backend.url(None))
    try:
        truncated = tmp_path / "truncated.json"
        truncated.write_bytes(gzip.decompress(path.read_bytes())[:5000])
        bad = tracker(target, "restore", str(truncated))
        assert bad.exit_code == InvalidInput.exit_code == 2
        assert bad.stderr.startswith(f"error: {truncated}: ")
        assert len(bad.stderr.splitlines()) == 1 and "Traceback" not in bad.output

        restored = tracker(target, "restore", str(path))
        assert restored.exit_code == 0, restored.output
        assert restored.stdout.startswith(f"restored {as_json['rows']} rows")
        assert len(restored.stdout.splitlines()) == 1

        again = tracker(target, "restore", str(path), "--json")
        assert again.exit_code == Conflict.exit_code == 5
        assert again.stderr.startswith("error: the database holds data")
        assert len(again.stderr.splitlines()) == 1 and not again.stdout

        missing = tracker(target, "restore", str(tmp_path / "nope.json"))
        assert missing.exit_code == 2 and "no such file" in missing.stderr
        nowhere = tracker(target, "backup", str(tmp_path / "no" / "dir.json"))
        assert nowhere.exit_code == 2 and "no directory" in nowhere.stderr
    finally:
        target.dispose()
