"""Settings from the environment. This is the only module that reads `os.environ`.

- `TRACKER_DATABASE_URL`: where the data lives. Default: a SQLite file `var/tracker.db` under the
  current working directory. PostgreSQL URLs (`postgresql://…`) use psycopg 3.
- `TRACKER_USER`: the user the CLI acts as when `--as` is not given.
- `TRACKER_TOKEN`: the command-line token (issued by `tracker users token NAME`) that proves
  who a CLI write acts for; required for writes to PostgreSQL unless a password is typed.
- `TRACKER_TEST_POSTGRES_URL`: tests only; when set, the suite also runs against that server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_FILE = Path("var") / "tracker.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    user: str | None = None
    token: str | None = None
    test_postgres_url: str | None = None


def default_database_url(cwd: Path | None = None) -> str:
    """The embedded default: `<cwd>/var/tracker.db`."""
    path = (cwd or Path.cwd()) / DEFAULT_DATABASE_FILE
    return f"sqlite:///{path}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        database_url=env.get("TRACKER_DATABASE_URL") or default_database_url(),
        user=env.get("TRACKER_USER") or None,
        token=(env.get("TRACKER_TOKEN") or "").strip() or None,
        test_postgres_url=env.get("TRACKER_TEST_POSTGRES_URL") or None,
    )
