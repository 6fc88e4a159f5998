"""Citations: reference import — BibTeX, RIS, PubMed MEDLINE and CSL-JSON through one
pipeline (bulk, deduplicated, all-or-nothing per import), review of the study design,
verification and retraction marks, the article's listed resources, and export.

An import is one transaction. Duplicates — the same DOI, else the same PMID, else the same
normalised title with the same year and first author — are merged within the files and
against the database: missing fields are filled, differing values are reported as conflicts and
never overwritten. Re-importing a file changes nothing; an entry that a citation was stored
from — the same text, with the same @string macros in its file (the stored `entry_digest`) —
is not decoded again: it is reported unchanged, matched on "key+entry text". With `strict`,
any problem means nothing is written; with `dry_run`, nothing is written either way.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from sqlalchemy import JSON, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from tracker import bibtex, formats, topics
from tracker.db import advisory_lock
from tracker.errors import InvalidInput, NotFound
from tracker.limits import MAX_IMPORT_ENTRIES, MAX_NOTE_CHARS, check_text, recorded_path
from tracker.models import Base, Citation, Document, Resource, utcnow
from tracker.services.access import Actor, authorize, record
from tracker.vocabulary import DesignSource, StudyDesign

CHUNK = 2000  # bound parameters per IN (...) query, safe on SQLite and PostgreSQL
TITLE_KEY_MAX = 500
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class DatabaseMerge:
    """An imported entry that matched a citation already in the database."""

    key: str
    into: str
    source: str
    line: int | None
    matched_on: str
    filled: tuple[str, ...]
    conflicts: tuple[tuple[str, str, str], ...]


@dataclass(slots=True)
class ImportReport:
    sources: list[str]
    found: int = 0
    added: list[str] = field(default_factory=list)
    merged: list[DatabaseMerge] = field(default_factory=list)  # filled missing fields
    unchanged: list[DatabaseMerge] = field(default_factory=list)  # nothing new
    merged_in_files: list[bibtex.Merge] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    problems: list[bibtex.Problem] = field(default_factory=list)
    #: what refuses nothing but may not be what the file meant (a redefined @string, an
    #: undefined macro)
    warnings: list[bibtex.Problem] = field(default_factory=list)
    #: files that are not UTF-8: the encoding read and how sure
    encodings: list[FileEncoding] = field(default_factory=list)
    dry_run: bool = False
    strict: bool = False
    written: bool = False

    @property
    def reported_entries(self) -> int:
        """Entries that were refused (each counted once, whatever its number of problems);
        problems of non-entry blocks (a broken @comment) carry no entry number."""
        return len({(p.source, p.entry_number) for p in self.problems
                    if p.entry_number is not None})

    def summary(self) -> dict[str, int]:
        return {
            "found": self.found, "added": len(self.added), "merged": len(self.merged),
            "unchanged": len(self.unchanged), "merged_in_files": len(self.merged_in_files),
            "problems": len(self.problems), "refused_entries": self.reported_entries,
            "warnings": len(self.warnings),
        }


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BibSource:
    """One file (or paste, or upload) of an import: its name, its text and how its bytes were
    decoded (None for text given as text)."""

    name: str
    text: str
    decoded: bibtex.Decoded | None = None
    #: one of `tracker.formats.FORMATS`; every format goes through the same pipeline
    format: str = "bibtex"


@dataclass(frozen=True, slots=True)
class FileEncoding:
    """What an import report says about a file that is not UTF-8: the encoding read, how
    sure (`tracker.encodings`), on what evidence, or that the user stated it."""

    source: str
    encoding: str
    confidence: float
    evidence: str
    stated: bool
    note: str


@dataclass(frozen=True, slots=True)
class ParsedImport:
    """The files of one import read and parsed, before any write (`parse_import`): an import
    parses outside its write transaction, so a long parse never holds the write lock."""

    sources: tuple[str, ...]
    files: tuple[bibtex.ParsedBib, ...]
    encodings: tuple[FileEncoding, ...] = ()


def parse_import(session: Session, actor: Actor,
                 sources: Sequence[BibSource | tuple[str, str]],
                 progress: Progress | None = None) -> ParsedImport:
    """Parse the files of an import in a read transaction (the stored entry digests make a
    re-import cheap). Refused whole (InvalidInput, nothing written): more than
    `MAX_IMPORT_ENTRIES` entries, a file refused whole ("too-large": too long, too many
    blocks), or @string macros adding more than `MAX_IMPORT_EXPANSION_CHARS` to the fields."""
    authorize(actor, "citations.import")
    given = [s if isinstance(s, BibSource) else BibSource(*s) for s in sources]
    with collection_paused():
        return _parse_files(session, given, progress)


def _parse_files(session: Session, given: list[BibSource], progress: Progress | None
                 ) -> ParsedImport:
    budget = bibtex.ExpansionBudget()
    known = _stored_as_written(session)
    files: list[bibtex.ParsedBib] = []
    found = 0
    for index, source in enumerate(given):
        if progress:
            progress("parsing", index, len(given))
        try:
            parsed = formats.parse_references(source.text, source.name, source.format,
                                              known=known, budget=budget)
        except bibtex.ExpansionLimit as exc:
            raise InvalidInput(f"{exc}; nothing was written") from None
        refused = next((p for p in parsed.problems if p.kind == "too-large"), None)
        if refused is not None:
            raise InvalidInput(f"{refused}; the import is refused, nothing was written")
        found += parsed.found
        if found > MAX_IMPORT_ENTRIES:
            raise InvalidInput(
                f"{source.name}: the import holds more than {MAX_IMPORT_ENTRIES:,} entries "
                f"({found:,} so far); import the files in smaller batches"
            )
        files.append(parsed)
    encodings = tuple(
        FileEncoding(s.name, s.decoded.encoding, s.decoded.confidence, s.decoded.evidence,
                     s.decoded.stated, s.decoded.note())
        for s in given if s.decoded is not None and s.decoded.note())
    return ParsedImport(tuple(s.name for s in given), tuple(files), encodings)


def import_bibtex(
    session: Session,
    actor: Actor,
    sources: ParsedImport | Sequence[BibSource | tuple[str, str]],
    *,
    strict: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import BibTeX: files already parsed (`parse_import`, the CLI's and the dashboard's way:
    no parsing under the write lock), or (source name, text) pairs parsed here. Refusals as
    `parse_import`; every other problem is reported. Imports take turns matching and
    writing (`db.advisory_lock`), so two imports of the same works merge as one would."""
    authorize(actor, "citations.import")
    parsed = sources if isinstance(sources, ParsedImport) else parse_import(
        session, actor, sources, progress)
    report = ImportReport(sources=list(parsed.sources), strict=strict, dry_run=dry_run,
                          encodings=list(parsed.encodings))
    records: list[tuple[bibtex.CitationRecord, str]] = []
    for file in parsed.files:
        report.found += file.found
        report.problems.extend(file.problems)
        report.warnings.extend(file.warnings)
        report.merged_in_files.extend(file.merges)
        report.unchanged.extend(
            DatabaseMerge(key=k.key, into=k.into, source=file.source, line=k.line,
                          matched_on=bibtex.MATCH_AS_WRITTEN, filled=(), conflicts=())
            for k in file.known)
        records.extend((r, file.source) for r in file.records)
    records = _merge_across_files(records, report)
    if progress:
        progress("matching", len(parsed.files), len(parsed.files))
    if not dry_run:
        advisory_lock(session, "citations.import")  # the next import matches against ours
    with collection_paused():
        plan = _match(session, records, report)
        if dry_run or (strict and report.problems):
            return report
        _write(session, actor, plan, report, progress)
    report.written = True
    if report.added or report.merged:
        record(session, actor, "citations.import", "citation", None,
               f"imported {', '.join(report.sources)}: {len(report.added)} added, "
               f"{len(report.merged)} merged, {len(report.unchanged)} unchanged, "
               f"{report.reported_entries} refused",
               after={"sources": report.sources, **report.summary(),
                      "added_keys": report.added[:200]})
    return report


@contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a bulk step: an import makes millions of
    long-lived objects and no cycles, and each full collection would walk all of them again
    (issue 20). Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _stored_as_written(session: Session) -> bibtex.Known:
    """`bibtex.Known` on this database: the citations stored from entries with these
    `bibtex.entry_digest`s (an indexed look-up per chunk). Such an entry would merge nothing
    (its fields are the citation's, or were filled in by later merges): a re-import skips it,
    even when its key was taken and it was stored as key-2."""

    def known(digests: Sequence[str]) -> dict[str, str]:
        stored: dict[str, str] = {}
        for chunk in _chunks(sorted(set(digests))):
            stored.update((digest, key) for digest, key in session.execute(
                select(Citation.entry_digest, Citation.key)
                .where(Citation.entry_digest.in_(chunk))) if digest is not None)
        return stored

    return known


def _merge_across_files(
    records: list[tuple[bibtex.CitationRecord, str]], report: ImportReport
) -> list[tuple[bibtex.CitationRecord, str]]:
    """Duplicates between the files of one import, by the same rules as within a file."""
    if len(report.sources) < 2:
        return records
    kept, merges, firsts = bibtex.merge_duplicates(r for r, _ in records)
    report.merged_in_files.extend(merges)
    return [(record_, records[first][1]) for record_, first in zip(kept, firsts, strict=True)]


