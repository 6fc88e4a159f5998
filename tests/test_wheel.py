"""The wheel, installed (not editable) into a fresh virtual environment, runs `tracker
bootstrap` and the dashboard from a folder outside the repository: migrations, the shipped
references and the dashboard come from the install, not from the source tree.

A normal run installs only the wheel (`--no-deps`) and lends the new environment the
dependencies this test run already has (a `.pth` line naming their site-packages; the editable
install there is not activated, as `.pth` files of a folder added that way are not read), so it
needs no index and takes seconds; `--long` installs the wheel with its dependencies from the
package index, as a user's `pip install` does. Whether the dependencies are declared exactly
(everything imported, nothing else, lower bounds at or below the versions tested) is checked
from the sources and the metadata: `test_dependencies_are_what_the_code_imports`.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, scaled
from tracker import serve

#: What a wheel is built from (a copy: an in-tree build leaves `build/` behind, whose stale
#: files a later build would pack).
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "LICENSE",
                "tracker", "dashboard", "migrations", "references")
#: Imported by the product, provided by another distribution than its name says, or loaded
#: without an import statement.
DISTRIBUTION_OF = {"argon2": "argon2-cffi", "fhir": "fhir.resources", "sqlalchemy": "SQLAlchemy"}
#: Declared though no import statement names them, and why.
DECLARED_UNIMPORTED = {"psycopg": "SQLAlchemy loads it for postgresql:// URLs"}
#: Imported only as a fallback for older versions of a declared dependency.
FALLBACKS = {"click": "tracker/cli.py: Typer before it vendored Click"}
START_TIMEOUT = 90  # seconds for the dashboard to answer, on a loaded two-core machine


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_distributions() -> set[str]:
    """The third-party distributions `import` statements of tracker/, dashboard/ and
    migrations/ name (standard library and our own packages left out)."""
    ours = {"tracker", "dashboard"}
    modules: set[str] = set()
    for folder in ("tracker", "dashboard", "migrations"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    modules -= ours | set(sys.stdlib_module_names) | set(FALLBACKS)
    return {_canonical(DISTRIBUTION_OF.get(m, m)) for m in modules}


def test_dependencies_are_what_the_code_imports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_canonical(_name(r)): r for r in project["dependencies"]}
    imported = _imported_distributions()
    assert imported - set(declared) == set(), "imported but not declared"
    assert set(declared) - imported - set(DECLARED_UNIMPORTED) == set(), "declared, not imported"
    for name, requirement in declared.items():
        lower = re.search(r">=\s*([\w.]+)", requirement)
        assert lower is not None, f"{requirement}: no lower bound"
        tested = importlib.metadata.version(name)
        assert _version(lower.group(1)) <= _version(tested), (
            f"{requirement}: the lower bound is above the version tested ({tested})")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_the_dashboard_defaults_are_the_checkouts_streamlit_settings() -> None:
    """`tracker dashboard` passes what `.streamlit/config.toml` sets for a checkout, so an
    install from a wheel (no such file beside it) runs the same dashboard."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    flat = {f"{section}.{key}": value for section, options in config.items()
            for key, value in options.items()}
    assert {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in flat.items()} == (
        serve.DEFAULTS)


def test_the_dashboard_listens_on_this_machine_unless_told_otherwise() -> None:
    command = serve.dashboard_command([])
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("run") + 1] == str(ROOT / "dashboard" / "app.py")
    opened = serve.dashboard_command(["--server.address", "0.0.0.0"])
    assert opened.count("--server.address") == 1 and opened[-1] == "0.0.0.0"
    assert serve.dashboard_command(["--server.address=10.0.0.5"]).count("--server.address") == 0
    assert serve.dashboard_command(["--server.port", "8600"])[-2:] == ["--server.port", "8600"]


# --- the wheel ------------------------------------------------------------------------------


def _run(command: list[str], **options: object) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          **options)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return str(done.stdout)


def _build_wheel(work: Path) -> Path:
    source = work / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "--wheel-dir", str(work / "dist"), str(source)])
    [wheel] = (work / "dist").glob("evidence_tracker-*.whl")
    return wheel


def _install(wheel: Path, target: Path, *, with_dependencies: bool) -> Path:
    """A fresh virtual environment holding the wheel; returns its bin folder."""
    venv.EnvBuilder(with_pip=with_dependencies).create(target)
    bin_dir = target / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    if with_dependencies:
        _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)])
        return bin_dir
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                      "['purelib'])"]).strip())
    lent = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "lent-dependencies.pth").write_text("\n".join(sorted(lent)) + "\n",
                                                 encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
          "--no-deps", "--no-index", "--ignore-installed", str(wheel)])
    return bin_dir


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(bin folder of a fresh environment holding the wheel, a folder outside the repository)."""
    work = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(work)
    bin_dir = _install(wheel, work / "venv", with_dependencies=bool(scaled(0, 1)))
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    yield bin_dir, elsewhere


def _env(elsewhere: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TRACKER_"))}
    return {**env, "TRACKER_DATABASE_URL": f"sqlite:///{elsewhere / 'tracker.db'}",
            "HOME": str(elsewhere)}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return int(response.status), response.read().decode("utf-8", "replace")


def _wait_for(url: str, server: subprocess.Popen[str]) -> tuple[int, str]:
    """Poll `url` until it answers (the server prints nothing we could wait on reliably)."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return _get(url)
        except OSError:
            if server.poll() is not None:
                output = server.stdout.read() if server.stdout else ""
                pytest.fail(f"the dashboard exited ({server.returncode}):\n{output}")
            if time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not answer {url} in {START_TIMEOUT} s")
            time.sleep(0.2)


@pytest.mark.slow
def test_the_installed_wheel_bootstraps_and_serves_the_dashboard(
        installed: tuple[Path, Path]) -> None:
    bin_dir, elsewhere = installed
    env = _env(elsewhere)
    python = str(bin_dir / "python")
    where = _run([python, "-c", "import dashboard, tracker.shipped as s; "
                  "print(s.folder('migrations')); print(s.folder('references')); "
                  "print(dashboard.__file__)"], cwd=elsewhere, env=env).split()
    assert all(Path(p).is_relative_to(bin_dir.parent) for p in where), where

    output = _run([str(bin_dir / "tracker"), "bootstrap"], cwd=elsewhere, env=env)
    assert "database: sqlite:///" in output and "library" in output, output
    claims = _run([str(bin_dir / "tracker"), "claims", "--json"], cwd=elsewhere, env=env)
    assert claims.count('"id"') >= 60  # the shipped article's claims

    # The installed app.py renders its pages (AppTest runs the script as Streamlit would).
    _run([python, "-c", "from streamlit.testing.v1 import AppTest; from tracker import serve; "
          "at = AppTest.from_file(str(serve.dashboard_app()), default_timeout=120).run(); "
          "assert not at.exception, [e.value for e in at.exception]; "
          "assert at.title or at.markdown"], cwd=elsewhere, env=env)

    port = _free_port()
    server = subprocess.Popen(
        [str(bin_dir / "tracker"), "dashboard", "--server.headless", "true",
         "--server.port", str(port)],
        cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)  # its own process group: `tracker` and the Streamlit it runs
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait_for(f"{base}/_stcore/health", server) == (200, "ok")
        status, page = _get(base + "/")
        assert status == 200 and "<title>" in page and "streamlit" in page.lower()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
