"""The `tracker` command line: parse, call one service or query, print. No rules live here.

Writes act as the user given by `--as` or `TRACKER_USER`. Reads accept `--json` for scripts.
Errors end with one line on stderr and a non-zero exit code, never a traceback.

One module per command group; importing them registers their commands on `app`, in the
order `tracker --help` lists them. Services, queries and parsers are imported on first use
(`tracker.lazy`), so a command loads only what it calls.
"""

import logging

# isort: off
from tracker.cli import users, articles, claims, backup, citations, exports  # noqa: F401
from tracker.cli import evidence, flags, coverage, audit, review, dual  # noqa: F401
from tracker.cli import scorecard, wording, tags, sof, serve  # noqa: F401
# isort: on
from tracker.cli.application import EXIT_CODES, app

__all__ = ["EXIT_CODES", "app", "main"]


def main() -> None:
    # bibtexparser logs each block it cannot parse; the import report already lists them.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    app()
