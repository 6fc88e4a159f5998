"""No secret in the repository: the scan of every tracked file, and the scan's own cases.

The rule: no tracked file may hold a private key, a known token format, a database URL with a
password, a `secrets.toml`/`.env`/key file, or a password/secret/token assignment with a
literal value in configuration (TOML, INI, YAML, JSON, .env) or product code (tracker/,
dashboard/, migrations/, dev.py, setup.py; Python is read with `ast`: assignments, keyword
arguments, dict entries). Tests and benchmarks may hold passwords of the throw-away accounts
they create, as long as they read as such: a value that says so ("password-1",
"synthetic-password") or a human-readable phrase ("correct horse ☃ battery") passes; a value
that looks generated — 16 or more characters without a space and with the character spread
of a random token (over 3.5 bits each) — fails unless it says so, because that is what a real
credential pasted into a test looks like. Documentation may show placeholder settings (e.g.
`client_secret = "…"` in docs/deployment.md) but no key, token or password URL.
"""

from __future__ import annotations

import ast
import math
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

SECRET_FILES = re.compile(r"(^|/)(secrets\.toml|\.env(\..*)?|id_[rd]sa[^/]*|[^/]+\.(pem|key|p12|"
                          r"pfx|keystore|jks))$")
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----")
TOKENS = re.compile(
    r"AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}"  # GitHub tokens
    r"|xox[abpors]-[A-Za-z0-9-]{10,}"  # Slack
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
    r"|sk_live_[0-9A-Za-z]{16,}"  # Stripe
    r"|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")  # a JWT
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^@\s/'\"]+)@")
SECRET_NAME = re.compile(r"(?i)password|passwd|secret|token|api_?key")
ASSIGNMENT = re.compile(  # in configuration files: name = "value", name: "value", "name": "v"
    r"""(?ix)\b(?P<name>[a-z_]*(password|passwd|secret|token|api_?key)[a-z_]*)["']?\s*[:=]\s*"""
    r"""(["'])(?P<value>[^"'\n]*)\3""")
CONFIG = {".toml", ".ini", ".cfg", ".yaml", ".yml", ".json", ".env", ".conf"}
PRODUCT = ("tracker/", "dashboard/", "migrations/", "dev.py", "setup.py")
THROWAWAY = ("tests/", "benchmarks/")
MARKED = re.compile(r"(?i)password|synthetic|test")
GENERATED_LENGTH, GENERATED_BITS = 16, 3.5
PLACEHOLDER = re.compile(r"^(|…|\.\.\.|<[^>]*>|\$\{[^}]*\}|changeme|\*+)$")


def looks_generated(value: str) -> bool:
    """A long, space-free string with a random token's spread of characters."""
    if len(value) < GENERATED_LENGTH or any(c.isspace() for c in value):
        return False
    counts = [value.count(c) / len(value) for c in set(value)]
    return -sum(p * math.log2(p) for p in counts) > GENERATED_BITS


