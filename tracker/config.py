"""Settings from the environment. This is the only module that reads `os.environ`.

- `TRACKER_DATABASE_URL`: where the data lives. PostgreSQL URLs (`postgresql://…`) use
  psycopg 3. Default: the SQLite file `tracker.db` in the user's data directory
  (`default_database_path`), wherever the command is typed.
- `TRACKER_USER`: the user the CLI acts as when `--as` is not given.
- `TRACKER_TOKEN`: the command-line token (issued by `tracker users token NAME`) that proves
  who a CLI write acts for; required for writes to PostgreSQL unless a password is typed.
- `TRACKER_ORGANISATION`, `TRACKER_ORGANISATION_URL`: the fact-checking organisation named as
  the author of the ClaimReview markup (`tracker claimreview`), and its web address.
- `TRACKER_REVIEW_URL`: where each claim's review is published, a template with `{base}` (the
  organisation's URL), `{document}` (the slug) and `{claim}` (the claim's number). Default:
  `{base}/{document}#claim-{claim}`.
- `TRACKER_TEST_POSTGRES_URL`: tests only; when set, the suite also runs against that server.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_DIRECTORY = "evidence-tracker"
DEFAULT_REVIEW_URL = "{base}/{document}#claim-{claim}"
DATABASE_FILE = "tracker.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    user: str | None = None
    token: str | None = None
    test_postgres_url: str | None = None
    organisation: str | None = None
    organisation_url: str | None = None
    review_url: str = DEFAULT_REVIEW_URL


def data_directory(env: Mapping[str, str], platform: str = sys.platform) -> Path:
    """The user's data directory for the tracker, independent of the working directory:
    `$XDG_DATA_HOME/evidence-tracker` (default `~/.local/share/evidence-tracker`) on Linux
    and other Unixes, `~/Library/Application Support/evidence-tracker` on macOS,
    `%LOCALAPPDATA%\\evidence-tracker` on Windows."""
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Application Support" / APP_DIRECTORY
    if platform.startswith(("win32", "cygwin")):
        local = env.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / APP_DIRECTORY
    xdg = env.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / APP_DIRECTORY


def default_database_path(env: Mapping[str, str] | None = None,
                          platform: str = sys.platform) -> Path:
    """Where the default SQLite database lives: `tracker.db` in `data_directory`."""
    return data_directory(os.environ if env is None else env, platform) / DATABASE_FILE


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    return f"sqlite:///{default_database_path(env)}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        database_url=env.get("TRACKER_DATABASE_URL") or default_database_url(env),
        user=env.get("TRACKER_USER") or None,
        token=(env.get("TRACKER_TOKEN") or "").strip() or None,
        test_postgres_url=env.get("TRACKER_TEST_POSTGRES_URL") or None,
        organisation=(env.get("TRACKER_ORGANISATION") or "").strip() or None,
        organisation_url=(env.get("TRACKER_ORGANISATION_URL") or "").strip() or None,
        review_url=(env.get("TRACKER_REVIEW_URL") or "").strip() or DEFAULT_REVIEW_URL,
    )
