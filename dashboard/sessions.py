"""What a browser session may send the server, and which browser a sign-in belongs to.

Streamlit's server accepts a file upload (`PUT /_stcore/upload_file/SESSION/FILE`) for any
live session and keeps it in memory until the session ends, whether or not the page shows an
uploader: a visitor who never signed in could fill the server's memory. `guard_uploads`
wraps the server's upload manager so that it keeps files only for sessions whose signed-in
user may import citations (`allow_uploads`, set on every run from the access table), and at
most `MAX_SESSION_UPLOAD_BYTES` per session; anything else is refused (HTTP 403 / 413)
before it is stored. The import service checks the role again.

Streamlit resumes a session for any client that presents its id (it cannot be rotated from
the app). `client_binding` ties a sign-in to the browser that made it — the secret token of
Streamlit's XSRF cookie, which the browser sends and a client replaying a session id from
elsewhere lacks — and `dashboard.ui` signs out a session whose binding changed.
`quiet_session_ids` keeps session ids out of the server's WARNING log lines.
"""

from __future__ import annotations

import binascii
import hashlib
import logging
import re
import threading
from typing import Any

from tracker.limits import MAX_BIB_FILE_BYTES

#: Files one session may have on the server at once (the import's own limit per file).
MAX_SESSION_UPLOAD_BYTES = MAX_BIB_FILE_BYTES
XSRF_COOKIE = "_streamlit_xsrf"
#: Streamlit loggers whose WARNING lines name session ids.
SESSION_LOGGERS = ("streamlit.runtime.websocket_session_manager",)

_allowed: set[str] = set()
_lock = threading.Lock()


class UploadRefused(Exception):
    """An upload the session may not send (raised inside the server's upload handler)."""


def allow_uploads(session_id: str, allowed: bool) -> None:
    """Record whether the session's signed-in user may upload (called on every run)."""
    with _lock:
        if allowed:
            _allowed.add(session_id)
        else:
            _allowed.discard(session_id)


def _refusal(status: int, detail: str) -> Exception:
    try:
        from starlette.exceptions import HTTPException
    except ImportError:  # pragma: no cover - a server without Starlette: refused all the same
        return UploadRefused(detail)
    return HTTPException(status_code=status, detail=detail)


def guard_uploads(manager: Any) -> None:
    """Wrap `manager.add_file` (Streamlit's `UploadedFileManager`) so that it refuses files
    from sessions not allowed to upload, and past `MAX_SESSION_UPLOAD_BYTES` per session.
    Idempotent."""
    if getattr(manager, "_tracker_guarded", False):
        return
    original = manager.add_file

    def add_file(session_id: str, file: Any) -> None:
        with _lock:
            allowed = session_id in _allowed
        if not allowed:
            raise _refusal(403, "sign in as a reviewer to upload")
        replaced = _held(manager, session_id, except_file=file.file_id)
        if replaced + len(file.data) > MAX_SESSION_UPLOAD_BYTES:
            raise _refusal(413, f"at most {MAX_SESSION_UPLOAD_BYTES:,} bytes of uploads at "
                                "once")
        original(session_id, file)

    manager.add_file = add_file
    manager._tracker_guarded = True


def _held(manager: Any, session_id: str, except_file: str) -> int:
    """Bytes of the files the manager holds for the session, but the one being replaced
    (Streamlit's memory manager keeps them in `file_storage`: session -> file id -> record)."""
    files = getattr(manager, "file_storage", {}).get(session_id, {})
    return sum(len(getattr(f, "data", b"")) for key, f in dict(files).items()
               if key != except_file)


def install() -> None:
    """Guard the running server's upload manager and quiet its session-id log lines (no-op
    outside a server, e.g. in AppTest)."""
    from streamlit import runtime

    if not runtime.exists():
        return
    guard_uploads(runtime.get_instance().uploaded_file_mgr)
    quiet_session_ids()


_NAMES_AN_ID = re.compile(r"(?i)\bid\b")


class _NoSessionIds(logging.Filter):
    """Drops WARNING lines that carry a session id (it is a credential until the session
    ends); they are replaced by one line without it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _NAMES_AN_ID.search(str(record.msg)):
            return True
        record.msg = "a client reconnected to an existing session (id withheld)"
        record.args = ()
        record.levelno, record.levelname = logging.INFO, "INFO"
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)


def quiet_session_ids() -> None:
    for name in SESSION_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoSessionIds) for f in logger.filters):
            logger.addFilter(_NoSessionIds())


def client_binding(cookies: Any, headers: Any) -> str:
    """A digest of what this browser presents and a replaying client lacks: the token inside
    Streamlit's XSRF cookie (its mask changes from page load to page load, the token does
    not), and the User-Agent. Without the cookie (XSRF protection turned off) only the
    User-Agent remains, which binds weakly (SECURITY.md)."""
    cookie, agent = cookies.get(XSRF_COOKIE), headers.get("User-Agent")
    token = _xsrf_token(cookie if isinstance(cookie, str) else "")
    agent = agent if isinstance(agent, str) else ""
    return hashlib.sha256(token + b"\x00" + agent.encode("utf-8", "replace")).hexdigest()


def _xsrf_token(cookie: str) -> bytes:
    """The token of a "2|mask|masked|time" XSRF cookie (bytes XOR-ed with a 4-byte mask), or
    the cookie as written when it has another form."""
    value = cookie.strip("\"'")
    parts = value.split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask = binascii.a2b_hex(parts[1])
            masked = binascii.a2b_hex(parts[2])
        except (binascii.Error, ValueError):
            return value.encode()
        if mask:
            return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked))
    return value.encode()
