"""Loading a review (and the open questions) from the human-editable TOML files in
`references/`, through the same use cases a reviewer or editor runs by hand.

A file is read and checked whole before anything is written (`read_review`, outside any
transaction): every fragment must match exactly one live claim, every key must be in the
library, every value must be known; any problem refuses the load with a list of what and where.

Loading again applies what is new and leaves what people changed since: a link someone else
edited or removed, a flag an editor resolved or dismissed, an appraisal, body judgement or
track someone else recorded is left as it is, and the report says what was skipped and why.
What an earlier load of the file recorded and the file no longer lists is withdrawn — unless
someone changed it since, when it is left and reported. An item the ledger (`ReviewItem`)
does not know (a database loaded before the ledger existed) is checked against the audit
log: a link someone removed is not added again. Loading is idempotent: what the file already
recorded is left as it is.

File format: see `references/review.toml` and `references/questions.toml`; format_version 2
adds `[[appraisal]]`, `[link.directness]`, `[link.effect]`, `[[body]]`, `[[search]]` and
`[[track]]` to version 1, which still loads.

The package: `reading` (the file read, parsed and checked into a plan), `ledger` (what the
file last loaded, and the decision for each item), `applying` (the plan applied item by item,
and what the file no longer lists withdrawn) and `loading` (`load_review`, `load_questions`).
This package re-exports their public names, so callers import from `tracker.services.review`.
"""

from __future__ import annotations

from tracker.services.review.applying import LoadReport
from tracker.services.review.ledger import WITHDRAWN
from tracker.services.review.loading import load_questions, load_review
from tracker.services.review.reading import (
    FORMAT_VERSIONS,
    JUDGEMENT_KEYS,
    ReviewFile,
    ReviewFileError,
    read_review,
)

__all__ = [
    "FORMAT_VERSIONS",
    "JUDGEMENT_KEYS",
    "WITHDRAWN",
    "LoadReport",
    "ReviewFile",
    "ReviewFileError",
    "load_questions",
    "load_review",
    "read_review",
]
