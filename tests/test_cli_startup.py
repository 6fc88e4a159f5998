"""What the `tracker` command loads to run one command: only that command's module, and for a
read neither Alembic, bibtexparser, the services, the export formats nor Pydantic. A test of
what is imported, not of time (benchmarks/bench_cli.py measures the time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.main import get_command, get_command_name

from tests.conftest import cli_env
from tracker import cli

ROOT = Path(__file__).resolve().parents[1]

#: Runs `tracker ARGS` as the `tracker` script does (tracker.cli.main), or with every command
#: registered first (`tracker.cli.app`), and prints the names of the modules it imported, as
#: JSON, on the last line of stderr.
RUN_AND_LIST = """
import json, os, sys
from tracker import cli
sys.argv = ["tracker", *sys.argv[1:]]
try:
    cli.app(prog_name="tracker") if os.environ.get("EVERY_COMMAND") else cli.main()
finally:
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

#: Packages a read has no use for (alembic: migrations; bibtexparser and the formats: imports
#: and exports; pydantic: Typer's coercion of an option given a value).
NOT_FOR_A_READ = ("alembic", "bibtexparser", "pydantic", "rdflib", "fhir", "tracker.services",
                  "tracker.formats", "tracker.bibtex", "tracker.exports", "tracker.finder",
                  "tracker.grading", "tracker.backup")


def tracker(args: list[str], env: dict[str, str], *, every_command: bool = False
            ) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`tracker ARGS` in a process of its own (with `every_command` registered first, as
    before start-up was made lazy): the result, and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, *args], capture_output=True, text=True,
        cwd=ROOT, check=False,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
             **({"EVERY_COMMAND": "1"} if every_command else {}), **env})
    *_, modules = done.stderr.strip().splitlines()
    return done, json.loads(modules)


def loaded(modules: list[str], package: str) -> list[str]:
    return [m for m in modules if m == package or m.startswith(package + ".")]


def test_every_command_is_found_in_the_module_that_registers_it() -> None:
    registered = {}
    for info in cli.app.registered_commands:
        assert info.callback is not None
        name = info.name or get_command_name(info.callback.__name__)
        registered[name] = info.callback.__module__
    for group in cli.app.registered_groups:
        assert group.typer_instance is not None and group.name is not None
        modules = {c.callback.__module__ for c in group.typer_instance.registered_commands
                   if c.callback is not None}
        assert len(modules) == 1, group.name
        registered[group.name] = modules.pop()
    assert {name: f"tracker.cli.{module}" for name, module in cli.COMMANDS.items()} == registered
    assert set(cli.COMMANDS.values()) == set(cli.MODULES)
    command_files = {p.stem for p in (ROOT / "tracker" / "cli").glob("*.py")}
    shared = {"__init__", "__main__", "application", "options", "output", "session"}
    assert command_files - shared == set(cli.MODULES)


def test_tracker_help_lists_every_command_in_the_same_order(engine: Engine) -> None:
    done, modules = tracker(["--help"], cli_env(engine))
    assert done.returncode == 0, done.stderr
    assert done.stdout == tracker(["--help"], cli_env(engine), every_command=True)[0].stdout
    assert {f"tracker.cli.{m}" for m in cli.MODULES} <= set(modules)
    listed = get_command(cli.app).list_commands(None)  # type: ignore[attr-defined]
    assert set(listed) == set(cli.COMMANDS)


def test_a_read_imports_only_its_command_and_what_it_reads(article_engine: Engine) -> None:
    done, modules = tracker(["claims", "--json"], cli_env(article_engine))
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 63
    assert tracker(["claims", "--json"], cli_env(article_engine),
                   every_command=True)[0].stdout == done.stdout
    for package in NOT_FOR_A_READ:
        assert loaded(modules, package) == [], package
    assert loaded(modules, "tracker.cli") == [
        "tracker.cli", "tracker.cli.application", "tracker.cli.claims", "tracker.cli.options",
        "tracker.cli.output", "tracker.cli.session"]
    assert set(loaded(modules, "tracker.queries")) <= {
        "tracker.queries", "tracker.queries.claims", "tracker.queries.documents",
        "tracker.queries.statements"}


@pytest.mark.parametrize("args", [["claim", "--help"], ["claim", "show", "--help"]])
def test_a_group_s_help_is_the_same_from_the_command(engine: Engine, args: list[str]) -> None:
    done, _ = tracker(args, cli_env(engine))
    assert done.returncode == 0, done.stderr
    assert done.stdout == tracker(args, cli_env(engine), every_command=True)[0].stdout


def test_an_unknown_command_is_named_with_the_nearest_ones(engine: Engine) -> None:
    done, _ = tracker(["claimz"], cli_env(engine))
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        "error: No such command 'claimz'. Did you mean 'claim', 'claims'? "
        "(see `tracker --help`)")


def test_an_option_left_out_is_none_and_one_given_is_checked(article_engine: Engine) -> None:
    """Typer's coercion is built only for a value given (tracker.cli.application)."""
    env = cli_env(article_engine)
    done, modules = tracker(["claims", "--category", "nonsense"], env)
    assert done.returncode == 2
    assert "nonsense" in done.stderr.splitlines()[0]
    done, _ = tracker(["claims", "--json", "--category", "efficacy"], env)
    assert done.returncode == 0, done.stderr
    assert {c["category"] for c in json.loads(done.stdout)} == {"efficacy"}


def test_queries_names_are_the_functions_even_after_their_modules_load() -> None:
    """`queries.claims` is the read, not the module `tracker.queries.claims`, whichever is
    imported first (tracker/queries/__init__.py)."""
    code = ("import tracker.queries.evidence, tracker.queries.claims\n"
            "from tracker import queries\n"
            "assert callable(queries.claims) and callable(queries.evidence)\n"
            "assert queries.claims.__module__ == 'tracker.queries.claims'\n"
            "for name in queries.__all__: getattr(queries, name)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
