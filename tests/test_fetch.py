"""URL ingest against a local HTTP server started by the test (http.server in a thread): a
normal page, a page too slow to answer, a page over the size limit, a non-HTML content type,
too many redirects. Only the loopback address is used."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.conftest import cli_env
from tracker import db, queries
from tracker.cli import app
from tracker.errors import InvalidInput
from tracker.fetch import fetch_page
from tracker.models import Document
from tracker.services import articles
from tracker.services.access import Actor
from tracker.vocabulary import Role

PAGE = (Path(__file__).parent / "fixtures" / "articles" / "nhs-flu.html").read_bytes()
SLOW_SECONDS = 2.0


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/flu":
            self._send(PAGE, "text/html; charset=utf-8")
        elif self.path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._send(PAGE, "text/html")
        elif self.path == "/big":  # no Content-Length: the limit is enforced while reading
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_000 + b"</p>\n"
            try:
                for _ in range(200):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/pdf":
            self._send(b"%PDF-1.4 not a page", "application/pdf")
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path == "/gone":
            self._send(b"not here", "text/plain", status=404)
        else:
            self._send(b"Flu is an illness caused by a virus.\n", "text/plain")


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up on purpose (the tracker refusing a PDF after its headers)
        is not a server failure; its traceback would land in the captured CLI output."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_page_is_fetched_whole(server: str) -> None:
    page = fetch_page(f"{server}/flu")
    assert page.data == PAGE and page.media_type == "text/html" and page.charset == "utf-8"


def test_a_slow_page_hits_the_timeout(server: str) -> None:
    with pytest.raises(InvalidInput, match="no answer within the time limit"):
        fetch_page(f"{server}/slow", read_timeout=0.3)


def test_an_over_size_page_is_refused_while_reading(server: str) -> None:
    with pytest.raises(InvalidInput, match=r"/big: the page is over 1,000,000 bytes; a page may "
                                           r"be at most 1,000,000 bytes"):
        fetch_page(f"{server}/big", max_bytes=1_000_000)


def test_a_non_html_content_type_is_refused(server: str) -> None:
    with pytest.raises(InvalidInput, match="serves application/pdf, not a web page"):
        fetch_page(f"{server}/pdf")


def test_redirect_loops_and_errors_are_refused(server: str) -> None:
    with pytest.raises(InvalidInput, match="more than 5 redirects"):
        fetch_page(f"{server}/loop")
    with pytest.raises(InvalidInput, match="answered 404"):
        fetch_page(f"{server}/gone")
    with pytest.raises(InvalidInput, match="not an http"):
        fetch_page("ftp://127.0.0.1/x")


def test_ingesting_a_url_keeps_the_page_bytes_address_and_metadata(
        server: str, engine: Engine, make_actor: Callable[[Engine, Role], Actor]) -> None:
    editor = make_actor(engine, Role.EDITOR)
    source = articles.fetch_article(f"{server}/flu")
    with db.writing(engine) as session:
        report = articles.ingest(session, editor, source)
    assert (report.slug, report.claims, report.sections) == ("flu", 7, 3)
    with db.reading(engine) as session:
        document = session.scalar(select(Document).where(Document.id == report.document_id))
        assert document is not None
        assert document.source_bytes == PAGE
        assert document.source_url == f"{server}/flu"
        assert (document.source_format, document.language, document.published) == (
            "html", "en", "2023-01-10")
        assert document.source_text.startswith("# Flu\n")
        [row] = [d for d in queries.documents(session) if d.id == document.id]
        assert row.source_url == f"{server}/flu"


def test_the_cli_ingests_a_url_and_reports_a_refusal_in_one_line(
        server: str, engine: Engine, make_actor: Callable[[Engine, Role], Actor],
        monkeypatch: pytest.MonkeyPatch) -> None:
    editor = make_actor(engine, Role.EDITOR)
    for name, value in cli_env(engine, editor.username).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    done = runner.invoke(app, ["ingest", f"{server}/flu", "--as", editor.username])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("flu: 7 claims in 3 sections")
    refused = runner.invoke(app, ["ingest", f"{server}/pdf", "--as", editor.username])
    assert refused.exit_code == 2
    assert refused.output.strip().splitlines() == [
        f"error: {server}/pdf: the address serves application/pdf, not a web page (HTML) or "
        "text; save the article as a file and ingest that"]
