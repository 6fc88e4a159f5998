"""The Typer application and its one error mapping: usage, domain and database errors end
with one line on stderr and an exit code (`EXIT_CODES`), never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer
import typer.core
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from typer.core import TyperGroup

try:  # Typer 0.2x vendors its own copy of Click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older Typer uses Click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

from tracker.errors import TrackerError

# Typer 0.2x: each parameter's value is coerced by a Pydantic adapter, built on first use.
_TyperParameter: Any = getattr(typer.core, "_TyperParameter", None)


class _OnlyGiven:
    """A parameter's coercion that builds Typer's own (a Pydantic `TypeAdapter`, which imports
    Pydantic: 0.1 s) only for a value that was given. An option left out is None (or `()` for a
    repeated one) whatever its type, as Typer's coercion makes it, so `tracker claims --json`
    does not import Pydantic at all."""

    __slots__ = ("_param",)

    def __init__(self, param: Any) -> None:
        self._param = param

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        return _build_runtime_param(self._param).coerce(value, param=param, ctx=ctx)


if _TyperParameter is not None and hasattr(_TyperParameter, "get_runtime_param"):
    _build_runtime_param = _TyperParameter.get_runtime_param

    def _runtime_param(self: Any) -> Any:
        return self._runtime_param or _OnlyGiven(self)

    _TyperParameter.get_runtime_param = _runtime_param  # noqa: B010


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


@app.callback()
def _group() -> None:
    """Keeps `tracker` a group when `tracker.cli.main` registers one command alone (Typer
    would otherwise make a lone command the whole program: `tracker sof` would read "sof" as
    an argument)."""


def _commands(about: str) -> typer.Typer:
    """A group of subcommands (`tracker users …`), with the plain help of the whole CLI."""
    return typer.Typer(no_args_is_help=True, rich_markup_mode=None, help=about)
