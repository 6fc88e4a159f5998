"""Shared widgets and plumbing of the dashboard: cached reads, writes through the services,
who is signed in, the document picker, and the few renderers several pages use.

Stored text (claims, titles, notes, names) is never rendered as HTML or active Markdown: tables
and `st.text` show it as it is, and where it must sit inside Markdown it goes through
`escape_markdown()` first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import sessions
from tracker import db, grading, queries
from tracker.config import load_settings
from tracker.errors import TrackerError
from tracker.formats import assessed
from tracker.revision import revision_of
from tracker.services import access, users
from tracker.services.access import Actor
from tracker.text import WORD_JOINER as WORD_JOINER
from tracker.text import escape_markdown as escape_markdown
from tracker.vocabulary import STATUS_LABELS_BY_VALUE as STATUS_LABELS
from tracker.vocabulary import ClaimStatus

P = ParamSpec("P")
T = TypeVar("T")

APP_NAME = "Evidence Tracker"
FAVICON = "📚"  # an emoji, not a material icon: see dashboard/app.py
FOOTER = ("Evidence Tracker tracks published evidence for the claims of an article. "
          "It gives no medical advice.")
BANNER = ("A record of the published evidence behind each claim of the article, and how strong "
          "it is. Not medical advice: it does not say whether a treatment is right for anyone.")
NO_DOCUMENT = ("No document yet. Load the shipped article and its evidence with "
               "`tracker bootstrap`, or add an article with `tracker ingest PATH`.")

ACTOR_KEY = "actor"  # session state: the signed-in Actor
BOUND_KEY = "signed_in_browser"  # session state: `sessions.client_binding` at sign-in
MOVED = ("This sign-in was made in another browser, so it was ended here; sign in again. "
         "(A session's address reached another browser.)")
SIGNED_IN_AT_KEY = "signed_in_at"  # session state: when they signed in (aware datetime)
LAST_ACTIVE_KEY = "last_active_at"  # session state: their last run of the app
_SIGNED_OUT_KEY = "_signed_out"  # why the sign-in ended, shown once in the sidebar
DOCUMENT_KEY = "document"  # session state: the slug of the document being looked at
LINK_PREFILL_KEY = "_link_prefill"  # session state: a LinkPrefill for the Evidence page
EVIDENCE_PAGE = "views/evidence.py"
APPRAISAL_PAGE = "views/appraisal.py"
_FLASH_KEY = "_flash"
_RESET_KEY = "_reset_widgets"  # session state: widget values to set at the next run's start
_GENERATION_PREFIX = "_generation_"  # session state: how often a `fresh_key` was renewed
_REVISION_KEY = "_revision"

STATUS_COLORS: dict[str, str] = {
    ClaimStatus.SUPPORTED.value: "green",
    ClaimStatus.CONTESTED.value: "violet",
    ClaimStatus.CONTRADICTED.value: "red",
    ClaimStatus.INSUFFICIENT.value: "orange",
    ClaimStatus.NO_EVIDENCE_FOUND.value: "blue",
    ClaimStatus.NOT_REVIEWED.value: "gray",
}
STATUS_HEX: dict[str, str] = {  # the same colours for charts
    ClaimStatus.SUPPORTED.value: "#2e7d32",
    ClaimStatus.CONTESTED.value: "#7b3fa8",
    ClaimStatus.CONTRADICTED.value: "#c62828",
    ClaimStatus.INSUFFICIENT.value: "#ef8a00",
    ClaimStatus.NO_EVIDENCE_FOUND.value: "#1e63b5",
    ClaimStatus.NOT_REVIEWED.value: "#9e9e9e",
}


# --- stored text in Markdown -----------------------------------------------------------------

def highlighted_markdown(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` as inert Markdown (`escape_markdown`) with the characters of `spans` in bold."""
    pieces: list[str] = []
    at = 0
    flat = text.replace("\n", " ")
    for start, end in sorted(spans):
        if start < at or end <= start:
            continue
        pieces += [_escape_keeping_edges(flat[at:start]),
                   f"**{escape_markdown(flat[start:end])}**"]
        at = end
    pieces.append(_escape_keeping_edges(flat[at:]))
    return "".join(pieces).strip()


def _escape_keeping_edges(piece: str) -> str:
    """`escape_markdown` of a piece between highlights, keeping a space at either edge."""
    if not piece.strip():
        return " " if piece else ""
    lead = " " if piece[0].isspace() else ""
    trail = " " if piece[-1].isspace() else ""
    return lead + escape_markdown(piece) + trail


def status_badge(status: str) -> str:
    """A coloured Markdown badge for a claim status (a fixed vocabulary, so safe to style)."""
    value = ClaimStatus(status).value
    return f":{STATUS_COLORS[value]}-badge[{STATUS_LABELS[value]}]"


def grade_badges(row: queries.ClaimRow) -> str:
    """The status badge and, beside it, the certainty (effect claims) or the standing
    (descriptive claims) — "not yet appraised" where the certainty waits."""
    badges = status_badge(row.status)
    if grading.AWAITING in row.explanation.split(":", 1)[0]:
        badges += f" :orange-badge[{grading.AWAITING}]"
    if row.certainty == "not-assessed":
        badges += " :gray-badge[not yet appraised]"
    elif row.certainty:
        badges += f" :blue-badge[certainty {escape_markdown(row.certainty)}]"
    if row.standing:
        badges += f" :blue-badge[{escape_markdown(row.standing)}]"
    return badges


