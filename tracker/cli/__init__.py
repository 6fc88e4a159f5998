"""The `tracker` command line: parse, call one service or query, print. No rules live here.

Writes act as the user given by `--as` or `TRACKER_USER`. Reads accept `--json` for scripts.
Errors end with one line on stderr and a non-zero exit code, never a traceback.

One module per command group; importing one registers its commands on `app`. `tracker.cli.app`
has every command, registered in the order `tracker --help` lists them. The `tracker` command
itself (`main`) imports only the module of the command it runs (`COMMANDS`), so Typer builds
that command's parameters and no other's; `tracker`, `tracker --help` and a name it does not
know load them all. Services, queries and parsers are imported on first use (`tracker.lazy`),
so a command loads only what it calls.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tracker.cli.application import EXIT_CODES

if TYPE_CHECKING:
    from tracker.cli.application import app

__all__ = ["COMMANDS", "EXIT_CODES", "MODULES", "app", "main"]

#: The command modules, in the order their commands are registered (and listed by `--help`).
MODULES = ("users", "articles", "claims", "backup", "citations", "exports", "evidence", "flags",
           "coverage", "audit", "review", "dual", "scorecard", "wording", "tags", "sof", "serve")

#: Each command and command group of `tracker`, and the module (of `MODULES`) registering it
#: (tests/test_cli_startup.py checks this against the commands the modules register).
COMMANDS = {
    "users": "users",
    "init": "articles", "bootstrap": "articles", "ingest": "articles", "cited": "articles",
    "documents": "articles", "sections": "articles",
    "claims": "claims", "claim": "claims", "suggest": "claims",
    "backup": "backup", "restore": "backup",
    "import-bib": "citations", "citations": "citations",
    "export": "exports",
    "link": "evidence", "judge": "evidence", "unlink": "evidence", "appraise": "evidence",
    "body": "evidence", "searched": "evidence",
    "flag": "flags", "resolve": "flags", "flags": "flags", "queue": "flags",
    "coverage": "coverage", "questions": "coverage",
    "history": "audit",
    "review": "review", "question": "review",
    "dual": "dual",
    "claimreview": "scorecard", "scorecard": "scorecard",
    "wording": "wording",
    "tags": "tags",
    "sof": "sof",
    "dashboard": "serve",
}


def register(modules: Iterable[str] = MODULES) -> None:
    """Import the command modules `modules` (names of `MODULES`), registering their commands."""
    for name in modules:
        importlib.import_module(f"tracker.cli.{name}")


def modules_for(args: Sequence[str]) -> tuple[str, ...]:
    """The command modules a run with arguments `args` needs: the one registering the command
    named first, or every one (for the help, or the error naming an unknown command)."""
    if args and args[0] in COMMANDS:
        return (COMMANDS[args[0]],)
    return MODULES


def __getattr__(name: str) -> Any:
    """`tracker.cli.app`: the application with every command registered."""
    if name == "app":
        register()
        from tracker.cli.application import app as every_command

        return every_command
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    # bibtexparser logs each block it cannot parse; the import report already lists them.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    register(modules_for(sys.argv[1:]))
    from tracker.cli.application import app as application

    application()
