"""The README's command-line examples run as written, in order, on the database that
`python3 dev.py run` creates (everything shipped, loaded by `tracker bootstrap`, on SQLite).

An example is a line of a ```sh block that starts with `tracker ` (or `NAME=value tracker `);
lines for other programs (`python3 dev.py`, `.venv/bin/…` on a team's server) are not.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.conftest import ROOT, Backend
from tracker.cli import app

SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXAMPLE = re.compile(r"^(?:[A-Z_]+=\S+ )*tracker ")


def readme_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [line.strip() for block in SH_BLOCK.findall(text)
            for line in block.splitlines() if EXAMPLE.match(line.strip())]


def test_the_readme_has_examples_of_every_kind_of_command() -> None:
    examples = readme_examples()
    commands = set()
    for line in examples:
        words = [w for w in shlex.split(line, comments=True) if "=" not in w.split()[0]]
        commands.add(words[1])
    assert len(examples) > 30
    assert {"users", "link", "judge", "unlink", "flag", "resolve", "claim", "import-bib",
            "citations", "export", "backup", "restore", "review", "ingest"} <= commands


def test_every_readme_example_runs_as_written(sqlite_backend: Backend, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "tracker.db"
    shutil.copyfile(make_url(sqlite_backend.url("shipped")).database or "", database)
    shutil.copytree(ROOT / "references", tmp_path / "references")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for line in readme_examples():
        words = shlex.split(line, comments=True)
        env = {"TRACKER_DATABASE_URL": f"sqlite:///{database}", "TRACKER_USER": "",
               "TRACKER_TOKEN": ""}
        while "=" in words[0]:
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        assert words[0] == "tracker", line
        result = runner.invoke(app, words[1:], env=env, input="password-1\npassword-1\n")
        assert result.exit_code == 0, f"{line}\n{result.output}"
        assert "Traceback" not in result.output, line
    assert (tmp_path / "report.md").exists() and (tmp_path / "restored.db").exists()
