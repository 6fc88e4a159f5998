"""Shared fixtures: every database test runs on SQLite and, when TRACKER_TEST_POSTGRES_URL is
set, on PostgreSQL too. Databases are cloned from templates built once per run (a migrated
schema, the article loaded, everything shipped loaded), so each test starts clean and fast.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tracker import db
from tracker.config import load_settings
from tracker.services import users
from tracker.services.access import Actor, system_actor
from tracker.services.setup import bootstrap
from tracker.vocabulary import Role

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ARTICLE = ROOT / "references" / "ketamine-therapy-for-pain-management.txt"
#: The seed article's slug: `tracker bootstrap --examples` also loads the example articles of
#: references/examples/, so tests of the shipped review name the seed document.
SEED = "ketamine-therapy-for-pain-management"
POSTGRES_URL = load_settings().test_postgres_url
NO_POSTGRES = (
    "PostgreSQL not tested: set TRACKER_TEST_POSTGRES_URL (e.g. "
    "postgresql://postgres@127.0.0.1:5432/test) to run the same tests on PostgreSQL; "
    ".ci/run sets it"
)

# --- run length: `--long` (python3 dev.py test --long) for the fuzz and concurrency runs --------

_LONG = False
hypothesis_settings.register_profile("long", max_examples=5000, deadline=None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long", action="store_true", default=False,
        help="run the fuzz, concurrency and fault tests for minutes instead of seconds "
             "(many more Hypothesis examples, longer writer runs, more kills)")


def pytest_configure(config: pytest.Config) -> None:
    global _LONG
    _LONG = bool(config.getoption("--long"))
    if _LONG:
        hypothesis_settings.load_profile("long")


def scaled(short: int, long: int) -> int:
    """`short` in a normal run (CI), `long` with `--long`: Hypothesis example counts, seconds
    of concurrent writing, number of kills."""
    return long if _LONG else short


def synth() -> ModuleType:
    """benchmarks/synth/ (a package beside the benchmark scripts, not installed): the
    benchmarks' workload generator, for synthetic desks and large BibTeX files."""
    if "synth" not in sys.modules:
        package = ROOT / "benchmarks" / "synth"
        spec = importlib.util.spec_from_file_location(
            "synth", package / "__init__.py", submodule_search_locations=[str(package)])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["synth"] = module
        spec.loader.exec_module(module)
    return sys.modules["synth"]


@pytest.fixture
def quiet_bibtexparser() -> Iterator[None]:
    """bibtexparser logs a warning per failed block; the problems list is what tests assert.
    (Use with `pytestmark = pytest.mark.usefixtures("quiet_bibtexparser")`.)"""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


TEMPLATES: dict[str, Callable[[Engine], None]] = {
    "schema": lambda engine: db.migrate(engine),
    "article": lambda engine: bootstrap(engine, empty=True) and None,
    "shipped": lambda engine: bootstrap(engine) and None,
}


