#!/usr/bin/env python3
"""Set up and run Evidence Tracker with nothing installed but Python 3.11+.

    python3 dev.py run     create .venv, install, set up the database, open the dashboard
    python3 dev.py test    create .venv, install with the dev tools, run ruff, mypy and pytest

Everything after the verb is passed on: `python3 dev.py run --empty` starts on a database holding
only the article, `--examples` also loads the example articles; `python3 dev.py test -k bibtex`
selects tests. The virtual environment is reinstalled only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_environment(extras: str) -> None:
    """Create .venv and install the project (editable) unless it is already current."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py must explain, not crash, on old Pythons
        sys.exit(f"Evidence Tracker needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extras or 'base'}-{digest}"
    if stamp.exists():
        return
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    spec = f".[{extras}]" if extras else "."
    print(f"Installing {spec} into .venv ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([*pip, "install", "--quiet", "-e", spec], check=True, cwd=ROOT)
    for old in VENV.glob(f".installed-{extras or 'base'}-*"):
        old.unlink()
    stamp.touch()


def run(args: list[str]) -> int:
    ensure_environment("")
    ours = [a for a in args if a in ("--empty", "--examples")]
    passthrough = [a for a in args if a not in ours]
    bootstrap = [str(BIN / "tracker"), "bootstrap", *ours]
    if subprocess.run(bootstrap, cwd=ROOT).returncode != 0:
        return 1
    streamlit = [
        str(BIN / "streamlit"), "run", str(ROOT / "dashboard" / "app.py"),
        "--browser.gatherUsageStats", "false", *passthrough,
    ]
    try:
        return subprocess.run(streamlit, cwd=ROOT).returncode
    except KeyboardInterrupt:
        return 0


def test(args: list[str]) -> int:
    ensure_environment("dev")
    steps = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "mypy")],
        [str(PYTHON), "-m", "pytest", *args],
    ]
    for step in steps:
        print("$", " ".join(Path(step[0]).name if i == 0 else s for i, s in enumerate(step)),
              flush=True)
        code = subprocess.run(step, cwd=ROOT).returncode
        if code != 0:
            return code
    return 0


def main() -> int:
    verbs = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in verbs:
        print(__doc__)
        return 2
    return verbs[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
