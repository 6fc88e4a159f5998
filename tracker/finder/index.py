"""The full-text index of the citations, inside the database, and the reads that use it.

SQLite: an FTS5 table `citation_search` (title, abstract, keywords, finding; Porter stemmer
over unicode61, accents removed), contentless (`content=''`): it holds the index only, and
`bm25()` ranks it. PostgreSQL: a table `citation_search` (citation id, a weighted `tsvector`
of the same four fields, `english` configuration) with a GIN index; `ts_rank_cd()` ranks it.

The index is kept in step by triggers on `citations` (insert, update of those fields, delete;
on PostgreSQL inserts are indexed per statement, from its transition table),
so every writer keeps it current without knowing of it: the BibTeX import and its merges, the
ORM's edits, a restore, bulk inserts. It is built for existing rows by the Alembic revision
that creates it, and `rebuild()` builds it afresh. It is derived data: backups leave it out
(a restore's inserts fill it again) and Alembic's comparison ignores it (`INDEX_TABLES`).

A revision that rebuilds `citations` on SQLite (Alembic's batch mode: copy, drop, rename)
drops the triggers with the old table: it must run `trigger_statements()` and
`rebuild_statements()` again (a test checks that the triggers exist at head). There is
deliberately no view over `citations`: SQLite refuses to rename a table while a view names a
missing one, which would break such rebuilds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, column, func, literal_column, or_, select
from sqlalchemy import table as table_clause
from sqlalchemy.orm import Session

from tracker.finder.terms import Concept, clean, search_terms
from tracker.models import Citation

TABLE = "citation_search"
#: Every table the index consists of (FTS5 keeps its data in shadow tables).
INDEX_TABLES: frozenset[str] = frozenset(
    {TABLE} | {f"{TABLE}_{suffix}" for suffix in ("data", "idx", "docsize", "config",
                                                   "content")})
#: The triggers on `citations` that keep the index in step, by backend.
TRIGGERS = {"sqlite": (f"{TABLE}_insert", f"{TABLE}_update", f"{TABLE}_delete"),
            "postgresql": (f"{TABLE}_sync", f"{TABLE}_insert")}
#: bm25() column weights on SQLite, in the order of the FTS5 table's columns; ts_rank_cd()
#: weighs PostgreSQL's fields by their labels (title A, keywords and finding B, abstract C).
SQLITE_COLUMNS = ("title", "abstract", "keywords", "finding")
SQLITE_WEIGHTS = (2.0, 1.0, 1.0, 1.0)
CONFIG = "english"


def is_index_table(name: str) -> bool:
    return name in INDEX_TABLES


# --- DDL -------------------------------------------------------------------------------------


def _sqlite_values(row: str) -> str:
    """The four indexed values of citation `row` (new, old or a table alias): keywords joined
    from their JSON list, the finding from `extra`. Insert and delete must compute the very
    same values (a contentless FTS5 table removes a row by its indexed values)."""
    keywords = (f"(SELECT group_concat(value, ' ') FROM json_each(CASE WHEN "
                f"json_valid({row}.keywords) AND json_type({row}.keywords) = 'array' THEN "
                f"{row}.keywords ELSE '[]' END))")
    finding = (f"(CASE WHEN json_valid({row}.extra) AND json_type({row}.extra) = 'object' "
               f"THEN json_extract({row}.extra, '$.finding') END)")
    return f"{row}.title, {row}.abstract, {keywords}, {finding}"


_COLUMNS = ", ".join(SQLITE_COLUMNS)


def _sqlite_install() -> list[str]:
    return [f"CREATE VIRTUAL TABLE {TABLE} USING fts5({_COLUMNS}, content='', "
            "tokenize='porter unicode61 remove_diacritics 2')", *trigger_statements("sqlite")]


def trigger_statements(dialect: str) -> list[str]:
    """The triggers that keep the index in step. On SQLite, a revision that rebuilds
    `citations` (batch mode) runs these again, then `rebuild_statements`."""
    if dialect != "sqlite":  # inserts per statement: a bulk import (COPY) indexes as a set
        return [f"CREATE TRIGGER {TABLE}_sync AFTER UPDATE OF title, abstract, keywords, "
                f"extra ON citations FOR EACH ROW EXECUTE FUNCTION {TABLE}_sync()",
                f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON citations REFERENCING NEW "
                f"TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_insert()"]
    insert = f"INSERT INTO {TABLE} (rowid, {_COLUMNS}) VALUES (new.id, {_sqlite_values('new')});"
    delete = (f"INSERT INTO {TABLE} ({TABLE}, rowid, {_COLUMNS}) "
              f"VALUES ('delete', old.id, {_sqlite_values('old')});")
    return [
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON citations BEGIN {insert} END",
        f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF id, title, abstract, keywords, extra "
        f"ON citations BEGIN {delete} {insert} END",
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON citations BEGIN {delete} END",
    ]


def _postgresql_install() -> list[str]:
    return [
        f"CREATE TABLE {TABLE} (citation_id integer NOT NULL, document tsvector NOT NULL, "
        f"CONSTRAINT pk_{TABLE} PRIMARY KEY (citation_id), "
        f"CONSTRAINT fk_{TABLE}_citation_id_citations FOREIGN KEY (citation_id) "
        "REFERENCES citations (id) ON DELETE CASCADE)",
        f"CREATE INDEX ix_{TABLE}_document ON {TABLE} USING gin (document)",
        f"CREATE FUNCTION {TABLE}_document(title text, abstract text, keywords json, extra json)"
        " RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
        f"setweight(to_tsvector('{CONFIG}', coalesce(title, '')), 'A') || "
        f"setweight(to_tsvector('{CONFIG}', coalesce((SELECT string_agg(value, ' ') FROM "
        "json_array_elements_text(CASE WHEN json_typeof(keywords) = 'array' THEN keywords "
        "ELSE '[]'::json END)), '')), 'B') || "
        f"setweight(to_tsvector('{CONFIG}', coalesce(CASE WHEN json_typeof(extra) = 'object' "
        "THEN extra ->> 'finding' END, '')), 'B') || "
        f"setweight(to_tsvector('{CONFIG}', coalesce(abstract, '')), 'C') $$",
        f"CREATE FUNCTION {TABLE}_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {TABLE} (citation_id, document) VALUES (NEW.id, {TABLE}_document("
        "NEW.title, NEW.abstract, NEW.keywords, NEW.extra)) ON CONFLICT (citation_id) DO "
        "UPDATE SET document = EXCLUDED.document; RETURN NULL; END $$",
        *insert_function_statements(),
        *trigger_statements("postgresql"),
    ]


def insert_function_statements() -> list[str]:
    """PostgreSQL: the function of the statement-level insert trigger, which indexes every row
    of an INSERT (or COPY) at once from its transition table (revision 0018; a trigger per
    row made a bulk import's COPY take twice as long)."""
    return [
        f"CREATE OR REPLACE FUNCTION {TABLE}_insert() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN INSERT INTO {TABLE} (citation_id, document) SELECT id, {TABLE}_document("
        "title, abstract, keywords, extra) FROM inserted ON CONFLICT (citation_id) DO UPDATE "
        "SET document = EXCLUDED.document; RETURN NULL; END $$"]


def drop_trigger_statements() -> list[str]:
    """PostgreSQL: drop the index's triggers on `citations`, as any revision made them."""
    return [f"DROP TRIGGER IF EXISTS {name} ON citations" for name in TRIGGERS["postgresql"]]


def install_statements(dialect: str) -> list[str]:
    """SQL that creates the index, its triggers, and fills it from the citations."""
    made = _sqlite_install() if dialect == "sqlite" else _postgresql_install()
    return made + rebuild_statements(dialect)


def uninstall_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS["sqlite"]] + [
            f"DROP TABLE IF EXISTS {TABLE}"]
    return [*drop_trigger_statements(), f"DROP FUNCTION IF EXISTS {TABLE}_insert()",
            f"DROP FUNCTION IF EXISTS {TABLE}_sync()", f"DROP TABLE IF EXISTS {TABLE}",
            f"DROP FUNCTION IF EXISTS {TABLE}_document(text, text, json, json)"]