@dataclass
class Backend:
    """Makes throw-away databases of one kind, cloned from per-run templates."""

    name: str
    workdir: Path
    admin_url: str | None = None
    made: list[str] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)

    def _template(self, kind: str) -> str:
        if kind not in self.templates:
            url = self._empty(f"tmpl_{kind}")
            engine = db.make_engine(url)
            TEMPLATES[kind](engine)
            engine.dispose()
            self.templates[kind] = url
        return self.templates[kind]

    def _empty(self, label: str) -> str:
        name = f"tracker_test_{label}_{uuid.uuid4().hex[:8]}"
        if self.name == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.db')}"
        assert self.admin_url is not None
        with self._admin() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def url(self, kind: str | None) -> str:
        if kind is None:
            return self._empty("blank")
        template = self._template(kind)
        name = f"tracker_test_{kind}_{uuid.uuid4().hex[:8]}"
        if self.name == "sqlite":
            target = self.workdir / (name + ".db")
            shutil.copyfile(make_url(template).database or "", target)
            return f"sqlite:///{target}"
        with self._admin() as conn:
            source = make_url(template).database
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        self.made.append(name)
        return make_url(self.admin_url or "").set(database=name).render_as_string(
            hide_password=False)

    def _admin(self):  # type: ignore[no-untyped-def]
        engine = create_engine(
            db.parse_url(self.admin_url or ""), isolation_level="AUTOCOMMIT", poolclass=None
        )
        return engine.connect()

    def drop(self, url: str) -> None:
        """Drop one test's database as soon as the test is done: dropping hundreds at the end
        of a run took minutes (and once passed the timeout of the test it ran under)."""
        if self.name != "postgresql":
            return
        name = make_url(url).database
        if name in self.made and name not in {make_url(t).database
                                               for t in self.templates.values()}:
            with self._admin() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.made.remove(name)

    def cleanup(self) -> None:
        if self.name != "postgresql" or not self.made:
            return
        with self._admin() as conn:
            for name in reversed(self.made):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield Backend("sqlite", tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgresql_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    backend = Backend("postgresql", tmp_path_factory.mktemp("pg"), admin_url=POSTGRES_URL)
    yield backend
    backend.cleanup()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.getfixturevalue(f"{request.param}_backend")  # type: ignore[no-any-return]


def _engine_for(backend: Backend, kind: str | None) -> Iterator[Engine]:
    url = backend.url(kind)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()
    backend.drop(url)


@pytest.fixture
def blank_engine(backend: Backend) -> Iterator[Engine]:
    """An empty database (no schema)."""
    yield from _engine_for(backend, None)


@pytest.fixture
def engine(backend: Backend) -> Iterator[Engine]:
    """A migrated, empty database."""
    yield from _engine_for(backend, "schema")


@pytest.fixture
def article_engine(backend: Backend) -> Iterator[Engine]:
    """The shipped article ingested, nothing else (`tracker bootstrap --empty`)."""
    yield from _engine_for(backend, "article")


@pytest.fixture
def shipped_engine(backend: Backend) -> Iterator[Engine]:
    """Everything the product ships loaded (`tracker bootstrap`)."""
    yield from _engine_for(backend, "shipped")


@pytest.fixture
def library(article_engine: Engine) -> Engine:
    """The article plus the curated library (no review links yet)."""
    from tracker import bibtex
    from tracker.services import citations

    text, _ = bibtex.read_bib_file(ROOT / "references" / "library.bib")
    with db.writing(article_engine) as session:
        citations.import_bibtex(session, system_actor(session), [("library.bib", text)])
    return article_engine


@pytest.fixture
def make_actor() -> Callable[[Engine, Role], Actor]:
    """Create a user with the given role (password 'password-1') and return it as an actor."""

    def make(engine: Engine, role: Role) -> Actor:
        with db.writing(engine) as session:
            admin = system_actor(session)
            name = f"{role.value}-{uuid.uuid4().hex[:6]}"
            info = users.add_user(session, admin, name, role, "password-1")
            return Actor(id=info.id, username=info.username, role=role)

    return make


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., object]]:
    """Start the dashboard (AppTest) on a database, optionally signed in, on one page:
    `open_app(engine, page="overview", actor=None)` (tests/helpers_dashboard.py)."""
    from tests import helpers_dashboard  # Streamlit only for the tests that drive it

    def start(engine: Engine, page: str = "overview", actor: Actor | None = None) -> object:
        return helpers_dashboard.start(monkeypatch, engine, page, actor)

    yield start
    helpers_dashboard.clear_caches()


def cli_env(engine: Engine, username: str | None = None) -> dict[str, str]:
    """The environment of a `tracker` command on `engine` acting as `username`: on SQLite
    TRACKER_USER names it; on PostgreSQL, where a command-line write must prove who it acts
    for, a freshly issued token goes in TRACKER_TOKEN too (revoking the user's earlier one)."""
    env = {"TRACKER_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    if username:
        env["TRACKER_USER"] = username
        if not db.is_sqlite(engine):
            with db.writing(engine) as session:
                env["TRACKER_TOKEN"] = users.issue_token(session, system_actor(session),
                                                         username)
    return env


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s
