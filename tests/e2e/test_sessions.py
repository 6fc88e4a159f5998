"""The real dashboard server, attacked as the hardening issue did: a session that never signed
in sends files straight to Streamlit's upload endpoint, and a client that learned a signed-in
session's id connects with it from elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, dashboard, tracker

pytestmark = pytest.mark.e2e

REVIEWER, PASSWORD = "rui", "rui-password-1"
BIB = b"@misc{uploaded, title = {An uploaded entry}}\n"


@dataclass(frozen=True)
class Server:
    url: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    pytest.importorskip("playwright.sync_api", reason="the browser test needs Playwright "
                        "(pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: the end-to-end test drives Debian's Chromium at {CHROMIUM} "
                    "(apt-get install chromium)")
    database_url = f"sqlite:///{tmp_path_factory.mktemp('e2e-sessions') / 'tracker.db'}"
    tracker(database_url, "bootstrap", "--empty")
    tracker(database_url, "users", "add", "admin", "--role", "admin", "--password", PASSWORD)
    tracker(database_url, "users", "add", REVIEWER, "--role", "reviewer", "--password",
            PASSWORD, "--as", "admin")
    with dashboard(database_url) as url:
        yield Server(url)


def _session_ids(payload: Any, found: list[str]) -> None:
    """Collect the session id from the server's first message (a ForwardMsg protobuf)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if not isinstance(payload, bytes):
        return
    message = ForwardMsg()
    try:
        message.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - another kind of frame
        return
    if message.WhichOneof("type") == "new_session":
        found.append(message.new_session.initialize.session_id)


def _texts_after_rerun(url: str, session_id: str) -> list[str]:
    """Connect to the server as another client presenting `session_id` (no cookies), ask for
    a rerun, and return the text of what the app then shows."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    texts: list[str] = []
    address = url.replace("http://", "ws://") + "/_stcore/stream"
    with connect(address, subprotocols=["streamlit", "no-xsrf-token", session_id],  # type: ignore[list-item]
                 additional_headers={"Origin": url}, open_timeout=30) as socket:
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        socket.send(rerun.SerializeToString())
        while True:
            message = ForwardMsg()
            message.ParseFromString(socket.recv(timeout=60))
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                which = element.WhichOneof("type")
                if which == "markdown":
                    texts.append(element.markdown.body)
                elif which == "alert":
                    texts.append(element.alert.body)
            if kind == "script_finished":
                return texts


def test_uploads_need_a_reviewer_and_a_replayed_session_is_signed_out(server: Server) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(30_000)
        ids: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived",
                                              lambda payload: _session_ids(payload, ids)))
        try:
            page.goto(server.url)
            expect(page.get_by_role("textbox", name="Username")).to_be_visible()
            assert ids, "the server told the page its session id"
            xsrf = next(c["value"] for c in context.cookies() if c["name"] == "_streamlit_xsrf")

            def upload(file_id: str) -> int:
                response = context.request.put(
                    f"{server.url}/_stcore/upload_file/{ids[-1]}/{file_id}",
                    headers={"X-Xsrftoken": xsrf},
                    multipart={"file": {"name": "x.bib", "mimeType": "text/plain",
                                        "buffer": BIB}})
                return response.status

            assert upload("anonymous") == 403, "a visitor who never signed in cannot upload"
            page.get_by_role("textbox", name="Username").fill(REVIEWER)
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in", exact=True).click()
            expect(page.get_by_test_id("stSidebarUserContent")
                   .get_by_text(f"Signed in as {REVIEWER}")).to_be_visible()
            assert upload("signed-in") == 204, "a reviewer can"

            shown = _texts_after_rerun(server.url, ids[-1])
            assert not any("Signed in as" in t for t in shown), shown
            assert any("sign\\-in was made in another browser" in t for t in shown), shown
        finally:
            browser.close()
