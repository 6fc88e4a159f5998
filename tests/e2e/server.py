"""Run the real dashboard for browser tests: a database set up with the `tracker` CLI, a
`streamlit run` server on a free loopback port, and Debian's Chromium for Playwright."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT

BIN = Path(sys.executable).parent  # the virtualenv's bin/, next to the running Python
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
READY = "You can now view your Streamlit app"
START_TIMEOUT = 60.0


def tracker(database_url: str, *args: str) -> str:
    """Run the `tracker` CLI against `database_url`; its standard output."""
    done = subprocess.run(
        [str(BIN / "tracker"), *args], env={**os.environ, "TRACKER_DATABASE_URL": database_url},
        capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"tracker {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def dashboard(database_url: str) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free loopback port; yields its URL, and stops the
    server on exit (terminate, then kill)."""
    port = free_port()
    command = [
        str(BIN / "streamlit"), "run", str(ROOT / "dashboard" / "app.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]
    server = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "TRACKER_DATABASE_URL": database_url},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_until_ready(server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_ready(server: subprocess.Popen[str]) -> None:
    """Block until the server says it is listening (reading its output, not sleeping)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            raise RuntimeError("the dashboard did not start in time:\n" + "".join(seen)) from None
        if line is None:
            raise RuntimeError("the dashboard exited:\n" + "".join(seen))
        seen.append(line)
        if READY in line:
            return
