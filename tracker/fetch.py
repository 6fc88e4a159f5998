"""Fetching an article's web page: one GET with httpx, bounded in time, size and redirects.

The response must be HTML (or XHTML) or plain text by its content type; its body is read in
chunks and refused as soon as it passes `MAX_PAGE_BYTES`, whatever its Content-Length says.
Every failure is an InvalidInput naming the address and what to do. httpx is imported on
first use, so commands that do not fetch do not pay for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from tracker.errors import InvalidInput
from tracker.limits import (
    FETCH_CONNECT_SECONDS,
    FETCH_READ_SECONDS,
    MAX_FETCH_SECONDS,
    MAX_PAGE_BYTES,
    MAX_REDIRECTS,
    MB,
)

__all__ = ["FetchedPage", "fetch_page", "is_url"]

USER_AGENT = "EvidenceTracker/0.1 (+article ingest; records claims, gives no advice)"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown")


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str  # the final address, after redirects
    data: bytes
    media_type: str  # e.g. text/html
    charset: str | None


def is_url(value: str) -> bool:
    """True for an http or https address (what `tracker ingest` fetches instead of opening)."""
    return value.startswith(("http://", "https://"))


def fetch_page(
    url: str,
    *,
    max_bytes: int = MAX_PAGE_BYTES,
    connect_timeout: float = FETCH_CONNECT_SECONDS,
    read_timeout: float = FETCH_READ_SECONDS,
    total_timeout: float = MAX_FETCH_SECONDS,
) -> FetchedPage:
    """GET `url` and return its body, refusing (InvalidInput) a bad address, a failed
    connection, a timeout (no byte for `read_timeout` seconds, or the whole download over
    `total_timeout`), more than MAX_REDIRECTS redirects, an error status, a content type that
    is not HTML or text, and a body over `max_bytes`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url}: not an http(s) address")
    import httpx  # lazy: only ingesting a URL needs it

    timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout,
                            pool=connect_timeout)
    started = time.monotonic()
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                          headers={"User-Agent": USER_AGENT,
                                   "Accept": "text/html,application/xhtml+xml,text/plain;q=0.8"}
                          ) as client, client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise InvalidInput(f"{url}: the server answered {response.status_code} "
                                   f"{response.reason_phrase}")
            media_type, charset = _content_type(response.headers.get("content-type", ""))
            if media_type not in _HTML_TYPES + _TEXT_TYPES:
                raise InvalidInput(
                    f"{url}: the address serves {media_type or 'no content type'}, not a web "
                    "page (HTML) or text; save the article as a file and ingest that")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise InvalidInput(_too_large(url, int(declared), max_bytes))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(_too_large(url, size, max_bytes, at_least=True))
                if time.monotonic() - started > total_timeout:
                    raise InvalidInput(f"{url}: the download took over {total_timeout:g} s; "
                                       "try again later, or save the page and ingest the file")
                chunks.append(chunk)
            return FetchedPage(str(response.url), b"".join(chunks), media_type, charset)
    except httpx.TooManyRedirects:
        raise InvalidInput(f"{url}: more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException:
        raise InvalidInput(f"{url}: no answer within the time limit (connect "
                           f"{connect_timeout:g} s, read {read_timeout:g} s); try again later, "
                           "or save the page and ingest the file") from None
    except httpx.HTTPError as exc:
        raise InvalidInput(f"{url}: cannot fetch ({exc.__class__.__name__}: {exc})") from None


def _content_type(header: str) -> tuple[str, str | None]:
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.casefold() == "charset" and value:
            charset = value.strip("\"' ")
    return media_type.strip().casefold(), charset


def _too_large(url: str, size: int, maximum: int, *, at_least: bool = False) -> str:
    what = f"over {maximum:,}" if at_least else f"{size:,}"
    return (f"{url}: the page is {what} bytes; a page may be at most {maximum:,} bytes "
            f"({maximum // MB} MB)")