@dataclass(slots=True)
class _Plan:
    new: list[tuple[bibtex.CitationRecord, str]] = field(default_factory=list)
    fills: dict[int, dict[str, Any]] = field(default_factory=dict)


def _db_title_key(record_: bibtex.CitationRecord) -> tuple[str, int, str] | None:
    first = record_.authors[0] if record_.authors else (
        record_.editors[0] if record_.editors else None)
    if not record_.title or record_.year is None or first is None:
        return None
    words = bibtex.title_key(record_.title)[:TITLE_KEY_MAX]
    return (words, record_.year, bibtex.title_key(first.family)) if words else None


def _match(session: Session, records: list[tuple[bibtex.CitationRecord, str]],
           report: ImportReport) -> _Plan:
    """Find each record's twin in the database with a few set-based queries."""
    dois = {r.doi for r, _ in records if r.doi}
    pmids = {r.pmid for r, _ in records if r.pmid}
    title_keys = {k[0] for r, _ in records if (k := _db_title_key(r))}
    keys = {r.key.lower() for r, _ in records}
    by_doi: dict[str, _Stored] = {}
    by_pmid: dict[str, _Stored] = {}
    by_title: dict[tuple[str, int, str], _Stored] = {}
    taken_keys: set[str] = set()
    for column, values in ((Citation.doi, dois), (Citation.pmid, pmids),
                           (Citation.title_key, title_keys)):
        for chunk in _chunks(sorted(values)):
            for stored in session.execute(select(*_STORED_COLUMNS).where(column.in_(chunk))):
                _index(_Stored(*stored), by_doi, by_pmid, by_title)
    by_key: dict[str, _Stored] = {}  # by the key lower-cased: BibTeX keys ignore case
    for chunk in _chunks(sorted(keys)):
        for stored in session.execute(select(*_STORED_COLUMNS).where(
                func.lower(Citation.key).in_(chunk))):
            by_key.setdefault(stored.key.lower(), _Stored(*stored))
    taken_keys.update(by_key)
    plan = _Plan()
    claimed_keys = set(taken_keys)
    for record_, source in records:
        twin, matched_on = _twin(record_, by_doi, by_pmid, by_title)
        if twin is None:
            twin, matched_on = _same_key_and_title(record_, by_key)
        if twin is None:
            record_ = _unique_key(session, record_, claimed_keys, report)
            claimed_keys.add(record_.key.lower())
            plan.new.append((record_, source))
            report.added.append(record_.key)
            continue
        fills, conflicts = _fill(twin, record_, plan.fills.get(twin.id, {}))
        _keep_identifiers_unique(twin, fills, conflicts, by_doi, by_pmid)
        note = DatabaseMerge(key=record_.key, into=twin.key, source=source, line=record_.line,
                             matched_on=matched_on, filled=tuple(sorted(fills)),
                             conflicts=tuple(conflicts))
        if fills:
            plan.fills.setdefault(twin.id, {}).update(fills)
            report.merged.append(note)
        else:
            report.unchanged.append(note)
    return plan


