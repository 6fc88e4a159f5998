"""Engine set-up, configuration and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.conftest import ROOT
from tracker import db
from tracker.cli import app
from tracker.config import default_database_path, load_settings
from tracker.errors import ConfigurationError


def test_the_default_database_is_in_the_users_data_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = {"HOME": "/home/ada"}
    assert default_database_path(home, "linux") == Path(
        "/home/ada/.local/share/evidence-tracker/tracker.db")
    assert default_database_path({**home, "XDG_DATA_HOME": "/data"}, "linux") == Path(
        "/data/evidence-tracker/tracker.db")
    assert default_database_path({**home, "XDG_DATA_HOME": "relative"}, "linux") == Path(
        "/home/ada/.local/share/evidence-tracker/tracker.db"), "XDG: relative paths ignored"
    assert default_database_path(home, "darwin") == Path(
        "/home/ada/Library/Application Support/evidence-tracker/tracker.db")
    assert default_database_path({"LOCALAPPDATA": "C:/Users/ada/AppData/Local"}, "win32") == \
        Path("C:/Users/ada/AppData/Local/evidence-tracker/tracker.db")
    environment = {"HOME": str(tmp_path), "XDG_DATA_HOME": ""}
    urls = set()
    for where in (tmp_path, tmp_path / "elsewhere"):
        where.mkdir(exist_ok=True)
        monkeypatch.chdir(where)
        urls.add(load_settings(environment).database_url)
    assert urls == {f"sqlite:///{tmp_path}/.local/share/evidence-tracker/tracker.db"}, \
        "the working directory does not matter"
    assert load_settings({"TRACKER_DATABASE_URL": "sqlite:///x.db"}).database_url == "sqlite:///x.db"


def test_a_read_never_creates_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "data" / "tracker.db"
    for args in (["claims"], ["documents", "--json"], ["users", "list"], ["flag", "1",
                 "--kind", "other", "--reason", "r", "--as", "ada"]):
        result = CliRunner().invoke(app, args, env={
            "TRACKER_DATABASE_URL": f"sqlite:///{missing}", "TRACKER_TOKEN": ""})
        assert result.exit_code == ConfigurationError.exit_code, result.output
        assert result.output.strip() == (f"error: no database at {missing}; create it with "
                                         "`tracker bootstrap` (or point TRACKER_DATABASE_URL "
                                         "at an existing one)")
        assert not missing.parent.exists(), "neither the file nor its directory"
    with pytest.raises(ConfigurationError, match="tracker bootstrap"):
        db.make_engine(f"sqlite:///{missing}", create=False)
    created = CliRunner().invoke(app, ["init"], env={
        "TRACKER_DATABASE_URL": f"sqlite:///{missing}"})
    assert created.exit_code == 0 and missing.exists(), created.output


def test_an_uncreatable_database_path_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    result = CliRunner().invoke(app, ["init"], env={
        "TRACKER_DATABASE_URL": f"sqlite:///{blocker}/sub/tracker.db"})
    assert result.exit_code == ConfigurationError.exit_code
    assert result.output.startswith("error: cannot create the database's directory")
    assert len(result.output.strip().splitlines()) == 1
    folder = CliRunner().invoke(app, ["claims"], env={
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path}"})
    assert folder.exit_code == ConfigurationError.exit_code
    assert "is a directory, not a database file" in folder.output


def test_a_read_only_sqlite_database_can_be_read(sqlite_backend: Any, tmp_path: Path) -> None:
    """The file (and its directory) belong to someone else and may not be written: reads
    work; a write is one line. (As root, the command runs as `nobody`, for whom the mode
    bits hold.)"""
    folder = Path(tempfile.mkdtemp(prefix="tracker-read-only-"))
    try:
        database = folder / "tracker.db"
        shutil.copyfile(make_url(sqlite_backend.url("article")).database or "", database)
        database.chmod(0o444)
        folder.chmod(0o555)
        as_other = {"user": "nobody"} if os.geteuid() == 0 else {}
        env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{database}",
               "TRACKER_USER": "", "TRACKER_TOKEN": ""}
        tracker = str(Path(sys.executable).with_name("tracker"))
        read = subprocess.run([tracker, "documents", "--json"], env=env, capture_output=True,
                              text=True, check=False, **as_other)  # type: ignore[call-overload]
        assert read.returncode == 0, read.stderr
        assert json.loads(read.stdout)[0]["claims"] == 63
        write = subprocess.run([tracker, "users", "add", "ada", "--role", "admin",
                                "--password", "password-1"], env=env, capture_output=True,
                               text=True, check=False, **as_other)  # type: ignore[call-overload]
        assert write.returncode != 0 and "Traceback" not in write.stderr
        assert len(write.stderr.strip().splitlines()) == 1, write.stderr
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


@pytest.mark.parametrize("url", ["not a url", "mysql://x/y", "sqlite+nodriver:///x.db"])
def test_bad_database_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="bad database URL"):
        db.make_engine(url)


def test_postgres_url_uses_psycopg3() -> None:
    assert db.parse_url("postgresql://u@h/d").drivername == "postgresql+psycopg"


def test_sqlite_file_gets_pragmas_and_its_directory(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path}/deep/var/t.db")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.SQLITE_BUSY_TIMEOUT_MS
    assert (tmp_path / "deep" / "var" / "t.db").exists()
    engine.dispose()


def test_migrations_upgrade_downgrade_upgrade(blank_engine: Engine) -> None:
    db.migrate(blank_engine)
    tables = set(inspect(blank_engine).get_table_names())
    assert {"documents", "sections", "claims", "users", "audit_events"} <= tables
    db.migrate(blank_engine)  # idempotent
    db.downgrade(blank_engine, "base")
    assert set(inspect(blank_engine).get_table_names()) <= {"alembic_version"}
    db.migrate(blank_engine)
    assert {"documents", "claims"} <= set(inspect(blank_engine).get_table_names())


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    """`alembic check`: autogenerate finds nothing to add on a migrated database."""
    with engine.begin() as connection:
        command.check(db.alembic_config(connection=connection))


def test_single_head() -> None:
    script = ScriptDirectory.from_config(db.alembic_config())
    assert len(script.get_heads()) == 1


def test_a_downgrade_that_would_delete_data_is_refused_unless_forced(
        shipped_engine: Engine) -> None:
    def rows() -> int:
        with shipped_engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM claims")).scalar() or 0)

    held = rows()
    assert held > 60
    env = {**os.environ, "TRACKER_DATABASE_URL": shipped_engine.url.render_as_string(
        hide_password=False)}
    alembic = [str(Path(sys.executable).with_name("alembic")), "-c", str(ROOT / "alembic.ini")]
    refused = subprocess.run([*alembic, "downgrade", "base"], env=env, capture_output=True,
                             text=True, check=False, cwd=ROOT)
    assert refused.returncode != 0
    said = refused.stdout + refused.stderr
    failed = [line for line in said.splitlines() if line.startswith("FAILED")]
    assert failed and failed[0].startswith("FAILED: refusing to downgrade: it would delete "
                                           "table ") and "-x force=yes" in failed[0]
    assert "Traceback" not in said
    assert rows() == held and "claims" in inspect(shipped_engine).get_table_names()
    with pytest.raises(CommandError, match="refusing to downgrade"):
        db.downgrade(shipped_engine, "base")
    assert rows() == held
    forced = subprocess.run([*alembic, "-x", "force=yes", "downgrade", "base"], env=env,
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert forced.returncode == 0, forced.stderr
    assert set(inspect(shipped_engine).get_table_names()) <= {"alembic_version"}