def python_assignments(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, name, value) for every string literal given to a password/secret/token-like
    name in Python: assignments (tuples paired up), keyword arguments and dict entries."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        pairs: list[tuple[ast.AST, ast.AST | None]] = []
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs += zip(target.elts, node.value.elts, strict=False)
                else:
                    pairs.append((target, node.value))
        elif isinstance(node, ast.keyword) and node.arg:
            pairs.append((ast.Name(id=node.arg), node.value))
        elif isinstance(node, ast.Dict):
            pairs += [(k, v) for k, v in zip(node.keys, node.values, strict=True)
                      if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        for target, value in pairs:
            name = (target.id if isinstance(target, ast.Name)
                    else target.attr if isinstance(target, ast.Attribute)
                    else target.value if isinstance(target, ast.Constant) else None)
            if (isinstance(name, str) and SECRET_NAME.search(name)
                    and isinstance(value, ast.Constant) and isinstance(value.value, str)):
                yield value.lineno, name, value.value


def secrets_in(path: str, text: str) -> list[str]:
    """What in one tracked file looks like a secret, as "path:line: why"."""
    found = []
    if SECRET_FILES.search(path):
        found.append(f"{path}: a secrets file is tracked")
    suffix = Path(path).suffix
    for n, line in enumerate(text.splitlines(), 1):
        if PRIVATE_KEY.search(line):
            found.append(f"{path}:{n}: a private key")
        if TOKENS.search(line):
            found.append(f"{path}:{n}: looks like an access token")
        url = URL_PASSWORD.search(line)
        if url and not PLACEHOLDER.match(url.group(1)):
            found.append(f"{path}:{n}: a URL with a password")
        assigned = ASSIGNMENT.search(line)
        if suffix in CONFIG and assigned and not PLACEHOLDER.match(assigned["value"]):
            found.append(f"{path}:{n}: {assigned['name']} is set to a literal value")
    if suffix != ".py":
        return found
    for n, name, value in python_assignments(text):
        if PLACEHOLDER.match(value):
            continue
        if path.startswith(THROWAWAY):
            if looks_generated(value) and not MARKED.search(value):
                found.append(f"{path}:{n}: {name} looks like a real secret, not a test one")
        elif path.startswith(PRODUCT):
            found.append(f"{path}:{n}: {name} is set to a literal value")
    return found


def tracked_files() -> Iterator[tuple[str, str]]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: cannot list the tracked files")
    for name in listed.stdout.decode().split("\0"):
        path = ROOT / name
        if not name or not path.is_file():
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            yield name, ""  # binary (the screenshot): only its name is checked


def test_no_secret_is_tracked() -> None:
    found = [hit for name, text in tracked_files() for hit in secrets_in(name, text)]
    assert found == []


def test_the_streamlit_secrets_file_is_ignored() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT,
                             check=False)
    if ignored.returncode == 128:
        pytest.skip("not a git checkout")
    assert ignored.returncode == 0, ".gitignore must list .streamlit/secrets.toml"


@pytest.mark.parametrize(("path", "text", "hits"), [
    (".streamlit/secrets.toml", "", 1),
    ("deploy/.env", "", 1),
    ("notes.md", "-----BEGIN RSA PRIVATE" + " KEY-----", 1),
    ("notes.md", "token " + "ghp_" + "a" * 36, 1),
    ("tracker/config.py", 'DEFAULT = "postgresql://tracker:' + 'hunter2@db/tracker"', 1),
    ("config/app.toml", 'cookie_secret = "' + "9f" * 16 + '"', 1),
    ("config/app.toml", 'client_secret = "…"', 0),
    ("tracker/cli.py", 'api_key = "' + "live-" + 'abc123"', 1),
    ("tracker/db.py", 'connect(password="' + "hunter" + '2")', 1),
    ("tracker/db.py", 'OPTIONS = {"password": "' + "hunter" + '2"}', 1),
    ("tests/test_x.py", 'PASSWORD = "password-1"', 0),
    ("tests/test_x.py", 'USER, PASSWORD = "alice", "alice-password-1"', 0),
    ("tests/test_x.py", 'PASSWORD = "correct horse ☃ battery"', 0),
    ("tests/test_x.py", 'token = "' + "Zq8rT2vX9kLm4Wn7" + 'Pb3Yc6Hd"', 1),
    ("tests/test_x.py", 'token = "' + "Zq8rT2vX9kLm4Wn7" + 'Pb3Yc6Hd-test"', 0),
    ("benchmarks/synth.py", 'PASSWORD = "synthetic-password"', 0),
    ("docs/deployment.md", 'cookie_secret = "a long random string"', 0),
    ("tracker/db.py", "render_as_string(hide_password=False)", 0),
])
def test_the_secret_scan_finds_what_it_should(path: str, text: str, hits: int) -> None:
    """The scan's rules on small made-up files (the values are split so this file passes)."""
    assert len(secrets_in(path, text)) == hits, secrets_in(path, text)
