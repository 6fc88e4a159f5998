"""The benchmark databases: synthetic desks built by `synth` at a size and reused while
what decides their content is unchanged (the checksum), and what the benchmarks look up in
them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import synth
from sqlalchemy import Engine, create_engine, func, select, text

from tracker import db
from tracker.models import Claim, Document, User
from tracker.services.access import Actor
from tracker.vocabulary import Role

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "var" / "bench"
CHECKSUMMED = ("benchmarks/synth", "tracker/models", "tracker/grading", "tracker/article",
               "tracker/topics", "tracker/bibtex", "tracker/finder/index")  # module or package


def say(line: str = "") -> None:
    print(line, flush=True)


def checksum(size: str, seed: int, *, schema: bool = True) -> str:
    """What decides a built file's content: the generator and, for a database, the schema,
    the migrations and the rules that derive stored values."""
    digest = hashlib.sha256(f"{size}:{seed}".encode())
    files = [f for name in (CHECKSUMMED if schema else CHECKSUMMED[:1]) for f in _sources(name)]
    if schema:
        files += sorted((ROOT / "migrations" / "versions").glob("*.py"))
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _sources(name: str) -> list[Path]:
    """The file of module `name` (a path without .py), or every .py file of the package."""
    module = ROOT / f"{name}.py"
    return [module] if module.is_file() else sorted((ROOT / name).glob("*.py"))


@dataclass(slots=True)
class Built:
    """A benchmark database: its URL, what `synth.create` reported when it was built, and
    whether this run reused it."""

    size: str
    backend: str
    url: str
    summary: dict[str, Any]
    reused: bool


def _admin(postgres: str) -> Engine:
    return create_engine(db.parse_url(postgres), isolation_level="AUTOCOMMIT")


def database(size: str, backend: str, postgres: str | None, seed: int, rebuild: bool) -> Built:
    """The benchmark database of a size on a backend: reused when built for the same checksum,
    else built (and older builds of that size removed)."""
    tag = checksum(size, seed)
    sidecar = BENCH / f"{size}-{tag}.{backend}.json"
    if backend == "sqlite":
        path = BENCH / f"{size}-{tag}.db"
        url = f"sqlite:///{path}"
        exists = path.exists()
    else:
        assert postgres is not None
        name = f"tracker_bench_{size.lower()}_{tag}"
        url = db.parse_url(postgres).set(database=name).render_as_string(hide_password=False)
        admin = _admin(postgres)
        with admin.connect() as conn:
            exists = bool(conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                       {"n": name}).scalar())
        admin.dispose()
    if exists and sidecar.exists() and not rebuild:
        return Built(size, backend, url, json.loads(sidecar.read_text()), reused=True)
    say(f"building {size} on {backend} (benchmarks/synth/) …")
    _remove_builds(size, backend, postgres)
    BENCH.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        partial = BENCH / f"{size}-{tag}.partial.db"
        for leftover in BENCH.glob(f"{size}-{tag}.partial.db*"):
            leftover.unlink()
        summary = synth.create(f"sqlite:///{partial}", synth.SIZES[size], seed=seed,
                               progress=say)
        partial.rename(BENCH / f"{size}-{tag}.db")
    else:
        admin = _admin(postgres or "")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        summary = synth.create(url, synth.SIZES[size], seed=seed, progress=say)
    sidecar.write_text(json.dumps(summary, indent=2))
    say(f"built {size} on {backend} in {summary['total_s']} s "
        f"(generate {summary['generate_s']} s, write {summary['write_s']} s)")
    return Built(size, backend, url, summary, reused=False)


def _remove_builds(size: str, backend: str, postgres: str | None) -> None:
    for sidecar in BENCH.glob(f"{size}-*.{backend}.json"):
        sidecar.unlink()
    if backend == "sqlite":
        for old in BENCH.glob(f"{size}-*.db*"):
            old.unlink()
        return
    admin = _admin(postgres or "")
    with admin.connect() as conn:
        names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                             {"p": f"tracker_bench_{size.lower()}_%"}).scalars().all()
        for old in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
    admin.dispose()


def largest_document(engine: Engine) -> tuple[int, str]:
    with db.reading(engine) as session:
        row = session.execute(
            select(Document.id, Document.slug).join(Claim, Claim.document_id == Document.id)
            .group_by(Document.id, Document.slug).order_by(func.count().desc(), Document.id)
            .limit(1)).one()
    return int(row[0]), str(row[1])


def editor_of(engine: Engine) -> Actor:
    with db.reading(engine) as session:
        user = session.scalars(select(User).where(User.role == Role.EDITOR.value,
                                                  User.active.is_(True)).order_by(User.id)
                               ).first()
        assert user is not None, "the benchmark database has no editor"
        return Actor.of(user)