def rebuild_statements(dialect: str) -> list[str]:
    """SQL that empties the index and indexes every citation again."""
    if dialect == "sqlite":
        return [f"INSERT INTO {TABLE} ({TABLE}) VALUES ('delete-all')",
                f"INSERT INTO {TABLE} (rowid, {_COLUMNS}) SELECT c.id, {_sqlite_values('c')} "
                "FROM citations AS c"]
    return [f"DELETE FROM {TABLE}",
            f"INSERT INTO {TABLE} (citation_id, document) SELECT id, {TABLE}_document(title, "
            "abstract, keywords, extra) FROM citations"]


def fill_statement(dialect: str) -> str:
    """SQL that indexes the citations whose id is above a bound (one positional parameter):
    the rows a bulk insert added, as one set-based statement. SQLite: the very values of the
    insert trigger; PostgreSQL: the insert trigger's function (a conflict updates)."""
    if dialect == "sqlite":
        return (f"INSERT INTO {TABLE} (rowid, {_COLUMNS}) SELECT c.id, {_sqlite_values('c')} "
                "FROM citations AS c WHERE c.id > ?")
    return (f"INSERT INTO {TABLE} (citation_id, document) SELECT id, {TABLE}_document(title, "
            "abstract, keywords, extra) FROM citations WHERE id > %s ON CONFLICT (citation_id) "
            "DO UPDATE SET document = EXCLUDED.document")


