"""The `tracker` command line: parse, call one service or query, print. No rules live here.

Writes act as the user given by `--as` or `TRACKER_USER`. Reads accept `--json` for scripts.
Errors end with one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

try:  # Typer 0.2x vendors its own copy of Click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older Typer uses Click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

from tracker import db
from tracker.config import load_settings
from tracker.errors import InvalidInput, PermissionDenied, TrackerError
from tracker.lazy import lazy_function, lazy_module
from tracker.vocabulary import (
    AppraisalTool,
    BodyDomain,
    ClaimCategory,
    ClaimTrack,
    Concern,
    FlagKind,
    FlagState,
    Instrument,
    PicoFacet,
    Pools,
    Priority,
    QuestionStatus,
    Role,
    Stance,
    StudyDesign,
    TagState,
    WordingDecisionKind,
    WordingVerdict,
)

if TYPE_CHECKING:
    from tracker import bibtex, exports, finder, formats, queries, retractions, sof
    from tracker import scorecard as scorecards
    from tracker.backup import restore_backup, write_backup
    from tracker.fetch import is_url
    from tracker.formats.assessed import identifier_links
    from tracker.services import (
        access,
        appraisals,
        articles,
        citations,
        dual,
        evidence,
        flags,
        review,
        tags,
        users,
        wording,
    )
    from tracker.services import questions as questions_service
    from tracker.services import retractions as retractions_service
    from tracker.services import scorecard as scorecard_service
    from tracker.services import setup as setup_service
    from tracker.services.access import Actor, actor_named
    from tracker.services.setup import bootstrap as bootstrap_service
    from tracker.text import import_summary
else:  # each imported when a command first uses it: `tracker claims` loads no BibTeX parser
    bibtex = lazy_module("tracker.bibtex")
    exports = lazy_module("tracker.exports")
    finder = lazy_module("tracker.finder")
    queries = lazy_module("tracker.queries")
    formats = lazy_module("tracker.formats")
    retractions = lazy_module("tracker.retractions")
    sof = lazy_module("tracker.sof")
    scorecards = lazy_module("tracker.scorecard")
    identifier_links = lazy_function("tracker.formats.assessed", "identifier_links")
    tags = lazy_module("tracker.services.tags")
    wording = lazy_module("tracker.services.wording")
    retractions_service = lazy_module("tracker.services.retractions")
    scorecard_service = lazy_module("tracker.services.scorecard")
    restore_backup = lazy_function("tracker.backup", "restore_backup")
    write_backup = lazy_function("tracker.backup", "write_backup")
    is_url = lazy_function("tracker.fetch", "is_url")
    access = lazy_module("tracker.services.access")
    appraisals = lazy_module("tracker.services.appraisals")
    articles = lazy_module("tracker.services.articles")
    citations = lazy_module("tracker.services.citations")
    dual = lazy_module("tracker.services.dual")
    evidence = lazy_module("tracker.services.evidence")
    flags = lazy_module("tracker.services.flags")
    review = lazy_module("tracker.services.review")
    users = lazy_module("tracker.services.users")
    questions_service = lazy_module("tracker.services.questions")
    setup_service = lazy_module("tracker.services.setup")
    actor_named = lazy_function("tracker.services.access", "actor_named")
    bootstrap_service = lazy_function("tracker.services.setup", "bootstrap")
    import_summary = lazy_function("tracker.text", "import_summary")


class ExportFormat(StrEnum):
    BIBTEX = "bibtex"
    RIS = "ris"
    CSL_JSON = "csl-json"
    CSV = "csv"
    JSON = "json"
    REPORT = "report"
    ANNOTATIONS = "annotations"
    CITO = "cito"
    FHIR = "fhir"


class ReferenceFormat(StrEnum):
    """`tracker.formats.FORMATS`, or detected from the file."""

    AUTO = "auto"
    BIBTEX = "bibtex"
    RIS = "ris"
    PUBMED = "pubmed"
    CSL_JSON = "csl-json"


class _Group(TyperGroup):
    """Turns usage, domain and database errors into one line on stderr and an exit code (see
    `EXIT_CODES`), never a traceback or a box."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args,
                                **extra)
        except click_errors.NoArgsIsHelpError as exc:  # `tracker users`: the help
            typer.echo(exc.ctx.get_help() if exc.ctx is not None else "")
            code = 2
        except click_errors.UsageError as exc:  # a bad option, value, argument or command
            typer.echo(f"error: {_first_line(exc.format_message())} (see `tracker "
                       f"{_command_path(exc)}--help`)", err=True)
            code = 2
        except click_errors.ClickException as exc:
            typer.echo(f"error: {_first_line(exc.format_message())}", err=True)
            code = exc.exit_code
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            code = 1
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as exc:
            _fail(str(exc), exc.exit_code)
        except (OperationalError, ProgrammingError) as exc:
            _fail(_database_message(exc), 7)
        except SQLAlchemyError as exc:
            _fail(f"database error: {exc.__class__.__name__}: "
                  f"{_first_line(str(getattr(exc, 'orig', None) or exc))}", 7)


#: What each exit status means (README "Command line" lists the same).
EXIT_CODES = {
    0: "done",
    1: "import-bib --strict refused an entry, so nothing was imported; or the command was "
       "aborted",
    2: "bad input or usage (an unknown command or option, a value out of range)",
    3: "not found", 4: "permission denied", 5: "conflict", 6: "configuration",
    7: "database",
}


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"


def _command_path(exc: click_errors.UsageError) -> str:
    path = exc.ctx.command_path.split()[1:] if exc.ctx is not None else []
    return "".join(f"{word} " for word in path)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _database_message(exc: SQLAlchemyError) -> str:
    """The driver's message, first line only (PostgreSQL's go on with the SQL)."""
    text = _first_line(str(getattr(exc, "orig", None) or exc))
    if "no such table" in text or "does not exist" in text and "relation" in text:
        return "the database is not initialised; run `tracker init` (or `tracker bootstrap`)"
    return f"cannot use the database: {text}"


app = typer.Typer(
    cls=_Group, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
    rich_markup_mode=None,
    help="Evidence Tracker: claims of a health article, the studies behind them, and the grade "
         "of that evidence. It records evidence; it gives no medical advice.",
)


def _commands(about: str) -> typer.Typer:
    """A group of subcommands (`tracker users …`), with the plain help of the whole CLI."""
    return typer.Typer(no_args_is_help=True, rich_markup_mode=None, help=about)


users_app = _commands("Users and roles (admins).")
app.add_typer(users_app, name="users")

#: The largest id a row can have (the id columns are 32-bit on PostgreSQL).
MAX_ID = 2**31 - 1
ClaimId = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="a claim's number")]
LinkId = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="an evidence link's number")]
FlagId = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="a flag's number")]
VersionOpt = Annotated[int | None, typer.Option(min=1, max=MAX_ID,
                                                help="fail if it changed since this version")]
AsUser = Annotated[str | None, typer.Option("--as", help="act as this user (or TRACKER_USER)")]
JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
DocumentOpt = Annotated[str | None, typer.Option("--document", "-D", help="document slug")]
ReadAs = Annotated[str | None, typer.Option(
    "--as", help="read as this user (or TRACKER_USER): your own dual-review entries show; "
                 "nobody else's until both are in")]


def _reader(session: Session, as_user: str | None) -> int | None:
    """The reading user's id for blinded reads; None when nobody is named."""
    username = as_user or load_settings().user
    return actor_named(session, username).id if username else None


# --- plumbing --------------------------------------------------------------------------------


@contextmanager
def _database(*, create: bool = False) -> Iterator[Engine]:
    """An engine on the configured database, disposed of when the command is done. Only the
    set-up commands (`init`, `bootstrap`, `restore`) `create` a missing SQLite file; every
    other command refuses, creating nothing."""
    engine = db.make_engine(load_settings().database_url, create=create)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _read() -> Iterator[Session]:
    with _database() as engine, db.reading(engine) as session:
        yield session


NEEDS_CREDENTIALS = (
    "this database is shared, so a write must prove who it acts for: set TRACKER_TOKEN to "
    "your token (an admin issues one with `tracker users token NAME`), or run the command in "
    "a terminal to be asked for your password")


@contextmanager
def _write(as_user: str | None) -> Iterator[tuple[Session, Actor]]:
    """A write transaction acting for the user `_write_as` resolves (one is required)."""
    with _write_as(as_user) as (session, actor):
        assert actor is not None
        yield session, actor


@dataclass(frozen=True, slots=True)
class _Acting:
    """Who a command acts for, its credentials checked (see `_acting`)."""

    engine: Engine
    username: str | None
    token: str | None

    def actor(self, session: Session, *, write: bool = True) -> Actor | None:
        """The acting user, read in `session` (a token's last use is noted by a `write`)."""
        if self.token:
            return users.actor_for_token(session, self.token, self.username, touch=write)
        return actor_named(session, self.username) if self.username else None


@contextmanager
def _acting(as_user: str | None, *, anyone: bool = False) -> Iterator[_Acting]:
    """The database and the user a command acts for. On a local SQLite file `--as` (or
    TRACKER_USER) names the user; on a shared database (PostgreSQL) a write needs
    credentials: TRACKER_TOKEN, or the user's password typed at a terminal (`--as` names
    whose), checked with the sign-in rate limit. `anyone`: no user named and no token is
    allowed, and acts as nobody (the first admin of a new installation)."""
    settings = load_settings()
    username = as_user or settings.user
    if not username and not settings.token and not anyone:
        raise InvalidInput("name the acting user with --as USER or TRACKER_USER")
    with _database() as engine:
        if username and not settings.token and access.cli_needs_credentials(
                engine.dialect.name):
            _sign_in(engine, username)
        yield _Acting(engine, username, settings.token)


@contextmanager
def _write_as(as_user: str | None, *, anyone: bool = False
              ) -> Iterator[tuple[Session, Actor | None]]:
    """A write transaction and the user it acts for (`_acting`)."""
    with _acting(as_user, anyone=anyone) as acting, db.writing(acting.engine) as session:
        yield session, acting.actor(session)


def _interactive() -> bool:
    """Whether a person is at the keyboard (a password may be asked for)."""
    return sys.stdin.isatty()