def _keep_identifiers_unique(twin: _Stored, fills: dict[str, Any],
                             conflicts: list[tuple[str, str, str]],
                             by_doi: dict[str, _Stored], by_pmid: dict[str, _Stored]) -> None:
    """A DOI or PMID that another stored citation holds is not filled into `twin` (they are
    unique): it becomes a conflict naming that citation. `by_doi`/`by_pmid` hold every stored
    citation with a DOI or PMID of the import."""
    for name, holders in (("doi", by_doi), ("pmid", by_pmid)):
        holder = holders.get(fills.get(name) or "")
        if holder is not None and holder.id != twin.id:
            conflicts.append((name, f"none ({holder.key} has {fills[name]})", fills.pop(name)))


class _Stored(NamedTuple):
    """The columns of a stored citation that matching and merging need (no ORM objects, and
    authors compared as their stored text: a re-import of thousands of entries stays cheap)."""

    id: int
    key: str
    title_key: str
    first_author_key: str
    title: str
    authors_text: str
    editors: list[dict[str, Any]]
    year: int | None
    container: str | None
    volume: str | None
    number: str | None
    pages: str | None
    doi: str | None
    pmid: str | None
    isbn: str | None
    url: str | None
    abstract: str | None


_STORED_COLUMNS = tuple(getattr(Citation, name) for name in _Stored._fields)


def _index(citation: _Stored, by_doi: dict[str, _Stored], by_pmid: dict[str, _Stored],
           by_title: dict[tuple[str, int, str], _Stored]) -> None:
    if citation.doi:
        by_doi[citation.doi] = citation
    if citation.pmid:
        by_pmid[citation.pmid] = citation
    if citation.title_key and citation.year is not None and citation.first_author_key:
        by_title.setdefault((citation.title_key, citation.year, citation.first_author_key),
                            citation)


def _twin(record_: bibtex.CitationRecord, by_doi: dict[str, _Stored],
          by_pmid: dict[str, _Stored], by_title: dict[tuple[str, int, str], _Stored]
          ) -> tuple[_Stored | None, str]:
    if record_.doi and record_.doi in by_doi:
        return by_doi[record_.doi], "doi"
    if record_.pmid and record_.pmid in by_pmid:
        return by_pmid[record_.pmid], "pmid"
    key = _db_title_key(record_)
    if key is not None and key in by_title and bibtex.compatible(by_title[key], record_):
        return by_title[key], bibtex.MATCH_TITLE
    return None, ""


def _same_key_and_title(record_: bibtex.CitationRecord, by_key: dict[str, _Stored]
                        ) -> tuple[_Stored | None, str]:
    """An entry without DOI, PMID, year or author is still the same citation when it has the
    same key (in any case) and the same title (so re-importing such a file changes
    nothing)."""
    stored = by_key.get(record_.key.lower())
    if stored is not None and stored.title_key == bibtex.title_key(record_.title or "")[
            :TITLE_KEY_MAX]:
        return stored, "key+title"
    return None, ""


def _unique_key(session: Session, record_: bibtex.CitationRecord, taken: set[str],
                report: ImportReport) -> bibtex.CitationRecord:
    """The entry's key, or key-2, key-3... when another citation already has it, in any case
    (`taken` holds keys lower-cased)."""
    if record_.key.lower() not in taken:
        return record_
    pattern = record_.key.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    taken.update(key.lower() for key in session.scalars(select(Citation.key).where(
        func.lower(Citation.key).like(pattern + "-%", escape="\\"))))
    n = 2
    while f"{record_.key}-{n}".lower() in taken:
        n += 1
    new_key = f"{record_.key}-{n}"
    report.renamed.append((record_.key, new_key))
    return replace(record_, key=new_key)


