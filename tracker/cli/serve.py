"""Opening the dashboard from an installed package (`tracker dashboard`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tracker.cli.application import app
from tracker.lazy import lazy_function

if TYPE_CHECKING:
    from tracker.serve import run_dashboard
else:  # imported when the command runs (start-up time is benchmarked)
    run_dashboard = lazy_function("tracker.serve", "run_dashboard")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dashboard(ctx: typer.Context) -> None:
    """Open the dashboard (Streamlit) on http://127.0.0.1:8501; Streamlit's options follow:
    `--server.port 8600`, `--server.address 0.0.0.0` to open it to the network."""
    raise typer.Exit(run_dashboard(list(ctx.args)))
