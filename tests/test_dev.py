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


def test_run_starts_the_dashboard_as_tracker_dashboard_does() -> None:
    """`python3 dev.py run` passes its arguments to `tracker dashboard` (tracker/serve.py: the
    defaults, 127.0.0.1 unless told otherwise, are tested in tests/test_wheel.py)."""
    dev = dev_script()
    command = dev.streamlit_command(["--server.address", "0.0.0.0"])
    assert command == [str(dev.BIN / "tracker"), "dashboard", "--server.address", "0.0.0.0"]
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