def _people(persons: Iterable[bibtex.Person]) -> list[dict[str, Any]]:
    return [{"family": p.family, "given": p.given, **({"corporate": True} if p.corporate else {})}
            for p in persons]


def _persons(rows: Iterable[dict[str, Any]]) -> tuple[bibtex.Person, ...]:
    """Stored people (`_people`) as `bibtex.Person`s again."""
    return tuple(bibtex.Person(family=p["family"], given=p.get("given", ""),
                               corporate=bool(p.get("corporate"))) for p in rows)


def _editors_text(rows: list[dict[str, Any]]) -> str:
    return bibtex.people_text(_persons(rows))


def _fill(twin: _Stored, record_: bibtex.CitationRecord, pending: dict[str, Any]
          ) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Fields the database lacks and the entry has; and the ones where they differ: the merge
    rule of `bibtex.FieldMerger`, on the stored columns (authors compared as their text)."""
    merger = bibtex.FieldMerger()
    fills: dict[str, Any] = {}

    def pick(name: str, column: str, incoming: Any, **how: Any) -> bool:
        """Merge one field; True when `incoming` fills it."""
        merger.pick(name, pending.get(column, getattr(twin, column)), incoming, **how)
        return name in merger.filled

    if pick("title", "title", record_.title, same=bibtex.same_title):
        fills["title"] = record_.title
    authors_text = bibtex.people_text(record_.authors, record_.others)
    if pick("authors", "authors_text", authors_text):
        fills["authors"] = _people(record_.authors)
        fills["authors_text"] = authors_text
    editors = _people(record_.editors)
    if pick("editors", "editors", editors, show=_editors_text):
        fills["editors"] = editors
    for name in bibtex.MERGED_FIELDS:
        if pick(name, name, getattr(record_, name)):
            fills[name] = getattr(record_, name)
    return fills, merger.conflicts


def _row(record_: bibtex.CitationRecord, source: str, actor: Actor) -> dict[str, Any]:
    now = utcnow()
    first = record_.authors[0] if record_.authors else (
        record_.editors[0] if record_.editors else None)
    return {
        "key": record_.key, "entry_type": record_.entry_type, "title": record_.title or "",
        "title_key": bibtex.title_key(record_.title or "")[:TITLE_KEY_MAX],
        "authors": _people(record_.authors),
        "authors_text": bibtex.people_text(record_.authors, record_.others),
        "first_author_key": bibtex.title_key(first.family) if first else "",
        "others": record_.others, "editors": _people(record_.editors), "year": record_.year,
        "container": record_.container, "volume": record_.volume, "number": record_.number,
        "pages": record_.pages, "doi": record_.doi, "pmid": record_.pmid, "isbn": record_.isbn,
        "url": record_.url, "abstract": record_.abstract, "keywords": list(record_.keywords),
        "design": record_.design.value if record_.design else None,
        "design_source": record_.design_source.value, "design_reason": record_.design_reason,
        "extra": dict(record_.extra), "raw": record_.raw,
        "entry_digest": record_.digest or None, "source_file": recorded_path(source),
        "source_line": record_.line, "imported_at": now, "imported_by_id": actor.id,
        "verified": record_.verified, "verification_note": record_.verification_note,
        "retracted": False, "updated_at": now, "version": 1,
    }


def _write(session: Session, actor: Actor, plan: _Plan, report: ImportReport,
           progress: Progress | None = None) -> None:
    """Bulk INSERT (executemany, no per-row round trips), then the new ids by key. The
    database's indexing of the new rows overlaps the topic rules, which run meanwhile: on
    SQLite the full-text index is filled as one statement on a thread of its own
    (`index.bulk_filled`); on PostgreSQL the end of the COPY, where the server's statement
    trigger indexes every row, is awaited on one (`_inserted`)."""
    from tracker.finder import index  # the finder's reads stay unimported for other commands

    rows = [_row(r, source, actor) for r, source in plan.new]
    table = Base.metadata.tables["citations"]
    with index.bulk_filled(session, len(rows)) as fill:
        rebuilt = _secondary_indexes_dropped(session, table, len(rows)) if fill else []
        with _inserted(session, table, rows, progress):
            if fill is not None:
                fill.start(then=rebuilt)
            found = [_topics_of(record_) for record_, _ in plan.new]
    if progress:
        progress("writing", len(rows), len(rows))
    ids: dict[str, int] = {}
    for chunk in _chunks([r["key"] for r in rows]):
        ids.update({key: ident for key, ident in session.execute(
            select(Citation.key, Citation.id).where(Citation.key.in_(chunk)))})
    topic_rows = [
        {"citation_id": ids[record_.key], "facet": facet, "value": value, "source": "rule"}
        for (record_, _), pairs in zip(plan.new, found, strict=True) for facet, value in pairs
    ]
    if topic_rows:
        _insert(session, Base.metadata.tables["citation_topics"], topic_rows)
    if plan.fills:
        _fill_in(session, table, plan.fills)
    session.flush()


def _secondary_indexes_dropped(session: Session, table: Table, rows: int) -> list[str]:
    """SQLite, a bulk insert of `rows` new rows at least as many as `table` holds: its
    secondary indexes (the models' non-unique `Table.indexes`; the unique ones enforce keys)
    dropped in the caller's transaction, and the statements that create them again returned —
    the very SQL SQLite stored for them, so the schema after is the schema before, byte for
    byte. Building an index from the finished table (one sort) costs less than growing it by
    one B-tree insert per row; into a larger table the rows go with the indexes kept (returns
    []). DDL is transactional in SQLite: a rollback restores the indexes."""
    connection = session.connection()
    names = sorted(i.name for i in table.indexes if not i.unique and i.name)
    if connection.dialect.name != "sqlite" or not names:
        return []
    held = int(connection.exec_driver_sql(f"SELECT count(*) FROM {table.name}").scalar_one())
    if held > rows:
        return []
    marks = ", ".join("?" * len(names))
    stored: dict[str, str] = dict(connection.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        f"AND name IN ({marks})", (table.name, *names)).all())
    quote = connection.dialect.identifier_preparer.quote
    for name in names:
        if name in stored:
            connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    return [stored[name] for name in names if name in stored]


@contextmanager
def _inserted(session: Session, table: Table, rows: list[dict[str, Any]],
              progress: Progress | None) -> Iterator[None]:
    """`rows` inserted into `table` before the block runs (SQLite, others: in chunks) — or,
    on PostgreSQL, sent by one COPY whose end (the statement's triggers) the server works on
    while the block runs, awaited on a thread (psycopg waits with the GIL released). The block
    must not use the session."""
    if not rows:
        yield
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        for start in range(0, len(rows), CHUNK):
            if progress:
                progress("writing", start, len(rows))
            _insert(session, table, rows[start:start + CHUNK])
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    sql, values = _copy_statement(connection, table, rows)
    with driver.cursor() as cursor:
        copying = cursor.copy(sql)
        copy = copying.__enter__()
        try:
            for n, row in enumerate(values):
                if progress and n % CHUNK == 0:
                    progress("writing", n, len(rows))
                copy.write_row(row)
        except BaseException:
            copying.__exit__(*sys.exc_info())
            raise
        errors: list[BaseException] = []

        def finish() -> None:
            try:
                copying.__exit__(None, None, None)
            except BaseException as exc:  # re-raised below, in the caller's thread
                errors.append(exc)

        ending = threading.Thread(target=finish, name="citation-copy-end")
        ending.start()
        try:
            yield
        finally:
            ending.join()
        if errors:
            raise errors[0]


def _copy_statement(connection: Any, table: Table, rows: list[dict[str, Any]]
                    ) -> tuple[str, Iterator[list[Any]]]:
    """PostgreSQL: the COPY of `rows` into `table`, and the rows' values as it takes them
    (JSON as SQLAlchemy's JSON type writes it: json.dumps)."""
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    quote = connection.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    values = ([json.dumps(row[name]) if name in json_columns else row[name]
               for name in columns] for row in rows)
    return sql, values


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows (all with the same columns) into `table`: on PostgreSQL through COPY (psycopg's
    copy protocol: no statement per row or per batch to parse, plan and bind), elsewhere by
    an executemany of one prepared INSERT."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        _sqlite_insert(session, table, rows)
        return
    if connection.dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    sql, values = _copy_statement(connection, table, rows)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for row in values:
            copy.write_row(row)


def _sqlite_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """SQLite: one executemany of a prepared INSERT on the driver's connection, each value
    passed through its column type's own bind processor (JSON as SQLAlchemy writes it, dates
    as SQLAlchemy formats them), without SQLAlchemy's per-row parameter compilation — which
    took more time than the INSERT itself. Columns the rows leave out that have a Python-side
    default go through SQLAlchemy instead, which computes them."""
    columns = list(rows[0])
    if any(c.default is not None and c.name not in rows[0] for c in table.c):
        session.execute(insert(table), rows)
        return
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    # the dialect's implementation of each type: a TypeDecorator's own processing, then its
    # dialect type's (a date as SQLAlchemy formats it for SQLite, not sqlite3's adapter)
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in columns]
    plain = [name for name, how in zip(columns, processors, strict=True) if how is None]
    processed = [(name, how) for name, how in zip(columns, processors, strict=True)
                 if how is not None]
    order = plain + [name for name, _ in processed]
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in order)}) "
           f"VALUES ({', '.join('?' * len(order))})")
    values = [tuple([row[name] for name in plain] + [how(row[name]) for name, how in processed])
              for row in rows]
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.executemany(sql, values)


