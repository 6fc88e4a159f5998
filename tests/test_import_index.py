"""A bulk import fills the full-text index as one statement (`index.bulk_filled`) instead of by
the insert trigger row by row: the index ends the same as the trigger's (and as a rebuild's),
the trigger is back afterwards, and a failed import leaves both as they were."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from tracker import db, queries
from tracker.finder import index
from tracker.services import citations
from tracker.services.access import system_actor

WORDS = ["ketamine", "neuropathic", "pain", "infusion", "Émile", "naïve", "crps", "oral",
         "migraine", "relief", "placebo", "trial", "cohort", "über", "s.c.", "IV"]


def library(n: int, prefix: str) -> str:
    """n entries with titles, abstracts, keywords and some findings, a few without."""
    entries = []
    for i in range(n):
        words = [WORDS[(i * k + 3) % len(WORDS)] for k in range(1, 7)]
        fields = [f"title = {{{' '.join(words[:4])} {prefix} {i}}}", f"year = {{{2000 + i % 20}}}",
                  f"author = {{Author{i}, A. and Other, B.}}"]
        if i % 3:
            fields.append(f"abstract = {{{' '.join(words)} in {i} patients}}")
        if i % 4:
            fields.append(f"keywords = {{{words[1]}, {words[5]}}}")
        if i % 5 == 0:
            fields.append(f"finding = {{{words[2]} eased pain}}")
        entries.append(f"@article{{{prefix}{i},\n  " + ",\n  ".join(fields) + "\n}\n")
    return "\n".join(entries)


def load(engine: Engine, bib: str, name: str) -> citations.ImportReport:
    with db.writing(engine) as session:
        return citations.import_bibtex(session, system_actor(session), [(name, bib)])


def snapshot(engine: Engine) -> list[tuple[object, ...]]:
    """The whole index, by citation key: SQLite's every (term, column, offset), PostgreSQL's
    every document."""
    with engine.connect() as conn:
        if db.is_sqlite(engine):
            conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.index_terms USING "
                                 f"fts5vocab(main, {index.TABLE}, instance)")
            rows = conn.execute(text(
                "SELECT c.key, v.term, v.col, v.offset FROM temp.index_terms AS v "
                "JOIN citations AS c ON c.id = v.doc"))
        else:
            rows = conn.execute(text(
                f"SELECT c.key, s.document::text FROM {index.TABLE} AS s "
                "JOIN citations AS c ON c.id = s.citation_id"))
        return sorted(tuple(r) for r in rows)


def triggers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if db.is_sqlite(engine):
            return set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = "
                                         "'trigger' AND tbl_name = 'citations'")))
        return set(conn.scalars(text("SELECT tgname FROM pg_trigger WHERE tgrelid = "
                                     "'citations'::regclass AND NOT tgisinternal")))


def found(engine: Engine, search: str) -> list[str]:
    with db.reading(engine) as session:
        return sorted(r.key for r in queries.citations(
            session, queries.CitationFilter(search), limit=None))


@pytest.fixture(params=["bulk", "row by row"])
def fill_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(index, "BULK_FILL_MIN_ROWS", 1 if request.param == "bulk" else 10**9)
    yield request.param


def test_an_import_indexes_as_the_trigger_and_a_rebuild_would(engine: Engine,
                                                              fill_mode: str) -> None:
    load(engine, library(40, "old"), "old.bib")  # ids below the bulk import's
    # the second import adds 300 and merges into some of the first's (same titles, new fields)
    again = library(40, "old").replace("@article{old", "@article{again")
    report = load(engine, library(300, "new") + again.replace("year =", "note = {x}, year ="),
                  "new.bib")
    assert len(report.added) == 300
    imported = snapshot(engine)
    assert set(index.TRIGGERS[engine.dialect.name]) <= triggers(engine)
    with db.writing(engine) as session:
        index.rebuild(session)
    assert snapshot(engine) == imported
    assert len({row[0] for row in imported}) == 340
    assert found(engine, "naive new") == found(engine, "naïve new")
    assert any(key.startswith("new") for key in found(engine, "ketamine"))
    # the trigger indexes what comes next, row by row
    load(engine, "@article{late, title = {Sublingual lozenge ketamine}, year = {2024}, "
                 "author = {Late, L.}}", "late.bib")
    assert found(engine, "lozenge") == ["late"]


def test_a_failed_bulk_import_writes_nothing_and_keeps_the_trigger(
        engine: Engine, fill_mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(record: object) -> list[tuple[str, str]]:
        raise RuntimeError("topic rules failed")

    monkeypatch.setattr(citations, "_topics_of", broken)
    with pytest.raises(RuntimeError, match="topic rules failed"):
        load(engine, library(50, "new"), "new.bib")
    monkeypatch.undo()
    assert set(index.TRIGGERS[engine.dialect.name]) <= triggers(engine)
    assert snapshot(engine) == []
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM citations")) == 0
    load(engine, "@article{late, title = {Sublingual lozenge ketamine}, year = {2024}, "
                 "author = {Late, L.}}", "late.bib")
    assert found(engine, "lozenge") == ["late"]


def own_index(engine: Engine, column: str) -> int:
    """The position of `column` in `SELECT *` of citations, as sliced above."""
    with engine.connect() as conn:
        names = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(citations)")]
    return names.index(column)


def test_the_bulk_insert_stores_what_sqlalchemys_insert_stores(engine: Engine) -> None:
    """The import's own executemany on SQLite (no per-row parameter compilation) stores every
    column — dates, JSON, booleans — exactly as SQLAlchemy's INSERT of the same rows does."""
    from sqlalchemy import insert

    if not db.is_sqlite(engine):
        pytest.skip("PostgreSQL's import writes with COPY")

    from tracker import bibtex
    from tracker.models import Base

    parsed = bibtex.parse_bibtex(library(3, "same"), "same.bib")
    table = Base.metadata.tables["citations"]
    with db.writing(engine) as session:
        actor = system_actor(session)
        rows = [citations._row(r, "same.bib", actor) for r in parsed.records]
        citations._insert(session, table, rows[:2])
        twin = dict(rows[2], key="twin", doi=None, pmid=None)
        session.execute(insert(table), [twin])
        citations._insert(session, table, [dict(twin, key="own")])
    with engine.connect() as conn:
        stored = {r[1]: r[2:] for r in conn.exec_driver_sql(
            "SELECT id, key, * FROM citations WHERE key IN ('twin', 'own')")}
    own, twin_row = stored["own"], stored["twin"]
    assert own[2:] == twin_row[2:]  # every column but the id and the key
    assert isinstance(own[own_index(engine, "imported_at")], str)