def _sign_in(engine: Engine, username: str) -> None:
    """Ask for `username`'s password and check it (a failure counts towards the lock) in a
    transaction of its own, before the write's."""
    if not _interactive():
        raise PermissionDenied(NEEDS_CREDENTIALS)
    password = str(typer.prompt(f"password for {username}", hide_input=True))
    with db.writing(engine) as session:
        outcome = users.authenticate(session, username, password)
    outcome.accepted()


def _count(n: int, noun: str) -> str:
    """"1 claim", "2 claims"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(exports.plain(value), indent=2, ensure_ascii=False))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], wrap: int = 0) -> None:
    """A plain aligned table; the last column may be long and is cut at `wrap` characters."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    if wrap:
        cells = [r[:-1] + [r[-1] if len(r[-1]) <= wrap else r[-1][: wrap - 1] + "…"]
                 for r in cells]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    typer.echo(line.rstrip())
    for r in cells:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


# --- set-up and articles ---------------------------------------------------------------------


@app.command()
def init() -> None:
    """Create or upgrade the database schema (alembic upgrade head), then regrade claims graded
    under older grading rules. Safe to repeat."""
    with _database(create=True) as engine:
        regraded = setup_service.upgrade(engine)
        where = engine.url.render_as_string(hide_password=True)
    typer.echo(f"database schema is up to date ({where})"
               + (f"; {regraded} claims regraded under the current grading rules"
                  if regraded else ""))


@app.command()
def bootstrap(
    empty: Annotated[bool, typer.Option(
        "--empty", help="load only the seed article (no library, review or examples)")] = False,
    examples: Annotated[bool, typer.Option(
        "--examples", help="also load the example articles of references/examples/")] = False,
) -> None:
    """Initialise or upgrade, then load what the product ships into an empty database."""
    with _database(create=True) as engine:
        typer.echo(f"database: {engine.url.render_as_string(hide_password=True)}")
        report = bootstrap_service(engine, empty=empty, examples=examples)
    for step in report.steps:
        typer.echo(step)


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(
        help="an article: a plain-text, Markdown or HTML file, or an http(s) address")],
    slug: Annotated[str | None, typer.Option(help="document identity (default: title)")] = None,
    revision_of: Annotated[str | None, typer.Option(
        "--revision-of", help="record it as a revision of this document, however changed")]
    = None,
    language: Annotated[str | None, typer.Option(
        help="the article's language, e.g. es (default: declared or detected)")] = None,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Record an article (or a revision of one) as sections and claims. A text whose title
    names a tracked document but shares few of its claims is refused: pass --slug or
    --revision-of."""
    article = (articles.fetch_article(source, language=language) if is_url(source)
               else articles.read_article(Path(source), language=language))
    with _write(as_user) as (session, actor):
        report = articles.ingest(session, actor, article, slug=slug, revision_of=revision_of)
    if as_json:
        _print_json(report)
    elif report.unchanged:
        typer.echo(f"{report.slug}: unchanged ({_count(report.claims, 'claim')})")
    elif report.created:
        typer.echo(f"{report.slug}: {_count(report.claims, 'claim')} in "
                   f"{_count(report.sections, 'section')}, "
                   f"{_count(report.resources, 'listed resource')}")
    else:
        typer.echo(f"{report.slug}: {report.kept} kept, {report.edited} edited, "
                   f"{report.added} added, {report.retired} retired")


@app.command("cited")
def cited_cmd(document: DocumentOpt = None, as_json: JsonFlag = False) -> None:
    """What the article itself cites (DOI, PMID, PMCID, journal links, "a 2023 review"):
    candidates to import, verify and link, never evidence by themselves."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.cited_sources(session, doc.id)
    if as_json:
        _print_json(rows)
        return
    _table(["claim", "kind", "identifier", "in library", "sentence"],
           [(f"#{r.claim_id}" if r.claim_id else "-", r.kind, r.identifier,
             r.in_library or "", r.sentence) for r in rows], wrap=70)


@app.command("documents")
def documents_cmd(as_json: JsonFlag = False) -> None:
    """List tracked documents."""
    with _read() as session:
        rows = queries.documents(session)
    if as_json:
        _print_json(rows)
        return
    _table(["slug", "claims", "sections", "title"],
           [(r.slug, r.claims, r.sections, r.title) for r in rows])


@app.command("sections")
def sections_cmd(document: DocumentOpt = None, as_json: JsonFlag = False) -> None:
    """The section tree of a document."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.sections(session, doc.id)
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        marker = "?" if r.kind == "question" else "#" * r.level
        typer.echo(f"{'  ' * (r.level - 1)}{marker} {r.title}  ({_count(r.claims, 'claim')})")


@app.command("claims")
def claims_cmd(
    document: DocumentOpt = None,
    section: Annotated[str | None, typer.Option(help="heading title, with subsections")] = None,
    category: Annotated[ClaimCategory | None, typer.Option(help="claim category")] = None,
    retired: Annotated[bool, typer.Option("--retired", help="include retired claims")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List claims, filtered by section or category."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.claims(session, document_id=doc.id, section=section,
                              category=category.value if category else None,
                              include_retired=retired)
    if as_json:
        _print_json(rows)
        return
    _table(["id", "category", "section", "text"],
           [(r.id, r.category, " › ".join(r.section[-1:]) or "(introduction)", r.text)
            for r in rows], wrap=90)


claim_app = _commands("One claim.")
app.add_typer(claim_app, name="claim")


@claim_app.command("show")
def claim_show(claim_id: ClaimId, as_user: ReadAs = None, as_json: JsonFlag = False) -> None:
    """Everything about one claim: grade, evidence, flags, parts, restatements, history."""
    with _read() as session:
        detail = queries.claim_detail(session, claim_id, reader=_reader(session, as_user))
    if as_json:
        _print_json(detail)
        return
    row = detail.claim
    typer.echo(f"#{row.id} [{row.category}] {' › '.join(row.section) or '(introduction)'}")
    typer.echo(row.text)
    typer.echo(f"track: {row.track} ({detail.track_source}: {detail.track_reason})")
    for item in detail.list_items:
        typer.echo(f"  • {item}")
    typer.echo(f"status: {row.explanation}")
    typer.echo(f"needs: {detail.requirement}")
    for cited in detail.cited:
        library = f" (in the library as {cited.in_library})" if cited.in_library else ""
        typer.echo(f"  cited by the article: {cited.kind} {cited.identifier}{library}"
                   + (f" “{cited.link_text}”" if cited.link_text and cited.kind != "phrase"
                      else ""))
    for part in detail.parts:
        typer.echo(f"  part #{part.id} {part.text!r}: {part.explanation}")
    if detail.restates:
        typer.echo(f"restates #{detail.restates.id}: {detail.restates.text[:80]}")
    for e in detail.evidence:
        appraisal = detail.appraisals.get(e.citation_key)
        typer.echo(f"  link #{e.link_id} {e.stance:<11} {e.citation_key} ({e.design}"
                   f"{'' if e.verified else ', unverified'}"
                   + (f"; {appraisal.tool} {appraisal.overall}" if appraisal else "")
                   + f") {e.note[:60]}")
        if e.directness:
            typer.echo("      directness: " + "; ".join(
                f"{k} {j}" for k, (j, _) in sorted(e.directness.items())))
        if any(v is not None for v in e.effect.values()):
            typer.echo("      effect: " + ", ".join(
                f"{k} {v}" for k, v in e.effect.items() if v is not None))
    for b in detail.body:
        typer.echo(f"  body {b.domain}: {b.value} ({b.reason}) — {b.judged_by}")
    for search in detail.searches:
        typer.echo(f"  searched {search.searched_at:%Y-%m-%d} by {search.searched_by}: "
                   f"{search.sources}{' — ' + search.note if search.note else ''}")
    for f in detail.flags:
        typer.echo(f"  flag #{f.id} {f.kind} [{f.state}] {f.reason[:70]}")
    for waiting in detail.dual:
        typer.echo(f"  dual review #{waiting.id} {waiting.kind} {waiting.citation_key} "
                   f"[{waiting.state}]"
                   + "".join(f"; {e.reviewer}: {_entry_words(waiting.kind, e.payload)}"
                             for e in waiting.entries))


@app.command("suggest")
def suggest(
    claim_id: int,
    limit: Annotated[int, typer.Option(help="at most this many studies")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Studies of the library likely to bear on a claim, best first, with the sentences of
    their abstracts that match it. Suggestions are not evidence: a reviewer reads the study
    and links it with `tracker link`."""
    with _read() as session:
        found = queries.suggestions(session, claim_id, limit=limit)
    if as_json:
        _print_json(found)
        return
    typer.echo(f"#{found.claim_id} {found.claim_text}")
    typer.echo(f"looked for: {'; '.join(found.terms) or '(no words to look for)'}")
    typer.echo(f"note: {found.note}")
    if not found.suggestions:
        typer.echo("no study of the library mentions these words")
    for s in found.suggestions:
        linked = f"  [linked: {s.stance}]" if s.linked else ""
        marks = "".join(m for m, on in ((" unverified", not s.verified),
                                        (" RETRACTED", s.retracted)) if on)
        typer.echo(f"{s.rank:>3}. {s.key} ({s.year or 'n.d.'}, {s.design or 'design unknown'}"
                   f"{marks}) score {s.score:.2f}{linked}")
        typer.echo(f"     {s.title}")
        typer.echo(f"     matched: {', '.join(s.matched_terms)}")
        for sentence in s.sentences:
            typer.echo(f"     > {_highlighted(sentence.text, sentence.highlights)}")


def _highlighted(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with the matched words in bold (on a terminal; plain text elsewhere)."""
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        out += [text[at:start], typer.style(text[start:end], bold=True)]
        at = end
    return "".join(out + [text[at:]])


# --- backups ---------------------------------------------------------------------------------


@app.command("backup")
def backup_cmd(
    path: Annotated[Path, typer.Argument(help="file to write; ending in .gz: compressed")],
    as_json: JsonFlag = False,
) -> None:
    """Write everything in the database to one JSON file (operators). The file holds every
    user's password hash: keep it as private as the database."""
    with _database() as engine:
        report = write_backup(engine, path)
    if as_json:
        _print_json({**exports.plain(report), "rows": report.rows})
        return
    typer.echo(f"backed up {report.rows} rows of {len(report.tables)} tables (schema "
               f"{report.schema_revision}) to {report.path}, {report.bytes:,} bytes")


@app.command("restore")
def restore_cmd(
    path: Annotated[Path, typer.Argument(help="a file written by `tracker backup`")],
    as_json: JsonFlag = False,
) -> None:
    """Load a backup into an empty database (operators), then upgrade its schema to this
    version's. A database that holds data is refused; a bad file changes nothing."""
    with _database(create=True) as engine:
        report = restore_backup(engine, path)
        regraded = setup_service.upgrade(engine)
    if regraded:
        report.notes.append(f"{regraded} claims regraded under the current grading rules")
    if as_json:
        _print_json({**exports.plain(report), "rows": report.rows})
        return
    typer.echo(f"restored {report.rows} rows of {len(report.tables)} tables from {report.path} "
               f"(taken {report.taken_at:%Y-%m-%d %H:%M} UTC at schema "
               f"{report.schema_revision}; now at {report.upgraded_to})")
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)