def _fill_in(session: Session, table: Any, fills: dict[int, dict[str, Any]]) -> None:
    """UPDATE the filled fields, one executemany per set of filled columns; bumps versions."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for citation_id, values in fills.items():
        groups.setdefault(tuple(sorted(values)), []).append(
            {"b_id": citation_id, **{f"b_{k}": v for k, v in values.items()}})
    now = utcnow()
    for columns, params in groups.items():
        statement = (update(table).where(table.c.id == bindparam("b_id"))
                     .values({c: bindparam(f"b_{c}") for c in columns}
                             | {"version": table.c.version + 1, "updated_at": now}))
        session.execute(statement, params)


def _topics_of(record_: bibtex.CitationRecord) -> list[tuple[str, str]]:
    return topics.topics_for([record_.title, record_.abstract, " ".join(record_.keywords),
                              record_.extra.get("finding")])


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


# --- one citation ----------------------------------------------------------------------------


def citation_by_key(session: Session, key: str) -> Citation:
    """The citation with this key — as written, else the one whose key differs only in case
    (BibTeX keys ignore case) — or with this number."""
    citation = session.scalar(select(Citation).where(Citation.key == key))
    if citation is None:
        same = session.scalars(select(Citation).where(
            func.lower(Citation.key) == key.lower()).limit(2)).all()
        citation = same[0] if len(same) == 1 else None
    if citation is None and key.isdigit():
        citation = session.get(Citation, int(key))
    if citation is None:
        raise NotFound(f"no citation {key!r}; `tracker citations search` finds one")
    return citation


def set_design(session: Session, actor: Actor, citation_id: int, design: StudyDesign,
               *, expected_version: int | None = None) -> None:
    """A reviewer confirms (or corrects) a citation's study design."""
    authorize(actor, "citation.design")
    citation = session.get(Citation, citation_id)
    if citation is None:
        raise NotFound(f"no citation #{citation_id}")
    _check_version(citation, expected_version)
    before = {"design": citation.design, "design_source": citation.design_source}
    citation.design = StudyDesign(design).value
    citation.design_source = DesignSource.CONFIRMED.value
    citation.design_reason = f"confirmed by {actor.username}"
    session.flush()
    record(session, actor, "citation.design", "citation", citation.id,
           f"{citation.key}: design {before['design'] or 'unknown'} → {citation.design}",
           before=before, after={"design": citation.design, "design_source": "confirmed"})
    _regrade_citing(session, citation.id)


