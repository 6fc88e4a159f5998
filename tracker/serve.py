"""Serving the dashboard: `streamlit run` on the installed `dashboard/app.py`.

`tracker dashboard` and `python3 dev.py run` both start it through `dashboard_command`, so
an install from a wheel (where no `.streamlit/config.toml` is beside the working directory)
gets the settings a checkout gets from that file: it listens on 127.0.0.1 only (reading needs
no account: opening it to a network is a choice, `--server.address 0.0.0.0`), sends Streamlit
no usage statistics, shows viewers no developer menu, and takes uploads up to the BibTeX file
limit. Any of them given on the command line wins.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from tracker.limits import MAX_BIB_FILE_BYTES, MB

#: Streamlit's options and the values the dashboard runs with unless the caller gives them;
#: `.streamlit/config.toml` says the same for a `streamlit run` started by hand in a checkout.
DEFAULTS: dict[str, str] = {
    "server.address": "127.0.0.1",
    "server.maxUploadSize": str(MAX_BIB_FILE_BYTES // MB),
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "viewer",
}


def dashboard_app() -> Path:
    """The dashboard's entry point, wherever the `dashboard` package is installed (a wheel's
    site-packages, or the source tree of an editable install)."""
    spec = importlib.util.find_spec("dashboard")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the dashboard package is not installed with tracker")
    return Path(spec.origin).resolve().parent / "app.py"


def given(args: list[str], option: str) -> bool:
    """Whether `args` set Streamlit's `option` (`--option value` or `--option=value`)."""
    flag = f"--{option}"
    return any(a == flag or a.startswith(flag + "=") for a in args)


def dashboard_command(args: list[str], *, streamlit: list[str] | None = None) -> list[str]:
    """`streamlit run <app.py>` with `DEFAULTS` for every option `args` leave out, then `args`.
    `streamlit` is how to call Streamlit (default: this interpreter's `-m streamlit`)."""
    command = [*(streamlit or [sys.executable, "-m", "streamlit"]), "run", str(dashboard_app())]
    for option, value in DEFAULTS.items():
        if not given(args, option):
            command += [f"--{option}", value]
    return command + args


def run_dashboard(args: list[str]) -> int:
    """Run the dashboard in the foreground until it stops (Ctrl-C stops it cleanly)."""
    try:
        return subprocess.run(dashboard_command(args), check=False).returncode
    except KeyboardInterrupt:
        return 0