#: What each badge means, shown on hover (docs/grading.md, *Status*, *Certainty*,
#: *Descriptive claims*): fixed text, safe as Markdown.
BADGE_MEANINGS: dict[str, str] = {
    ClaimStatus.SUPPORTED.value: "what the claim needs is there, and no comparable evidence "
    "points against it",
    ClaimStatus.CONTESTED.value: "credible evidence points both ways",
    ClaimStatus.CONTRADICTED.value: "the evidence against is clearly stronger",
    ClaimStatus.INSUFFICIENT.value: "what is recorded does not reach what the claim needs",
    ClaimStatus.NO_EVIDENCE_FOUND.value: "a reviewer searched and found nothing that counts",
    ClaimStatus.NOT_REVIEWED.value: "nobody has linked evidence or recorded a search yet",
    "high": "GRADE certainty high: further research is very unlikely to change the estimate",
    "moderate": "GRADE certainty moderate: the true effect is probably close to the estimate",
    "low": "GRADE certainty low: the true effect may be substantially different",
    "very-low": "GRADE certainty very low: the true effect is probably substantially "
    "different",
    "not-assessed": "not yet appraised: a study or link the body rests on still needs its "
    "appraisal or directness judgement, so the certainty waits (never read as no concerns)",
    "none": "no certainty: no counted study bears on the claim (nothing linked, or only "
    "unverified or retracted sources), so there is nothing for GRADE to rate",
    "established": "established: a counted human study, label or guideline supports it",
    "plausible": "plausible: only secondary or indirect sources support it",
    "not-established": "not established: nothing counted supports it, or human evidence "
    "contradicts it",
    grading.AWAITING: "awaiting adjudication: two reviewers' entries differ and an "
    "adjudicator has not decided yet",
}


def badge_help(row: queries.ClaimRow) -> str:
    """The hover text of a claim's badges: what its status, certainty or standing mean, and
    the verdict's own explanation (stored text, made inert)."""
    said = [f"**{STATUS_LABELS[row.status]}**: {BADGE_MEANINGS[row.status]}."]
    if grading.AWAITING in row.explanation.split(":", 1)[0]:
        said.append(BADGE_MEANINGS[grading.AWAITING].capitalize() + ".")
    for value in (row.certainty, row.standing):
        if value and value in BADGE_MEANINGS:
            said.append(BADGE_MEANINGS[value].capitalize() + ".")
    said.append(f"Why: {escape_markdown(row.explanation)}")
    return "\n\n".join(said)


def badge_glossary(values: Iterable[str]) -> str:
    """Hover text of a table column of statuses or certainties: each value's meaning."""
    return "\n\n".join(f"**{v}**: {BADGE_MEANINGS[v]}" for v in values if v in BADGE_MEANINGS)