def set_verification(session: Session, actor: Actor, citation_id: int, verified: bool,
                     note: str, *, expected_version: int | None = None) -> None:
    """Mark a citation verified (its metadata checked against a source) or not."""
    authorize(actor, "citation.verify")
    note = check_text(note, "the note", MAX_NOTE_CHARS)
    if not note:
        raise InvalidInput("say where the metadata was checked (or why it cannot be)")
    citation = session.get(Citation, citation_id)
    if citation is None:
        raise NotFound(f"no citation #{citation_id}")
    _check_version(citation, expected_version)
    before = {"verified": citation.verified, "note": citation.verification_note}
    citation.verified = verified
    citation.verification_note = note.strip()
    session.flush()
    record(session, actor, "citation.verify", "citation", citation.id,
           f"{citation.key} marked {'verified' if verified else 'unverified'}: {note.strip()}",
           before=before, after={"verified": verified, "note": note.strip()})
    _regrade_citing(session, citation.id)


def set_retracted(session: Session, actor: Actor, citation_id: int, retracted: bool,
                  note: str) -> None:
    """Editors mark a retraction (with the notice); retracted studies never count."""
    authorize(actor, "citation.retract")
    note = check_text(note, "the note", MAX_NOTE_CHARS)
    if retracted and not note:
        raise InvalidInput("cite the retraction notice")
    citation = session.get(Citation, citation_id)
    if citation is None:
        raise NotFound(f"no citation #{citation_id}")
    before = {"retracted": citation.retracted, "note": citation.retraction_note}
    citation.retracted = retracted
    citation.retraction_note = note.strip() or None
    session.flush()
    record(session, actor, "citation.retract", "citation", citation.id,
           f"{citation.key} {'retracted' if retracted else 'no longer marked retracted'}",
           before=before, after={"retracted": retracted, "note": note.strip()})
    _regrade_citing(session, citation.id)