#: Fewer new citations than this are indexed by the insert trigger, row by row (the DDL of a
#: bulk fill costs more than it saves).
BULK_FILL_MIN_ROWS = 500


class BulkFill:
    """The index of a bulk insert's citations filled by one statement on a thread of its own
    (`bulk_filled`): the database indexes in C with Python's GIL released, so the caller's
    Python work (the topic rules) runs meanwhile. The caller must not use the connection
    between `start()` and the end of the `bulk_filled` block."""

    def __init__(self, session: Session, after: int) -> None:
        self._connection = session.connection()
        self._after = after
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, then: Sequence[str] = ()) -> None:
        """Index every citation with an id above the one the block started at; then run the
        statements `then` (without parameters) on the same thread, in order."""
        driver = self._connection.connection.driver_connection
        assert driver is not None and self._thread is None
        statement = fill_statement("sqlite")

        def fill() -> None:
            try:
                driver.execute(statement, (self._after,))
                for sql in then:
                    driver.execute(sql)
            except BaseException as exc:  # re-raised by `join` in the caller's thread
                self._error = exc

        self._thread = threading.Thread(target=fill, name="citation-index-fill")
        self._thread.start()

    def finish(self) -> None:
        """Start the fill if the caller has not, and wait for it."""
        if self._thread is None:
            self.start()
        self.join()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error


