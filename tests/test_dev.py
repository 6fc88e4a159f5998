"""`python3 dev.py`: what it installs when, and how it starts the dashboard."""

from __future__ import annotations

import importlib.util
import subprocess
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT


def dev_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_after_test_does_not_reinstall(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    dev = dev_script()
    monkeypatch.setattr(dev, "VENV", tmp_path)
    installs: list[Any] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: installs.append(a))
    monkeypatch.setattr(dev.venv, "EnvBuilder", lambda **k: pytest.fail("recreated .venv"))
    (tmp_path / "bin").mkdir()
    monkeypatch.setattr(dev, "PYTHON", tmp_path / "bin" / "python")
    dev.PYTHON.touch()
    dev.ensure_environment("dev")  # `test`: installs the dev tools
    assert len(installs) == 2  # pip upgrade, then the project
    installs.clear()
    dev.ensure_environment("")  # `run` after `test`: the dev install includes it
    dev.ensure_environment("dev")
    assert installs == []
    for stamp in tmp_path.glob(".installed-dev-*"):
        stamp.unlink()
    dev.ensure_environment("dev")  # `test` after `run` alone would need the dev tools
    assert len(installs) == 2


def test_the_dashboard_listens_on_this_machine_unless_told_otherwise() -> None:
    dev = dev_script()
    command = dev.streamlit_command([])
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    opened = dev.streamlit_command(["--server.address", "0.0.0.0"])
    assert opened.count("--server.address") == 1 and opened[-1] == "0.0.0.0"
    assert dev.streamlit_command(["--server.address=10.0.0.5"]).count(
        "--server.address") == 0
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