# --- users -----------------------------------------------------------------------------------


def _password(given: str | None) -> str:
    if given is not None:
        return given
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[Role, typer.Option(help="viewer, reviewer, editor or admin")] = Role.VIEWER,
    name: Annotated[str, typer.Option(help="display name")] = "",
    password: Annotated[str | None, typer.Option(help="omit to be prompted")] = None,
    no_password: Annotated[bool, typer.Option("--no-password",
                                              help="CLI-only user, cannot sign in")] = False,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a user. The first admin of a new installation needs no --as."""
    settings = load_settings()
    if not (as_user or settings.user or settings.token):  # refused before any password prompt
        with _read() as session:
            users.check_first_admin(session, role)
    with _acting(as_user, anyone=True) as acting:  # credentials first, then the new password
        secret = None if no_password else _password(password)
        with db.writing(acting.engine) as session:
            info = users.add_user(session, acting.actor(session), username, role, secret, name)
    if as_json:
        _print_json(info)
    else:
        typer.echo(f"added {info.username} ({info.role})")


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """Every user with role, state and whether they can sign in."""
    with _read() as session:
        rows = users.list_users(session)
    if as_json:
        _print_json(rows)
        return
    _table(["username", "role", "active", "sign-in", "name"],
           [(u.username, u.role, u.active, u.can_sign_in, u.display_name) for u in rows])


@users_app.command("set-role")
def users_set_role(username: str, role: Role, as_user: AsUser = None) -> None:
    """Change a user's role (admins); the last active admin stays an admin."""
    with _write(as_user) as (session, actor):
        info = users.set_role(session, actor, username, role)
    typer.echo(f"{info.username} is now {info.role}")


@users_app.command("passwd")
def users_passwd(
    username: str,
    password: Annotated[str | None, typer.Option(help="omit to be prompted")] = None,
    as_user: AsUser = None,
) -> None:
    """Change your own password, or (admins) anyone's."""
    with _acting(as_user) as acting:  # credentials first, then the new password
        secret = _password(password)
        with db.writing(acting.engine) as session:
            actor = acting.actor(session)
            assert actor is not None
            users.set_password(session, actor, username, secret)
    typer.echo(f"password of {username} changed")


@users_app.command("deactivate")
def users_deactivate(username: str, as_user: AsUser = None) -> None:
    """Stop a user from acting or signing in (admins); the last active admin cannot be."""
    with _write(as_user) as (session, actor):
        users.set_active(session, actor, username, False)
    typer.echo(f"{username} deactivated")


@users_app.command("activate")
def users_activate(username: str, as_user: AsUser = None) -> None:
    """Let a deactivated user act and sign in again (admins)."""
    with _write(as_user) as (session, actor):
        users.set_active(session, actor, username, True)
    typer.echo(f"{username} activated")


@users_app.command("token")
def users_token(
    username: str,
    revoke: Annotated[bool, typer.Option("--revoke", help="revoke the user's tokens")] = False,
    as_user: AsUser = None,
) -> None:
    """Issue USERNAME a command-line token, printed once (admins); it replaces their earlier
    ones. The user sets TRACKER_TOKEN to it to write to a shared (PostgreSQL) database."""
    with _write(as_user) as (session, actor):
        if revoke:
            revoked = users.revoke_tokens(session, actor, username)
        else:
            token = users.issue_token(session, actor, username)
    if revoke:
        typer.echo(f"{username}: {_count(revoked, 'token')} revoked")
        return
    typer.echo(token)
    typer.echo(f"the token of {username}, shown this once: set TRACKER_TOKEN to it; it "
               "replaces any earlier one", err=True)


@users_app.command("unlock")
def users_unlock(username: str, as_user: AsUser = None) -> None:
    """Clear the failed sign-ins that lock USERNAME out of the dashboard (admins)."""
    with _write(as_user) as (session, actor):
        cleared = users.unlock(session, actor, username)
    typer.echo(f"{username}: {cleared} failed sign-in(s) cleared" if cleared
               else f"{username} is not locked")


# --- citations -------------------------------------------------------------------------------

citations_app = _commands("The reference library.")
app.add_typer(citations_app, name="citations")


