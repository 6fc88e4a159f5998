"""Engine set-up, configuration and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from tracker import db
from tracker.config import default_database_url, load_settings
from tracker.errors import ConfigurationError


def test_settings_default_is_sqlite_under_var(tmp_path: Path) -> None:
    assert default_database_url(tmp_path) == f"sqlite:///{tmp_path}/var/tracker.db"
    settings = load_settings({})
    assert settings.database_url.endswith("/var/tracker.db")
    assert load_settings({"TRACKER_DATABASE_URL": "sqlite:///x.db"}).database_url == "sqlite:///x.db"


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
