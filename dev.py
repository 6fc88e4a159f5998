#!/usr/bin/env python3
"""Set up and run Evidence Tracker with nothing installed but Python 3.11+.

    python3 dev.py run     create .venv, install, set up the database, open the dashboard
    python3 dev.py test    create .venv, install with the dev tools, run ruff, mypy and pytest

Everything after the verb is passed on: `python3 dev.py run --empty` starts on a database holding
only the article, `--examples` also loads the example articles; `python3 dev.py run
--server.address 0.0.0.0` opens the dashboard to the network (it listens on 127.0.0.1
otherwise); `python3 dev.py test -k bibtex` selects tests. The virtual environment is reinstalled
only when pyproject.toml or setup.py changes (an install with the dev tools serves `run` too).
`run` starts the dashboard as `tracker dashboard` does (tracker/serve.py).
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


#: What the install is made from: a change to either reinstalls.
BUILD_FILES = ("pyproject.toml", "setup.py")
#: The installs that include what each one needs: the dev extras include the base install.
INCLUDED_BY = {"": ("", "dev"), "dev": ("dev",)}


def _stamp(extras: str, digest: str) -> Path:
    return VENV / f".installed-{extras or 'base'}-{digest}"


def ensure_environment(extras: str) -> None:
    """Create .venv and install the project (editable) unless an install of this
    pyproject.toml and setup.py that includes `extras` is already there."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py must explain, not crash, on old Pythons
        sys.exit(f"Evidence Tracker needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in BUILD_FILES)
                            ).hexdigest()[:16]
    stamp = _stamp(extras, digest)
    if any(_stamp(wider, digest).exists() for wider in INCLUDED_BY.get(extras, (extras,))):
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
    try:
        return subprocess.run(streamlit_command(passthrough), cwd=ROOT).returncode
    except KeyboardInterrupt:
        return 0


def streamlit_command(args: list[str]) -> list[str]:
    """`tracker dashboard`: `streamlit run` for the dashboard, listening on 127.0.0.1 only
    unless `args` name another `--server.address` (tracker/serve.py has the defaults)."""
    return [str(BIN / "tracker"), "dashboard", *args]


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