@app.command("import-bib")
def import_bib(
    files: Annotated[list[Path], typer.Argument(
        help="BibTeX, RIS, PubMed (MEDLINE/.nbib) or CSL-JSON files")],
    strict: Annotated[bool, typer.Option("--strict", help="any problem: import nothing")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report, write nothing")] = False,
    encoding: Annotated[str | None, typer.Option(
        help="the files' encoding when they are not UTF-8 (latin-1, latin-2, latin-9, "
             "cp1252, ...); default: detected")] = None,
    fmt: Annotated[ReferenceFormat, typer.Option(
        "--format", help="the files' format; auto: by suffix (.bib .ris .nbib .json), else "
                         "by the first line")] = ReferenceFormat.AUTO,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Import citations from BibTeX, RIS, PubMed MEDLINE (.nbib) or CSL-JSON (Zotero,
    EndNote, Covidence, Rayyan, PubMed, journal pages) through one pipeline. Exit 1 when
    --strict refused the import because of a problem; 2 when a file is refused whole."""
    sources = []
    for path in files:  # read and parse before the write transaction: no lock held meanwhile
        try:
            decoded = bibtex.decode_bib_file(path, encoding)
        except bibtex.BibFileError as exc:
            raise InvalidInput(str(exc)) from None
        given = (formats.detect_format(path.name, decoded.text)
                 if fmt is ReferenceFormat.AUTO else fmt.value)
        sources.append(citations.BibSource(str(path), decoded.text, decoded, given))
    show_progress = sys.stderr.isatty() and not as_json
    with _acting(as_user) as acting, _progress(show_progress) as progress:
        with db.reading(acting.engine) as session:
            actor = acting.actor(session, write=False)
            assert actor is not None
            parsed = citations.parse_import(session, actor, sources, progress)
        with db.writing(acting.engine) as session:
            actor = acting.actor(session)
            assert actor is not None
            report = citations.import_bibtex(session, actor, parsed, strict=strict,
                                             dry_run=dry_run, progress=progress)
    if as_json:
        _print_json({"summary": report.summary(), **dataclasses.asdict(report)})
    else:
        _print_import(report)
    if report.problems and (strict or dry_run):
        raise typer.Exit(1 if strict else 0)


@contextmanager
def _progress(enabled: bool) -> Iterator[citations.Progress | None]:
    if not enabled:
        yield None
        return
    state: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "-" * (width - filled)
        typer.echo(f"\r{stage:<9} [{bar}] {done}/{total}".ljust(60), err=True, nl=False)
        state["shown"] = True

    yield update
    if state:
        typer.echo("\r" + " " * 60 + "\r", err=True, nl=False)


def _print_import(report: citations.ImportReport) -> None:
    typer.echo(import_summary(report))
    for m in report.merged:
        typer.echo(f"  merged {m.key} into {m.into} (same {m.matched_on}): filled "
                   f"{', '.join(m.filled)}")
    for m in report.merged + report.unchanged:
        for name, kept, ignored in m.conflicts:
            typer.echo(f"  conflict {m.into}.{name}: kept {kept!r}, ignored {ignored!r} "
                       f"({m.source}:{m.line})")
    for mf in report.merged_in_files:
        typer.echo(f"  duplicate {mf.merged_key} (line {mf.line}) merged into {mf.kept_key} "
                   f"(same {mf.matched_on})")
    for old, new in report.renamed:
        typer.echo(f"  key {old} already used by another citation: imported as {new}")
    for note in report.encodings:
        typer.echo(f"  encoding {note.source}: {note.note}")
    for warning in report.warnings:
        typer.echo(f"  warning {warning}")
    for problem in report.problems:
        typer.echo(f"  {problem}", err=True)
    if report.strict and report.problems:
        typer.echo("nothing imported (--strict)", err=True)


@citations_app.command("list")
def citations_list(
    search: Annotated[str | None, typer.Option(
        help="words in key, title, authors, DOI or PMID (each must match)")] = None,
    design: Annotated[StudyDesign | None, typer.Option(help="study design")] = None,
    verified: Annotated[bool | None, typer.Option("--verified/--unverified",
                                                  help="only (un)verified")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_ID, help="at most this many")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """List citations (most-linked first)."""
    with _read() as session:
        rows = queries.citations(session, search=search, verified=verified, limit=limit,
                                 design=design.value if design else None)
    if as_json:
        _print_json(rows)
        return
    _table(["key", "year", "design", "level", "verified", "links", "title"],
           [(r.key, r.year, r.design, r.level, "yes" if r.verified else "no", r.links, r.title)
            for r in rows], wrap=70)


@citations_app.command("search")
def citations_search(
    words: Annotated[list[str], typer.Argument(help='words; "quoted phrase" as a phrase')],
    limit: Annotated[int, typer.Option(min=1, max=MAX_ID, help="at most this many")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Find citations with every word (in the title, abstract, keywords or finding, or the
    key, authors, DOI or PMID); an argument with spaces, or a "quoted phrase", as a phrase."""
    citations_list(search=finder.arguments_as_search(words), design=None, verified=None,
                   limit=limit, as_json=as_json)


@citations_app.command("show")
def citations_show(key: str, as_json: JsonFlag = False) -> None:
    """One citation with its metadata, verification and the claims it is linked to."""
    with _read() as session:
        detail = queries.citation_detail(session, key)
    if as_json:
        _print_json(detail)
        return
    r = detail.row
    typer.echo(f"{r.key}  [{r.design or 'design unknown'} — {detail.design_reason}]")
    typer.echo(f"{r.authors} ({r.year}). {r.title}. {r.container or ''}")
    for label, value in (("DOI", r.doi), ("PMID", r.pmid), ("URL", detail.url)):
        if value:
            typer.echo(f"{label}: {value}")
    for label, address in identifier_links(r.doi, r.pmid, detail.extra.get("pmcid")):
        typer.echo(f"  {label}: {address}")
    note = f" — {detail.verification_note}" if detail.verification_note else ""
    typer.echo(f"verified: {'yes' if r.verified else 'no'}{note}")
    if r.retracted:
        typer.echo(f"RETRACTED: {detail.retraction_note}")
    for notice in detail.notices:
        when = notice.notice_date.isoformat() if notice.notice_date else "undated"
        where = f" doi:{notice.notice_doi}" if notice.notice_doi else ""
        typer.echo(f"notice: {notice.nature} ({when}, Retraction Watch {notice.record_id}"
                   f"{where}) {notice.reason}")
    if detail.extra.get("finding"):
        typer.echo(f"finding: {detail.extra['finding']}")
    if detail.appraisal is not None:
        a = detail.appraisal
        typer.echo(f"appraisal: {a.tool} overall {a.overall}"
                   + (f", pools {a.pools}" if a.pools else "")
                   + f" — {a.appraised_by}, {a.appraised_at:%Y-%m-%d}")
        for ident, judgement, reason in a.domains:
            typer.echo(f"  {ident:<3} {judgement:<14} {reason}")
    elif detail.tool:
        typer.echo(f"appraisal: not assessed (needs {detail.tool})")
    for claim_id, stance, text in detail.claims:
        typer.echo(f"  #{claim_id} {stance}: {text[:90]}")


@citations_app.command("design")
def citations_design(key: str, design: StudyDesign, as_user: AsUser = None) -> None:
    """Confirm or correct a citation's study design (reviewers)."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, key)
        citations.set_design(session, actor, citation.id, design)
    typer.echo(f"{key}: design {design.value} (confirmed)")


@citations_app.command("verify")
def citations_verify(
    key: str,
    note: Annotated[str, typer.Option(help="where the metadata was confirmed")],
    unverified: Annotated[bool, typer.Option("--unverified", help="mark as NOT verified")] = False,
    as_user: AsUser = None,
) -> None:
    """Mark a citation verified (metadata confirmed in a source) or unverified."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, key)
        citations.set_verification(session, actor, citation.id, not unverified, note)
    typer.echo(f"{key}: {'unverified' if unverified else 'verified'}")


@citations_app.command("retract")
def citations_retract(
    key: str,
    notice: Annotated[str, typer.Option(help="the retraction notice (DOI or URL)")],
    undo: Annotated[bool, typer.Option("--undo", help="remove the retraction mark")] = False,
    as_user: AsUser = None,
) -> None:
    """Mark a citation retracted (editors); retracted studies never count as evidence."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, key)
        citations.set_retracted(session, actor, citation.id, not undo, notice)
    typer.echo(f"{key}: {'no longer retracted' if undo else 'retracted'}")


@citations_app.command("check-retractions")
def citations_check_retractions(
    file: Annotated[Path, typer.Argument(
        help="the Retraction Watch database as CSV (the layout Crossref publishes)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report, write nothing")] = False,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Match retraction notices (retractions, expressions of concern, corrections) to the
    citations by DOI and PMID (admins): record each on its citation, mark retractions (they
    stop counting), regrade, and flag every claim whose verdict changed."""
    try:
        notices = retractions.read_notice_file(file)
    except retractions.NoticeFileError as exc:
        raise InvalidInput(str(exc)) from None
    with _write(as_user) as (session, actor):
        report = retractions_service.check_retractions(session, actor, notices,
                                                       dry_run=dry_run)
    if as_json:
        _print_json({"summary": report.summary(), **dataclasses.asdict(report)})
        return
    verb = "would record" if dry_run else "recorded"
    typer.echo(f"{verb} {len(report.recorded)} notices ({report.already} recorded before; "
               f"{report.unmatched} about papers not in the library, of {report.rows} rows); "
               f"{len(report.retracted)} citations retracted; {len(report.changed)} claims "
               "changed verdict and were flagged")
    for match in report.recorded:
        typer.echo(f"  {match.citation_key}: {match.nature} (Retraction Watch "
                   f"{match.record_id}, same {match.matched_on}, line {match.line})")
    for claim_id, before, after in report.changed:
        typer.echo(f"  claim #{claim_id}: {before} → {after} (flagged)")
    for line, column, message in report.problems:
        typer.echo(f"  {file}: {line}: {column}: {message}", err=True)


@app.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Argument(
        help="the library: bibtex, ris, csl-json, csv, json; a document's claims: report, "
             "annotations (W3C Web Annotation), cito (Turtle), fhir (R5 Evidence)")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default stdout)")]
    = None,
    document: DocumentOpt = None,
    only_document: Annotated[bool, typer.Option(
        "--linked", help="only citations linked to the document")] = False,
) -> None:
    """Export the library (BibTeX, RIS, CSL-JSON, CSV, JSON with evidence links), or a
    document's claims: an annotated report, W3C Web Annotations, CiTO or FHIR Evidence."""
    with _read() as session:
        text = exports.export(session, fmt.value, document_slug=document,
                              linked_only=only_document)
    if output is None:
        typer.echo(text, nl=False)
        return
    if output.is_dir():
        raise InvalidInput(f"{output} is a directory; name the file to write")
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{output}: cannot write it ({exc.strerror or exc})") from None
    typer.echo(f"wrote {output}", err=True)


# --- evidence --------------------------------------------------------------------------------


def _judgement_options(
    risk_of_bias: str | None, inconsistency: str | None, indirectness: str | None,
    imprecision: str | None, publication_bias: str | None,
    large_effect: bool | None, dose_response: bool | None,
) -> dict[str, Any]:
    given = {"risk_of_bias": risk_of_bias, "inconsistency": inconsistency,
             "indirectness": indirectness, "imprecision": imprecision,
             "publication_bias": publication_bias, "large_effect": large_effect,
             "dose_response": dose_response}
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in given.items() if v is not None}


_CONCERN_VALUES = "|".join([*(c.value for c in Concern), "not-judged"])
RiskOpt = Annotated[str | None, typer.Option(metavar=_CONCERN_VALUES, 
    help="a concern on this link: risk of bias for this outcome (the study's appraisal is "
         "separate: `tracker appraise`)")]
InconsistencyOpt = Annotated[str | None, typer.Option(metavar=_CONCERN_VALUES, 
    help="a concern on this link: inconsistency (e.g. heterogeneity inside a review)")]
IndirectnessOpt = Annotated[str | None, typer.Option(metavar=_CONCERN_VALUES, 
    help="a concern on this link: indirectness overall (judge elements with --directness)")]
ImprecisionOpt = Annotated[str | None, typer.Option(metavar=_CONCERN_VALUES, 
    help="a concern on this link: imprecision")]
PubBiasOpt = Annotated[str | None, typer.Option(metavar=_CONCERN_VALUES, 
    help="a concern on this link: publication bias")]
LargeOpt = Annotated[bool | None, typer.Option("--large-effect/--no-large-effect",
                                               help="GRADE upgrade")]
DoseOpt = Annotated[bool | None, typer.Option("--dose-response/--no-dose-response",
                                              help="GRADE upgrade")]
DirectnessOpt = Annotated[list[str] | None, typer.Option(
    "--directness", metavar="ELEMENT=JUDGEMENT:REASON",
    help="directness of the study for this claim, per element (population, intervention, "
         "comparator, outcome, setting): direct, indirect, very-indirect, not-applicable "
         "(or not-judged to clear); repeat per element")]
OutcomeOpt = Annotated[str | None, typer.Option(help="effect: the outcome measured")]
MeasureOpt = Annotated[str | None, typer.Option(help="effect: SMD, MD, RR, OR, …")]
EstimateOpt = Annotated[float | None, typer.Option(help="effect: the point estimate")]
CiOpt = Annotated[str | None, typer.Option(metavar="LOW,HIGH", help="effect: the 95 % CI")]
ParticipantsOpt = Annotated[int | None, typer.Option(help="effect: participants analysed")]
StudiesOpt = Annotated[int | None, typer.Option(help="effect: studies pooled (reviews)")]
FollowUpOpt = Annotated[str | None, typer.Option("--follow-up", help="effect: time point")]


def _pairs(values: Sequence[str] | None, what: str) -> dict[str, tuple[str, str]]:
    """"KEY=VALUE:REASON" options → {KEY: (VALUE, REASON)} (the reason may hold colons)."""
    found: dict[str, tuple[str, str]] = {}
    for given in values or []:
        key, sep, rest = given.partition("=")
        value, _, reason = rest.partition(":")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInput(f"{what} {given!r}: write it as KEY=JUDGEMENT:REASON")
        found[key.strip()] = (value.strip(), reason.strip())
    return found


def _effect_options(outcome: str | None, measure: str | None, estimate: float | None,
                    ci: str | None, participants: int | None, studies: int | None,
                    follow_up: str | None) -> dict[str, Any]:
    effect: dict[str, Any] = {"outcome": outcome, "measure": measure, "estimate": estimate,
                              "participants": participants, "studies": studies,
                              "follow_up": follow_up}
    if ci is not None:
        low, sep, high = ci.partition(",")
        if not sep:
            raise InvalidInput(f"--ci {ci!r}: write it as LOW,HIGH (e.g. -1.2,-0.3)")
        effect.update(ci_low=low.strip(), ci_high=high.strip())
    return {k: v for k, v in effect.items() if v is not None}


