"""The `tracker` command line: parse, call one service or query, print. No rules live here.

Writes act as the user given by `--as` or `TRACKER_USER`. Reads accept `--json` for scripts.
Errors end with one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from tracker import db, queries
from tracker.config import load_settings
from tracker.errors import InvalidInput, TrackerError
from tracker.services import articles, users
from tracker.services.access import Actor, actor_named
from tracker.services.setup import bootstrap as bootstrap_service
from tracker.vocabulary import ClaimCategory, Role


class _Group(TyperGroup):
    """Turns domain and database errors into one line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as exc:
            _fail(str(exc), exc.exit_code)
        except (OperationalError, ProgrammingError) as exc:
            _fail(_database_message(exc), 7)
        except SQLAlchemyError as exc:
            _fail(f"database error: {exc.__class__.__name__}: {exc}", 7)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _database_message(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if "no such table" in text or "does not exist" in text and "relation" in text:
        return "the database is not initialised; run `tracker init` (or `tracker bootstrap`)"
    return f"cannot use the database: {text}"


app = typer.Typer(
    cls=_Group, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
    help="Evidence Tracker: claims of a health article, the studies behind them, and the grade "
         "of that evidence. It records evidence; it gives no medical advice.",
)
users_app = typer.Typer(no_args_is_help=True, help="Users and roles (admins).")
app.add_typer(users_app, name="users")

AsUser = Annotated[str | None, typer.Option("--as", help="act as this user (or TRACKER_USER)")]
JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
DocumentOpt = Annotated[str | None, typer.Option("--document", "-D", help="document slug")]


# --- plumbing --------------------------------------------------------------------------------


def _engine() -> Engine:
    return db.make_engine(load_settings().database_url)


@contextmanager
def _read() -> Iterator[Session]:
    engine = _engine()
    try:
        with db.reading(engine) as session:
            yield session
    finally:
        engine.dispose()


@contextmanager
def _write(as_user: str | None) -> Iterator[tuple[Session, Actor]]:
    username = as_user or load_settings().user
    if not username:
        raise InvalidInput("name the acting user with --as USER or TRACKER_USER")
    engine = _engine()
    try:
        with db.writing(engine) as session:
            yield session, actor_named(session, username)
    finally:
        engine.dispose()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(_plain(value), indent=2, ensure_ascii=False))


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
    """Create or upgrade the database schema (alembic upgrade head). Safe to repeat."""
    engine = _engine()
    try:
        db.migrate(engine)
    finally:
        engine.dispose()
    typer.echo("database schema is up to date")


@app.command()
def bootstrap(
    empty: Annotated[bool, typer.Option("--empty", help="load only the article")] = False,
) -> None:
    """Initialise or upgrade, then load what the product ships into an empty database."""
    engine = _engine()
    try:
        report = bootstrap_service(engine, empty=empty)
    finally:
        engine.dispose()
    for step in report.steps:
        typer.echo(step)


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="plain-text or Markdown article")],
    slug: Annotated[str | None, typer.Option(help="document identity (default: title)")] = None,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Record an article (or a revision of one) as sections and claims."""
    source = articles.read_article(path)
    with _write(as_user) as (session, actor):
        report = articles.ingest(session, actor, source, slug=slug)
    if as_json:
        _print_json(report)
    elif report.unchanged:
        typer.echo(f"{report.slug}: unchanged ({report.claims} claims)")
    elif report.created:
        typer.echo(f"{report.slug}: {report.claims} claims in {report.sections} sections, "
                   f"{report.resources} listed resources")
    else:
        typer.echo(f"{report.slug}: {report.kept} kept, {report.edited} edited, "
                   f"{report.added} added, {report.retired} retired")


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
        typer.echo(f"{'  ' * (r.level - 1)}{marker} {r.title}  ({r.claims} claims)")


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


claim_app = typer.Typer(no_args_is_help=True, help="One claim.")
app.add_typer(claim_app, name="claim")


@claim_app.command("show")
def claim_show(claim_id: int, as_json: JsonFlag = False) -> None:
    """Everything about one claim."""
    with _read() as session:
        row = queries.claim(session, claim_id)
    if as_json:
        _print_json(row)
        return
    typer.echo(f"#{row.id} [{row.category}] {' › '.join(row.section) or '(introduction)'}")
    typer.echo(row.text)


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
    secret = None if no_password else _password(password)
    username_acting = as_user or load_settings().user
    engine = _engine()
    try:
        with db.writing(engine) as session:
            actor = actor_named(session, username_acting) if username_acting else None
            info = users.add_user(session, actor, username, role, secret, name)
    finally:
        engine.dispose()
    if as_json:
        _print_json(info)
    else:
        typer.echo(f"added {info.username} ({info.role})")


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    with _read() as session:
        rows = users.list_users(session)
    if as_json:
        _print_json(rows)
        return
    _table(["username", "role", "active", "sign-in", "name"],
           [(u.username, u.role, u.active, u.can_sign_in, u.display_name) for u in rows])


@users_app.command("set-role")
def users_set_role(username: str, role: Role, as_user: AsUser = None) -> None:
    with _write(as_user) as (session, actor):
        info = users.set_role(session, actor, username, role)
    typer.echo(f"{info.username} is now {info.role}")


@users_app.command("passwd")
def users_passwd(
    username: str,
    password: Annotated[str | None, typer.Option(help="omit to be prompted")] = None,
    as_user: AsUser = None,
) -> None:
    secret = _password(password)
    with _write(as_user) as (session, actor):
        users.set_password(session, actor, username, secret)
    typer.echo(f"password of {username} changed")


@users_app.command("deactivate")
def users_deactivate(username: str, as_user: AsUser = None) -> None:
    with _write(as_user) as (session, actor):
        users.set_active(session, actor, username, False)
    typer.echo(f"{username} deactivated")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