def _check_version(citation: Citation, expected: int | None) -> None:
    from tracker.errors import Conflict

    if expected is not None and expected != citation.version:
        raise Conflict(f"citation {citation.key} was changed by someone else; reload")


def _regrade_citing(session: Session, citation_id: int) -> None:
    from tracker.models import EvidenceLink
    from tracker.services.evidence import regrade

    regrade(session, session.scalars(
        select(EvidenceLink.claim_id).where(EvidenceLink.citation_id == citation_id)).all())


# --- the article's listed resources ----------------------------------------------------------

RESOURCE_NOTE = ("listed in the article's Additional Resources without author, publisher, year "
                 "or identifier; no such book could be confirmed, so it stays unverified")


def register_resources(session: Session, actor: Actor, document_id: int) -> list[str]:
    """Turn a document's listed resources into citations linked to it (unverified books)."""
    authorize(actor, "document.resources")
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document #{document_id}")
    added: list[str] = []
    for resource in session.scalars(select(Resource).where(
            Resource.document_id == document_id, Resource.citation_id.is_(None),
            Resource.retired.is_(False)).order_by(Resource.ordinal)):
        key = f"{document.slug[:150]}-resource-{resource.ordinal}"
        citation = session.scalar(select(Citation).where(Citation.key == key))
        if citation is None:
            citation = Citation(
                key=key, entry_type="book", title=resource.title,
                title_key=bibtex.title_key(resource.title)[:TITLE_KEY_MAX],
                authors=[], editors=[], keywords=[], design=StudyDesign.BOOK.value,
                design_source=DesignSource.ENTRY.value,
                design_reason="listed as a book in the article", verified=False,
                verification_note=RESOURCE_NOTE,
                extra={"annotation": resource.description} if resource.description else {},
                raw="", source_file=document.source_path, source_line=None,
                imported_by_id=actor.id,
            )
            session.add(citation)
            session.flush()
            added.append(key)
        resource.citation_id = citation.id
    session.flush()
    if added:
        record(session, actor, "document.resources", "document", document_id,
               f"{len(added)} listed resources recorded as unverified citations",
               document_id=document_id, after={"citations": added})
    return added


# --- export ----------------------------------------------------------------------------------


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Citation)) or 0)
