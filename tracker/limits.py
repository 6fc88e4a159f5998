"""What the tracker accepts, in one place: the size of files, entries, fields and free text.

Every limit is far above real use (a 50,000-entry, 30 MB library imports; the shipped article
is 15 kB with 63 claims) and low enough that parsing stays linear and bounded in time and
memory. Each is enforced where the input enters: `tracker.bibtex` for BibTeX (a file or an
upload is measured before it is read; an entry over a limit is a problem of that entry, with
file, line and field, and the rest imports), `tracker.article` and `read_article` for articles,
the write services for free text. `.streamlit/config.toml` repeats `MAX_BIB_FILE_BYTES` in MB
as `server.maxUploadSize` (a test checks they agree).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tracker.errors import InvalidInput

MB = 1024 * 1024

# --- BibTeX (and RIS, PubMed, CSL-JSON: the same limits, records for entries) -----------------

#: A .bib file or upload, in bytes (the dashboard's upload limit is the same, in MB).
MAX_BIB_FILE_BYTES = 64 * MB
#: BibTeX text given as a string (pasted), in characters: the same figure.
MAX_BIB_TEXT_CHARS = MAX_BIB_FILE_BYTES
#: Blocks (entries, @string, @comment, @preamble) in one file, counted before the file is split:
#: each costs the splitter time and about 1 kB of memory.
MAX_BIB_BLOCKS = 250_000
#: A Retraction Watch CSV (`tracker citations check-retractions`; the whole database is about
#: 60 MB in 2026).
MAX_NOTICE_FILE_BYTES = 256 * MB
#: Entries in one import, summed over its files.
MAX_IMPORT_ENTRIES = 200_000
#: One entry's text, from its ``@`` to its closing brace.
MAX_ENTRY_CHARS = 1_000_000
#: One field's value, as written and after ``@string`` macros and ``#`` are expanded (a
#: collaboration's 5,000-name author list fits).
MAX_FIELD_CHARS = 200_000
#: All ``@string`` expansion inside the ``@string`` definitions of one file, in characters:
#: macros that double each other grow exponentially.
MAX_MACRO_EXPANSION_CHARS = MAX_BIB_TEXT_CHARS
#: What ``@string`` macros add to the fields of one import, every use counted, over all its
#: files (and uploads): a long macro used by every entry multiplies the file (a 335 kB file
#: once became 380 M stored characters). Real libraries use macros for journal names: a
#: 50,000-entry library adds about 2 M.
MAX_IMPORT_EXPANSION_CHARS = 64 * MB
#: Brace groups nested in one field value (real entries nest two or three deep).
MAX_BRACE_DEPTH = 100
#: A citation key (the column holds 200; the rest is room for the "-2" of a renamed key).
MAX_KEY_CHARS = 180
#: An entry type, ``@article`` without the ``@`` (the column's width).
MAX_ENTRY_TYPE_CHARS = 32

# --- Articles ---------------------------------------------------------------------------------

#: An article file, in bytes (the same figure in characters for text given as a string).
MAX_ARTICLE_BYTES = 1 * MB
#: A web page (an HTML file, or a URL's response), in bytes: pages carry scripts and styles
#: around the article, whose extracted text must still fit MAX_ARTICLE_BYTES.
MAX_PAGE_BYTES = 5 * MB
#: Fetching a URL: seconds to connect, and seconds of silence while reading, before giving up;
#: the whole download may take at most MAX_FETCH_SECONDS; at most MAX_REDIRECTS redirects.
FETCH_CONNECT_SECONDS = 10.0
FETCH_READ_SECONDS = 20.0
MAX_FETCH_SECONDS = 60.0
MAX_REDIRECTS = 5
#: Claims in one document: FAQ restatements and revisions compare claims pairwise.
MAX_ARTICLE_CLAIMS = 2_000
#: A Markdown heading (and so a document title); plain-text headings are short by definition.
MAX_HEADING_CHARS = 250
#: A listed resource's title line (the column's width).
MAX_RESOURCE_TITLE_CHARS = 1000

# --- Review and questions files (TOML) ---------------------------------------------------------

#: A review or questions file, in bytes (the shipped review is 106 kB).
MAX_REVIEW_FILE_BYTES = 8 * MB

# --- Free text given to the write services ----------------------------------------------------

#: A locator of evidence (page, table, figure; the column's width).
MAX_LOCATOR_CHARS = 500
#: An open question's title.
MAX_QUESTION_TITLE_CHARS = 500
#: A note, a reason (flags, resolutions, overrides, splits), a description.
MAX_NOTE_CHARS = 10_000
#: Where a source file was read from (the columns hold 1000; longer paths keep their end).
MAX_SOURCE_PATH_CHARS = 1000
#: A document slug (the column's width).
MAX_SLUG_CHARS = 200


def recorded_path(path: str) -> str:
    """A source path as stored: whole when it fits, else "…" and its last characters (the
    file name is what a reader needs)."""
    if len(path) <= MAX_SOURCE_PATH_CHARS:
        return path
    return "…" + path[-(MAX_SOURCE_PATH_CHARS - 1) :]


def read_bounded(path: Path, maximum: int, too_large: Callable[[int], Exception]) -> bytes:
    """The bytes of `path`; a file over `maximum` bytes is refused (`too_large(size)`) before it
    is read, and a pipe or device, which has no size, is read one byte past the limit at most.
    OSError is the caller's to word."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > maximum:
            raise too_large(size)
        data = file.read(maximum + 1)
    if len(data) > maximum:
        raise too_large(len(data))
    return data


def check_text(value: str, what: str, maximum: int) -> str:
    """`value` without surrounding whitespace, or InvalidInput naming `what` when it is longer
    than `maximum` characters or holds a NUL (which PostgreSQL cannot store)."""
    text = value.strip()
    if len(text) > maximum:
        raise InvalidInput(f"{what} is {len(text):,} characters long; at most {maximum:,} fit")
    if "\x00" in text:
        raise InvalidInput(f"{what} contains a NUL character (U+0000); remove it")
    return text