def shorten(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def section_name(path: list[str]) -> str:
    return " › ".join(path) if path else "(introduction)"


# --- the database ----------------------------------------------------------------------------


def database_url() -> str:
    return load_settings().database_url


@st.cache_resource(show_spinner=False, on_release=lambda engine: engine.dispose())
def engine(url: str) -> Engine:
    """One engine (and connection pool) per database URL, shared by every session. A missing
    SQLite file is not created (`tracker bootstrap` does that)."""
    return db.make_engine(url, create=False)


def start_run() -> bool:
    """Read the database revision once per script run; False (with the reason shown) when the
    database cannot be used. Guards the server's uploads (`dashboard.sessions`)."""
    sessions.install()
    _apply_resets()
    try:
        with db.reading(engine(database_url())) as session:
            st.session_state[_REVISION_KEY] = revision_of(session)
    except (SQLAlchemyError, TrackerError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        st.error("The database cannot be read. If it is new, set it up with "
                 "`tracker bootstrap`.")
        st.caption(escape_markdown(detail))
        return False
    return True


def revision() -> int:
    """The revision read at the start of this run (the newest audit event id)."""
    return int(st.session_state.get(_REVISION_KEY, 0))


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_read(_query: Callable[..., Any], name: str, url: str, revision: int,
                 args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    """A read, cached on (query, database, revision, arguments): any write moves the revision,
    so nobody sees stale data for longer than a rerun."""
    del name, revision  # part of the cache key only
    with db.reading(engine(url)) as session:
        return _query(session, *args, **dict(kwargs))


def read(query: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a read function (from `tracker.queries`) through the cache."""
    name = f"{query.__module__}.{query.__qualname__}"
    return cast(T, _cached_read(query, name, database_url(), revision(), args,
                                tuple(sorted(kwargs.items()))))


def perform(action: Callable[[Session, Actor], T], success: str | Callable[[T], str], *,
            remember: str | None = None, then: Callable[[], None] | None = None,
            reset: Mapping[str, Any] | None = None, renew: Iterable[str] = ()) -> None:
    """Run one use case as the signed-in user in one transaction. A domain error is shown with
    `st.error` (the form keeps what was typed); on success the message is kept for the next
    run (the result too, under `remember`), `then` runs, the form's widgets go back to the
    values in `reset` and the widgets keyed with `fresh_key(name)` for each of `renew` are
    rebuilt empty (a table's ticked rows), and the app reruns so every read shows the
    change."""
    signed_in = current_actor()
    if signed_in is None:
        st.error("Sign in (in the sidebar) to make changes.")
        return
    try:
        with db.writing(engine(database_url())) as session:
            # The role as it is now, in the write's own transaction (not a cached read).
            actor = access.actor_named(session, signed_in.username)
            result = action(session, actor)
    except TrackerError as exc:
        show_error(exc)
        return
    if remember:
        st.session_state[remember] = result
    if then is not None:
        then()
    forget_inputs(reset or {}, renew)
    st.session_state[_FLASH_KEY] = success if isinstance(success, str) else success(result)
    st.rerun()


def forget_inputs(reset: Mapping[str, Any], renew: Iterable[str] = ()) -> None:
    """After a success: put widgets back to `reset`'s values on the next run (a widget's
    value cannot change once it is drawn in this run) and give the `renew` ones new keys."""
    pending: dict[str, Any] = st.session_state.setdefault(_RESET_KEY, {})
    pending.update(reset)
    for name in renew:
        generation = f"{_GENERATION_PREFIX}{name}"
        st.session_state[generation] = int(st.session_state.get(generation, 0)) + 1


def fresh_key(name: str) -> str:
    """The key of a widget that `perform(renew=[name])` rebuilds after a success: a new key
    is a new widget, so a table forgets its ticked rows (which, after the rows change, would
    tick other claims)."""
    generation = int(st.session_state.get(_GENERATION_PREFIX + name, 0))
    return name if generation == 0 else f"{name}_{generation}"


def _apply_resets() -> None:
    """Set the widgets `forget_inputs` named, before any of them is drawn."""
    for key, value in st.session_state.pop(_RESET_KEY, {}).items():
        st.session_state[key] = value


def prepare(action: Callable[[Session, Actor], T]) -> T | None:
    """Run a service's preparation of a write (reading and parsing its input) as the signed-in
    user in a read transaction, outside any write lock; a domain error is shown and gives
    None."""
    signed_in = current_actor()
    if signed_in is None:
        st.error("Sign in (in the sidebar) to make changes.")
        return None
    try:
        with db.reading(engine(database_url())) as session:
            return action(session, access.actor_named(session, signed_in.username))
    except TrackerError as exc:
        show_error(exc)
        return None


def show_flash() -> None:
    """The confirmation of the last write, once."""
    message = st.session_state.pop(_FLASH_KEY, None)
    if message:
        st.success(escape_markdown(message), icon=":material/check_circle:")


def show_error(exc: Exception) -> None:
    """A domain error's message (it may quote stored text, so it is shown inert)."""
    st.error(escape_markdown(str(exc)), icon=":material/error:")


# --- who is signed in ------------------------------------------------------------------------


def current_actor() -> Actor | None:
    """The signed-in user, re-read from the users table whenever the database changes (a role
    change or a deactivation takes effect at once) and signed out when the sign-in has expired
    (`users.session_expiry`); else the identity-provider user, if the deployment maps one."""
    signed_in = st.session_state.get(ACTOR_KEY)
    if isinstance(signed_in, Actor) and _sign_in_holds():
        try:
            return read(access.actor_named, signed_in.username)
        except TrackerError:
            sign_out()
            return None
    return identity_actor()


def _browser() -> str:
    return sessions.client_binding(st.context.cookies, st.context.headers)


def _sign_in_holds() -> bool:
    """The sign-in belongs to this browser (`sessions.client_binding`), and has not expired
    (`users.session_expiry`); note this run as activity."""
    if st.session_state.get(BOUND_KEY) != _browser():
        sign_out()
        st.session_state[_SIGNED_OUT_KEY] = MOVED
        return False
    now = datetime.now(UTC)
    signed_in_at = st.session_state.setdefault(SIGNED_IN_AT_KEY, now)
    last_active = st.session_state.get(LAST_ACTIVE_KEY, signed_in_at)
    ended = users.session_expiry(signed_in_at, last_active, now)
    if ended is not None:
        sign_out()
        st.session_state[_SIGNED_OUT_KEY] = ended
        return False
    st.session_state[LAST_ACTIVE_KEY] = now
    _touch(now)
    return True


def sign_out() -> None:
    """End the sign-in here and in the database (a reload no longer resumes it) and have
    the browser drop its cookie."""
    token = st.session_state.pop(_BROWSER_SESSION_KEY, None)
    if isinstance(token, str):
        try:
            with db.writing(engine(database_url())) as session:
                users.end_browser_session(session, token)
        except TrackerError:
            pass  # the cookie is dropped all the same
        st.session_state[_COOKIE_KEY] = ""
    for key in (ACTOR_KEY, SIGNED_IN_AT_KEY, LAST_ACTIVE_KEY, BOUND_KEY, _TOUCHED_KEY):
        st.session_state.pop(key, None)


# A sign-in survives a reload (a new Streamlit session): the browser keeps a token in the
# `SESSION_COOKIE` cookie, set by a fixed script (the token is ours: random URL-safe text),
# and `restore_sign_in` resumes it through `users.resume_browser_session`, which applies the
# same limits (8 hours, 1 hour idle) and the same browser binding.
SESSION_COOKIE = "tracker_session"
COOKIE_SCRIPT_START = "<script>document.cookie = "
_BROWSER_SESSION_KEY = "_browser_session"  # session state: this sign-in's cookie token
_TOUCHED_KEY = "_browser_session_touched"  # session state: when its activity was written
_COOKIE_KEY = "_cookie_to_write"  # session state: a token to put in the cookie ("" clears)
_RESUMED_KEY = "_resume_tried"  # session state: the cookie was looked at in this session


def session_cookie() -> str | None:
    value = st.context.cookies.get(SESSION_COOKIE)
    return value if isinstance(value, str) and value else None


def restore_sign_in() -> None:
    """Once per Streamlit session (each page load): resume the sign-in the browser's cookie
    names, or say why it ended."""
    if st.session_state.get(_RESUMED_KEY) or ACTOR_KEY in st.session_state:
        return
    st.session_state[_RESUMED_KEY] = True
    token = session_cookie()
    if token is None:
        return
    try:
        with db.writing(engine(database_url())) as session:
            resumed = users.resume_browser_session(session, token, _browser())
    except TrackerError:
        return
    if resumed.actor is None:
        st.session_state[_COOKIE_KEY] = ""
        if resumed.ended:
            st.session_state[_SIGNED_OUT_KEY] = resumed.ended
        return
    now = datetime.now(UTC)
    st.session_state[ACTOR_KEY] = resumed.actor
    st.session_state[BOUND_KEY] = _browser()
    st.session_state[SIGNED_IN_AT_KEY] = resumed.signed_in_at or now
    st.session_state[LAST_ACTIVE_KEY] = now
    st.session_state[_TOUCHED_KEY] = now
    st.session_state[_BROWSER_SESSION_KEY] = token


def _touch(now: datetime) -> None:
    """Write this sign-in's activity at most every `users.SESSION_TOUCH_EVERY`."""
    token, touched = st.session_state.get(_BROWSER_SESSION_KEY), st.session_state.get(_TOUCHED_KEY)
    if not isinstance(token, str) or (
            isinstance(touched, datetime) and now - touched < users.SESSION_TOUCH_EVERY):
        return
    try:
        with db.writing(engine(database_url())) as session:
            users.touch_browser_session(session, token, now)
    except TrackerError:
        return
    st.session_state[_TOUCHED_KEY] = now


def write_cookie() -> None:
    """Put a new sign-in's token in the browser's cookie, or clear it after a sign-out (a
    fixed script; the token is random URL-safe text). `Secure` over HTTPS."""
    token = st.session_state.pop(_COOKIE_KEY, None)
    if token is None:
        return
    if not re.fullmatch(r"[A-Za-z0-9_-]*", token):
        return
    age = int(users.SESSION_MAX_AGE.total_seconds()) if token else 0
    st.sidebar.html(
        f'{COOKIE_SCRIPT_START}"{SESSION_COOKIE}={token}; Path=/; Max-Age={age}; '
        'SameSite=Strict" + (location.protocol === "https:" ? "; Secure" : "");</script>',
        unsafe_allow_javascript=True)


def identity_actor() -> Actor | None:
    """With Streamlit's OIDC sign-in configured (`[auth]` in secrets.toml), the tracker user the
    identity maps to: `[tracker.identities]` in secrets.toml maps e-mail addresses to tracker
    usernames. The role comes from the tracker's users table. See docs/deployment.md."""
    if not st.user.get("is_logged_in"):
        return None
    try:
        identities: Mapping[str, Any] = st.secrets.get("tracker", {}).get("identities", {})
    except FileNotFoundError:
        return None
    email = str(st.user.get("email") or "").lower()
    username = {str(k).lower(): v for k, v in identities.items()}.get(email)
    if not username:
        return None
    try:
        return read(access.actor_named, str(username))
    except TrackerError:
        return None


def _auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def _uploads_for(actor: Actor | None) -> None:
    """Let the server keep this session's uploads only while its user may import."""
    context = get_script_run_ctx()
    if context is not None:
        sessions.allow_uploads(context.session_id, access.may(actor, "citations.import"))


def sign_in_panel() -> None:
    """Sidebar: who is signed in and a sign-out button, or the sign-in form."""
    actor = current_actor()
    _uploads_for(actor)
    with st.sidebar:
        st.subheader("Account" if actor is not None else "Sign in", anchor=False)
        ended = st.session_state.pop(_SIGNED_OUT_KEY, None)
        if ended:
            st.warning(escape_markdown(ended), icon=":material/timer_off:")
        if actor is not None:
            st.markdown(f"Signed in as **{escape_markdown(actor.username)}** "
                        f"({escape_markdown(actor.role.value)})")
            if st.button("Sign out", key="sign_out", icon=":material/logout:"):
                sign_out()
                if st.user.get("is_logged_in"):
                    st.logout()
                st.rerun()
            return
        st.caption("Reading needs no account. Sign in to import, link, judge or flag.")
        with st.form("sign_in", clear_on_submit=False, border=False):
            username = st.text_input("Username", key="sign_in_username")
            password = st.text_input("Password", type="password", key="sign_in_password")
            submitted = st.form_submit_button("Sign in", icon=":material/login:")
        if submitted:
            _sign_in(username.strip(), password)
        if _auth_configured() and st.button("Sign in with your organisation account",
                                            key="sign_in_oidc"):
            st.login()


def _sign_in(username: str, password: str) -> None:
    """Check the password (a write: a failure counts towards the rate limit) and start the
    session's clock."""
    try:
        with db.writing(engine(database_url())) as session:
            outcome = users.authenticate(session, username, password)
        actor = outcome.accepted()  # raised after the commit, so the failure is kept
    except TrackerError as exc:
        with st.sidebar:
            show_error(exc)
        return
    now = datetime.now(UTC)
    st.session_state[ACTOR_KEY] = actor
    st.session_state[BOUND_KEY] = _browser()
    st.session_state[SIGNED_IN_AT_KEY] = now
    st.session_state[LAST_ACTIVE_KEY] = now
    st.session_state.pop("sign_in_password", None)
    try:
        with db.writing(engine(database_url())) as session:
            token = users.start_browser_session(session, actor, _browser())
    except TrackerError:
        token = None  # signed in for this page only: a reload signs out
    if token is not None:
        st.session_state[_BROWSER_SESSION_KEY] = token
        st.session_state[_TOUCHED_KEY] = now
        st.session_state[_COOKIE_KEY] = token
    st.session_state[_FLASH_KEY] = f"Signed in as {actor.username} ({actor.role.value})."
    st.rerun()


def may(use_case: str) -> bool:
    """Whether to show the control of a use case of `access.USE_CASES` (the services still
    check)."""
    return access.may(current_actor(), use_case)


def needs(use_case: str, what: str) -> None:
    """Say who may do what is not shown: the least role of `use_case`, from the table."""
    st.info(needs_text(use_case, what, current_actor()), icon=":material/lock:")


def needs_text(use_case: str, what: str, actor: Actor | None) -> str:
    """The lock notice: the role `use_case` needs, said to whoever is looking — a visitor is
    asked to sign in; a signed-in user is told their role is not enough."""
    role = access.USE_CASES[use_case].role.value
    if actor is None:
        return f"Sign in as {access.with_article(role)} (or higher) to {what}."
    return (f"You are signed in as {escape_markdown(actor.username)} "
            f"({access.with_article(actor.role.value)}): you need the {role} role (or "
            f"higher) to {what}. An admin can change your role.")


# --- documents -------------------------------------------------------------------------------


def document_picker() -> None:
    """Sidebar: choose the document when several are tracked (shared by every page)."""
    docs = read(queries.documents)
    slugs = [d.slug for d in docs]
    if st.session_state.get(DOCUMENT_KEY) not in slugs:  # the first one tracked, by default
        st.session_state[DOCUMENT_KEY] = min(docs, key=lambda d: d.id).slug if docs else None
    if len(docs) < 2:
        return
    titles = {d.slug: shorten(d.title, 60) for d in docs}
    st.sidebar.selectbox("Document", slugs, key=DOCUMENT_KEY,
                         format_func=lambda slug: titles.get(str(slug), str(slug)))


def current_document() -> queries.DocumentRow | None:
    slug = st.session_state.get(DOCUMENT_KEY)
    return next((d for d in read(queries.documents) if d.slug == slug), None)


def with_document(render: Callable[[queries.DocumentRow], None]) -> None:
    """Render a page for the current document, or the friendly empty state."""
    document = current_document()
    if document is None:
        st.info(NO_DOCUMENT, icon=":material/description:")
        return
    render(document)


def page_title(title: str, document: queries.DocumentRow) -> None:
    st.title(title, anchor=False)
    st.caption(escape_markdown(document.title))


# --- frame of every page ---------------------------------------------------------------------


def banner() -> None:
    st.info(BANNER, icon=":material/menu_book:")


NARROW_SCRIPT = (Path(__file__).parent / "narrow.js").read_text(encoding="utf-8")


NARROW_HTML = f"<script>{NARROW_SCRIPT}</script>"


def narrow_screens() -> None:
    """On a narrow window the sidebar lies over the page: close it once a page is picked
    (dashboard/narrow.js, fixed text: no stored value goes into it). The only `st.html` of
    the dashboard."""
    st.sidebar.html(NARROW_HTML, unsafe_allow_javascript=True)


def footer() -> None:
    st.divider()
    st.caption(FOOTER)


# --- shared renderers ------------------------------------------------------------------------


def paginate(total: int, page_size: int, key: str) -> int:
    """Show page buttons when `total` rows need more than one page; the offset to read from.

    The buttons always take one slot, filled or not, so the elements after them keep their
    places when a search narrows the rows to one page: a widget that moves is rebuilt, and its
    old copy lingers on the page until the rerun ends."""
    slot = st.empty()
    pages = max(1, -(-total // page_size))
    if pages == 1:
        return 0
    page = slot.pagination(pages, key=key)
    return (min(page, pages) - 1) * page_size


def claim_label(row: queries.ClaimRow) -> str:
    """A plain-text label for select boxes (options are not Markdown)."""
    part = "  ↳ " if row.parent is not None else ""
    return f"{part}#{row.id} · {row.status} · {shorten(row.text, 80)}"


def claims_table_rows(rows: Iterable[queries.ClaimRow]) -> list[dict[str, Any]]:
    return [
        {"text": r.text, "id": r.id, "status": r.status,
         "certainty": r.certainty or r.standing or "", "flags": ", ".join(r.open_flags),
         "track": r.track, "section": section_name(r.section),
         "category": r.category, "part of": f"#{r.parent}" if r.parent is not None else "",
         "explanation": r.explanation}
        for r in rows
    ]


CLAIM_COLUMNS = {
    "id": st.column_config.NumberColumn("Claim", width="small", format="#%d"),
    "part of": st.column_config.TextColumn("Part of", width="small"),
    "text": st.column_config.TextColumn("Text", width="large"),
    "section": st.column_config.TextColumn("Section", width="medium"),
    "explanation": st.column_config.TextColumn("Explanation", width="large"),
    "status": st.column_config.TextColumn(
        "Status", help=badge_glossary(s.value for s in ClaimStatus)),
    "certainty": st.column_config.TextColumn(
        "Certainty", help=badge_glossary(["high", "moderate", "low", "very-low",
                                          "not-assessed", "established", "plausible",
                                          "not-established"])),
}


def judgement_text(judgements: Mapping[str, Any]) -> str:
    """The concerns recorded on a link in a few words ("not judged" when none was: a missing
    judgement is never shown as "no concerns")."""
    said = [f"{name.replace('_', ' ')}: {value}" for name, value in judgements.items()
            if isinstance(value, str)]
    said += [f"+{name.replace('_', ' ')}" for name, value in judgements.items() if value is True]
    return "; ".join(said) or "not judged"


def appraisal_text(row: queries.EvidenceRow) -> str:
    if row.appraisal is None:
        return "not assessed"
    tool, overall, pools = row.appraisal
    return f"{tool}: {overall}" + (f" (pools {pools})" if pools else "")


def directness_text(row: queries.EvidenceRow) -> str:
    judged = len(row.directness)
    if not judged:
        return "not judged"
    worst = [f"{k} {j}" for k, (j, _) in sorted(row.directness.items())
             if j in ("indirect", "very-indirect")]
    return ("; ".join(worst) or "direct") + ("" if judged == 5 else f" ({judged}/5 judged)")


def evidence_rows(rows: Iterable[queries.EvidenceRow],
                  appraisals: Mapping[str, queries.AppraisalRow] | None = None
                  ) -> list[dict[str, Any]]:
    del appraisals  # the rows carry the overall judgement; the domains are on their own tab
    return [
        {"title": e.citation_title, "citation": e.citation_key, "stance": e.stance,
         "design": e.design or "unknown", "level": e.level, "verified": e.verified,
         "retracted": e.retracted,
         **identifier_cells(e.doi, e.pmid, e.pmcid), "appraisal": appraisal_text(e),
         "directness": directness_text(e), "participants": e.effect.get("participants"),
         "judgements": judgement_text(e.judgements), "note": e.note,
         "year": e.year, "locator": e.locator, "claim": e.claim_id,
         "link": e.link_id, "added": e.created_at, "by": e.created_by}
        for e in rows
    ]


def identifier_cells(doi: str | None, pmid: str | None, pmcid: str | None = None
                     ) -> dict[str, str | None]:
    """A study's DOI, PubMed and PubMed Central addresses, as table cells that
    `IDENTIFIER_COLUMNS` shows as links (None where it has none)."""
    links = {label.split(" ")[0].split(":")[0]: address
             for label, address in assessed.identifier_links(doi, pmid, pmcid)}
    return {"doi": links.get("doi"), "pubmed": links.get("PMID"),
            "pmc": next((a for k, a in links.items() if k.startswith("PMC")), None)}


IDENTIFIER_COLUMNS = {
    "doi": st.column_config.LinkColumn("DOI", display_text=r"https://doi\.org/(.*)"),
    "pubmed": st.column_config.LinkColumn(
        "PubMed", display_text=r"https://pubmed\.ncbi\.nlm\.nih\.gov/(\d+)/"),
    "pmc": st.column_config.LinkColumn(
        "PMC", display_text=r"https://pmc\.ncbi\.nlm\.nih\.gov/articles/(PMC\d+)/"),
}


EVIDENCE_COLUMNS = {
    "link": st.column_config.NumberColumn("Link", width="small", format="#%d"),
    "claim": st.column_config.NumberColumn("Claim", width="small", format="#%d"),
    "title": st.column_config.TextColumn("Title", width="large"),
    "year": st.column_config.NumberColumn("Year", format="%d"),
    "level": st.column_config.NumberColumn("CEBM level", help="Oxford CEBM 2011: 1 is best"),
    "note": st.column_config.TextColumn("Note", width="medium"),
    "added": st.column_config.DatetimeColumn("Added", format="YYYY-MM-DD HH:mm"),
    **IDENTIFIER_COLUMNS,
}


def flag_rows(rows: Iterable[queries.FlagRow]) -> list[dict[str, Any]]:
    return [
        {"reason": f.reason, "claim text": f.claim_text, "flag": f.id, "claim": f.claim_id,
         "kind": f.kind, "state": f.state, "new evidence": f.new_evidence,
         "raised by": f.raised_by, "raised": f.raised_at, "closed by": f.closed_by or "",
         "resolution": f.resolution or ""}
        for f in rows
    ]


FLAG_COLUMNS = {
    "flag": st.column_config.NumberColumn("Flag", width="small", format="#%d"),
    "claim": st.column_config.NumberColumn("Claim", width="small", format="#%d"),
    "reason": st.column_config.TextColumn("Reason", width="large"),
    "new evidence": st.column_config.NumberColumn(
        "New evidence", help="evidence links added to the claim since the flag was raised"),
    "raised": st.column_config.DatetimeColumn("Raised", format="YYYY-MM-DD HH:mm"),
    "claim text": st.column_config.TextColumn("Claim text", width="large"),
}


#: Rows a table shows before it scrolls (more with "Show all"), and a row's height: three
#: lines, so long text (a claim, a reason) wraps instead of being cut off.
ROWS_SHOWN = 25
ROW_HEIGHT = 68
_HEADER_HEIGHT = 40


def table_size(count: int, key: str | None = None) -> dict[str, Any]:
    """`st.dataframe` height arguments: every row when they fit in `ROWS_SHOWN` (or the
    reader asked to see all of them with the "Show all" toggle, offered when `key` names the
    table), else `ROWS_SHOWN` rows and a scroll bar."""
    everything = count <= ROWS_SHOWN or (
        key is not None and st.toggle(f"Show all {count} rows", key=f"{key}_all"))
    shown = count if everything else ROWS_SHOWN
    return {"height": min(_HEADER_HEIGHT + shown * ROW_HEIGHT, 10_000),
            "row_height": ROW_HEIGHT}


def table(rows: list[dict[str, Any]], columns: Mapping[str, Any] | None = None, *,
          empty: str = "Nothing here yet.", key: str | None = None) -> None:
    """A read-only table of stored values (shown as text, never interpreted), long text
    wrapped."""
    if not rows:
        st.caption(empty)
        return
    st.dataframe(rows, hide_index=True, column_config=dict(columns or {}), key=key,
                 **table_size(len(rows), key))


def claim_detail(detail: queries.ClaimDetail) -> None:
    """One claim in full: verdict, track, what it needs, evidence with each study's appraisal
    and each link's directness, the body's judgements, searches, flags, parts, history."""
    c = detail.claim
    st.markdown(f"{grade_badges(c)} · claim #{c.id} · {escape_markdown(c.category)} · "
                f"{escape_markdown(section_name(c.section))}", help=badge_help(c))
    st.text(c.text)
    if detail.list_items:
        st.caption("The list this sentence introduces, item by item (split the claim to grade "
                   "each on its own):")
        st.markdown("\n".join(f"- {escape_markdown(item)}" for item in detail.list_items))
    for cited in detail.cited:
        st.caption(cited_line(cited))
    st.caption(escape_markdown(c.explanation))
    chosen = "chosen by a reviewer" if detail.track_source == "reviewer" else "proposed"
    st.caption(f"Graded as **{escape_markdown(c.track)}** ({chosen}: "
               f"{escape_markdown(detail.track_reason)})")
    needs = f"Needs {escape_markdown(detail.requirement)}"
    if detail.override_reason:
        needs += f" — overridden by an editor: {escape_markdown(detail.override_reason)}"
    st.caption(needs)
    if detail.signed_off_by:
        stale = "" if detail.signed_off_status == c.status else " (stale: the grade has moved)"
        st.caption(f"Signed off as {escape_markdown(detail.signed_off_status or '')} by "
                   f"{escape_markdown(detail.signed_off_by)}{stale}")
    (evidence_tab, appraisal_tab, findings_tab, suggested_tab, flags_tab, parts_tab,
     history_tab) = st.tabs([
        f"Evidence ({len(detail.evidence)})", f"Appraisal ({len(detail.appraisals)})",
        "Summary of findings",
        "Suggested studies", f"Flags ({len(detail.flags)})",
        f"Parts and restatements ({len(detail.parts) + len(detail.restated_by)})",
        f"History ({len(detail.history)})",
    ])
    with evidence_tab:
        table(evidence_rows(detail.evidence, detail.appraisals), EVIDENCE_COLUMNS,
              empty="No evidence linked yet.")
        for notice in detail.notices:
            when = notice.notice_date.isoformat() if notice.notice_date else "undated"
            st.caption(f":material/report: {escape_markdown(notice.citation_key)}: "
                       f"{escape_markdown(notice.nature)} ({when}, Retraction Watch "
                       f"{escape_markdown(notice.record_id)}) {escape_markdown(notice.reason)}")
        if detail.dual:
            st.caption("Dual review (entries show once both reviewers' are in)")
            table([{"item": f"#{d.id}", "judgement": d.kind, "study": d.citation_key,
                    "state": d.state, "entries": " | ".join(
                        f"{e.reviewer}: {_dual_words(d.kind, e.payload)}" for e in d.entries),
                    "decision": f"{d.decision} ({d.decision_reason or 'both agreed'})"
                    if d.decision else ""} for d in detail.dual])
    with appraisal_tab:
        appraisal_detail(detail)
    with findings_tab:
        from dashboard import findings  # the claim's SoF row, wording check and PICO tags
        findings.claim_findings(c.id)
    with suggested_tab:
        suggested_studies(c.id)
    with flags_tab:
        table(flag_rows(detail.flags), FLAG_COLUMNS, empty="No flags.")
    with parts_tab:
        _parts(detail)
    with history_tab:
        table([{"at": h.at, "by": h.actor, "action": h.action, "what": h.summary}
               for h in detail.history],
              {"at": st.column_config.DatetimeColumn("At", format="YYYY-MM-DD HH:mm"),
               "what": st.column_config.TextColumn("What", width="large")},
              empty="No history.")


def _dual_words(kind: str, payload: Mapping[str, Any]) -> str:
    if kind == "stance":
        return f"{payload.get('stance')} ({payload.get('reason')})"
    if kind == "appraisal":
        return f"{payload.get('tool')} {payload.get('overall')}"
    return ", ".join(f"{e} {j}" for e, (j, _) in dict(payload.get("directness") or {}).items())


def appraisal_detail(detail: queries.ClaimDetail) -> None:
    """The appraisal behind each linked study (domains with reasons), the directness of each
    link, the reviewers' judgements on the body and the searches recorded."""
    rated = [e for e in detail.evidence if e.appraisal is not None or e.directness]
    if not detail.appraisals:
        st.caption("No linked study is appraised yet: the certainty waits for the appraisals.")
    for key, appraisal in sorted(detail.appraisals.items()):
        pools = f", pools {appraisal.pools}" if appraisal.pools else ""
        st.markdown(f"**{escape_markdown(key)}** — {escape_markdown(appraisal.tool)}: "
                    f"{escape_markdown(appraisal.overall)}{escape_markdown(pools)} "
                    f":gray[· {escape_markdown(appraisal.appraised_by)}, "
                    f"{appraisal.appraised_at:%Y-%m-%d}]")
        table([{"domain": d, "judgement": j, "reason": r} for d, j, r in appraisal.domains],
              {"reason": st.column_config.TextColumn("Reason", width="large")})
    if rated:
        st.caption("Directness of each link (population, intervention, comparator, outcome, "
                   "setting):")
        table([{"link": e.link_id, "citation": e.citation_key,
                **{k: f"{j} — {r}" for k, (j, r) in sorted(e.directness.items())}}
               for e in detail.evidence], {"link": st.column_config.NumberColumn(
                   "Link", format="#%d")})
    if detail.body:
        st.caption("Reviewers' judgements on the whole body:")
        table([{"domain": b.domain, "judgement": b.value, "reason": b.reason,
                "by": b.judged_by, "at": b.judged_at} for b in detail.body])
    if detail.searches:
        st.caption("Searches recorded:")
        table([{"at": s.searched_at, "by": s.searched_by, "where": s.sources,
                "note": s.note} for s in detail.searches])


def cited_line(cited: queries.CitedRow) -> str:
    """One source the article itself cites, as a caption: a candidate, not evidence."""
    library = (f" — in the library as {escape_markdown(cited.in_library)}" if cited.in_library
               else " — not in the library yet")
    text = f" “{escape_markdown(cited.link_text)}”" if cited.link_text and \
        cited.kind != "phrase" else ""
    return (f":material/format_quote: cited by the article: {escape_markdown(cited.kind)} "
            f"{escape_markdown(cited.identifier)}{text}{library}")


def _parts(detail: queries.ClaimDetail) -> None:
    if detail.parts:
        st.caption("Split into parts, each graded on its own:")
        table(claims_table_rows(detail.parts), CLAIM_COLUMNS)
    if detail.restates is not None:
        st.caption("Restates an earlier claim:")
        table(claims_table_rows([detail.restates]), CLAIM_COLUMNS)
    if detail.restated_by:
        st.caption("Restated later by:")
        table(claims_table_rows(detail.restated_by), CLAIM_COLUMNS)
    if detail.questions:
        st.caption("Open questions it raises:")
        table([{"question": q} for q in detail.questions])
    if not (detail.parts or detail.restates or detail.restated_by or detail.questions):
        st.caption("Not split, not restated, no open question.")


# --- suggested studies (the evidence finder) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkPrefill:
    """What "Link this" hands the Evidence page's link form: the claim, the citation, and the
    search that lists it."""

    claim_id: int
    citation_id: int
    search: str


def suggested_studies(claim_id: int) -> None:
    """The finder's suggestions for a claim (`queries.suggestions`), each with its best
    sentences highlighted and, for reviewers, "Link this", which opens the Evidence page's
    link form filled in with the claim and the study. Nothing here writes."""
    found = read(queries.suggestions, claim_id)
    st.info(escape_markdown(found.note), icon=":material/lightbulb:")
    if not found.suggestions:
        st.caption("No study of the library mentions the words of this claim.")
        return
    can_link = may("evidence.link")
    for s in found.suggestions:
        with st.container(border=True):
            marks = "".join(f" · {m}" for m, on in (("unverified", not s.verified),
                                                    ("**retracted**", s.retracted)) if on)
            st.markdown(f"**{s.rank}. {escape_markdown(s.key)}** · {s.year or 'n.d.'} · "
                        f"{escape_markdown(s.design or 'design unknown')}{marks} · "
                        f"score {s.score:.1f}")
            st.markdown(escape_markdown(s.title))
            st.caption("Matched: " + escape_markdown(", ".join(s.matched_terms)))
            for sentence in s.sentences:
                st.markdown("> " + highlighted_markdown(sentence.text, sentence.highlights))
            if s.linked:
                st.caption(f"Already linked to this claim ({escape_markdown(s.stance or '')}).")
            elif can_link and st.button("Link this", key=f"suggest_link_{claim_id}_"
                                        f"{s.citation_id}", icon=":material/add_link:"):
                st.session_state[LINK_PREFILL_KEY] = LinkPrefill(claim_id, s.citation_id, s.key)
                st.switch_page(EVIDENCE_PAGE)
    if not can_link:
        needs("evidence.link", "link a suggested study to the claim")