@contextmanager
def bulk_filled(session: Session, rows: int) -> Iterator[BulkFill | None]:
    """A bulk insert of `rows` citations, indexed after it as a set (`BulkFill`) instead of by
    SQLite's insert trigger row by row: the trigger is dropped for the block and created
    again at its end, in the caller's transaction (SQLite's DDL is transactional; readers see
    the old schema, trigger included, until the commit, and a rollback restores it). The
    index ends the same as the trigger's. Yields None (nothing changes) on PostgreSQL, whose
    trigger indexes per statement already, and for fewer than `BULK_FILL_MIN_ROWS` rows.
    Citations must be inserted in the block only, as new rows (ids above the largest)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or rows < BULK_FILL_MIN_ROWS:
        yield None
        return
    after = int(connection.exec_driver_sql(
        "SELECT coalesce(max(id), 0) FROM citations").scalar_one())
    insert_trigger = TRIGGERS["sqlite"][0]
    connection.exec_driver_sql(f"DROP TRIGGER {insert_trigger}")
    fill = BulkFill(session, after)
    try:
        yield fill
        fill.finish()
    except BaseException:
        fill.join()  # never leave a statement running while the caller rolls back
        raise
    connection.exec_driver_sql(trigger_statements("sqlite")[0])


def rebuild(session: Session) -> None:
    """Index every citation afresh (in the caller's transaction)."""
    for statement in rebuild_statements(session.get_bind().dialect.name):
        session.connection().exec_driver_sql(statement)


# --- reading the index -----------------------------------------------------------------------

_FTS = table_clause(TABLE, column("rowid"))
_TSV = table_clause(TABLE, column("citation_id"), column("document"))


def _fts5_string(forms: Sequence[str]) -> str:
    """FTS5 query syntax for "any of these forms": each form a quoted string (a phrase when
    it has several words), so no user input is read as an operator."""
    quoted = ['"' + form.replace('"', '""') + '"' for form in forms]
    return quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"


def _tsquery(forms: Sequence[str]) -> ColumnElement[Any]:
    """PostgreSQL: "any of these forms", each as a phrase query."""
    config: ColumnElement[Any] = literal_column(f"'{CONFIG}'::regconfig")
    queries = [func.phraseto_tsquery(config, form) for form in forms]
    combined: ColumnElement[Any] = queries[0]
    for query in queries[1:]:
        combined = combined.op("||")(query)
    return combined


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _matching(session: Session, forms: Sequence[str]) -> Select[Any]:
    """The ids of the citations whose indexed text contains any of `forms`."""
    if _is_sqlite(session):
        return select(_FTS.c.rowid).where(literal_column(TABLE).op("MATCH")(
            _fts5_string(forms)))
    return select(_TSV.c.citation_id).where(
        _TSV.c.document.op("@@", is_comparison=True)(_tsquery(forms)))


def frequencies(session: Session, concepts: Sequence[Concept]) -> tuple[int, list[int]]:
    """How many citations there are, and how many mention each concept (any of its forms)."""
    total = select(func.count()).select_from(Citation).scalar_subquery()
    counts = [select(func.count()).select_from(_matching(session, c.forms).subquery())
              .scalar_subquery() for c in concepts]
    row = session.execute(select(total, *counts)).one()
    return int(row[0]), [int(n) for n in row[1:]]


def candidates(session: Session, concepts: Sequence[Concept], limit: int) -> list[int]:
    """The ids of the `limit` citations the index ranks best for any of `concepts`: bm25() on
    SQLite, ts_rank_cd() on PostgreSQL."""
    if not concepts:
        return []
    forms = [c.forms for c in concepts]
    if _is_sqlite(session):
        weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
        query = " OR ".join(_fts5_string(f) for f in forms)
        bm25: ColumnElement[Any] = literal_column(f"bm25({TABLE}, {weights})")
        statement = (select(_FTS.c.rowid).where(literal_column(TABLE).op("MATCH")(query))
                     .order_by(bm25, _FTS.c.rowid).limit(limit))
    else:
        combined = _tsquery([form for group in forms for form in group])
        score = func.ts_rank_cd(_TSV.c.document, combined)
        statement = (select(_TSV.c.citation_id)
                     .where(_TSV.c.document.op("@@", is_comparison=True)(combined))
                     .order_by(score.desc(), _TSV.c.citation_id).limit(limit))
    return [int(ident) for ident in session.scalars(statement)]


# --- the citation search ---------------------------------------------------------------------


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(session: Session, search: str) -> ColumnElement[bool]:
    """Citations matching every term of `search` (`terms.search_terms`): in the indexed text
    (title, abstract, keywords, finding), or as a substring of the key, the authors or the
    DOI, or as the PMID. A search without a word (only punctuation) is one substring."""
    terms = search_terms(search)
    if not terms:
        return _elsewhere(" ".join(clean(search).split()))
    return and_(*(or_(Citation.id.in_(_matching(session, term.forms)), _elsewhere(term.text))
                  for term in terms))


def _elsewhere(text: str) -> ColumnElement[bool]:
    """`text` in the key, authors or DOI (a substring, case-insensitive), or the PMID."""
    needle = _like(text.lower())
    return or_(func.lower(Citation.key).like(needle, escape="\\"),
               func.lower(Citation.authors_text).like(needle, escape="\\"),
               func.lower(Citation.doi).like(needle, escape="\\"),
               Citation.pmid == text)