@app.command()
def link(
    claim_id: ClaimId,
    citation_key: str,
    stance: Annotated[Stance, typer.Option(help="supports, contradicts, mixed, background")],
    locator: Annotated[str, typer.Option(help="page, table, figure")] = "",
    note: Annotated[str, typer.Option(help="short quote or summary")] = "",
    risk_of_bias: RiskOpt = None, inconsistency: InconsistencyOpt = None,
    indirectness: IndirectnessOpt = None, imprecision: ImprecisionOpt = None,
    publication_bias: PubBiasOpt = None, large_effect: LargeOpt = None,
    dose_response: DoseOpt = None,
    directness: DirectnessOpt = None,
    outcome: OutcomeOpt = None, measure: MeasureOpt = None, estimate: EstimateOpt = None,
    ci: CiOpt = None, participants: ParticipantsOpt = None, studies: StudiesOpt = None,
    follow_up: FollowUpOpt = None,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Link a citation to a claim as evidence (reviewers), optionally with the link's
    directness and the study's effect."""
    judgements = _judgement_options(risk_of_bias, inconsistency, indirectness, imprecision,
                                    publication_bias, large_effect, dose_response)
    effect = _effect_options(outcome, measure, estimate, ci, participants, studies, follow_up)
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        info = evidence.link_evidence(session, actor, claim_id, citation.id, stance,
                                      locator=locator, note=note,
                                      judgements=evidence.parse_judgements(judgements).onto(),
                                      directness=_pairs(directness, "--directness"),
                                      effect=effect)
        row = queries.claim(session, claim_id)
    if as_json:
        _print_json({"link": info, "claim": row})
    else:
        typer.echo(f"link #{info.id}: {citation_key} {info.stance} claim #{claim_id}")
        typer.echo(row.explanation)


@app.command()
def judge(
    link_id: LinkId,
    risk_of_bias: RiskOpt = None, inconsistency: InconsistencyOpt = None,
    indirectness: IndirectnessOpt = None, imprecision: ImprecisionOpt = None,
    publication_bias: PubBiasOpt = None, large_effect: LargeOpt = None,
    dose_response: DoseOpt = None,
    directness: DirectnessOpt = None,
    outcome: OutcomeOpt = None, measure: MeasureOpt = None, estimate: EstimateOpt = None,
    ci: CiOpt = None, participants: ParticipantsOpt = None, studies: StudiesOpt = None,
    follow_up: FollowUpOpt = None,
    stance: Annotated[Stance | None, typer.Option(help="change the stance")] = None,
    locator: Annotated[str | None, typer.Option(help="change the locator")] = None,
    note: Annotated[str | None, typer.Option(help="change the note")] = None,
    version: VersionOpt = None,
    as_user: AsUser = None,
) -> None:
    """Record a link's concerns, directness or effect, or edit its stance, locator or note."""
    judgements = _judgement_options(risk_of_bias, inconsistency, indirectness, imprecision,
                                    publication_bias, large_effect, dose_response)
    effect = _effect_options(outcome, measure, estimate, ci, participants, studies, follow_up)
    with _write(as_user) as (session, actor):
        info = evidence.update_link(session, actor, link_id, expected_version=version,
                                    stance=stance, locator=locator, note=note,
                                    judgements=evidence.parse_judgements(judgements),
                                    directness=_pairs(directness, "--directness"),
                                    effect=effect)
        row = queries.claim(session, info.claim_id)
    typer.echo(f"link #{info.id} (version {info.version}): {row.explanation}")


@app.command()
def unlink(link_id: LinkId, version: VersionOpt = None,
           as_user: AsUser = None) -> None:
    """Remove an evidence link (reviewers)."""
    with _write(as_user) as (session, actor):
        evidence.unlink(session, actor, link_id, expected_version=version)
    typer.echo(f"link #{link_id} removed")


@app.command()
def appraise(
    citation_key: str,
    tool: Annotated[AppraisalTool | None, typer.Option(
        help="the tool the design calls for: rob2 (RCT), robins-i (cohort, case-control), "
             "amstar2 (reviews), jbi-case-series, jbi-case-report")] = None,
    domain: Annotated[list[str] | None, typer.Option(
        metavar="DOMAIN=JUDGEMENT:REASON",
        help="one per domain or item, e.g. D1=low:'abstract: computer-generated sequence' "
             "(RoB 2 D1-D5, ROBINS-I D1-D7, AMSTAR 2 1-16, JBI 1-10 or 1-8)")] = None,
    pools: Annotated[Pools | None, typer.Option(help="reviews: the designs pooled")] = None,
    escalate: Annotated[bool, typer.Option(
        "--escalate", help="RoB 2: judge several 'some concerns' domains as high")] = False,
    note: Annotated[str, typer.Option(help="what was read (abstract, full text)")] = "",
    clear: Annotated[bool, typer.Option("--clear", help="remove the appraisal")] = False,
    version: Annotated[int | None, typer.Option(help="fail if it changed since")] = None,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Appraise a study's risk of bias with the tool its design calls for (reviewers); the
    overall judgement follows the tool's own algorithm."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        if clear:
            removed = appraisals.clear_appraisal(session, actor, citation.id)
            typer.echo(f"{citation_key}: appraisal removed" if removed
                       else f"{citation_key} has no appraisal")
            return
        if tool is None:
            raise InvalidInput("name the tool with --tool (or --clear)")
        info = appraisals.appraise(session, actor, citation.id, tool,
                                   _pairs(domain, "--domain"), pools=pools, escalate=escalate,
                                   note=note, expected_version=version)
    if as_json:
        _print_json(info)
        return
    typer.echo(f"{info.citation_key}: {info.tool} overall {info.overall}"
               + (f" (pools {info.pools})" if info.pools else ""))
    for ident, judgement, reason in info.domains:
        typer.echo(f"  {ident:<3} {judgement:<14} {reason}")


@app.command()
def body(
    claim_id: int,
    domain: Annotated[BodyDomain, typer.Argument(help="the GRADE domain of the whole body")],
    value: Annotated[str | None, typer.Argument(
        help="none, serious, very-serious (rating down); none, large, very-large (large "
             "effect); none, present (dose-response, plausible confounding)")] = None,
    reason: Annotated[str, typer.Option(help="why (required)")] = "",
    clear: Annotated[bool, typer.Option("--clear", help="back to the rules' proposal")]
    = False,
    as_user: AsUser = None,
) -> None:
    """Judge one GRADE domain of a claim's whole body of evidence (reviewers)."""
    with _write(as_user) as (session, actor):
        if clear:
            appraisals.clear_body_judgement(session, actor, claim_id, domain)
        elif value is None:
            raise InvalidInput("give the judgement (e.g. serious) or --clear")
        else:
            appraisals.judge_body(session, actor, claim_id, domain, value, reason)
        row = queries.claim(session, claim_id)
    typer.echo(row.explanation)


@app.command()
def searched(
    claim_id: int,
    where: Annotated[str, typer.Option(help="where you looked, with the query")],
    note: Annotated[str, typer.Option(help="what you found")] = "",
    as_user: AsUser = None,
) -> None:
    """Record that you looked for evidence on a claim (reviewers): with nothing that bears on
    it, the claim reads "no evidence found" and when."""
    with _write(as_user) as (session, actor):
        appraisals.record_search(session, actor, claim_id, where, note)
        row = queries.claim(session, claim_id)
    typer.echo(row.explanation)


@app.command()
def flag(
    claim_ids: Annotated[list[int], typer.Argument(min=1, max=MAX_ID,
                                                   help="one or more claim ids")],
    kind: Annotated[FlagKind, typer.Option(help="unsupported, overstated, contested, …")],
    reason: Annotated[str, typer.Option(help="why")],
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Flag one or many claims (editors)."""
    with _write(as_user) as (session, actor):
        raised = flags.raise_flags(session, actor, claim_ids, kind, reason)
    if as_json:
        _print_json(raised)
        return
    for f in raised:
        typer.echo(f"flag #{f.id}: {f.kind} on claim #{f.claim_id}")


@app.command()
def resolve(
    flag_id: FlagId,
    reason: Annotated[str, typer.Option(help="what was done, or why it is not a problem")],
    dismiss: Annotated[bool, typer.Option("--dismiss", help="dismiss instead of resolve")]
    = False,
    as_user: AsUser = None,
) -> None:
    """Resolve (or --dismiss) an open flag (editors)."""
    state = FlagState.DISMISSED if dismiss else FlagState.RESOLVED
    with _write(as_user) as (session, actor):
        info = flags.close_flag(session, actor, flag_id, state, reason)
    typer.echo(f"flag #{info.id} {info.state}")


@app.command("flags")
def flags_cmd(
    document: DocumentOpt = None,
    state: Annotated[FlagState | None, typer.Option(help="open, resolved, dismissed")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Flags with the evidence linked since each was raised."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.flags(session, doc.id, state=state.value if state else None)
    if as_json:
        _print_json(rows)
        return
    _table(["id", "claim", "kind", "state", "new evidence", "reason"],
           [(r.id, r.claim_id, r.kind, r.state, r.new_evidence, r.reason) for r in rows],
           wrap=70)


@app.command()
def queue(document: DocumentOpt = None, as_json: JsonFlag = False) -> None:
    """The editorial queue: unsupported, insufficient or contested claims without an open flag."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.queue(session, doc.id)
        proposals = len(queries.wording_proposals(session, doc.id))
        prompts = len(queries.indirectness_prompts(session, doc.id))
    if as_json:
        _print_json(rows)
        return
    _table(["id", "status", "explanation"], [(r.id, r.status, r.explanation) for r in rows],
           wrap=100)
    typer.echo(f"also: {_count(proposals, 'overstated wording proposal')} (`tracker wording "
               f"--proposals`), {_count(prompts, 'link')} whose directness is due "
               "(`tracker tags prompts`)")


@app.command()
def coverage(document: DocumentOpt = None, as_json: JsonFlag = False) -> None:
    """How well the article is supported: claims by status, certainty, section and category."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        result = {
            "document": doc.slug,
            "coverage": queries.coverage(session, doc.id),
            "by_section": queries.coverage_by_section(session, doc.id),
            "by_category": queries.coverage_by_category(session, doc.id),
            "flags": queries.flag_summary(session, doc.id),
            "questions": queries.questions_by_status(session, doc.id),
            "claims": [
                {"id": c.id, "status": c.status, "certainty": c.certainty,
                 "explanation": c.explanation, "open_flags": c.open_flags, "text": c.text}
                for c in queries.claims(session, document_id=doc.id, include_parts=False)
            ],
        }
    if as_json:
        _print_json(result)
        return
    cov: queries.Coverage = result["coverage"]  # type: ignore[assignment]
    typer.echo(f"{doc.slug}: {_plural(cov.claims, 'claim')} — "
               + ", ".join(f"{n} {s}" for s, n in cov.by_status.items())
               + f"; {_plural(cov.open_flags, 'open flag')}")
    typer.echo("certainty (effect claims): "
               + ", ".join(f"{n} {c}" for c, n in cov.by_certainty.items())
               + "; standing (descriptive claims): "
               + ", ".join(f"{n} {s}" for s, n in cov.by_standing.items()))
    headers = ["section", "claims", *queries.STATUSES]
    _table(headers, [(r.group, r.total, r.supported, r.contested, r.contradicted,
                      r.insufficient, r.no_evidence_found, r.not_reviewed)
                     for r in result["by_section"]])  # type: ignore[attr-defined]


@app.command()
def questions(document: DocumentOpt = None, as_json: JsonFlag = False) -> None:
    """Open research questions with the claims they come from and the evidence on them."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.questions(session, doc.id)
    if as_json:
        _print_json(rows)
        return
    for q in rows:
        typer.echo(f"[{q.priority}] {q.slug} — {q.status}: {q.title}")
        typer.echo(f"    claims {', '.join(f'#{c}' for c in q.claims) or '-'}; "
                   f"evidence: {', '.join(k for k, *_ in q.evidence) or '-'}")


@app.command()
def history(
    claim_id: Annotated[int | None, typer.Argument(
        min=1, max=MAX_ID, help="a claim (default: everything)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_ID, help="at most this many events")]
    = 50,
    as_user: ReadAs = None,
    as_json: JsonFlag = False,
) -> None:
    """The audit trail: who changed what, when (a dual-review entry shows only to its
    reviewer until both entries are in)."""
    with _read() as session:
        rows = queries.history(session, claim_id=claim_id, limit=limit,
                               reader=_reader(session, as_user))
    if as_json:
        _print_json(rows)
        return
    _table(["when", "who", "action", "what"],
           [(r.at.strftime("%Y-%m-%d %H:%M"), r.actor, r.action, r.summary) for r in rows],
           wrap=90)


@claim_app.command("override")
def claim_override(
    claim_id: ClaimId,
    min_count: Annotated[int, typer.Option(min=0, max=1000, help="supporting items needed")],
    design: Annotated[list[StudyDesign], typer.Option(help="qualifying designs (repeat)")],
    reason: Annotated[str, typer.Option(help="why the rules' requirement is wrong here")],
    as_user: AsUser = None,
) -> None:
    """Override what a claim needs (editors)."""
    with _write(as_user) as (session, actor):
        described = evidence.override_requirement(session, actor, claim_id, min_count, design,
                                                  reason)
        row = queries.claim(session, claim_id)
    typer.echo(f"claim #{claim_id} needs {described}: {row.explanation}")


@claim_app.command("track")
def claim_track(
    claim_id: int,
    track: Annotated[str, typer.Argument(
        help="effect (GRADE certainty), descriptive (established / plausible / not "
             "established) or rule (back to the rules' proposal)")],
    reason: Annotated[str, typer.Option(help="why")] = "",
    as_user: AsUser = None,
) -> None:
    """Choose how a claim is graded (reviewers)."""
    try:
        chosen = None if track == "rule" else ClaimTrack(track)
    except ValueError:
        raise InvalidInput(f"track {track!r} is not one of effect, descriptive, rule") from None
    with _write(as_user) as (session, actor):
        appraisals.set_track(session, actor, claim_id, chosen, reason)
        row = queries.claim(session, claim_id)
    typer.echo(f"claim #{claim_id} is graded as {row.track}: {row.explanation}")


@claim_app.command("sign-off")
def claim_sign_off(claim_id: ClaimId, as_user: AsUser = None) -> None:
    """Sign a claim off at its current status (editors)."""
    with _write(as_user) as (session, actor):
        status = evidence.sign_off(session, actor, claim_id)
    typer.echo(f"claim #{claim_id} signed off as {status}")


@claim_app.command("split")
def claim_split(
    claim_id: ClaimId,
    part: Annotated[list[str], typer.Option(help="a verbatim fragment (repeat)")],
    reason: Annotated[str, typer.Option(help="why")],
    as_user: AsUser = None,
) -> None:
    """Split a compound sentence into parts graded on their own (editors)."""
    with _write(as_user) as (session, actor):
        ids = evidence.split_claim(session, actor, claim_id, part, reason)
    typer.echo(f"claim #{claim_id} parts: {', '.join(f'#{i}' for i in ids)}")


review_app = _commands("Load reviews and open questions from files.")
app.add_typer(review_app, name="review")


@review_app.command("load")
def review_load(
    path: Annotated[Path, typer.Argument(help="a review file (TOML, see references/review.toml)")],
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Load a review: splits, evidence links, appraisals, body judgements, searches, tracks,
    flags, question evidence. Applies what is new, withdraws what an earlier load recorded and
    the file no longer lists, and leaves what people changed since (reported, with why)."""
    source = review.read_review(path)  # read and parsed before the write transaction
    with _write(as_user) as (session, actor):
        report = review.load_review(session, actor, source)
    if as_json:
        _print_json(report)
        return
    typer.echo(f"{path}: {report.links_added} links added, {report.links_updated} updated, "
               f"{report.links_unchanged} unchanged; {report.splits} splits; "
               f"{report.appraisals} appraisals; {report.body_judgements} body judgements; "
               f"{report.searches} searches; {report.tracks} tracks; "
               f"{report.flags_raised} flags raised ({report.flags_present} already open); "
               f"{report.question_evidence} question evidence; {report.to_check} to check; "
               f"{len(report.withdrawn)} withdrawn; {len(report.skipped)} skipped")
    for withdrawn in report.withdrawn:
        typer.echo(f"  withdrawn: {withdrawn}")
    for skipped in report.skipped:
        typer.echo(f"  skipped: {skipped}")


@review_app.command("questions")
def review_questions(
    path: Annotated[Path, typer.Argument(help="a questions file (see references/questions.toml)")],
    as_user: AsUser = None,
) -> None:
    """Seed open research questions from a file (new ones only)."""
    source = review.read_review(path)
    with _write(as_user) as (session, actor):
        report = review.load_questions(session, actor, source)
    typer.echo(f"{path}: {report.questions_added} questions added")


question_app = _commands("Change one open question.")
app.add_typer(question_app, name="question")


@question_app.command("add")
def question_add(
    slug: str,
    title: Annotated[str, typer.Option(help="the question")],
    description: str = "",
    priority: Priority = Priority.MEDIUM,
    claim: Annotated[list[int] | None, typer.Option(
        min=1, max=MAX_ID, help="claim it comes from (repeat)")] = None,
    document: DocumentOpt = None,
    as_user: AsUser = None,
) -> None:
    """Add an open research question (editors)."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        info = questions_service.add_question(session, actor, doc.id, slug, title,
                                              description=description, priority=priority,
                                              claim_ids=claim or [])
    typer.echo(f"question #{info.id} {info.slug} added")


@question_app.command("set")
def question_set(
    slug: str,
    status: Annotated[QuestionStatus | None, typer.Option()] = None,
    priority: Annotated[Priority | None, typer.Option()] = None,
    document: DocumentOpt = None,
    as_user: AsUser = None,
) -> None:
    """Change a question's status or priority (editors)."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        question = questions_service.question_by_slug(session, doc.id, slug)
        info = questions_service.update_question(session, actor, question.id, status=status,
                                                 priority=priority)
    typer.echo(f"{info.slug}: {info.status}, {info.priority} priority")


@question_app.command("address")
def question_address(
    slug: str,
    citation_key: str,
    note: Annotated[str, typer.Option(help="how it addresses the question")] = "",
    document: DocumentOpt = None,
    as_user: AsUser = None,
) -> None:
    """Record that a citation addresses an open question (reviewers)."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        question = questions_service.question_by_slug(session, doc.id, slug)
        citation = citations.citation_by_key(session, citation_key)
        added = questions_service.address_question(session, actor, question.id, citation.id,
                                                   note)
    typer.echo(f"{citation_key} {'now addresses' if added else 'already addressed'} {slug}")


# --- dual review -----------------------------------------------------------------------------

dual_app = typer.Typer(no_args_is_help=True, help=(
    "Dual review: two reviewers enter stances, appraisals and directness independently; "
    "agreement becomes the record, an editor adjudicates the rest."))
app.add_typer(dual_app, name="dual")
def _document_id(session: Session, slug: str | None) -> int:
    return queries.resolve_document(session, slug).id


@dual_app.command("on")
def dual_on(document: DocumentOpt = None,
            reason: Annotated[str, typer.Option(help="why")] = "",
            as_user: AsUser = None) -> None:
    """Require dual review of a document's stances, appraisals and directness (editors)."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        changed = dual.require_dual_review(session, actor, doc.id, True, reason)
    typer.echo(f"{doc.slug}: dual review required" + ("" if changed else " (already)"))


@dual_app.command("off")
def dual_off(document: DocumentOpt = None,
             reason: Annotated[str, typer.Option(help="why")] = "",
             as_user: AsUser = None) -> None:
    """Back to single review (editors); entries and waiting adjudications stay."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        changed = dual.require_dual_review(session, actor, doc.id, False, reason)
    typer.echo(f"{doc.slug}: single review" + ("" if changed else " (already)"))


@dual_app.command("assign")
def dual_assign(
    reviewers: Annotated[str, typer.Option(help="the pair: two usernames, comma-separated")],
    claim: Annotated[list[int] | None, typer.Option(help="a claim (repeat)")] = None,
    study: Annotated[list[str] | None, typer.Option(help="a study's key (repeat)")] = None,
    document: DocumentOpt = None,
    as_user: AsUser = None,
) -> None:
    """Assign claims (their links' stance and directness) and studies (their appraisal) to a
    pair of reviewers (editors)."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        ids = [citations.citation_by_key(session, key).id for key in study or []]
        changed = dual.assign(session, actor, doc.id, [r for r in reviewers.split(",") if r],
                              claim_ids=claim or [], citation_ids=ids)
    typer.echo(f"{_plural(changed, 'assignment')} made")


@dual_app.command("propose")
def dual_propose(claim_id: int, citation_key: str,
                 reason: Annotated[str, typer.Option(help="why it bears on the claim")],
                 as_user: AsUser = None) -> None:
    """Propose a study for a claim under dual review; both reviewers then judge its stance."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        item = dual.propose_study(session, actor, claim_id, citation.id, reason)
    typer.echo(f"item #{item}: {citation_key} proposed for claim #{claim_id}")


def _print_entry(result: dual.EntryResult, as_json: bool) -> None:
    if as_json:
        _print_json(result)
    else:
        typer.echo(f"item #{result.item_id} ({result.what}): {result.outcome}")


@dual_app.command("stance")
def dual_stance(
    claim_id: int, citation_key: str,
    stance: Annotated[Stance, typer.Option(help="supports, contradicts, mixed, background")],
    reason: Annotated[str, typer.Option(help="one line: a quote or a locator")],
    locator: Annotated[str, typer.Option(help="page, table, figure")] = "",
    as_user: AsUser = None, as_json: JsonFlag = False,
) -> None:
    """Enter a study's stance on a claim, independently (reviewers)."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        result = dual.enter_stance(session, actor, claim_id, citation.id, stance, reason,
                                   locator=locator)
    _print_entry(result, as_json)


@dual_app.command("appraise")
def dual_appraise(
    citation_key: str,
    tool: Annotated[AppraisalTool, typer.Option(help="the tool the design calls for")],
    domain: Annotated[list[str] | None, typer.Option(
        metavar="DOMAIN=JUDGEMENT:REASON", help="one per domain or item")] = None,
    pools: Annotated[Pools | None, typer.Option(help="reviews: the designs pooled")] = None,
    escalate: Annotated[bool, typer.Option("--escalate", help="RoB 2 only")] = False,
    note: Annotated[str, typer.Option(help="what was read")] = "",
    as_user: AsUser = None, as_json: JsonFlag = False,
) -> None:
    """Enter a study's appraisal, independently (reviewers)."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        result = dual.enter_appraisal(session, actor, citation.id, tool,
                                      _pairs(domain, "--domain"), pools=pools,
                                      escalate=escalate, note=note)
    _print_entry(result, as_json)


@dual_app.command("directness")
def dual_directness(claim_id: int, citation_key: str, directness: DirectnessOpt = None,
                    as_user: AsUser = None, as_json: JsonFlag = False) -> None:
    """Enter a link's directness on every element, independently (reviewers)."""
    with _write(as_user) as (session, actor):
        citation = citations.citation_by_key(session, citation_key)
        result = dual.enter_directness(session, actor, claim_id, citation.id,
                                       _pairs(directness, "--directness"))
    _print_entry(result, as_json)


@dual_app.command("queue")
def dual_queue_cmd(document: DocumentOpt = None, as_user: ReadAs = None,
                   as_json: JsonFlag = False) -> None:
    """Your queue: the judgements assigned to you, with your entries (and the other
    reviewer's only once both are in)."""
    with _read() as session:
        reader = _reader(session, as_user)
        if reader is None:
            raise InvalidInput("name the reviewer with --as USER or TRACKER_USER")
        rows = queries.dual_queue(session, _document_id(session, document), reader)
    if as_json:
        _print_json(rows)
        return
    _table(["kind", "claim", "study", "with", "item", "where you stand"],
           [(r.kind, r.claim_id or "", r.citation_key, r.partner, r.item_id or "", r.standing)
            for r in rows])


@dual_app.command("items")
def dual_items_cmd(
    document: DocumentOpt = None,
    state: Annotated[list[str] | None, typer.Option(
        help="open, agreed, awaiting-adjudication, adjudicated (repeat)")] = None,
    as_user: ReadAs = None, as_json: JsonFlag = False,
) -> None:
    """Judgements under dual review, with the entries you may see (both, once both are in)."""
    with _read() as session:
        rows = queries.dual_items(session, _document_id(session, document),
                                  reader=_reader(session, as_user), states=state)
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        where = f"claim #{r.claim_id} · " if r.claim_id else ""
        typer.echo(f"item #{r.id} {r.kind} {where}{r.citation_key} [{r.state}]"
                   + (f" decided: {r.decision} by {r.decided_by or 'both'}" if r.decision
                      else ""))
        for e in r.entries:
            typer.echo(f"    {e.reviewer}: {_entry_words(r.kind, e.payload)}")


def _entry_words(kind: str, payload: dict[str, Any]) -> str:
    if kind == "stance":
        return f"{payload.get('stance')} — {payload.get('reason')}"
    if kind == "appraisal":
        return f"{payload.get('tool')} {payload.get('overall')}: " + "; ".join(
            f"{d} {j} ({r})" for d, (j, r) in dict(payload.get("domains") or {}).items())
    return "; ".join(f"{e} {j} ({r})" for e, (j, r) in
                     dict(payload.get("directness") or {}).items())


@dual_app.command("decide")
def dual_decide(
    item_id: int,
    choose: Annotated[str, typer.Option(help="first, second (or that reviewer's username), "
                                             "or own")],
    reason: Annotated[str, typer.Option(help="why (required)")],
    stance: Annotated[Stance | None, typer.Option(help="own: the stance")] = None,
    stance_reason: Annotated[str, typer.Option(help="own: the stance's one-line reason")]
    = "",
    tool: Annotated[AppraisalTool | None, typer.Option(help="own: the appraisal's tool")]
    = None,
    domain: Annotated[list[str] | None, typer.Option(
        metavar="DOMAIN=JUDGEMENT:REASON", help="own: the appraisal's domains")] = None,
    pools: Annotated[Pools | None, typer.Option(help="own: a review's pooled designs")] = None,
    directness: DirectnessOpt = None,
    version: Annotated[int | None, typer.Option(help="fail if the item changed since")] = None,
    as_user: AsUser = None, as_json: JsonFlag = False,
) -> None:
    """Adjudicate a judgement the two reviewers differ on (editors)."""
    own: dict[str, Any] | None = None
    if stance is not None:
        own = {"stance": stance.value, "reason": stance_reason or reason}
    elif tool is not None:
        own = {"tool": tool.value, "pools": pools.value if pools else None,
               "domains": {k: list(v) for k, v in _pairs(domain, "--domain").items()}}
    elif directness:
        own = {"directness": {k: list(v) for k, v in _pairs(directness, "--directness")
                              .items()}}
    with _write(as_user) as (session, actor):
        result = dual.adjudicate(session, actor, item_id, choose, reason, own=own,
                                 expected_version=version)
    _print_entry(result, as_json)


class AgreementFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"


@dual_app.command("agreement")
def dual_agreement(
    document: DocumentOpt = None,
    every: Annotated[bool, typer.Option("--all", help="every document together")] = False,
    fmt: Annotated[AgreementFormat, typer.Option("--format", help="text, json or csv")]
    = AgreementFormat.TEXT,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write to a file")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Agreement of the reviewers: percentage and Cohen's kappa (95 % CI) per judgement,
    weighted kappa on ordered scales, for all pairs and each pair."""
    with _read() as session:
        doc = None if every else queries.resolve_document(session, document)
        rows = queries.agreement(session, doc.id if doc else None)
    fmt = AgreementFormat.JSON if as_json else fmt
    if fmt is AgreementFormat.TEXT:
        text = _agreement_text(rows)
    elif fmt is AgreementFormat.CSV:
        text = exports.agreement_csv(rows)
    else:
        text = exports.agreement_json(rows, doc.slug if doc else None)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
    else:
        typer.echo(text, nl=False)


def _agreement_text(rows: Sequence[queries.AgreementRow]) -> str:
    def kappa(value: float | None, low: float | None, high: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:.2f} ({low:.2f} to {high:.2f})" if low is not None and high is not None \
            else f"{value:.2f}"

    if not rows:
        return "no judgement has both reviewers' entries yet\n"
    lines = []
    widths = (13, 34, 6, 8, 22, 22, 22)
    header = ("pair", "judgement", "n", "agree %", "kappa (95 % CI)", "linear", "quadratic")
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for r in rows:
        cells = (r.pair or "all pairs", r.measure, str(r.n),
                 "—" if r.percent is None else f"{r.percent:.1f}",
                 kappa(r.kappa, r.kappa_ci_low, r.kappa_ci_high),
                 kappa(r.linear, r.linear_ci_low, r.linear_ci_high),
                 kappa(r.quadratic, r.quadratic_ci_low, r.quadratic_ci_high))
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
                     + (f"  ({r.note})" if r.note else ""))
    return "\n".join(lines) + "\n"

# --- the article scorecard -------------------------------------------------------------------

scorecard_app = typer.Typer(
    invoke_without_command=True, rich_markup_mode=None,
    help="The article scorecard: HealthNewsReview's ten criteria and DISCERN's sixteen "
         "questions, proposed by rules where the tracker's data allow and rated by editors.")
app.add_typer(scorecard_app, name="scorecard")
InstrumentArg = Annotated[Instrument, typer.Argument(help="hnr or discern")]
CriterionArg = Annotated[str, typer.Argument(help="the criterion's key or number, e.g. costs, 8")]
ReasonOpt = Annotated[str, typer.Option(help="why (required)")]


@scorecard_app.callback()
def scorecard_cmd(
    ctx: typer.Context,
    document: DocumentOpt = None,
    desk: Annotated[bool, typer.Option(
        "--desk", help="across documents: which criteria fail most often")] = False,
    as_json: JsonFlag = False,
) -> None:
    """A document's scorecard: each criterion with its rating, who rated it and why."""
    if ctx.invoked_subcommand is not None:
        return
    with _read() as session:
        if desk:
            tally = queries.scorecard_tally(session)
        else:
            doc = queries.resolve_document(session, document)
            card = queries.scorecard(session, doc.id)
    if desk:
        if as_json:
            _print_json(tally)
            return
        _table(["criterion", "failed", "rated", "unrated", "by editors", "question"],
               [(f"{t.label} {t.key}", t.failed, t.rated, t.unrated, t.by_editors,
                 t.question) for t in tally], wrap=60)
        return
    if as_json:
        _print_json(card.as_dict())
        return
    typer.echo(scorecard_text(card))


def scorecard_text(card: scorecards.Scorecard) -> str:
    """The scorecard as the terminal shows it: one line per criterion, then its reason."""
    lines = [f"{card.slug}: scorecard (ratings by rules are proposals; an editor confirms or "
             "overrides each)"]
    for instrument in Instrument:
        lines.append("")
        for item in card.of(instrument):
            rating = item.rating or "—"
            who = f" [{item.rated_by}]" if item.rated_by else " [unrated]"
            lines.append(f"{item.criterion.label:<10} {item.criterion.key:<18} {rating:<16}"
                         f"{who}")
            lines.append(f"{'':<11}{item.reason}")
            if item.overridden and item.proposal.rating:
                lines.append(f"{'':<11}(rules propose {item.proposal.rating}: "
                             f"{item.proposal.reason})")
    lines.append("")
    lines.append("red-flag language: " + ("none" if not card.red_flags else ""))
    lines += [f"  {f.term}: {f.sentence}" for f in card.red_flags]
    return "\n".join(lines)


@scorecard_app.command("rate")
def scorecard_rate(
    instrument: InstrumentArg, key: CriterionArg,
    rating: Annotated[str, typer.Argument(
        help="hnr: satisfactory, not-satisfactory, not-applicable; discern: 1-5")],
    reason: ReasonOpt, document: DocumentOpt = None, version: VersionOpt = None,
    as_user: AsUser = None,
) -> None:
    """Rate one criterion (editors): confirm the rules' proposal or override it."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        info = scorecard_service.rate_criterion(session, actor, doc.id, instrument, key,
                                                rating, reason, expected_version=version)
    said = f"the rules' {info.proposed}" if info.proposed else "no proposal"
    typer.echo(f"{info.instrument} {info.criterion}: {info.rating} ({info.decision} {said})")


@scorecard_app.command("clear")
def scorecard_clear(instrument: InstrumentArg, key: CriterionArg, reason: ReasonOpt,
                    document: DocumentOpt = None, as_user: AsUser = None) -> None:
    """Clear an editor's rating, so the rules' proposal stands again (editors)."""
    with _write(as_user) as (session, actor):
        doc = queries.resolve_document(session, document)
        scorecard_service.clear_rating(session, actor, doc.id, instrument, key, reason)
    typer.echo(f"{instrument.value} {key}: editor's rating cleared")


@app.command("claimreview")
def claimreview_cmd(
    document: DocumentOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default stdout)")]
    = None,
) -> None:
    """schema.org ClaimReview JSON-LD for each reviewed claim, authored by the organisation
    TRACKER_ORGANISATION and TRACKER_ORGANISATION_URL name."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        markup = queries.claim_reviews(session, doc.id, load_settings())
    text = json.dumps(markup, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{output}: cannot write it ({exc.strerror or exc})") from None
    typer.echo(f"wrote {len(markup)} ClaimReview(s) to {output}", err=True)


# --- the wording against its evidence (GRADE guideline 26) -----------------------------------

wording_app = typer.Typer(rich_markup_mode=None, invoke_without_command=True,
                          help="The article's wording against the certainty of its evidence "
                               "(GRADE guideline 26): over-statements proposed as flags.")
app.add_typer(wording_app, name="wording")
VerdictOpt = Annotated[WordingVerdict | None, typer.Option(
    "--verdict", help="overstated, matches, understated or 'not compared'")]


@wording_app.callback()
def wording_cmd(
    ctx: typer.Context,
    document: DocumentOpt = None,
    verdict: VerdictOpt = None,
    proposals: Annotated[bool, typer.Option(
        "--proposals", help="only over-statements waiting for an editor")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Each claim's wording (categorical, probable, possible, uncertain) against what its
    evidence allows, with the rewording GRADE 26 gives."""
    if ctx.invoked_subcommand is not None:
        return
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.wording_check(session, doc.id)
    if verdict is not None:
        rows = [r for r in rows if r.verdict == verdict.value]
    if proposals:
        rows = [r for r in rows if r.proposal == "open"]
    if as_json:
        _print_json(rows)
        return
    _table(["id", "says", "allows", "verdict", "proposal", "sentence → allowed wording"],
           [(r.claim_id, r.strength, r.allowed_strength or "—", r.verdict, r.proposal or "",
             r.text if not r.suggestion else f"{r.text} → {r.suggestion}") for r in rows],
           wrap=110)


@wording_app.command("accept")
def wording_accept(
    claim_id: ClaimId,
    reason: Annotated[str, typer.Option(help="a note for the flag (optional)")] = "",
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Accept the proposed overstated flag of a claim: the flag is raised (editors)."""
    with _write(as_user) as (session, actor):
        info = wording.decide_wording(session, actor, claim_id, WordingDecisionKind.ACCEPTED,
                                      reason)
    if as_json:
        _print_json(info)
        return
    typer.echo(f"claim #{claim_id}: overstated flag #{info.flag_id}; allowed wording: "
               f"{info.suggestion}")


@wording_app.command("dismiss")
def wording_dismiss(
    claim_id: ClaimId,
    reason: Annotated[str, typer.Option(help="why the wording stands")],
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Dismiss the proposed overstated flag of a claim, with a reason (editors)."""
    with _write(as_user) as (session, actor):
        info = wording.decide_wording(session, actor, claim_id, WordingDecisionKind.DISMISSED,
                                      reason)
    if as_json:
        _print_json(info)
        return
    typer.echo(f"claim #{claim_id}: proposal dismissed")


# --- PICO tags and indirectness prompts --------------------------------------------------------

tags_app = typer.Typer(rich_markup_mode=None, invoke_without_command=True,
                       help="PICO tags of claims and citations (proposed by rules, with the "
                            "words that triggered them; confirmed or rejected by reviewers) "
                            "and the indirectness prompts they raise.")
app.add_typer(tags_app, name="tags")
ClaimOpt = Annotated[int | None, typer.Option("--claim", min=1, max=MAX_ID, help="a claim")]
CitationOpt = Annotated[str | None, typer.Option("--citation", help="a citation key")]
FacetOpt = Annotated[PicoFacet, typer.Option(help="condition, setting, route, regimen, "
                                                  "comparator, outcome or time")]


@tags_app.callback()
def tags_cmd(ctx: typer.Context, claim: ClaimOpt = None, citation: CitationOpt = None,
             as_json: JsonFlag = False) -> None:
    """The PICO tags of a claim (--claim) or a citation (--citation)."""
    if ctx.invoked_subcommand is not None:
        return
    if (claim is None) == (citation is None):
        raise InvalidInput("name one claim (--claim N) or one citation (--citation KEY)")
    with _read() as session:
        rows = (queries.claim_tags(session, claim) if claim is not None
                else queries.citation_tags(session, citation or ""))
    if as_json:
        _print_json(rows)
        return
    _table(["facet", "value", "state", "source", "because of"],
           [(r.facet, r.value, r.state, r.source, f'"{r.trigger}"' if r.trigger else r.reason)
            for r in rows], wrap=70)


def _decide_tag(claim: int | None, citation: str | None, facet: PicoFacet, value: str,
                state: TagState, reason: str, as_user: str | None) -> None:
    if (claim is None) == (citation is None):
        raise InvalidInput("name one claim (--claim N) or one citation (--citation KEY)")
    with _write(as_user) as (session, actor):
        done = (tags.decide_claim_tag(session, actor, claim, facet, value, state, reason)
                if claim is not None else
                tags.decide_citation_tag(session, actor, citation or "", facet, value, state,
                                         reason))
    typer.echo(f"{done.facet} {done.value!r}: {done.state} ({done.source})")


@tags_app.command("confirm")
def tags_confirm(value: Annotated[str, typer.Argument(help="the tag, e.g. 'CRPS'")],
                 facet: FacetOpt, claim: ClaimOpt = None, citation: CitationOpt = None,
                 reason: Annotated[str, typer.Option(help="why (optional)")] = "",
                 as_user: AsUser = None) -> None:
    """Confirm a proposed tag, or add one of your own (reviewers)."""
    _decide_tag(claim, citation, facet, value, TagState.CONFIRMED, reason, as_user)


@tags_app.command("reject")
def tags_reject(value: Annotated[str, typer.Argument(help="the tag, e.g. 'cancer pain'")],
                facet: FacetOpt, claim: ClaimOpt = None, citation: CitationOpt = None,
                reason: Annotated[str, typer.Option(help="why (optional)")] = "",
                as_user: AsUser = None) -> None:
    """Reject a tag a rule proposed (reviewers)."""
    _decide_tag(claim, citation, facet, value, TagState.REJECTED, reason, as_user)


@tags_app.command("prompts")
def tags_prompts(document: DocumentOpt = None,
                 judged: Annotated[bool, typer.Option(
                     "--judged", help="also the links whose directness was judged since")]
                 = False,
                 as_json: JsonFlag = False) -> None:
    """Links whose study and claim differ on a PICO element: directness not judged."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.indirectness_prompts(session, doc.id, include_judged=judged)
    if as_json:
        _print_json(rows)
        return
    _table(["link", "claim", "study", "element", "directness", "mismatch"],
           [(r.link_id, r.claim_id, r.citation_key, r.element, r.judgement or "not judged",
             r.mismatch) for r in rows], wrap=80)


# --- summary of findings -----------------------------------------------------------------------


class SofFormat(StrEnum):
    TEXT = "text"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"


@app.command("sof")
def sof_cmd(
    document: DocumentOpt = None,
    claim: ClaimOpt = None,
    fmt: Annotated[SofFormat, typer.Option("--format", help="text, csv, markdown or html "
                                                            "(prints on A4)")] = SofFormat.TEXT,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")]
    = None,
    as_json: JsonFlag = False,
) -> None:
    """Summary of findings per effect claim: PICO, studies, participants, effects, certainty
    with a reason per GRADE domain, and the wording the evidence supports."""
    with _read() as session:
        doc = queries.resolve_document(session, document)
        rows = queries.summary_of_findings(session, doc.id, claim_id=claim)
        title = doc.title
    if as_json:
        _print_json(rows)
        return
    if fmt is SofFormat.TEXT:
        text = "".join(
            f"#{r.claim_id} {r.sentence}\n  P: {r.population}  I: {r.intervention}  "
            f"C: {r.comparator}  O: {r.outcome}\n  {r.studies} studies ({r.designs}); "
            f"certainty {r.certainty or 'not rated'}"
            + "".join(f"\n    - {n}" for n in r.footnotes)
            + (f"\n  the evidence supports: {r.allowed_wording}"
               if r.wording_verdict == "overstated" else "") + "\n" for r in rows)
    else:
        text = (sof.to_csv(rows) if fmt is SofFormat.CSV
                else sof.to_markdown(rows, title) if fmt is SofFormat.MARKDOWN
                else sof.to_html(rows, title))
    if output is not None:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
        return
    typer.echo(text, nl=False)


def main() -> None:
    # bibtexparser logs each block it cannot parse; the import report already lists them.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    app()


if __name__ == "__main__":
    main()