def indexes(engine: Engine) -> list[tuple[str, str | None]]:
    """The citations table's indexes as SQLite stores them (name, CREATE statement)."""
    with engine.connect() as conn:
        return sorted((r[0], r[1]) for r in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'citations'"))


def test_a_bulk_import_rebuilds_the_secondary_indexes_as_they_were(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite: an import at least as large as the table drops the non-unique indexes and builds
    them again after the INSERT; the schema is the same byte for byte, the indexes hold every
    row (integrity_check), and a failed import leaves them in place. Into a larger table the
    rows go with the indexes kept."""
    if not db.is_sqlite(engine):
        pytest.skip("SQLite only")
    monkeypatch.setattr(index, "BULK_FILL_MIN_ROWS", 1)
    before = indexes(engine)
    assert {"ix_citations_entry_digest", "ix_citations_dedupe"} <= {n for n, _ in before}
    dropped: list[list[str]] = []
    real = citations._secondary_indexes_dropped

    def watched(*args: object) -> list[str]:
        dropped.append(real(*args))  # type: ignore[arg-type]
        return dropped[-1]

    monkeypatch.setattr(citations, "_secondary_indexes_dropped", watched)

    def broken(record: object) -> list[tuple[str, str]]:
        raise RuntimeError("topic rules failed")

    with monkeypatch.context() as failing:
        failing.setattr(citations, "_topics_of", broken)
        with pytest.raises(RuntimeError, match="topic rules failed"):
            load(engine, library(50, "bad"), "bad.bib")
    assert len(dropped[-1]) == 4 and indexes(engine) == before

    load(engine, library(60, "new"), "new.bib")
    assert len(dropped[-1]) == 4 and indexes(engine) == before
    load(engine, library(20, "more"), "more.bib")  # 20 into 60: the indexes stay
    assert dropped[-1] == [] and indexes(engine) == before
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM citations WHERE entry_digest = 'x'"))
        assert "ix_citations_entry_digest" in plan
        assert conn.scalar(text("SELECT count(*) FROM citations")) == 80
